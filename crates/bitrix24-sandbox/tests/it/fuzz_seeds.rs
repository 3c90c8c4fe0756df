//! The fuzz targets' seed corpus (`fuzz/seeds/`) replayed through the same invariant checks
//! the targets run, so every test run (and CI, without cargo-fuzz) checks them, and every
//! input that once crashed a target (kept in the seeds) stays fixed.

use bitrix24_sandbox::fuzzing;
use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the seed directory exists") {
        let path = entry.expect("seed entry").path();
        let data = std::fs::read(&path).expect("seed readable");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} breaks an invariant", path.display());
        seen += 1;
    }
    assert!(
        seen >= 5,
        "{target}: only {seen} seeds in {}",
        dir.display()
    );
}

#[test]
fn php_form_seeds_hold_the_invariants() {
    replay("php_form", fuzzing::php_form);
}

#[test]
fn batch_command_seeds_hold_the_invariants() {
    replay("batch_command", fuzzing::batch_commands);
}
