//! TLS for the connections to PostgreSQL, on rustls (the stack the HTTP client uses too).
//!
//! tokio-postgres knows `sslmode=disable`, `prefer` (its default) and `require`. With `prefer`
//! it would try TLS and fail, not fall back, on a certificate it cannot check, so a
//! connector is only used where TLS is asked for: `require` in the URL, or root certificates
//! given. The server's certificate is always checked, against its name in the URL (stricter
//! than libpq's `require`, like its `verify-full`).

use crate::error::{Error, ErrorKind, Result};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

/// Whose certificates a TLS connection trusts.
pub(super) enum Roots<'a> {
    /// The operating system's store.
    System,
    /// Only these, PEM-encoded.
    Pem(&'a [u8]),
}

/// A rustls connector trusting `roots`.
pub(super) fn connector(roots: Roots<'_>) -> Result<MakeRustlsConnect> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(Error::new(
                    ErrorKind::Database,
                    "no trusted root certificate found in the system store for TLS to \
                     PostgreSQL; install the CA certificates (ca-certificates) or pass the \
                     server's CA with Database::connect_with_root_certificates",
                ));
            }
        }
        Roots::Pem(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| bad_pem().with_source(e))?;
                store.add(cert).map_err(|e| bad_pem().with_source(e))?;
            }
            if store.is_empty() {
                return Err(bad_pem());
            }
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::new(ErrorKind::Database, "cannot set up TLS").with_source(e))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn bad_pem() -> Error {
    Error::new(
        ErrorKind::InvalidInput,
        "the root certificates for PostgreSQL are not PEM certificates (expected one or more \
         -----BEGIN CERTIFICATE----- blocks)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_that_are_not_pem_certificates_are_refused_clearly() {
        for bad in [
            &b""[..],
            b"not a certificate",
            b"-----BEGIN CERTIFICATE-----\n!!\n",
        ] {
            let e = connector(Roots::Pem(bad)).err().expect("refused");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains("PEM"), "{e}");
        }
    }
}
