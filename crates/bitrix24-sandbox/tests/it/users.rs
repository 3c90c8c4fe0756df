//! `user.get` and `user.current` (orders-timeline.md §6, checklist §9 item 11).

use crate::common::events::{app_with, call, token};
use crate::common::{post_json, sandbox};
use serde_json::json;

fn ids(r: &crate::common::Reply) -> Vec<String> {
    r.result()
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["ID"].as_str().map(str::to_string))
        .collect()
}

/// A bare array, ID strings, ACTIVE bools, ID ascending, `total`; SORT/ORDER; FILTER or the
/// top-level keys as the filter; an empty result has no `total`.
#[tokio::test]
async fn user_get_lists_filters_and_sorts() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_json(&url, "user.get", &json!({})).await;
    assert_eq!(ids(&r), ["1", "2"]);
    assert_eq!(r.result()[0]["ACTIVE"], json!(true));
    assert_eq!(r.result()[0]["USER_TYPE"], json!("employee"));
    assert_eq!(r.body["total"], json!(2));
    let r = post_json(&url, "user.get", &json!({"SORT": "ID", "ORDER": "desc"})).await;
    assert_eq!(ids(&r), ["2", "1"]);
    let r = post_json(&url, "user.get", &json!({"FILTER": {"ID": 2}})).await;
    assert_eq!(ids(&r), ["2"]);
    let r = post_json(&url, "user.get", &json!({"ID": 1})).await;
    assert_eq!(
        ids(&r),
        ["1"],
        "top-level keys are the filter without FILTER"
    );
    let r = post_json(
        &url,
        "user.get",
        &json!({"filter": {"ID": [1, 2], "ACTIVE": true}}),
    )
    .await;
    assert_eq!(ids(&r), ["1", "2"]);
    let r = post_json(&url, "user.get", &json!({"FILTER": {"ID": 999}})).await;
    assert_eq!(r.result(), &json!([]));
    assert!(r.body.get("total").is_none(), "{}", r.text);
}

/// user_brief shows no EMAIL, user_basic does; without a user scope, insufficient_scope.
#[tokio::test]
async fn fields_follow_the_scope() {
    let sb = sandbox().await;
    let brief = sb.create_webhook(1, "user_brief").expect("hook");
    let r = post_json(&sb.webhook_url_of(&brief), "user.get", &json!({})).await;
    assert!(r.result()[0].get("EMAIL").is_none(), "{}", r.text);
    assert!(r.result()[0].get("NAME").is_some());
    let r = post_json(&sb.webhook_url_of(&brief), "user.current", &json!({})).await;
    assert!(r.result().get("EMAIL").is_none());
    let basic = sb.create_webhook(1, "user_basic").expect("hook");
    let r = post_json(&sb.webhook_url_of(&basic), "user.get", &json!({})).await;
    assert!(r.result()[0].get("EMAIL").is_some());
    let full = post_json(&sb.webhook_url(), "user.get", &json!({})).await;
    assert!(full.result()[0].get("TIME_ZONE").is_some());
    let none = sb.create_webhook(1, "crm").expect("hook");
    let r = post_json(&sb.webhook_url_of(&none), "user.get", &json!({})).await;
    assert_eq!(r.error().1, "insufficient_scope");
}

/// user.current is the token's user.
#[tokio::test]
async fn user_current_is_the_token_user() {
    let sb = sandbox().await;
    let app = app_with(&sb, "user").await;
    let t = token(&sb, &app, 2);
    let r = call(&sb, &t, "user.current", &[]).await;
    assert_eq!(r.result()["ID"], json!("2"));
}
