//! HTTPS with a self-signed certificate for `localhost` and `127.0.0.1`, generated at start-up
//! and written to a PEM file that clients add as a trusted root (the official SDKs refuse plain
//! HTTP webhooks).

use axum_server::tls_rustls::RustlsConfig;
use std::path::Path;

/// Generates a certificate, writes it to `cert_path` and returns the server config.
pub async fn self_signed(cert_path: &Path) -> Result<RustlsConfig, String> {
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("cannot generate a certificate: {e}"))?;
    let cert_pem = certified.cert.pem();
    let key_pem = certified.signing_key.serialize_pem();
    std::fs::write(cert_path, &cert_pem).map_err(|e| {
        format!(
            "cannot write the certificate to {}: {e}",
            cert_path.display()
        )
    })?;
    RustlsConfig::from_pem(cert_pem.into_bytes(), key_pem.into_bytes())
        .await
        .map_err(|e| format!("cannot load the generated certificate: {e}"))
}
