//! `b24` with `$B24_STORE=postgres://…` (or `--store`): the profiles, the tokens and the
//! request-rate and operating-time budgets live in PostgreSQL, shared by every `b24` process
//! whatever its config directory. Needs the server named by `BITRIX24_TEST_POSTGRES`
//! (`eval "$(.ci/postgres start)"`); without it these tests fail and say so.

use crate::cli_auth::{deliver, finish, start_login_with};
use crate::cli_support::{allow, command, Cli, Run};
use bitrix24::postgres::tokio_postgres;
use bitrix24_sandbox::Limits;

/// A new empty database on the test server; its URL.
pub(crate) async fn fresh_database() -> String {
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

/// A connection to the database at `url`, for looking at b24's tables.
pub(crate) async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test database ({e})"));
    tokio::spawn(connection);
    client
}

/// Saves the sandbox's webhook as a profile in `store` (the config directory stays empty).
pub(crate) async fn login_into(cli: &Cli, store: &str) {
    let out = cli
        .cmd()
        .env("B24_STORE", store)
        .args([
            "auth",
            "webhook",
            &cli.sandbox.webhook_url(),
            "--name",
            "hook",
        ])
        .output()
        .await
        .expect("run b24");
    assert!(out.status.success(), "{out:?}");
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
    let store = fresh_database().await;
    login_into(&cli, &store).await;
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

/// `b24 auth login` with a store writes the profile and the tokens there and nothing in its
/// config directory; `auth status`, `call` and `logout` find the profile from another, empty
/// config directory through `$B24_STORE` or `--store` (which wins over the variable), and
/// never print the app's secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_into_the_store_is_used_from_an_empty_config_directory() {
    let cli = Cli::new().await;
    let store = fresh_database().await;
    let (child, url) = start_login_with(&cli, None, &[("B24_STORE", &store)]).await;
    let location = allow(&url).await;
    let (status, page) = deliver(&location).await;
    assert_eq!(status, 200, "{page}");
    let (code, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    let left: Vec<_> = std::fs::read_dir(cli.dir.path())
        .expect("config dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(
        left.is_empty(),
        "the config directory stays empty: {left:?}"
    );
    // The row keeps the profile as config.json would, the secret included.
    let rows = connect(&store)
        .await
        .query("SELECT name, profile, is_default FROM b24_profiles", &[])
        .await
        .expect("profiles");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), "work");
    assert!(
        rows[0].get::<_, bool>(2),
        "the first profile is the default"
    );
    let profile: serde_json::Value =
        serde_json::from_str(&rows[0].get::<_, String>(1)).expect("profile JSON");
    let secret = profile["client_secret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert!(!secret.is_empty());

    let elsewhere = tempfile::tempdir().expect("another config dir");
    let run = |args: &[&str], env_store: Option<&str>| {
        let mut cmd = command(elsewhere.path());
        if let Some(s) = env_store {
            cmd.env("B24_STORE", s);
        }
        let out = cmd.args(args).output();
        async move {
            let out = out.await.expect("run b24");
            Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        }
    };
    let status = run(&["auth", "status"], Some(&store)).await.expect_code(0);
    assert!(
        status.stdout.contains("Profile: work (default)"),
        "{status:?}"
    );
    assert!(
        status.stdout.contains("Kind:    OAuth application"),
        "{status:?}"
    );
    assert!(status.stdout.contains("Scopes:  crm,user"), "{status:?}");
    assert!(!status.stdout.contains(&secret) && !status.stderr.contains(&secret));
    // --store wins over the variable (here naming a server nobody listens on).
    let nowhere = "postgres://nobody@127.0.0.1:1/none";
    let call = run(&["--store", &store, "call", "profile"], Some(nowhere))
        .await
        .expect_code(0);
    let me: serde_json::Value = serde_json::from_str(&call.stdout).expect("JSON");
    assert_eq!(me["ID"], serde_json::json!("1"), "{call:?}");
    // Without the store, the empty directory has no profile.
    let none = run(&["auth", "status"], None).await.expect_code(3);
    assert!(none.stderr.contains("no profile configured"), "{none:?}");
    // A store that is not PostgreSQL is refused without being repeated.
    let bad = run(&["call", "profile"], Some("mysql://root:hunter2@db/x"))
        .await
        .expect_code(2);
    assert!(bad.stderr.contains("postgres:// URL"), "{bad:?}");
    assert!(!bad.stderr.contains("hunter2"), "{bad:?}");
    // Logging out from there removes the profile and its tokens from the store.
    run(&["auth", "logout"], Some(&store)).await.expect_code(0);
    let gone = run(&["auth", "status"], Some(&store)).await.expect_code(3);
    assert!(gone.stderr.contains("no profile configured"), "{gone:?}");
    let tokens: i64 = connect(&store)
        .await
        .query_one("SELECT count(*) FROM bitrix24_tokens", &[])
        .await
        .expect("tokens")
        .get(0);
    assert_eq!(tokens, 0, "logout removes the tokens");
}

/// A webhook profile saved with a store is found from an empty config directory, and the
/// webhook's secret is in no output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_profile_in_the_store_serves_list_from_another_directory() {
    let cli = Cli::new().await;
    cli.seed(3);
    let store = fresh_database().await;
    let url = cli.sandbox.webhook_url();
    let secret = cli.sandbox.webhook().secret.clone();
    let saved = cli
        .cmd()
        .args([
            "-vv", "--store", &store, "auth", "webhook", &url, "--name", "hook",
        ])
        .output()
        .await
        .expect("run b24");
    assert!(saved.status.success(), "{saved:?}");
    // The most verbose logs show no query parameter: the profile row holds the secret.
    let logs = String::from_utf8_lossy(&saved.stderr);
    assert!(logs.contains("DEBUG"), "debug logs are on: {logs}");
    assert!(
        !logs.contains(&secret),
        "the secret leaked into the logs: {logs}"
    );
    assert!(!cli.path("config.json").exists());
    let elsewhere = tempfile::tempdir().expect("another config dir");
    let out = command(elsewhere.path())
        .env("B24_STORE", &store)
        .args(["list", "lead", "--select", "ID"])
        .output()
        .await
        .expect("run b24");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    let status = command(elsewhere.path())
        .env("B24_STORE", &store)
        .args(["auth", "status"])
        .output()
        .await
        .expect("run b24");
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(shown.contains("Profile: hook (default)"), "{shown}");
    assert!(!shown.contains(&secret) && !stderr.contains(&secret));
}

/// A profile saved in `config.json` before the store held profiles keeps working with a
/// store (the store's profiles come first), and logging out removes it from the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_json_profile_still_works_with_a_store_and_logout_removes_it() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    let store = fresh_database().await;
    let with_store = |args: &'static [&'static str]| {
        let out = cli.cmd().env("B24_STORE", &store).args(args).output();
        async move { out.await.expect("run b24") }
    };
    let call = with_store(&["call", "profile"]).await;
    assert!(call.status.success(), "{call:?}");
    let status = with_store(&["auth", "status"]).await;
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(shown.contains("Profile: hook (default)"), "{shown}");
    let logout = with_store(&["auth", "logout"]).await;
    assert!(logout.status.success(), "{logout:?}");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cli.path("config.json")).expect("config"))
            .expect("JSON");
    assert_eq!(config["profiles"], serde_json::json!({}), "{config}");
    let gone = with_store(&["auth", "status"]).await;
    assert_eq!(gone.status.code(), Some(3), "{gone:?}");
}
