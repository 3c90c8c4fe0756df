//! Tests of the admin API under `/_sandbox/` (issue point 12).

use crate::common::{get_raw, http};
use bitrix24_sandbox::{Limits, Sandbox};
use serde_json::{json, Value};

async fn admin_sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .admin_key("k3y")
        .start()
        .await
        .unwrap()
}

/// The admin API is off unless asked for: its paths answer 404.
#[tokio::test]
async fn off_by_default() {
    let s = crate::common::sandbox().await;
    let resp = http()
        .get(format!("{}/_sandbox/stats", s.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
}

/// With a key configured, a missing or wrong key is 401 and the right key works.
#[tokio::test]
async fn needs_its_own_key() {
    let s = admin_sandbox().await;
    let url = format!("{}/_sandbox/stats", s.url());
    assert_eq!(
        http().get(&url).send().await.unwrap().status().as_u16(),
        401
    );
    let wrong = http()
        .get(&url)
        .header("X-Sandbox-Key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let ok = http()
        .get(&url)
        .header("X-Sandbox-Key", "k3y")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
}

async fn admin_post(s: &Sandbox, path: &str, body: Value) -> Value {
    let resp = http()
        .post(format!("{}/_sandbox/{path}", s.url()))
        .header("X-Sandbox-Key", "k3y")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{path}");
    resp.json().await.unwrap()
}

/// Clock, faults, limits, webhooks and apps can be driven over HTTP by tests in any language.
#[tokio::test]
async fn drives_the_portal_over_http() {
    let s = admin_sandbox().await;
    let clock = admin_post(&s, "clock/advance", json!({"seconds": 3600})).await;
    assert!(clock["offset_seconds"].as_f64().unwrap() >= 3600.0);

    let hook = admin_post(&s, "webhooks", json!({"user_id": 2, "scope": "user"})).await;
    let base = format!("{}{}", s.url(), hook["path"].as_str().unwrap());
    assert_eq!(get_raw(&base, "user.current", "").await.result()["ID"], "2");

    admin_post(&s, "faults", json!({"query_limit_share": 1.0})).await;
    assert_eq!(get_raw(&base, "profile", "").await.status, 503);
    let cleared = http()
        .delete(format!("{}/_sandbox/faults", s.url()))
        .header("X-Sandbox-Key", "k3y")
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status().as_u16(), 200);
    assert_eq!(get_raw(&base, "profile", "").await.status, 200);

    let app = admin_post(
        &s,
        "apps",
        json!({"redirect_uri": "http://127.0.0.1:9/cb", "scope": "user"}),
    )
    .await;
    let client_id = app["client_id"].as_str().unwrap();
    let tokens = admin_post(
        &s,
        &format!("apps/{client_id}/tokens"),
        json!({"user_id": 1}),
    )
    .await;
    let token = tokens["access_token"].as_str().unwrap();
    let r = get_raw(&s.rest_url(), "user.current", &format!("auth={token}")).await;
    assert_eq!(r.result()["ID"], "1");

    let seeded = admin_post(&s, "seed/leads", json!({"count": 120})).await;
    assert_eq!(seeded["seeded"], 120);
    let hook = s.webhook_url();
    let r = get_raw(&hook, "crm.lead.list", "start=100").await;
    assert_eq!(r.body["total"], 120, "{}", r.text);

    let limits = admin_post(
        &s,
        "limits",
        json!({"limits": "standard", "operating_limit": 100}),
    )
    .await;
    assert_eq!(limits["operating_limit"], 100.0);
    let bad = http()
        .post(format!("{}/_sandbox/limits", s.url()))
        .header("X-Sandbox-Key", "k3y")
        .json(&json!({"limits": "turbo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}
