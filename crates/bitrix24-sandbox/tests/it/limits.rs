//! Protocol tests of the two limits (protocol.md §3.1, §3.3; server-behavior.md §9).

use crate::common::{get_raw, post_json};
use bitrix24_sandbox::{FaultConfig, Limits, Sandbox};
use serde_json::{json, Value};

async fn with_limits(limits: Limits) -> Sandbox {
    Sandbox::builder().limits(limits).start().await.unwrap()
}

/// Sends `n` requests one after another; returns how many passed, how many were refused with
/// the exact 503 body, and how long it took.
async fn burst(s: &Sandbox, n: usize) -> (usize, usize, f64) {
    let started = std::time::Instant::now();
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..n {
        let r = get_raw(&s.webhook_url(), "server.time", "").await;
        match r.status {
            200 => ok += 1,
            503 => {
                assert_eq!(
                    r.body,
                    json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})
                );
                refused += 1;
            }
            other => panic!("unexpected status {other}: {}", r.text),
        }
    }
    (ok, refused, started.elapsed().as_secs_f64())
}

/// The bucket admits `burst` requests at once plus what drained while they were sent.
fn assert_bucket(ok: usize, refused: usize, secs: f64, burst: usize, rate: f64) {
    let drained = (rate * secs).ceil() as usize;
    assert!(ok >= burst, "at least the bucket size passes: {ok}");
    assert!(
        ok <= burst + drained + 1,
        "{ok} passed in {secs:.2}s, bucket {burst} + {drained}"
    );
    assert!(refused > 0, "the overflow is refused");
}

/// protocol.md §3.1: standard plans get a bucket of 50 draining at 2/s; the overflow is refused
/// with 503 `QUERY_LIMIT_EXCEEDED` "Too many requests".
#[tokio::test]
async fn standard_bucket_of_fifty() {
    let s = with_limits(Limits::Standard).await;
    let (ok, refused, secs) = burst(&s, 70).await;
    assert_bucket(ok, refused, secs, 50, 2.0);
    assert_eq!(s.refused_by_rate_limit(), refused as u64);
    // The bucket drains at 2/s: after a second there is room again.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = get_raw(&s.webhook_url(), "server.time", "").await;
    assert_eq!(r.status, 200);
}

/// protocol.md §3.1: Enterprise gets a bucket of 250 draining at 5/s.
#[tokio::test]
async fn enterprise_bucket_of_250() {
    let s = with_limits(Limits::Enterprise).await;
    let (ok, refused, secs) = burst(&s, 300).await;
    assert_bucket(ok, refused, secs, 250, 5.0);
}

/// protocol.md §3.1: a batch counts once: 50 batches of 10 commands pass, the next request is
/// refused.
#[tokio::test]
async fn a_batch_counts_once_against_the_bucket() {
    let s = with_limits(Limits::Standard).await;
    let cmd: Vec<Value> = (0..10).map(|_| json!("server.time")).collect();
    let started = std::time::Instant::now();
    for i in 0..50 {
        let r = post_json(&s.webhook_url(), "batch", &json!({"cmd": cmd})).await;
        assert_eq!(r.status, 200, "batch {i}");
    }
    // 500 commands ran; had each counted, the bucket would have refused most of them. What
    // drained meanwhile may still pass, then the overflow is refused.
    let (ok, refused, secs) = burst(&s, 20).await;
    let drained = (2.0 * (started.elapsed().as_secs_f64() + secs)).ceil() as usize;
    assert!(
        ok <= drained + 1 && refused > 0,
        "{ok} passed, {refused} refused"
    );
}

/// protocol.md §3.3: run time per (webhook, method) is summed; the call after the one that
/// crossed the limit gets 429 `OPERATION_TIME_LIMIT`; other methods and other webhooks are not
/// affected; `time.operating` and `operating_reset_at` report it; the budget comes back after
/// ten minutes.
#[tokio::test]
async fn operating_time_limit() {
    let s = with_limits(Limits::Off).await;
    s.set_operating_limit(0.5);
    s.set_faults(FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["server.time".into()]),
        ..Default::default()
    });
    let first = get_raw(&s.webhook_url(), "server.time", "").await;
    let used = first.body["time"]["operating"].as_f64().unwrap();
    assert!(used >= 0.3, "first call counted: {}", first.text);
    assert!(first.body["time"]["operating_reset_at"].is_i64());
    let second = get_raw(&s.webhook_url(), "server.time", "").await;
    assert_eq!(
        second.status, 200,
        "the call that crosses the limit still runs"
    );
    let third = get_raw(&s.webhook_url(), "server.time", "").await;
    assert_eq!(third.error(), (429, "OPERATION_TIME_LIMIT"));
    assert_eq!(
        third.body["error_description"],
        "Method is blocked due to operation time limit."
    );
    // Another method of the same webhook, and the same method of another webhook, still run.
    assert_eq!(get_raw(&s.webhook_url(), "profile", "").await.status, 200);
    let other = s.create_webhook(1, "crm").unwrap();
    assert_eq!(
        get_raw(&s.webhook_url_of(&other), "server.time", "")
            .await
            .status,
        200
    );
    // After the ten-minute window the method is allowed again.
    s.advance_clock(601.0);
    s.clear_faults();
    let r = get_raw(&s.webhook_url(), "server.time", "").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// protocol.md §3.3: the outer batch is not counted, each command inside it is.
#[tokio::test]
async fn batch_commands_count_against_their_own_method() {
    let s = with_limits(Limits::Off).await;
    s.set_operating_limit(0.2);
    s.set_faults(FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["batch".into()]),
        ..Default::default()
    });
    // The batch's own latency is not charged to anything: its commands stay allowed.
    for _ in 0..3 {
        let r = post_json(&s.webhook_url(), "batch", &json!({"cmd": ["server.time"]})).await;
        assert_eq!(r.result()["result_error"], json!([]), "{}", r.text);
    }
}
