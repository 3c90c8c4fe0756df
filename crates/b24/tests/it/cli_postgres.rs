//! `b24` with `$B24_STORE=postgres://…`: the tokens and the request-rate and operating-time
//! budgets live in PostgreSQL, shared by every `b24` process. Needs the server named by
//! `BITRIX24_TEST_POSTGRES` (`eval "$(.ci/postgres start)"`); without it these tests fail and
//! say so.

use crate::cli_support::Cli;
use bitrix24::postgres::tokio_postgres;
use bitrix24::store::{PostgresStore, TokenRecord, TokenStore};
use bitrix24::SecretString;
use bitrix24_sandbox::Limits;
use serde_json::json;

/// A new empty database on the test server; its URL.
async fn fresh_database() -> String {
    let url = match std::env::var("BITRIX24_TEST_POSTGRES") {
        Ok(u) if !u.trim().is_empty() => u,
        _ => panic!(
            "BITRIX24_TEST_POSTGRES is not set: these tests need a PostgreSQL server. Start a \
             throwaway one from the workspace root with\n    eval \"$(.ci/postgres start)\"\n\
             then run the tests again (README, section Tests)."
        ),
    };
    let name = format!("b24_{}_{}", std::process::id(), rand_suffix());
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to BITRIX24_TEST_POSTGRES ({e})"));
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

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::UNIX_EPOCH
            .elapsed()
            .map_or(0, |d| d.as_nanos() as u64),
    );
    h.finish()
}

/// 12 lanes of 10 `b24 call crm.lead.add` each (120 processes, 12 at a time) under standard
/// limits: with the budget in PostgreSQL the portal refuses none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_b24_processes_sharing_a_store_get_no_503() {
    let cli = Cli::with_limits(Limits::Standard).await;
    cli.login_webhook().await;
    let store = fresh_database().await;
    let lanes = (0..12).map(|lane| {
        let store = store.clone();
        let cli = &cli;
        async move {
            for n in 0..10 {
                let title = format!("fields.TITLE=lead {lane}-{n}");
                let out = cli
                    .cmd()
                    .env("B24_STORE", &store)
                    .args(["call", "crm.lead.add", &title])
                    .output()
                    .await
                    .expect("run b24");
                assert!(
                    out.status.success(),
                    "b24 call failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    });
    futures::future::join_all(lanes).await;
    let refused = cli.sandbox.refused_by_rate_limit();
    println!("12 b24 processes x 10 crm.lead.add on one B24_STORE: {refused} responses 503");
    assert_eq!(refused, 0, "responses 503");
    assert_eq!(
        cli.sandbox.requests_by_method().get("crm.lead.add"),
        Some(&120)
    );
}

/// An OAuth profile's tokens are read from `$B24_STORE`, not from the config directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oauth_profiles_tokens_come_from_the_store() {
    let cli = Cli::new().await;
    let sb = &cli.sandbox;
    let config = json!({
        "default": "app",
        "profiles": {"app": {
            "kind": "oauth", "portal": sb.url(), "oauth_server": sb.url(),
            "client_id": sb.app().client_id, "client_secret": sb.app().client_secret,
            "member_id": sb.member_id(),
        }},
    });
    std::fs::write(cli.path("config.json"), config.to_string()).expect("config");
    let url = fresh_database().await;
    let pair = sb.issue_tokens(sb.app(), 1).expect("tokens");
    let mut record = TokenRecord::new(
        sb.member_id(),
        SecretString::from(pair.access_token),
        SecretString::from(pair.refresh_token),
        i64::MAX / 2,
    );
    record.scope = pair.scope;
    record.client_endpoint = sb.rest_url();
    PostgresStore::connect(&url)
        .await
        .expect("store")
        .save(&record)
        .await
        .expect("seed");
    let without = cli.run(&["call", "profile"]).await;
    assert_ne!(without.code, 0, "no tokens in the config directory");
    let with = cli
        .cmd()
        .env("B24_STORE", &url)
        .args(["call", "profile"])
        .output()
        .await
        .expect("run b24");
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let bad = cli
        .cmd()
        .env("B24_STORE", "mysql://nope")
        .args(["call", "profile"])
        .output()
        .await
        .expect("run b24");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("postgres:// URL"));
}
