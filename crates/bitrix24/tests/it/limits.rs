//! The client keeps inside the portal's limits by itself.

use crate::client_support;
use bitrix24::{Client, RateLimits, RetryPolicy};
use bitrix24_sandbox::{FaultConfig, Limits, Sandbox};
use std::time::Duration;

#[tokio::test]
async fn standard_limits_never_cause_a_503() {
    let sb = Sandbox::builder()
        .limits(Limits::Standard)
        .start()
        .await
        .unwrap();
    // No retries: a single 503 would surface as an error.
    let c = Client::builder()
        .webhook(&sb.webhook_url())
        .limits(RateLimits::standard())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    // 50 fit the bucket at once, the next 10 must be paced at 2/s.
    let calls: Vec<_> = (0..60)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.call_raw("server.time", &()).await.map(|_| ()) })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(sb.refused_by_rate_limit(), 0);
    assert_eq!(sb.http_requests(), 60);
}

#[tokio::test]
async fn without_the_client_limiter_the_same_load_is_refused() {
    // The control experiment: proves the test above can fail.
    let sb = Sandbox::builder()
        .limits(Limits::Standard)
        .start()
        .await
        .unwrap();
    let c = Client::builder()
        .webhook(&sb.webhook_url())
        .limits(RateLimits::off())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let calls: Vec<_> = (0..60)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.call_raw("server.time", &()).await.map(|_| ()) })
        })
        .collect();
    let mut failed = 0;
    for call in calls {
        if call.await.unwrap().is_err() {
            failed += 1;
        }
    }
    assert!(failed > 0 && sb.refused_by_rate_limit() > 0);
}

#[tokio::test]
async fn a_method_near_its_operating_limit_waits_instead_of_running_into_429() {
    let sb = client_support::sandbox().await;
    sb.set_operating_limit(1.0);
    sb.set_faults(FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["user.current".into()]),
        ..FaultConfig::default()
    });
    let c = Client::builder()
        .webhook(&sb.webhook_url())
        .limits(RateLimits::off())
        .operating_limit(1.0)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    // 0.3 s each: after the 4th call the method has used 1.2 s > 1.0 s.
    let mut used = 0.0;
    let mut sent = 0;
    while used < 0.95 {
        let r = c.call_raw("user.current", &()).await.expect("never a 429");
        used = r.time.and_then(|t| t.operating).unwrap_or_default();
        sent += 1;
        assert!(sent < 10, "operating never grew: {used}");
    }
    let before = sb.http_requests();
    let blocked =
        tokio::time::timeout(Duration::from_millis(800), c.call_raw("user.current", &())).await;
    assert!(blocked.is_err(), "the call waits for the window to reset");
    assert_eq!(sb.http_requests(), before, "nothing was sent, so no 429");
    // Other methods are not held back.
    c.call_raw("profile", &()).await.unwrap();
}
