//! The request-rate and operating-time budgets in PostgreSQL: clients that share nothing but
//! the database (each its own pool, as separate processes and machines have) keep to one
//! portal bucket and one operating window.

use crate::postgres_support::fresh_database;
use bitrix24::postgres::Database;
use bitrix24::{
    Client, OperatingBudget, PostgresOperatingBudget, PostgresRateBudget, RateBudget, RateLimits,
    Response, RetryPolicy,
};
use bitrix24_sandbox::{Limits, Sandbox};
use std::sync::Arc;
use std::time::Duration;

const CLIENTS: usize = 12;

async fn standard_sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Standard)
        .start()
        .await
        .expect("sandbox")
}

/// Twelve clients, each with its own connection pool, run `per_client` `crm.lead.add` calls
/// at once, without retries (a 503 surfaces as a failed call); returns the failed calls.
async fn twelve_clients_add_leads(
    sb: &Sandbox,
    budgets: Vec<Option<Arc<dyn RateBudget>>>,
    per_client: usize,
) -> usize {
    let clients: Vec<Client> = budgets
        .into_iter()
        .map(|budget| {
            let b = Client::builder()
                .webhook(&sb.webhook_url())
                .limits(RateLimits::standard())
                .retry(RetryPolicy::none());
            match budget {
                Some(budget) => b.rate_budget(budget),
                None => b,
            }
            .build()
            .expect("client")
        })
        .collect();
    let calls = clients.iter().enumerate().flat_map(|(i, c)| {
        (0..per_client).map(move |j| {
            let c = c.clone();
            tokio::spawn(async move {
                c.call_raw(
                    "crm.lead.add",
                    &serde_json::json!({"fields": {"TITLE": format!("lead {i}-{j}")}}),
                )
                .await
            })
        })
    });
    let mut failed = 0;
    for call in futures::future::join_all(calls).await {
        if call.expect("join").is_err() {
            failed += 1;
        }
    }
    failed
}

/// 12 × 10 `crm.lead.add` under standard limits (2/s, burst 50) through one budget in
/// PostgreSQL: the portal refuses none. Paced at 2/s after the burst, it takes about 35 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_clients_sharing_a_postgres_budget_get_no_503() {
    let sb = standard_sandbox().await;
    let url = fresh_database().await;
    let mut budgets: Vec<Option<Arc<dyn RateBudget>>> = Vec::new();
    for _ in 0..CLIENTS {
        let db = Database::connect_with_pool_size(&url, 4)
            .await
            .expect("connect");
        budgets.push(Some(Arc::new(PostgresRateBudget::new(db))));
    }
    let failed = twelve_clients_add_leads(&sb, budgets, 10).await;
    let refused = sb.refused_by_rate_limit();
    println!("12 clients x 10 crm.lead.add on a PostgreSQL budget: {refused} responses 503");
    assert_eq!(refused, 0, "responses 503 from the portal");
    assert_eq!(failed, 0, "failed calls");
    assert_eq!(sb.requests_by_method().get("crm.lead.add"), Some(&120));
}

/// The control experiment, which shows the test above can fail: the same clients with a
/// bucket each overrun the portal's at once (12 × 5 = 60 requests against a burst of 50).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_clients_with_a_bucket_each_are_refused() {
    let sb = standard_sandbox().await;
    let failed = twelve_clients_add_leads(&sb, vec![None; CLIENTS], 5).await;
    assert!(sb.refused_by_rate_limit() > 0, "no 503 at all");
    assert!(failed > 0);
}

/// GCRA in the row: the burst goes at once, then each reservation is one interval later;
/// another key, or the same portal in another egress group, has its own bucket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_follow_the_bucket_per_key() {
    let url = fresh_database().await;
    let budget = PostgresRateBudget::connect(&url).await.expect("connect");
    // 1/s, burst 3 less the margin of one: two at once, then one a second.
    let limits = RateLimits::custom(1.0, 3);
    let mut waits = Vec::new();
    for _ in 0..5 {
        waits.push(budget.reserve("portal", limits).await.expect("reserve"));
    }
    assert_eq!(&waits[..2], &[Duration::ZERO, Duration::ZERO], "{waits:?}");
    for (n, w) in waits[2..].iter().enumerate() {
        let expected = (n + 1) as f64;
        assert!(
            (w.as_secs_f64() - expected).abs() < 0.25,
            "reservation {} waits {w:?}, not about {expected} s",
            n + 2
        );
    }
    let other = budget.reserve("other", limits).await.expect("reserve");
    assert_eq!(other, Duration::ZERO, "another key has its own bucket");
    assert_eq!(
        budget
            .reserve("portal", RateLimits::off())
            .await
            .expect("off"),
        Duration::ZERO
    );
}

