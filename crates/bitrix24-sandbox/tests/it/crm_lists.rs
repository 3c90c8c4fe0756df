//! Protocol tests of classic CRM lists: navigation, filters, select and order.

use crate::common::{post_form, post_json, sandbox};
use serde_json::{json, Value};

async fn add_leads(url: &str, n: usize) {
    for i in 0..n {
        let r = post_form(
            url,
            "crm.lead.add",
            &[("fields[TITLE]", &format!("Lead {i:03}"))],
        )
        .await;
        assert!(r.result().is_u64());
    }
}

async fn list_with(url: &str, method: &str, key: &str, v: Value) -> crate::common::Reply {
    post_json(url, method, &json!({ key: v })).await
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["ID"].as_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// protocol.md §4.1: pages of 50; start rounded down to a multiple of 50; next only when
/// more rows; total.
#[tokio::test]
async fn pages_of_fifty_with_rounded_start() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    add_leads(&url, 120).await;
    let p1 = post_form(&url, "crm.lead.list", &[]).await;
    assert_eq!(ids(p1.result()).len(), 50);
    assert_eq!(
        (p1.body["next"].clone(), p1.body["total"].clone()),
        (json!(50), json!(120))
    );
    let p = post_form(&url, "crm.lead.list", &[("start", "60")]).await;
    assert_eq!(ids(p.result()).first(), Some(&51));
    assert_eq!(p.body["next"], json!(100));
    let last = post_form(&url, "crm.lead.list", &[("start", "100")]).await;
    assert_eq!(ids(last.result()).len(), 20);
    assert!(last.body.get("next").is_none());
}

/// protocol.md §4.1 quirk: start past the end returns page 1 again, with next.
#[tokio::test]
async fn start_past_the_end_returns_page_one() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    add_leads(&url, 60).await;
    let r = post_form(&url, "crm.lead.list", &[("start", "500")]).await;
    assert_eq!(ids(r.result()).first(), Some(&1));
    assert_eq!(r.body["next"], json!(50));
}

/// protocol.md §4.2: start=-1 gives total 0 and no next; the keyset loop works.
#[tokio::test]
async fn start_minus_one_is_the_no_count_mode() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    add_leads(&url, 70).await;
    let body = json!({"order": {"ID": "ASC"}, "filter": {">ID": 55}, "start": -1});
    let r = post_json(&url, "crm.lead.list", &body).await;
    assert_eq!(ids(r.result()), (56..=70).collect::<Vec<_>>());
    assert_eq!(r.body["total"], json!(0));
    assert!(r.body.get("next").is_none());
}

/// server-behavior.md §4: operators, negation, IN, substring and raw patterns, numeric
/// comparison, unknown (and case-mismatched) keys dropped, `!%` not negated.
#[tokio::test]
async fn filter_operators_and_quirks() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    add_leads(&url, 12).await;
    let count = |r: &crate::common::Reply| ids(r.result()).len();
    let q = |f: Value| list_with(&url, "crm.lead.list", "filter", f);
    assert_eq!(count(&q(json!({">=ID": "10"})).await), 3);
    assert_eq!(
        count(&q(json!({"<ID": "9"})).await),
        8,
        "numeric, not text, comparison"
    );
    assert_eq!(count(&q(json!({"!ID": 1})).await), 11);
    assert_eq!(count(&q(json!({"@ID": [1, 2, 3]})).await), 3);
    assert_eq!(count(&q(json!({"!@ID": [1, 2, 3]})).await), 9);
    assert_eq!(count(&q(json!({"%TITLE": "ead 01"})).await), 2);
    assert_eq!(
        count(&q(json!({"=%TITLE": "lead 00%"})).await),
        10,
        "raw pattern, case-insensitive"
    );
    assert_eq!(
        count(&q(json!({"!%TITLE": "ead 01"})).await),
        2,
        "quirk: !% is not negated"
    );
    assert_eq!(count(&q(json!({"TITLE": "Lead 003"})).await), 1);
    assert_eq!(
        count(&q(json!({"title": "Lead 003"})).await),
        12,
        "keys are case-sensitive"
    );
    assert_eq!(count(&q(json!({"NOPE": "1", "LOGIC": "OR"})).await), 12);
    assert_eq!(
        count(&q(json!({"COMMENTS": ""})).await),
        12,
        "empty value means empty/NULL"
    );
    assert_eq!(count(&q(json!({"!COMMENTS": ""})).await), 0);
    assert_eq!(count(&q(json!({"STATUS_ID": "NEW"})).await), 12);
}

