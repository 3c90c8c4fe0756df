//! Many portals, one hanging refresh (not a timed test):
//! `cargo bench -p bitrix24 --features postgres --bench portals`, with `BITRIX24_TEST_POSTGRES`
//! naming a server (`eval "$(.ci/postgres start)"` starts a throwaway one).
//!
//! One app in [`Portals`] over a `PostgresStore`, installed on many sandbox portals (each a real
//! portal of one sandbox fleet: its own port, domain, member_id, data and rate buckets; the
//! first is also the fleet's OAuth server). The first portal's access token is expired and its
//! OAuth server made to hang for 10 s; while its call waits for the refresh, every other portal
//! is called in rounds (32 calls in flight, a round at most every 500 ms, so no portal's own
//! rate limit ever makes a call wait), as it was for as long before. Prints the p50/p99 latency of the other portals' calls
//! before and during the hang, and the hanging portal's own call.
//!
//! 100 portals by default; `BENCH_BIG=1` runs the issue's 1,000 (`BENCH_PORTALS` sets any
//! count, `BENCH_HANG_S` the hang in seconds). The start-up cost of the fleet (time and
//! resident memory) is printed too.

use bitrix24::portals::Portals;
use bitrix24::postgres::{tokio_postgres, Database};
use bitrix24::store::{PostgresStore, TokenRecord, TokenStore};
use bitrix24::SecretString;
use bitrix24_sandbox::{FaultConfig, Limits, Sandbox};
use futures::StreamExt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Calls in flight in a round.
const IN_FLIGHT: usize = 32;
/// The shortest time between the starts of two rounds: a portal gets at most 2 calls a
/// second, its bucket's drain rate, so no call waits for the rate limiter.
const ROUND_EVERY: Duration = Duration::from_millis(500);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
    })
}