/// The egress group is part of the key: two clients of one portal in two groups do not
/// book each other's slots, two in the same group do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egress_groups_have_separate_buckets() {
    let url = fresh_database().await;
    let budget = Arc::new(PostgresRateBudget::connect(&url).await.expect("connect"));
    let limits = RateLimits::custom(0.01, 2); // one at once, then one per 100 s
    let client = |group: &str| {
        Client::builder()
            .webhook("http://127.0.0.1:9/rest/1/secret/")
            .limits(limits)
            .rate_budget(budget.clone())
            .egress_group(group)
            .retry(RetryPolicy::none())
            .build()
            .expect("client")
    };
    // Each client's first call takes its group's only slot (the call itself then fails: no
    // portal listens there). A second client of the same group would wait 100 s.
    for group in ["dc-1", "dc-2"] {
        let c = client(group);
        let r = tokio::time::timeout(Duration::from_secs(10), c.call_raw("server.time", &()))
            .await
            .expect("admitted at once: its group's bucket was empty");
        assert!(r.is_err());
    }
    let same = client("dc-1");
    let waited = tokio::time::timeout(
        Duration::from_millis(500),
        same.call_raw("server.time", &()),
    )
    .await;
    assert!(waited.is_err(), "dc-1's bucket was already booked");
}

/// Two clients of one webhook, sharing nothing but the database: once the first has brought
/// `user.current` near its operating cap, the second, which never called it, waits for the
/// window instead of sending (and running into 429); without the shared budget it sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_operating_budget_holds_back_a_client_that_never_called() {
    let sb = crate::client_support::sandbox().await;
    sb.set_operating_limit(1.0);
    sb.set_faults(bitrix24_sandbox::FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["user.current".into()]),
        ..bitrix24_sandbox::FaultConfig::default()
    });
    let url = fresh_database().await;
    let client = |budget: Option<Arc<dyn OperatingBudget>>| {
        let b = Client::builder()
            .webhook(&sb.webhook_url())
            .limits(RateLimits::off())
            .operating_limit(1.0)
            .retry(RetryPolicy::none());
        match budget {
            Some(budget) => b.operating_budget(budget),
            None => b,
        }
        .build()
        .expect("client")
    };
    let shared = || async {
        let db = Database::connect_with_pool_size(&url, 2)
            .await
            .expect("connect");
        Some(Arc::new(PostgresOperatingBudget::new(db)) as Arc<dyn OperatingBudget>)
    };
    let first = client(shared().await);
    // 0.3 s each: after the 4th call the method has used 1.2 s > 1.0 s.
    let mut used = 0.0;
    let mut sent = 0;
    while used < 0.95 {
        let r = first
            .call_raw("user.current", &())
            .await
            .expect("never a 429");
        used = r.time.and_then(|t| t.operating).unwrap_or_default();
        sent += 1;
        assert!(sent < 10, "operating never grew: {used}");
    }
    let second = client(shared().await);
    let before = sb.http_requests();
    let blocked = tokio::time::timeout(
        Duration::from_millis(800),
        second.call_raw("user.current", &()),
    )
    .await;
    assert!(blocked.is_err(), "the second client waits for the window");
    assert_eq!(sb.http_requests(), before, "nothing was sent, so no 429");
    second
        .call_raw("profile", &())
        .await
        .expect("other methods go");

    // The control: a client without the shared reports sends, and the portal refuses it.
    let alone = client(None);
    let e = alone
        .call_raw("user.current", &())
        .await
        .expect_err("429 from the portal");
    assert_eq!(e.status(), Some(429), "{e}");
}

/// The reports and nothing else: an [`OperatingBudget`] written before calls in flight were
/// shared (the trait's defaults publish and count none), the control of the test below.
#[derive(Debug)]
struct ReportsOnly(PostgresOperatingBudget);