/// server-behavior.md §4 datetime filters: values parsed leniently.
#[tokio::test]
async fn datetime_filters_parse_values() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    add_leads(&url, 3).await;
    let r = post_json(
        &url,
        "crm.lead.list",
        &json!({"filter": {">DATE_CREATE": "2001-01-01"}}),
    )
    .await;
    assert_eq!(ids(r.result()).len(), 3);
    let r = post_json(
        &url,
        "crm.lead.list",
        &json!({"filter": {"<DATE_CREATE": "2001-01-01T00:00:00Z"}}),
    )
    .await;
    assert_eq!(ids(r.result()).len(), 0);
}

/// protocol.md §4.4: select `*` = standard fields only; named fields (any case) plus ID;
/// multifields by upper-case name only; unknown names ignored.
#[tokio::test]
async fn select_rules() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let body = json!({"fields": {"TITLE": "S", "PHONE": [{"VALUE": "+1 555"}]}});
    post_json(&url, "crm.lead.add", &body).await.result();
    let r = post_json(&url, "crm.lead.list", &json!({"select": ["*"]})).await;
    let row = &r.result()[0];
    assert!(row.get("TITLE").is_some() && row.get("PHONE").is_none());
    let r = post_json(
        &url,
        "crm.lead.list",
        &json!({"select": ["title", "PHONE", "NOPE"]}),
    )
    .await;
    let row = r.result()[0].as_object().cloned().unwrap_or_default();
    assert_eq!(
        row.keys().cloned().collect::<Vec<_>>(),
        ["ID", "TITLE", "PHONE"]
    );
    assert_eq!(row["PHONE"][0]["VALUE"], json!("+1 555"));
    let r = post_json(&url, "crm.lead.list", &json!({"select": ["phone"]})).await;
    assert!(
        r.result()[0].get("PHONE").is_none(),
        "multifields are upper case only"
    );
}

/// protocol.md §4.7: order keys uppercased, any direction other than ASC is DESC, unknown
/// fields ignored, default ID ASC.
#[tokio::test]
async fn order_rules() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    add_leads(&url, 3).await;
    let q = |o: Value| list_with(&url, "crm.lead.list", "order", o);
    assert_eq!(ids(q(json!({})).await.result()), [1, 2, 3]);
    assert_eq!(ids(q(json!({"id": "desc"})).await.result()), [3, 2, 1]);
    assert_eq!(ids(q(json!({"ID": "sideways"})).await.result()), [3, 2, 1]);
    assert_eq!(ids(q(json!({"ID": "asc"})).await.result()), [1, 2, 3]);
    assert_eq!(ids(q(json!({"NOPE": "DESC"})).await.result()), [1, 2, 3]);
    assert_eq!(ids(q(json!({"TITLE": "DESC"})).await.result()), [3, 2, 1]);
}

/// protocol.md §4.6: filter[PHONE] is a raw left-prefix LIKE on the stored value: no
/// normalisation, first array element only, `%` stripped, `_` a wildcard.
#[tokio::test]
async fn phone_filter_is_a_raw_prefix_match() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    for phone in ["+7 903 123-45-67", "89031234567", "79031234567"] {
        let body = json!({"fields": {"PHONE": [{"VALUE": phone}]}});
        post_json(&url, "crm.contact.add", &body).await.result();
    }
    let q = |f: Value| list_with(&url, "crm.contact.list", "filter", f);
    assert_eq!(ids(q(json!({"PHONE": "7903"})).await.result()), [3]);
    assert_eq!(ids(q(json!({"PHONE": "+7 903"})).await.result()), [1]);
    assert_eq!(
        ids(q(json!({"PHONE": ["8903", "7903"]})).await.result()),
        [2]
    );
    assert_eq!(
        ids(q(json!({"PHONE": "%903%"})).await.result()),
        Vec::<i64>::new()
    );
    assert_eq!(ids(q(json!({"PHONE": "_903"})).await.result()), [2, 3]);
    assert_eq!(
        ids(q(json!({"%PHONE": "7903"})).await.result()).len(),
        3,
        "prefixed key ignored"
    );
    assert_eq!(
        ids(q(json!({"EMAIL": "x@"})).await.result()),
        Vec::<i64>::new()
    );
}
