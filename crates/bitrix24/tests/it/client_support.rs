//! Helpers shared by the client-core integration tests.
#![allow(dead_code)]

use bitrix24::{Client, RateLimits, RetryPolicy};
use bitrix24_sandbox::{Limits, Sandbox};
use std::time::Duration;

/// A sandbox without request-rate limits.
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox starts")
}

/// Fast retries so fault tests finish quickly.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy::default().backoff(Duration::from_millis(20), Duration::from_millis(100))
}

/// A client for the sandbox's webhook, without a client-side rate limit.
pub fn client(sb: &Sandbox) -> Client {
    client_with(sb, quick_retry())
}

/// [`client`] with its own retry policy.
pub fn client_with(sb: &Sandbox, retry: RetryPolicy) -> Client {
    Client::builder()
        .webhook(&sb.webhook_url())
        .limits(RateLimits::off())
        .retry(retry)
        .build()
        .expect("client builds")
}

/// Creates a lead through `crm.item.add` and returns its id.
pub async fn add_lead(client: &Client, title: &str) -> u64 {
    let r: serde_json::Value = client
        .call(
            "crm.item.add",
            &serde_json::json!({"entityTypeId": 1, "fields": {"title": title}}),
        )
        .await
        .expect("crm.item.add")
        .result;
    r["item"]["id"].as_u64().expect("an id")
}
