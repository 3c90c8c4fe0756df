//! `PostgresStore`: what it keeps, that its section excludes per portal only, that sessions
//! over separate stores (separate pools, as separate processes or machines have) refresh
//! once, that twelve processes acting as three hosts refresh once, and that a holder killed
//! or dropped mid-refresh loses no token.

use crate::child_support::{
    passed, ready_then_wait_for_go, sandbox_config, spawn, wait_for, ChildConfig, Output,
};
use crate::oauth_support::{app, profile, seed, used_refresh_tokens};
use crate::postgres_support::{fresh_database, wait_until_an_advisory_lock_is_held};
use crate::refresh_race::separate_instances_refresh_once;
use crate::token_stores::{keeps_records, record, section_excludes};
use bitrix24::auth::OAuthSession;
use bitrix24::postgres::Database;
use bitrix24::store::{PostgresStore, TokenStore};
use bitrix24_sandbox::{FaultConfig, Limits, Sandbox};
use secrecy::ExposeSecret;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

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
    wait_until_an_advisory_lock_is_held(&url, "nobody entered the refresh section").await;
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
    let config = sandbox_config(&sb, serde_json::json!({ "store": url }));
    let mut child = spawn(
        "postgres_tokens::crash_child_entry",
        &config,
        Output::Discarded,
    );
    wait_until_an_advisory_lock_is_held(&url, "nobody entered the refresh section").await;
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

/// The child of `a_process_killed_mid_refresh_loses_no_token`: starts a refresh and is
/// killed during it. Ignored in a normal run; run alone, it fails (it needs the parent's
/// configuration).
#[tokio::test]
#[ignore = "child process: `postgres_tokens::a_process_killed_mid_refresh_loses_no_token` runs it"]
async fn crash_child_entry() {
    let config = ChildConfig::read("postgres_tokens::a_process_killed_mid_refresh_loses_no_token");
    let store = store(&config.text("store")).await;
    let session = OAuthSession::new(config.app(), store, config.member_id());
    // Killed before this returns; if it ever does, the parent's assertions catch it.
    let _ = session.access_token().await;
}

/// The hosts the fleet tests act as: every child's connections come from one of these.
const HOSTS: [u8; 3] = [2, 3, 4];
const PER_HOST: usize = 4;
const FLEET: usize = HOSTS.len() * PER_HOST;
/// Calls each child makes at once after the go.
const CALLS_PER_CHILD: usize = 3;

