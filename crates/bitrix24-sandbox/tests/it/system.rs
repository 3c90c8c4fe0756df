//! Protocol tests of the system methods (protocol.md §8).

use crate::common::{get_raw, post_form, sandbox};
use serde_json::json;

/// protocol.md §8: `profile` needs no scope and returns ID as a string and ADMIN as a bool.
#[tokio::test]
async fn profile_of_the_webhook_user() {
    let s = sandbox().await;
    let r = get_raw(&s.webhook_url(), "profile", "").await;
    assert_eq!(r.result()["ID"], "1");
    assert_eq!(r.result()["ADMIN"], true);
    assert!(r.result()["NAME"].is_string());
}

/// protocol.md §8: `user.current` needs the `user` scope (user_brief counts, §8 code note).
#[tokio::test]
async fn user_current_and_scope_alternatives() {
    let s = sandbox().await;
    let r = get_raw(&s.webhook_url(), "user.current", "").await;
    assert_eq!(r.result()["ID"], "1");
    assert_eq!(r.result()["ACTIVE"], true);
    let brief = s.create_webhook(2, "user_brief").unwrap();
    let r = get_raw(&s.webhook_url_of(&brief), "user.current", "").await;
    assert_eq!(r.result()["ID"], "2");
    let none = s.create_webhook(2, "crm").unwrap();
    let r = get_raw(&s.webhook_url_of(&none), "user.current", "").await;
    assert_eq!(r.error(), (401, "insufficient_scope"));
}

/// protocol.md §8: `app.info` through a webhook returns `{SCOPE, LICENSE}`; through an app
/// the app context with `INSTALLED` as a bool.
#[tokio::test]
async fn app_info_for_webhooks_and_apps() {
    let s = sandbox().await;
    let r = get_raw(&s.webhook_url(), "app.info", "").await;
    assert!(r.result()["SCOPE"].is_array());
    assert!(r.result()["LICENSE"].is_string());
    let tokens = s.issue_tokens(s.app(), 1).unwrap();
    let r = get_raw(
        &s.rest_url(),
        "app.info",
        &format!("auth={}", tokens.access_token),
    )
    .await;
    assert_eq!(r.result()["CODE"], json!(s.app().client_id));
    assert_eq!(r.result()["INSTALLED"], true);
}

/// protocol.md §8: `scope` lists the granted scopes; `full=true` all of them.
#[tokio::test]
async fn scope_lists_granted_or_all() {
    let s = sandbox().await;
    let hook = s.create_webhook(1, "crm,user").unwrap();
    let r = get_raw(&s.webhook_url_of(&hook), "scope", "").await;
    assert_eq!(r.result(), &json!(["crm", "user"]));
    let r = get_raw(&s.webhook_url_of(&hook), "scope", "full=true").await;
    assert!(r.result().as_array().unwrap().len() > 2);
}

/// protocol.md §8: `method.get` says whether a method exists and is available to the caller;
/// both are false for an empty name.
#[tokio::test]
async fn method_get_existing_and_available() {
    let s = sandbox().await;
    let hook = s.create_webhook(1, "user").unwrap();
    let r = post_form(&s.webhook_url_of(&hook), "method.get", &[("name", "batch")]).await;
    assert_eq!(
        r.result(),
        &json!({"isExisting": true, "isAvailable": true})
    );
    let r = post_form(&s.webhook_url_of(&hook), "method.get", &[("name", "")]).await;
    assert_eq!(
        r.result(),
        &json!({"isExisting": false, "isAvailable": false})
    );
    let r = get_raw(&s.webhook_url_of(&hook), "methods", "").await;
    let names = r.result().as_array().unwrap();
    assert!(names.iter().any(|n| n == "user.current"));
    assert!(!names
        .iter()
        .any(|n| n.as_str().is_some_and(|n| n.starts_with("crm."))));
}

/// protocol.md §8: `server.time` is an ISO 8601 string with the portal's offset, and follows
/// the sandbox clock.
#[tokio::test]
async fn server_time_follows_the_sandbox_clock() {
    let s = sandbox().await;
    let before = get_raw(&s.webhook_url(), "server.time", "").await;
    s.advance_clock(86_400.0 * 2.0);
    let after = get_raw(&s.webhook_url(), "server.time", "").await;
    let (b, a) = (
        before.result().as_str().unwrap(),
        after.result().as_str().unwrap(),
    );
    assert!(b.ends_with("+03:00"), "{b}");
    assert_ne!(b[..10], a[..10], "date moved two days: {b} -> {a}");
}

/// protocol.md §8: `feature.get` without CODE is 400 `CODE_EMPTY`.
#[tokio::test]
async fn feature_get() {
    let s = sandbox().await;
    let r = get_raw(
        &s.webhook_url(),
        "feature.get",
        "CODE=rest_offline_extended",
    )
    .await;
    assert_eq!(r.result(), &json!({"value": "Y"}));
    let r = get_raw(&s.webhook_url(), "feature.get", "").await;
    assert_eq!(r.error(), (400, "CODE_EMPTY"));
}
