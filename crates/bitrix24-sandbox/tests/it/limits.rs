//! Protocol tests of the two limits (protocol.md §3.1, §3.3; server-behavior.md §9).

use crate::common::{get_raw, post_json};
use bitrix24_sandbox::{FaultConfig, Limits, Sandbox};
use serde_json::{json, Value};

/// A sandbox with `limits` and a frozen clock: the bucket drains only when the test advances
/// the clock, so the figures are exact whatever the machine's speed.
async fn with_limits(limits: Limits) -> Sandbox {
    let s = Sandbox::builder().limits(limits).start().await.unwrap();
    s.freeze_clock();
    s
}

/// Sends `n` requests one after another; returns how many passed and how many were refused
/// with the exact 503 body.
async fn burst(s: &Sandbox, n: usize) -> (usize, usize) {
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
    (ok, refused)
}

/// protocol.md §3.1: standard plans get a bucket of 50 draining at 2/s; the overflow is refused
/// with 503 `QUERY_LIMIT_EXCEEDED` "Too many requests".
#[tokio::test]
async fn standard_bucket_of_fifty() {
    let s = with_limits(Limits::Standard).await;
    assert_eq!(burst(&s, 70).await, (50, 20));
    assert_eq!(s.refused_by_rate_limit(), 20);
    // The bucket drains at 2/s: half a second makes room for exactly one request.
    s.advance_clock(0.5);
    assert_eq!(burst(&s, 3).await, (1, 2));
    // A second makes room for two.
    s.advance_clock(1.0);
    assert_eq!(burst(&s, 3).await, (2, 1));
    // A refused request does not fill the bucket: after 25 s it is empty again.
    s.advance_clock(25.0);
    assert_eq!(burst(&s, 51).await, (50, 1));
}

/// protocol.md §3.1: Enterprise gets a bucket of 250 draining at 5/s.
#[tokio::test]
async fn enterprise_bucket_of_250() {
    let s = with_limits(Limits::Enterprise).await;
    assert_eq!(burst(&s, 260).await, (250, 10));
    s.advance_clock(1.0);
    assert_eq!(burst(&s, 6).await, (5, 1));
}

/// Limits changed at run time start with an empty bucket.
#[tokio::test]
async fn changed_limits_start_empty() {
    let s = with_limits(Limits::Standard).await;
    assert_eq!(burst(&s, 51).await, (50, 1));
    s.set_limits(Limits::Custom {
        per_second: 1.0,
        burst: 3,
    });
    assert_eq!(burst(&s, 4).await, (3, 1));
    s.advance_clock(2.0);
    assert_eq!(burst(&s, 3).await, (2, 1));
}

/// The bucket runs on real time by default: without a frozen clock, a client that waits
/// gets room again (the wait is real; only the outcome is asserted).
#[tokio::test]
async fn the_bucket_drains_in_real_time_by_default() {
    let s = Sandbox::builder()
        .limits(Limits::Custom {
            per_second: 20.0,
            burst: 1,
        })
        .start()
        .await
        .unwrap();
    let mut passed = 0;
    for _ in 0..5 {
        if get_raw(&s.webhook_url(), "server.time", "").await.status == 200 {
            passed += 1;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The bucket holds one request; without draining only the first would pass.
    assert!(
        passed >= 2,
        "real time drained the bucket: {passed} of 5 passed"
    );
}

/// protocol.md §3.1: a batch counts once: 50 batches of 10 commands pass, the next request is
/// refused.
#[tokio::test]
async fn a_batch_counts_once_against_the_bucket() {
    let s = with_limits(Limits::Standard).await;
    let cmd: Vec<Value> = (0..10).map(|_| json!("server.time")).collect();
    for i in 0..50 {
        let r = post_json(&s.webhook_url(), "batch", &json!({"cmd": cmd})).await;
        assert_eq!(r.status, 200, "batch {i}");
        assert_eq!(r.result()["result_error"], json!([]), "batch {i}");
    }
    // 500 commands ran; had each counted, the bucket would have refused most of them.
    assert_eq!(burst(&s, 1).await, (0, 1));
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
    // protocol.md §3.3: the first recorded call + 600 s, not the start of its minute.
    let started = first.body["time"]["start"].as_f64().unwrap().floor() as i64;
    assert_eq!(
        first.body["time"]["operating_reset_at"],
        json!(started + 600),
        "{}",
        first.text
    );
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

/// protocol.md §3.3: the outer batch is not counted, each command inside it is. A slow batch
/// is slow because its commands are, so its injected latency is charged to them in equal
/// shares, and the budget they use up blocks the method inside and outside batches alike.
#[tokio::test]
async fn batch_latency_is_charged_to_its_commands() {
    let s = with_limits(Limits::Off).await;
    s.set_operating_limit(0.2);
    s.set_faults(FaultConfig {
        latency_ms: 500,
        only_methods: Some(vec!["batch".into()]),
        ..Default::default()
    });
    let cmd = json!({"cmd": {"a": "server.time", "b": "profile"}});
    let first = post_json(&s.webhook_url(), "batch", &cmd).await;
    let times = &first.result()["result_time"];
    for key in ["a", "b"] {
        let t = &times[key];
        assert!(t["processing"].as_f64().unwrap() >= 0.25, "{key}: {t}");
        assert!(t["operating"].as_f64().unwrap() >= 0.25, "{key}: {t}");
    }
    assert!(
        first.body["time"].get("operating").is_none(),
        "the batch itself is not counted: {}",
        first.text
    );
    assert!(first.body["time"]["processing"].as_f64().unwrap() >= 0.5);
    // Both methods used more than their 0.2 s: the next calls of them are refused, in a batch
    // and directly.
    let second = post_json(&s.webhook_url(), "batch", &cmd).await;
    for key in ["a", "b"] {
        assert_eq!(
            second.result()["result_error"][key]["error"],
            "OPERATION_TIME_LIMIT",
            "{}",
            second.text
        );
    }
    let direct = get_raw(&s.webhook_url(), "server.time", "").await;
    assert_eq!(direct.error(), (429, "OPERATION_TIME_LIMIT"));
    // Other methods are not affected.
    assert_eq!(
        get_raw(&s.webhook_url(), "user.current", "").await.status,
        200
    );
}

/// A share of 0.1 s or less is not counted, as any call that short: 300 ms over ten commands
/// leaves the budget untouched.
#[tokio::test]
async fn short_shares_of_batch_latency_are_not_counted() {
    let s = with_limits(Limits::Off).await;
    s.set_operating_limit(0.2);
    s.set_faults(FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["batch".into()]),
        ..Default::default()
    });
    let cmd: Vec<Value> = (0..10).map(|_| json!("server.time")).collect();
    for _ in 0..3 {
        let r = post_json(&s.webhook_url(), "batch", &json!({"cmd": cmd})).await;
        assert_eq!(r.result()["result_error"], json!([]), "{}", r.text);
        assert_eq!(r.result()["result_time"][9]["operating"], 0.0, "{}", r.text);
    }
}