fn host(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A standard-limits sandbox on a frozen clock (so its rate buckets show who called) whose
/// pair is stored in a fresh database as generation 1; returns the seeded record too.
async fn fleet_setup() -> (
    Sandbox,
    String,
    Arc<PostgresStore>,
    bitrix24::store::TokenRecord,
) {
    let sb = Sandbox::builder()
        .limits(Limits::Standard)
        .start()
        .await
        .expect("sandbox");
    sb.freeze_clock();
    let url = fresh_database().await;
    let first = store(&url).await;
    let seeded = seed(&sb, first.as_ref(), 3600).await;
    (sb, url, first, seeded)
}

/// Starts the twelve children, four per host, each with its own `PostgresStore` (a pool of
/// its own, its connections named `child-N`) and a client bound to its host. Each makes one
/// call with the valid token and waits for the go.
fn spawn_fleet(sb: &Sandbox, url: &str, dir: &std::path::Path) -> Vec<tokio::process::Child> {
    (0..FLEET)
        .map(|index| {
            let mut named = url::Url::parse(url).expect("database URL");
            named
                .query_pairs_mut()
                .append_pair("application_name", &format!("child-{index}"));
            let config = sandbox_config(
                sb,
                serde_json::json!({
                    "store": named.as_str(),
                    "dir": dir,
                    "index": index,
                    "host": host(HOSTS[index / PER_HOST]).to_string(),
                }),
            );
            spawn(
                "postgres_tokens::fleet_child_entry",
                &config,
                Output::Captured,
            )
        })
        .collect()
}

/// Waits for every child's warm-up call, then expires the token on the portal only (the
/// children believe it valid for an hour), so every call after the go meets `expired_token`.
async fn wait_ready_then_expire(sb: &Sandbox, dir: &std::path::Path) {
    wait_for("the children's warm-up calls", || {
        (0..FLEET).all(|i| dir.join(format!("ready-{i}")).exists())
    })
    .await;
    sb.advance_clock(3700.0);
}

fn go(dir: &std::path::Path) {
    std::fs::write(dir.join("go"), b"").expect("go marker");
}

/// The stored pair is the rotated one: a new refresh token and generation 2, its access
/// token works, and its refresh token is the live one (the sandbox rotates it once more).
async fn assert_rotated(
    sb: &Sandbox,
    first: &PostgresStore,
    seeded: &bitrix24::store::TokenRecord,
) {
    let kept = first
        .load(sb.member_id())
        .await
        .expect("load")
        .expect("kept");
    assert_eq!(kept.generation, 2);
    assert_ne!(
        kept.refresh_token.expose_secret(),
        seeded.refresh_token.expose_secret(),
        "the stored refresh token is the rotated one"
    );
    let endpoint = url::Url::parse(&kept.client_endpoint).expect("endpoint");
    assert_eq!(profile(&endpoint, &kept.access_token).await.0, 200);
    app(sb)
        .refresh(&kept.refresh_token)
        .await
        .expect("the stored refresh token is the live one");
}

/// Token requests per source address, as the sandbox saw them.
fn token_sources(sb: &Sandbox) -> Vec<(IpAddr, u64)> {
    sb.token_requests_by_source().into_iter().collect()
}

/// The issue's target: twelve processes as three hosts (127.0.0.2–4), one PostgreSQL store,
/// calling at once on an expired access token: exactly one `oauth.token` request reaches the
/// OAuth server, from one of those hosts (the refresh goes out through the client's bound
/// HTTP client), every call succeeds, and the store holds the rotated pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_processes_as_three_hosts_refresh_once() {
    let (sb, url, first, seeded) = fleet_setup().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let children = spawn_fleet(&sb, &url, dir.path());
    let before = token_requests(&sb);
    wait_ready_then_expire(&sb, dir.path()).await;
    go(dir.path());
    for child in children {
        let out = passed(child).await;
        assert!(
            out.contains(&format!("CHILD-RESULT calls={CALLS_PER_CHILD}")),
            "{out}"
        );
    }
    assert_eq!(
        token_requests(&sb) - before,
        1,
        "exactly one oauth.token request"
    );
    assert_eq!(used_refresh_tokens(&sb), 1);
    let sources = token_sources(&sb);
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert!(
        HOSTS.map(host).contains(&sources[0].0),
        "the refresh left from a child's host, not {}",
        sources[0].0
    );
    // Every host's calls reached the portal from its own address, nothing from 127.0.0.1.
    let now = sb.portal().clock.now();
    let callers: Vec<IpAddr> = sb
        .portal()
        .rate
        .levels(now)
        .into_iter()
        .map(|(ip, _)| ip)
        .collect();
    assert_eq!(callers, HOSTS.map(host).to_vec());
    assert_rotated(&sb, &first, &seeded).await;
}

/// The holder of the refresh is killed with SIGKILL while its token request hangs at the
/// OAuth server, the eleven others waiting for its section: its connection goes, PostgreSQL
/// rolls its transaction back and frees the lock, the cancelled request rotated nothing, so
/// the stored pair (generation 1) still works. The next caller refreshes with it, once, and
/// every other call succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refresh_holder_killed_of_twelve_processes_loses_no_token() {
    let (sb, url, first, seeded) = fleet_setup().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut children = spawn_fleet(&sb, &url, dir.path());
    wait_ready_then_expire(&sb, dir.path()).await;
    // The token endpoint hangs (before processing: a dropped connection cancels it).
    sb.set_faults(FaultConfig {
        latency_ms: 60_000,
        only_methods: Some(vec!["oauth.token".into()]),
        ..FaultConfig::default()
    });
    let before = token_requests(&sb);
    go(dir.path());
    wait_for("the holder's token request", || {
        token_requests(&sb) - before == 1
    })
    .await;
    let holder = refresh_holder(&url).await;
    sb.clear_faults();
    let mut killed = children.remove(holder);
    killed.start_kill().expect("SIGKILL the holder");
    let status = killed.wait().await.expect("the holder's end");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status:?}");
    for child in children {
        let out = passed(child).await;
        assert!(
            out.contains(&format!("CHILD-RESULT calls={CALLS_PER_CHILD}")),
            "{out}"
        );
    }
    assert_eq!(
        token_requests(&sb) - before,
        2,
        "the killed holder's request and exactly one more"
    );
    assert_eq!(
        used_refresh_tokens(&sb),
        1,
        "the killed request rotated nothing; the next caller's refresh used the stored token"
    );
    let sources = token_sources(&sb);
    assert_eq!(
        sources.iter().map(|(_, n)| n).sum::<u64>(),
        2,
        "{sources:?}"
    );
    assert!(
        sources.iter().all(|(ip, _)| HOSTS.map(host).contains(ip)),
        "{sources:?}"
    );
    assert_rotated(&sb, &first, &seeded).await;
}

