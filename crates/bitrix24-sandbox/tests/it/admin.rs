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

async fn admin_send(s: &Sandbox, method: reqwest::Method, path: &str, body: &str) -> (u16, Value) {
    let resp = http()
        .request(method, format!("{}/_sandbox/{path}", s.url()))
        .header("X-Sandbox-Key", "k3y")
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A frozen clock moves only when advanced, over HTTP too; `GET /_sandbox/clock` says so.
#[tokio::test]
async fn the_clock_can_be_frozen_and_run_again() {
    let s = admin_sandbox().await;
    let frozen = admin_post(&s, "clock", json!({"frozen": true})).await;
    assert_eq!(frozen["frozen"], true);
    let (_, read) = admin_send(&s, reqwest::Method::GET, "clock", "").await;
    assert_eq!(read["now"], frozen["now"], "no time passed while frozen");
    let moved = admin_post(&s, "clock/advance", json!({"seconds": 2.5})).await;
    let step = moved["now"].as_f64().unwrap() - frozen["now"].as_f64().unwrap();
    assert!((step - 2.5).abs() < 1e-6, "moved by {step}");
    let running = admin_post(&s, "clock", json!({"frozen": false})).await;
    assert_eq!(running["frozen"], false);
    assert!(running["now"].as_f64().unwrap() >= moved["now"].as_f64().unwrap());
}

/// Numbers the admin API cannot use get a 400 `SANDBOX_BAD_REQUEST` that names the problem,
/// and change nothing.
#[tokio::test]
async fn bad_numbers_are_refused_with_400() {
    let s = admin_sandbox().await;
    let post = reqwest::Method::POST;
    let cases = [
        (
            "clock/advance",
            r#"{"seconds": -5}"#,
            "never runs backwards",
        ),
        ("clock/advance", r#"{"seconds": 1e300}"#, "finite number"),
        ("clock/advance", r#"{"seconds": 1e999}"#, "not understood"),
        ("clock/advance", r#"{"seconds": "soon"}"#, "not understood"),
        ("clock/advance", r#"{oops"#, "not understood"),
        ("clock", r#"{"frozen": "yes"}"#, "not understood"),
        ("faults", r#"{"latency_ms": -1}"#, "not understood"),
        ("faults", r#"{"latency_ms": 1.5}"#, "not understood"),
        (
            "faults",
            r#"{"latency_ms": 18446744073709551616}"#,
            "not understood",
        ),
        (
            "faults",
            r#"{"latency_ms": 86400000}"#,
            "latency_ms must be",
        ),
        ("faults", r#"{"query_limit_share": 1.5}"#, "probability"),
        ("faults", r#"{"html_500_share": -0.1}"#, "probability"),
        ("limits", r#"{"operating_limit": -1}"#, "operating_limit"),
        (
            "limits",
            r#"{"limits": "standard", "operating_limit": -1}"#,
            "operating_limit",
        ),
        ("seed/leads", r#"{"count": -1}"#, "not understood"),
        ("seed/leads", r#"{"count": 100000000000}"#, "count must be"),
        ("webhooks", r#"{"user_id": 99}"#, "no user with id 99"),
        (
            "webhooks",
            r#"{"user_id": 9223372036854775808}"#,
            "not understood",
        ),
    ];
    for (path, body, says) in cases {
        let (status, answer) = admin_send(&s, post.clone(), path, body).await;
        assert_eq!(status, 400, "{path} {body}: {answer}");
        assert_eq!(answer["error"], "SANDBOX_BAD_REQUEST", "{path} {body}");
        let text = answer["error_description"].as_str().unwrap_or("");
        assert!(text.contains(says), "{path} {body}: {text}");
    }
    let client_id = s.app().client_id.clone();
    let (status, answer) = admin_send(
        &s,
        post.clone(),
        &format!("apps/{client_id}/tokens"),
        r#"{"user_id": 0}"#,
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("SANDBOX_BAD_REQUEST"))
    );
    // Nothing changed: the clock did not move, no fault is set, the limits are the same.
    let (_, clock) = admin_send(&s, reqwest::Method::GET, "clock", "").await;
    assert!(
        clock["offset_seconds"].as_f64().unwrap().abs() < 1.0,
        "{clock}"
    );
    let (_, faults) = admin_send(&s, reqwest::Method::GET, "faults", "").await;
    assert_eq!(faults["latency_ms"], 0);
    assert_eq!(faults["query_limit_share"], 0.0);
    let limits = admin_post(&s, "limits", json!({})).await;
    assert_eq!(limits["limits"], "Off", "{limits}");
    assert_eq!(limits["operating_limit"], 480.0);
}

/// `POST /_sandbox/apps` with an install URL installs the app the way `Sandbox::install_app`
/// does: ONAPPINSTALL is posted (both tokens, the application_token) before the answer.
#[tokio::test]
async fn registering_an_app_with_an_install_url_posts_onappinstall() {
    let s = admin_sandbox().await;
    let mut rx = crate::common::events::receiver(200).await;
    let app = admin_post(
        &s,
        "apps",
        json!({"redirect_uri": "http://127.0.0.1:9/cb", "scope": "crm",
            "install_url": rx.url("/install")}),
    )
    .await;
    let got = rx
        .try_next()
        .expect("posted before the admin call answered");
    assert_eq!(got.path, "/install");
    assert_eq!(got.get(&["event"]), Some("ONAPPINSTALL"));
    assert_eq!(got.get(&["data", "INSTALLED"]), Some("Y"));
    assert_eq!(
        got.get(&["auth", "application_token"]),
        app["application_token"].as_str()
    );
    let access = got
        .get(&["auth", "access_token"])
        .expect("access token")
        .to_string();
    let r = get_raw(&s.rest_url(), "app.info", &format!("auth={access}")).await;
    assert_eq!(r.result()["CODE"], app["client_id"]);
    assert!(got
        .get(&["auth", "refresh_token"])
        .is_some_and(|t| !t.is_empty()));
}
