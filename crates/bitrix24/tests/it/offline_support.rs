//! Shared steps of the offline-queue tests: the sandbox, its ready-made app as the
//! administrator, leads added through the webhook, and the queue as `event.offline.list`
//! shows it.
#![allow(dead_code)] // each test crate uses a different subset

use crate::oauth_support::{app, seed};
use bitrix24::auth::OAuthSession;
use bitrix24::events::offline::OfflineEvent;
use bitrix24::events::EventKind;
use bitrix24::store::{MemoryStore, TokenStore};
use bitrix24::{Client, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use serde_json::Value;
use std::sync::Arc;

pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox")
}

/// The sandbox's ready-made app as the administrator (user 1), tokens in `store`.
pub fn admin_client(sb: &Sandbox, store: Arc<dyn TokenStore>) -> Client {
    let session = OAuthSession::new(app(sb), store, sb.member_id());
    Client::builder()
        .oauth(session)
        .limits(RateLimits::off())
        .build()
        .expect("client")
}

pub async fn admin(sb: &Sandbox) -> Client {
    let store = Arc::new(MemoryStore::new());
    seed(sb, store.as_ref(), 3600).await;
    admin_client(sb, store)
}

/// Adds a lead through the webhook: the listening app's own changes are not queued.
pub async fn add_lead(sb: &Sandbox, title: &str) -> u64 {
    let v: Value = reqwest::Client::new()
        .post(format!("{}crm.lead.add", sb.webhook_url()))
        .form(&[("fields[TITLE]", title)])
        .send()
        .await
        .expect("add")
        .json()
        .await
        .expect("json");
    v["result"].as_u64().expect("lead id")
}

/// Every row of the app's queue: (lead id, PROCESS_ID, ERROR).
pub async fn queue(client: &Client) -> Vec<(u64, String, String)> {
    let rows: Value = client
        .call("event.offline.list", &())
        .await
        .expect("list")
        .result;
    rows.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let s = |k: &str| match &r[k] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (lead_of_data(&r["EVENT_DATA"]), s("PROCESS_ID"), s("ERROR"))
        })
        .collect()
}

pub fn lead_of_data(data: &Value) -> u64 {
    let id = &data["FIELDS"]["ID"];
    id.as_u64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

pub fn lead_of(e: &OfflineEvent) -> u64 {
    match &e.kind {
        EventKind::LeadAdd(id) => id.get(),
        other => panic!("unexpected {other:?}"),
    }
}