/// The child (`child-N`) whose connection holds the portal's section, the only advisory lock
/// granted while a refresh is in flight.
async fn refresh_holder(url: &str) -> usize {
    let db = Database::connect(url).await.expect("connect");
    let client = db.pool().get().await.expect("connection");
    let rows = client
        .query(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await
        .expect("pg_locks");
    assert_eq!(rows.len(), 1, "one holder of the section");
    let name: String = rows[0].get(0);
    name.strip_prefix("child-")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the section is held by {name:?}, not a child"))
}

/// A child of the fleet tests: a client bound to its host over its own `PostgresStore`; one
/// call to warm up, then, after the go, several calls at once. Ignored in a normal run; run
/// alone, it fails (it needs the parent's configuration).
#[tokio::test]
#[ignore = "child process: `postgres_tokens::twelve_processes_as_three_hosts_refresh_once` runs it"]
async fn fleet_child_entry() {
    let config = ChildConfig::read("postgres_tokens::twelve_processes_as_three_hosts_refresh_once");
    let store = store(&config.text("store")).await;
    let session = OAuthSession::new(config.app(), store, config.member_id());
    let client = bitrix24::Client::builder()
        .oauth(session)
        .local_address(config.text("host").parse().expect("an IP address"))
        .limits(bitrix24::RateLimits::off())
        .build()
        .expect("client");
    client.call_raw("profile", &()).await.expect("warm-up call");
    ready_then_wait_for_go(&config.path("dir"), config.index()).await;
    let calls = (0..CALLS_PER_CHILD).map(|_| client.call_raw("profile", &()));
    for result in futures::future::join_all(calls).await {
        result.expect("a call after the refresh");
    }
    println!("CHILD-RESULT calls={CALLS_PER_CHILD}");
}

/// What the `log` crate is given while [`CAPTURING`] is on (tokio-postgres logs through it,
/// not through tracing).
static CAPTURED: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());
static CAPTURING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        CAPTURING.load(std::sync::atomic::Ordering::Relaxed)
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let mut all = CAPTURED.lock().unwrap_or_else(|p| p.into_inner());
            all.push_str(&format!("{} {}\n", record.target(), record.args()));
        }
    }
    fn flush(&self) {}
}

/// A program that turns every log up to debug sees tokio-postgres print each query's
/// parameters; the record with the tokens is never among them.
#[tokio::test]
async fn the_drivers_debug_logs_never_show_a_token() {
    log::set_logger(&Capture).expect("no other `log` logger in this test binary");
    log::set_max_level(log::LevelFilter::Trace);
    let store = PostgresStore::new(
        Database::connect(&fresh_database().await)
            .await
            .expect("connect"),
    );
    let refresh = format!("refresh-{}", rand::random::<u64>());
    let rec = record("logged-portal", &refresh, 3);
    CAPTURING.store(true, std::sync::atomic::Ordering::Relaxed);
    store.save(&rec).await.expect("save");
    let back = store
        .load("logged-portal")
        .await
        .expect("load")
        .expect("saved");
    CAPTURING.store(false, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(back.refresh_token.expose_secret(), refresh);
    let logs = std::mem::take(&mut *CAPTURED.lock().unwrap());
    assert!(
        logs.contains("executing statement") && logs.contains("logged-portal"),
        "the driver's parameters were logged: {logs}"
    );
    assert!(logs.contains("[redacted]"), "{logs}");
    assert!(!logs.contains(&refresh), "the refresh token leaked: {logs}");
    assert!(
        !logs.contains(&format!("access-{refresh}")),
        "the access token leaked: {logs}"
    );
}
