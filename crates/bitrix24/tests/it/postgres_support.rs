//! The PostgreSQL the `postgres` feature's tests run against: the server named by
//! `BITRIX24_TEST_POSTGRES`, a fresh database per test. Without the variable every such test
//! fails and says how to start one; none is skipped.

use bitrix24::postgres::tokio_postgres;
use std::sync::atomic::{AtomicU64, Ordering};

pub const URL_ENV: &str = "BITRIX24_TEST_POSTGRES";

/// The server's URL from the environment; panics with the way to start one.
pub fn server_url() -> String {
    match std::env::var(URL_ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{URL_ENV} is not set: the tests of the `postgres` feature need a PostgreSQL server. \
             Start a throwaway one from the workspace root with\n    eval \"$(.ci/postgres start)\"\n\
             (it installs Debian's postgresql when missing and prints the export), then run the \
             tests again; `.ci/postgres stop` removes it. See the README, section Tests."
        ),
    }
}

/// Creates an empty database for one test and returns its URL (same server and user).
pub async fn fresh_database() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let url = server_url();
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {URL_ENV} ({e}): is the server running?"));
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the test database");
    drop(client);
    let _ = task.await;
    let mut out = url::Url::parse(&url).expect("a postgres:// URL");
    out.set_path(&format!("/{name}"));
    out.to_string()
}

/// The CA that signed the test server's certificate (`.ci/postgres start` makes both and
/// exports `BITRIX24_TEST_POSTGRES_CA`); panics with the way to get one.
pub fn server_ca_pem() -> Vec<u8> {
    const CA_ENV: &str = "BITRIX24_TEST_POSTGRES_CA";
    let path = std::env::var(CA_ENV).unwrap_or_else(|_| {
        panic!(
            "{CA_ENV} is not set: the TLS tests need the CA of the test server's certificate. \
             `eval \"$(.ci/postgres start)\"` starts a server with TLS and exports it."
        )
    });
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {CA_ENV}={path}: {e}"))
}

/// Waits until some connection to the database at `url` holds an advisory lock (a portal's
/// refresh section); panics saying `what` never happened.
pub async fn wait_until_an_advisory_lock_is_held(url: &str, what: &str) {
    let db = bitrix24::postgres::Database::connect(url)
        .await
        .expect("connect");
    let client = db.pool().get().await.expect("connection");
    for _ in 0..1000 {
        let held: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .await
            .expect("pg_locks")
            .get(0);
        if held > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{what}");
}