async fn run() {
    let server = std::env::var("BITRIX24_TEST_POSTGRES").unwrap_or_else(|_| {
        eprintln!(
            "BITRIX24_TEST_POSTGRES is not set: start a server with \
             `eval \"$(.ci/postgres start)\"` at the workspace root"
        );
        std::process::exit(2)
    });
    let big = std::env::var("BENCH_BIG").is_ok_and(|v| v == "1");
    let count = env_number("BENCH_PORTALS").unwrap_or(if big { 1000 } else { 100 }) as usize;
    let hang = Duration::from_secs(env_number("BENCH_HANG_S").unwrap_or(10));
    assert!(count >= 2, "BENCH_PORTALS must be at least 2");

    let rss_before = rss_mb();
    let started = Instant::now();
    // No read-only connections: these portals hold no data worth a read path, and a
    // thousand portals would open four thousand of them.
    let fleet = Sandbox::builder()
        .limits(Limits::Standard)
        .read_connections(0)
        .start_many(count)
        .await
        .expect("the sandbox fleet starts");
    println!(
        "{count} sandbox portals started in {:.1} s, resident memory {:.0} MB → {:.0} MB",
        started.elapsed().as_secs_f64(),
        rss_before,
        rss_mb()
    );

    let database = fresh_database(&server).await;
    let db = Database::connect(&database).await.expect("connect");
    let store = Arc::new(PostgresStore::new(db.clone()));
    let hanging = &fleet[0];
    let app = hanging.app().clone();
    let started = Instant::now();
    for (i, portal) in fleet.iter().enumerate() {
        let registered = if i == 0 {
            app.clone()
        } else {
            portal.register_shared_app(&app).expect("register the app")
        };
        let pair = portal.issue_tokens(&registered, 1).expect("tokens");
        // The hanging portal's token is expired from the start: its first call refreshes.
        let expires_at = if i == 0 { 0 } else { unix_now() + 3600 };
        let mut record = TokenRecord::new(
            portal.member_id(),
            SecretString::from(pair.access_token),
            SecretString::from(pair.refresh_token),
            expires_at,
        );
        record.domain = portal.domain().to_string();
        record.scope = pair.scope;
        record.client_endpoint = portal.rest_url();
        record.server_endpoint = portal.rest_url();
        record.user_id = Some(1);
        record.application_token = Some(SecretString::from(registered.application_token));
        store.save(&record).await.expect("install");
    }
    let oauth_app = bitrix24::auth::OAuthApp::new(
        app.client_id.clone(),
        SecretString::from(app.client_secret.clone()),
        hanging.url(),
    )
    .and_then(|a| a.with_oauth_server(hanging.url()))
    .expect("app");
    let portals = Portals::open(oauth_app, store.clone())
        .await
        .expect("open the registry");
    let others: Vec<String> = fleet[1..]
        .iter()
        .map(|p| p.member_id().to_string())
        .collect();
    assert_eq!(
        portals.portals().await.expect("portals").len(),
        count,
        "every install is in the registry"
    );
    println!(
        "{count} installs stored in PostgreSQL and opened in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Warm-up: every client built, its token loaded, its connection open.
    round(&portals, &others).await;
    // As long before the hang as during it, so both sides see the same machine.
    let mut before = Vec::new();
    let before_started = Instant::now();
    while before_started.elapsed() < hang {
        let round_started = Instant::now();
        before.extend(round(&portals, &others).await);
        pace(round_started).await;
    }

    hanging.set_faults(FaultConfig {
        latency_ms: hang.as_millis() as u64,
        only_methods: Some(vec!["oauth.token".into()]),
        ..FaultConfig::default()
    });
    let client = portals.client(hanging.member_id()).await.expect("client");
    let hung = tokio::spawn(async move {
        let t = Instant::now();
        client
            .call_raw("server.time", &())
            .await
            .expect("the hanging portal's call, after its refresh");
        t.elapsed()
    });
    wait_until_a_section_is_held(&db).await;
    let mut during = Vec::new();
    while !hung.is_finished() {
        let round_started = Instant::now();
        during.extend(round(&portals, &others).await);
        pace(round_started).await;
    }
    let hung = hung.await.expect("join");
    hanging.clear_faults();
    let refreshes = hanging.requests_by_method().get("oauth.token").copied();
    assert_eq!(refreshes, Some(1), "one refresh, of the hanging portal");

    println!(
        "other portals' calls before the hang: {}",
        summary(&mut before)
    );
    println!(
        "other portals' calls during the {} s hang: {}",
        hang.as_secs(),
        summary(&mut during)
    );
    println!(
        "the hanging portal's call: {:.2} s (its refresh: 1 oauth.token request)",
        hung.as_secs_f64()
    );
}

/// One call to each portal of `ids`, `IN_FLIGHT` at a time; each call's latency.
async fn round(portals: &Portals, ids: &[String]) -> Vec<Duration> {
    futures::stream::iter(ids)
        .map(|id| async move {
            let client = portals.client(id).await.expect("client");
            let t = Instant::now();
            client
                .call_raw("server.time", &())
                .await
                .expect("another portal's call");
            t.elapsed()
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await
}

async fn pace(round_started: Instant) {
    if let Some(rest) = ROUND_EVERY.checked_sub(round_started.elapsed()) {
        tokio::time::sleep(rest).await;
    }
}

fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| {
        let i = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} calls)",
        at(0.50),
        at(0.99),
        at(1.0),
        samples.len()
    )
}

/// Waits until some connection holds an advisory lock: the hanging portal's section.
async fn wait_until_a_section_is_held(db: &Database) {
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
    panic!("the hanging portal never entered its refresh section");
}

/// A new empty database on `server`; its URL.
async fn fresh_database(server: &str) -> String {
    let name = format!("bench_portals_{}", std::process::id());
    let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to BITRIX24_TEST_POSTGRES ({e})"));
    let task = tokio::spawn(connection);
    // Two statements: neither may run inside a transaction, which one query string makes.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        client
            .batch_execute(&sql)
            .await
            .expect("create the bench database");
    }
    drop(client);
    let _ = task.await;
    let mut url = url::Url::parse(server).expect("a postgres:// URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// This process's resident memory in MB (Linux; 0 elsewhere).
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
