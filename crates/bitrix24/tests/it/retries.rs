//! Retry behaviour against the sandbox's faults: what is retried, and what never is.

use crate::client_support::{add_lead, client, client_with, quick_retry, sandbox};
use bitrix24::{ApiErrorCode, Client, ErrorKind, RetryPolicy};
use bitrix24_sandbox::FaultConfig;
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn lead_count(c: &Client) -> usize {
    let r: Value = c
        .call(
            "crm.item.list",
            &json!({"entityTypeId": 1, "select": ["id"]}),
        )
        .await
        .unwrap()
        .result;
    r["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn query_limit_is_retried_until_the_portal_lets_the_call_through() {
    let sb = sandbox().await;
    sb.set_faults(FaultConfig {
        query_limit_share: 1.0,
        ..FaultConfig::default()
    });
    let c = client_with(
        &sb,
        RetryPolicy::default()
            .max_attempts(20)
            .backoff(Duration::from_millis(50), Duration::from_millis(200)),
    );
    let call = tokio::spawn({
        let c = c.clone();
        // A write: QUERY_LIMIT_EXCEEDED means it did not run, so even a write is retried.
        async move { add_lead(&c, "after the storm").await }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let refused = sb.http_requests();
    assert!(refused >= 2, "the client kept trying: {refused}");
    sb.clear_faults();
    let id = call.await.unwrap();
    assert!(id > 0);
    assert_eq!(lead_count(&c).await, 1, "created exactly once");
}

#[tokio::test]
async fn query_limit_gives_up_after_the_attempt_cap() {
    let sb = sandbox().await;
    sb.set_faults(FaultConfig {
        query_limit_share: 1.0,
        ..FaultConfig::default()
    });
    let c = client_with(&sb, quick_retry().max_attempts(3));
    let e = c.call_raw("server.time", &()).await.unwrap_err();
    assert_eq!(e.code(), Some(&ApiErrorCode::QueryLimitExceeded));
    assert_eq!(e.status(), Some(503));
    assert_eq!(sb.http_requests(), 3);
}

#[tokio::test]
async fn a_write_dropped_after_commit_is_not_retried() {
    let sb = sandbox().await;
    let c = client(&sb);
    sb.set_faults(FaultConfig {
        drop_after_commit: vec!["crm.item.add".into()],
        ..FaultConfig::default()
    });
    let e = c
        .call_raw(
            "crm.item.add",
            &json!({"entityTypeId": 1, "fields": {"title": "once"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e:?}");
    assert_eq!(e.method(), Some("crm.item.add"));
    sb.clear_faults();
    assert_eq!(lead_count(&c).await, 1, "exactly one lead, no blind retry");
}

#[tokio::test]
async fn a_classic_lead_add_dropped_after_commit_creates_exactly_one_lead() {
    let sb = sandbox().await;
    let c = client(&sb);
    sb.set_faults(FaultConfig {
        drop_after_commit: vec!["crm.lead.add".into()],
        ..FaultConfig::default()
    });
    let e = c
        .call_raw("crm.lead.add", &json!({"fields": {"TITLE": "once"}}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    sb.clear_faults();
    let leads: Vec<Value> = c.call("crm.lead.list", &json!({})).await.unwrap().result;
    assert_eq!(leads.len(), 1);
}

#[tokio::test]
async fn a_write_is_retried_after_a_drop_only_when_the_caller_opted_in() {
    let sb = sandbox().await;
    let c = client_with(&sb, quick_retry().max_attempts(2).retry_writes(true));
    sb.set_faults(FaultConfig {
        drop_after_commit: vec!["crm.item.add".into()],
        ..FaultConfig::default()
    });
    let e = c
        .call_raw(
            "crm.item.add",
            &json!({"entityTypeId": 1, "fields": {"title": "twice"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    sb.clear_faults();
    assert_eq!(
        lead_count(&c).await,
        2,
        "the opt-in resent the write, as documented"
    );
}

#[tokio::test]
async fn html_500_is_retried_for_reads_but_not_for_writes() {
    let sb = sandbox().await;
    sb.set_faults(FaultConfig {
        html_500_share: 1.0,
        ..FaultConfig::default()
    });
    let c = client_with(&sb, quick_retry().max_attempts(3));
    let e = c.call_raw("user.current", &()).await.unwrap_err();
    assert_eq!(e.code(), Some(&ApiErrorCode::InternalServerError));
    assert_eq!(sb.http_requests(), 3, "a read is retried up to the cap");
    let e = c
        .call_raw(
            "crm.item.add",
            &json!({"entityTypeId": 1, "fields": {"title": "x"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_eq!(sb.http_requests(), 4, "a write is sent once");
}

#[tokio::test]
async fn a_read_recovers_from_a_transient_html_500() {
    let sb = sandbox().await;
    sb.set_faults(FaultConfig {
        html_500_share: 1.0,
        ..FaultConfig::default()
    });
    let c = client_with(
        &sb,
        RetryPolicy::default()
            .max_attempts(30)
            .backoff(Duration::from_millis(50), Duration::from_millis(100)),
    );
    let call = tokio::spawn(async move { c.call_raw("profile", &()).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    sb.clear_faults();
    let r = call.await.unwrap().unwrap();
    assert_eq!(r.result["ID"], "1");
}

#[tokio::test]
async fn expired_token_on_a_webhook_is_returned_after_one_request() {
    // Webhooks have no token to refresh: `on_expired` says no, and the error comes back.
    let server = MockServer::start().await;
    Mock::given(path("/rest/1/s/profile"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": "expired_token", "error_description": "The access token provided has expired"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/s/", server.uri()))
        .retry(quick_retry())
        .build()
        .unwrap();
    let e = c.call_raw("profile", &()).await.unwrap_err();
    assert_eq!(e.code(), Some(&ApiErrorCode::ExpiredToken));
    assert_eq!(e.status(), Some(401));
}

#[tokio::test]
async fn api_errors_are_not_retried() {
    let sb = sandbox().await;
    let c = client(&sb);
    let e = c
        .call_raw("crm.item.get", &json!({"entityTypeId": 1, "id": 999_999}))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(sb.http_requests(), 1);
}
