//! `crm.item.list` filters with `logic: OR` and nested groups (orders-timeline.md §5,
//! checklist §9 item 10).

use crate::common::{post_form, post_json, sandbox};
use serde_json::{json, Value};

async fn lead(url: &str, fields: Value) -> i64 {
    post_json(
        url,
        "crm.item.add",
        &json!({"entityTypeId": 1, "fields": fields}),
    )
    .await
    .result()["item"]["id"]
        .as_i64()
        .expect("id")
}

fn ids(r: &crate::common::Reply) -> Vec<i64> {
    r.result()["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_i64())
        .collect()
}

/// The docs' example: an OR group under a numeric key beside AND-ed conditions. (The docs
/// filter leads by `stageId`; the sandbox names the lead status `statusId`, so that key is
/// spelled so here.)
#[tokio::test]
async fn or_group_beside_and_conditions() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let named = lead(
        &url,
        json!({"title": "a", "name": "Ann", "opportunity": 10000, "isManualOpportunity": "Y"}),
    )
    .await;
    let last = lead(
        &url,
        json!({"title": "b", "lastName": "Smith", "opportunity": 6000, "isManualOpportunity": "Y"}),
    )
    .await;
    let _cheap = lead(
        &url,
        json!({"title": "c", "name": "Bob", "opportunity": 100, "isManualOpportunity": "Y"}),
    )
    .await;
    let _nameless = lead(
        &url,
        json!({"title": "d", "opportunity": 7000, "isManualOpportunity": "Y"}),
    )
    .await;
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": {
            "0": {"logic": "OR", "0": {"!=name": ""}, "1": {"!=lastName": ""}},
            "@statusId": ["NEW", "IN_PROCESS"], ">=opportunity": 5000, "<=opportunity": 20000,
            "isManualOpportunity": "Y"}}),
    )
    .await;
    assert_eq!(ids(&r), [named, last]);
    assert_eq!(r.body["total"], json!(2));
}

/// Nested groups to any depth, the list form, a top-level `logic`, and the form encoding.
#[tokio::test]
async fn nested_groups_and_encodings() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let a = lead(&url, json!({"title": "A", "name": "x"})).await;
    let b = lead(&url, json!({"title": "B", "name": "y"})).await;
    let c = lead(&url, json!({"title": "C", "name": "x"})).await;
    // (title = A) OR (name = x AND (title = C OR title = Z))
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": [{"logic": "OR",
            "0": {"=title": "A"},
            "1": {"=name": "x", "0": {"logic": "OR", "0": {"=title": "C"}, "1": {"=title": "Z"}}}}]}),
    )
    .await;
    assert_eq!(ids(&r), [a, c]);
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": {"logic": "OR", "=title": "B", "=name": "x"},
            "order": {"id": "ASC"}}),
    )
    .await;
    assert_eq!(ids(&r), [a, b, c], "logic applies at the top level too");
    let r = post_form(
        &url,
        "crm.item.list",
        &[
            ("entityTypeId", "1"),
            ("filter[0][logic]", "OR"),
            ("filter[0][0][=title]", "A"),
            ("filter[0][1][=title]", "B"),
        ],
    )
    .await;
    assert_eq!(ids(&r), [a, b]);
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": {"0": {"logic": "OR", "0": {"=title": "A"}, "1": {"=nope": "B"}}}}),
    )
    .await;
    assert_eq!(
        r.error(),
        (400, "INVALID_ARG_VALUE"),
        "unknown keys inside groups too"
    );
    assert_eq!(
        r.body["error_description"],
        json!("Invalid filter: field 'nope' is not allowed in filter")
    );
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": {"0": "A"}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
}

/// `filter.contactIds` finds deals through their bindings.
#[tokio::test]
async fn deals_by_contact() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let contact = post_json(&url, "crm.contact.add", &json!({"fields": {"NAME": "C"}}))
        .await
        .result()
        .as_i64()
        .expect("id");
    let with = post_json(
        &url,
        "crm.item.add",
        &json!({"entityTypeId": 2, "fields": {"title": "with", "contactIds": [contact]}}),
    )
    .await
    .result()["item"]["id"]
        .as_i64()
        .expect("id");
    post_json(
        &url,
        "crm.item.add",
        &json!({"entityTypeId": 2, "fields": {"title": "without"}}),
    )
    .await
    .result();
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 2, "filter": {"@contactIds": [contact]}}),
    )
    .await;
    assert_eq!(ids(&r), [with]);
}
