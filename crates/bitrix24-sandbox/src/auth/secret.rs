//! Random secrets in the shapes the portal uses.

use rand::Rng;

/// `len` random lower-case hex characters (member ids, application tokens, webhook secrets).
pub fn hex(len: usize) -> String {
    const HEX: &[u8] = b"0123456789abcdef";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| HEX[rng.random_range(0..16)] as char)
        .collect()
}

/// `len` random lower-case alphanumeric characters (tokens and codes).
pub fn alnum(len: usize) -> String {
    const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char)
        .collect()
}