impl OperatingBudget for ReportsOnly {
    fn load<'a>(
        &'a self,
        key: &'a str,
        methods: &'a [String],
    ) -> futures::future::BoxFuture<'a, bitrix24::Result<Vec<Option<bitrix24::OperatingReport>>>>
    {
        self.0.load(key, methods)
    }

    fn store<'a>(
        &'a self,
        key: &'a str,
        method: &'a str,
        report: bitrix24::OperatingReport,
    ) -> futures::future::BoxFuture<'a, bitrix24::Result<()>> {
        self.0.store(key, method, report)
    }
}

/// What two clients that share `budget(db)` (each its own pool, as two processes have) bring
/// `user.current`'s operating sum to, when the second sends 6 calls while the first has 6 in
/// flight, 0.3 s each, against a cap of 3 s after a warm-up call each (0.6 s).
async fn two_clients_near_the_operating_cap(
    budget: fn(Database) -> Arc<dyn OperatingBudget>,
) -> NearTheCap {
    const CAP: f64 = 3.0;
    let sb = crate::client_support::sandbox().await;
    sb.set_operating_limit(CAP);
    sb.set_faults(bitrix24_sandbox::FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["user.current".into()]),
        ..bitrix24_sandbox::FaultConfig::default()
    });
    let url = fresh_database().await;
    let mut clients = Vec::new();
    for _ in 0..2 {
        let db = Database::connect_with_pool_size(&url, 8)
            .await
            .expect("connect");
        let client = Client::builder()
            .webhook(&sb.webhook_url())
            .limits(RateLimits::off())
            .operating_limit(CAP)
            .retry(RetryPolicy::none())
            .operating_budget(budget(db))
            .build()
            .expect("client");
        client.call_raw("user.current", &()).await.expect("warm-up");
        clients.push(client);
    }
    let fire = |c: &Client| {
        (0..6)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move { c.call_raw("user.current", &()).await })
            })
            .collect::<Vec<_>>()
    };
    let before = sb.http_requests();
    let first = fire(&clients[0]);
    // The second starts once the first's six calls are at the portal, in their 0.3 s (a
    // client publishes its calls in flight before it sends them): a count, not a guess at
    // timing.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while sb.http_requests() < before + 6 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first client's calls never reached the portal"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let second = fire(&clients[1]);
    let mut outcome = NearTheCap::default();
    let mut note = |r: &Response<serde_json::Value>| {
        let sum = r
            .time
            .as_ref()
            .and_then(|t| t.operating)
            .unwrap_or_default();
        outcome.largest_sum = outcome.largest_sum.max(sum);
    };
    for call in first {
        note(
            &call
                .await
                .expect("join")
                .expect("the first client's calls pass"),
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    for call in second {
        if !call.is_finished() {
            outcome.held += 1;
            call.abort();
            continue;
        }
        match call.await.expect("join") {
            Ok(r) => note(&r),
            Err(e) if e.status() == Some(429) => outcome.refused += 1,
            Err(e) => panic!("the second client's call failed: {e}"),
        }
    }
    outcome
}

/// What [`two_clients_near_the_operating_cap`] saw.
#[derive(Debug, Default)]
struct NearTheCap {
    /// The largest operating sum any answer reported (seconds).
    largest_sum: f64,
    /// The second client's calls still held back after 3 s.
    held: usize,
    /// The second client's calls the portal refused with 429.
    refused: usize,
}

/// The first client's calls in flight count for the second: it sends only what fits under
/// the cap and holds back the rest (no 429, the sum stays at the cap). Without the shared
/// calls in flight it sends all six and the method's window ends far over the cap, where
/// every later call of any client meets 429 until it resets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_in_flight_in_another_client_count_against_the_operating_cap() {
    let shared =
        two_clients_near_the_operating_cap(|db| Arc::new(PostgresOperatingBudget::new(db))).await;
    eprintln!("calls in flight shared: {shared:?}");
    assert_eq!(shared.refused, 0, "{shared:?}");
    assert!(
        shared.largest_sum <= 3.2,
        "within one call of the cap: {shared:?}"
    );
    assert!(
        shared.held >= 2,
        "the second client held calls back: {shared:?}"
    );

    let blind = two_clients_near_the_operating_cap(|db| {
        Arc::new(ReportsOnly(PostgresOperatingBudget::new(db)))
    })
    .await;
    eprintln!("reports only: {blind:?}");
    assert_eq!(blind.held, 0, "{blind:?}");
    assert!(
        blind.largest_sum >= 3.6 || blind.refused > 0,
        "without them the second client sends blind: {blind:?}"
    );
}
