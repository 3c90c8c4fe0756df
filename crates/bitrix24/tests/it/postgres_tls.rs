//! TLS to PostgreSQL: `sslmode=require` and a given CA make the connections TLS, with the
//! server's certificate checked; without either they stay plain.

use crate::postgres_support::{fresh_database, server_ca_pem};
use bitrix24::postgres::Database;
use bitrix24::ErrorKind;

/// Whether the pool's connection to the server runs over TLS, as the server sees it.
async fn over_tls(db: &Database) -> bool {
    let conn = db.pool().get().await.expect("a connection");
    conn.query_one(
        "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        &[],
    )
    .await
    .expect("pg_stat_ssl")
    .get(0)
}

fn with_sslmode(url: &str, mode: &str) -> String {
    let joiner = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joiner}sslmode={mode}")
}

#[tokio::test]
async fn the_given_ca_makes_the_connections_tls_and_checked() {
    let url = fresh_database().await;
    let ca = server_ca_pem();
    let db = Database::connect_with_root_certificates(&url, &ca)
        .await
        .expect("TLS with the server's CA");
    assert!(over_tls(&db).await, "the connection is TLS");
    let db = Database::connect_with_root_certificates(&with_sslmode(&url, "require"), &ca)
        .await
        .expect("require with the server's CA");
    assert!(over_tls(&db).await);
}

#[tokio::test]
async fn require_checks_the_certificate_against_the_system_roots() {
    let url = fresh_database().await;
    // The test server's CA is in no system store: the handshake must fail, not go on blind.
    let e = Database::connect(&with_sslmode(&url, "require"))
        .await
        .expect_err("an untrusted certificate is refused");
    assert_eq!(e.kind(), ErrorKind::Database, "{e}");
    let chain = std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .map(|e| e.to_string())
    .collect::<Vec<_>>()
    .join(": ");
    assert!(
        chain.to_lowercase().contains("certificate"),
        "the cause names the certificate: {chain}"
    );
}

#[tokio::test]
async fn without_tls_asked_for_the_connections_stay_plain() {
    let url = fresh_database().await;
    let db = Database::connect(&url).await.expect("plain");
    assert!(!over_tls(&db).await);
    let db = Database::connect(&with_sslmode(&url, "disable"))
        .await
        .expect("plain");
    assert!(!over_tls(&db).await);
}

#[tokio::test]
async fn a_ca_that_did_not_sign_the_server_is_refused() {
    let url = fresh_database().await;
    // A valid certificate that is not the server's CA: the server's own, which .ci/postgres
    // writes beside the CA (it names 127.0.0.1 but signed nothing).
    let ca_path = std::env::var("BITRIX24_TEST_POSTGRES_CA").expect("set, as server_ca_pem says");
    let server_cert = std::path::Path::new(&ca_path).with_file_name("server.crt");
    let other = std::fs::read(&server_cert).expect("the server's certificate");
    assert!(server_ca_pem() != other);
    let e = Database::connect_with_root_certificates(&url, &other)
        .await
        .expect_err("not the server's CA");
    assert_eq!(e.kind(), ErrorKind::Database, "{e}");
}
