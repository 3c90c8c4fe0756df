//! `PostgresStore`: what it keeps, that its section excludes per portal only, that sessions
//! over separate stores (separate pools, as separate processes or machines have) refresh
//! once, and that a holder killed or dropped mid-refresh loses no token.

use crate::oauth_support::{app, app_with, profile, seed, used_refresh_tokens};
use crate::postgres_support::fresh_database;
use crate::refresh_race::separate_instances_refresh_once;
use crate::token_stores::{keeps_records, record, section_excludes};
use bitrix24::auth::OAuthSession;
use bitrix24::postgres::Database;
use bitrix24::store::{PostgresStore, TokenStore};
use bitrix24_sandbox::{FaultConfig, Limits, Sandbox};
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

const CHILD_ENV: &str = "BITRIX24_PG_CRASH_CHILD";

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox")
}

async fn store(url: &str) -> Arc<PostgresStore> {
    Arc::new(PostgresStore::connect(url).await.expect("connect"))
}

fn token_requests(sb: &Sandbox) -> u64 {
    sb.requests_by_method()
        .get("oauth.token")
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_store_keeps_records_and_its_section_excludes() {
    let url = fresh_database().await;
    keeps_records(store(&url).await.as_ref()).await;
    // Two stores, two pools: only the server's lock keeps them apart.
    section_excludes(store(&url).await, store(&url).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_portals_section_never_blocks_another() {
    let url = fresh_database().await;
    let (one, two) = (store(&url).await, store(&url).await);
    one.save(&record("a", "r-a", 1)).await.expect("seed a");
    let held = one.lock("a").await.expect("lock a");
    let other = tokio::time::timeout(Duration::from_secs(10), async {
        let mut b = two.lock("b").await.expect("lock b");
        assert!(b.load().await.expect("load b").is_none());
        b.save_and_unlock(&record("b", "r-b", 1))
            .await
            .expect("save b");
    })
    .await;
    assert!(other.is_ok(), "portal b waited for portal a's section");
    // A save of `a` itself waits for the holder, and then lands.
    let waiting = {
        let two = two.clone();
        tokio::spawn(async move { two.save(&record("a", "r-a2", 2)).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "a save got past the held section");
    drop(held);
    waiting.await.expect("join").expect("save a");
    let a = one.load("a").await.expect("load").expect("a");
    assert_eq!(a.refresh_token.expose_secret(), "r-a2");
    let mut ids = two.portals().await.expect("portals");
    ids.sort();
    assert_eq!(ids, vec!["a", "b"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_twice_and_concurrently_is_harmless() {
    let url = fresh_database().await;
    let opens = (0..6).map(|_| {
        let url = url.clone();
        tokio::spawn(async move { Database::connect(&url).await })
    });
    for db in futures::future::join_all(opens).await {
        db.expect("join").expect("migrated");
    }
    let again = store(&url).await;
    again.save(&record("m", "r", 1)).await.expect("usable");
    let shown = format!("{:?}", again);
    assert!(
        !shown.contains("postgres://"),
        "no URL (password) in {shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_postgres_store_instances_refresh_once() {
    let sb = sandbox().await;
    let url = fresh_database().await;
    separate_instances_refresh_once(&sb, store(&url).await, store(&url).await).await;
}

/// Twelve clients, each with its own store and pool (as twelve processes would have), call at
/// once on an expired token: the OAuth server sees one token request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_clients_on_one_postgres_store_refresh_once() {
    let sb = sandbox().await;
    let url = fresh_database().await;
    let first = store(&url).await;
    seed(&sb, first.as_ref(), 3600).await;
    let mut clients = Vec::new();
    for _ in 0..12 {
        let session = OAuthSession::new(app(&sb), store(&url).await, sb.member_id());
        let client = bitrix24::Client::builder()
            .oauth(session)
            .limits(bitrix24::RateLimits::off())
            .build()
            .expect("client");
        client.call_raw("profile", &()).await.expect("warm");
        clients.push(client);
    }
    sb.advance_clock(3700.0); // expired on the portal: every call meets expired_token
    let before = token_requests(&sb);
    let calls = clients.iter().flat_map(|c| {
        (0..5).map(move |_| {
            let c = c.clone();
            tokio::spawn(async move { c.call_raw("profile", &()).await })
        })
    });
    for r in futures::future::join_all(calls).await {
        r.expect("join").expect("every call succeeds");
    }
    assert_eq!(
        token_requests(&sb) - before,
        1,
        "exactly one oauth.token request"
    );
    assert_eq!(used_refresh_tokens(&sb), 1);
    let kept = first
        .load(sb.member_id())
        .await
        .expect("load")
        .expect("kept");
    assert_eq!(kept.generation, 2);
}

/// The caller of a refresh gives up (its task is aborted) while the refresh waits at the
/// server: the refresh still completes and is stored, and nobody refreshes a second time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_caller_mid_refresh_loses_no_token() {
    let sb = sandbox().await;
    let url = fresh_database().await;
    let one = store(&url).await;
    seed(&sb, one.as_ref(), 0).await;
    sb.set_faults(FaultConfig {
        latency_ms: 800,
        only_methods: Some(vec!["oauth.token".into()]),
        ..FaultConfig::default()
    });
    let session = OAuthSession::new(app(&sb), one.clone(), sb.member_id());
    let caller = tokio::spawn(async move { session.access_token().await });
    wait_until_held(&url).await;
    caller.abort();
    let other = OAuthSession::new(app(&sb), store(&url).await, sb.member_id());
    let token = tokio::time::timeout(Duration::from_secs(20), other.access_token())
        .await
        .expect("the section was released")
        .expect("token");
    sb.clear_faults();
    assert_eq!(
        token.generation(),
        2,
        "the dropped caller's refresh was kept"
    );
    assert_eq!(used_refresh_tokens(&sb), 1);
    assert_eq!(profile(token.endpoint(), token.secret()).await.0, 200);
}

/// A process killed while its refresh waits at the server leaves the stored pair and no
/// lock: the server rolls its transaction back when its connection goes, and the next
/// caller refreshes with the stored (never used) token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_refresh_loses_no_token() {
    let sb = sandbox().await;
    let url = fresh_database().await;
    let one = store(&url).await;
    let seeded = seed(&sb, one.as_ref(), 0).await;
    // The token endpoint waits 1.5 s BEFORE processing; a dropped connection cancels it.
    sb.set_faults(FaultConfig {
        latency_ms: 1500,
        only_methods: Some(vec!["oauth.token".into()]),
        ..FaultConfig::default()
    });
    let config = serde_json::json!({
        "url": sb.url(), "client_id": sb.app().client_id, "client_secret": sb.app().client_secret,
        "member_id": sb.member_id(), "store": url,
    })
    .to_string();
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "postgres_tokens::crash_child_entry",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    wait_until_held(&url).await;
    child.kill().await.expect("kill");
    tokio::time::sleep(Duration::from_millis(1700)).await; // past the server's wait
    assert_eq!(
        used_refresh_tokens(&sb),
        0,
        "the cancelled refresh was not processed"
    );
    sb.clear_faults();
    let kept = one.load(sb.member_id()).await.expect("load").expect("kept");
    assert_eq!(kept.generation, 1);
    assert_eq!(
        kept.refresh_token.expose_secret(),
        seeded.refresh_token.expose_secret()
    );
    let session = OAuthSession::new(app(&sb), store(&url).await, sb.member_id());
    let token = tokio::time::timeout(Duration::from_secs(20), session.access_token())
        .await
        .expect("the dead child's lock was released")
        .expect("refresh with the stored token");
    assert_eq!(token.generation(), 2);
    assert_eq!(used_refresh_tokens(&sb), 1);
    assert_eq!(profile(token.endpoint(), token.secret()).await.0, 200);
}

/// Waits until some connection holds an advisory lock (the section of a refresh).
async fn wait_until_held(url: &str) {
    let db = Database::connect(url).await.expect("connect");
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
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nobody entered the refresh section");
}

/// The child of `a_process_killed_mid_refresh_loses_no_token`: starts a refresh and is
/// killed during it. Ignored in a normal run; run alone, it fails (it needs the parent's
/// configuration).
#[tokio::test]
#[ignore = "child process: `postgres_tokens::a_process_killed_mid_refresh_loses_no_token` runs it"]
async fn crash_child_entry() {
    let config = std::env::var(CHILD_ENV).expect(
        "the child of `a_process_killed_mid_refresh_loses_no_token`: run that test, not this one",
    );
    let c: serde_json::Value = serde_json::from_str(&config).expect("config");
    let text = |k: &str| c[k].as_str().expect(k).to_string();
    let app = app_with(&text("url"), &text("client_id"), &text("client_secret"));
    let store = store(&text("store")).await;
    let session = OAuthSession::new(app, store, text("member_id"));
    // Killed before this returns; if it ever does, the parent's assertions catch it.
    let _ = session.access_token().await;
}
