//! Deal–contact bindings (orders-timeline.md §3, checklist §9 item 6).

use crate::common::{post_json, sandbox};
use serde_json::{json, Value};

async fn contact(url: &str, name: &str) -> i64 {
    let r = post_json(url, "crm.contact.add", &json!({"fields": {"NAME": name}})).await;
    r.result().as_i64().expect("contact id")
}

async fn items(url: &str, deal: i64) -> Value {
    post_json(url, "crm.deal.contact.items.get", &json!({"id": deal}))
        .await
        .result()
        .clone()
}

/// CONTACT_IDS on add binds every contact, the first primary; get returns CONTACT_ID only.
#[tokio::test]
async fn contact_ids_on_add_and_update() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let (a, b, c) = (
        contact(&url, "A").await,
        contact(&url, "B").await,
        contact(&url, "C").await,
    );
    let deal = post_json(
        &url,
        "crm.deal.add",
        &json!({"fields": {"TITLE": "x", "CONTACT_IDS": [a, b]}}),
    )
    .await
    .result()
    .clone();
    let deal = deal.as_i64().expect("id");
    assert_eq!(
        items(&url, deal).await,
        json!([{"CONTACT_ID": a, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "Y"},
               {"CONTACT_ID": b, "SORT": 20, "ROLE_ID": 0, "IS_PRIMARY": "N"}])
    );
    let got = post_json(&url, "crm.deal.get", &json!({"id": deal})).await;
    assert_eq!(got.result()["CONTACT_ID"], json!(a.to_string()));
    assert!(got.result().get("CONTACT_IDS").is_none(), "never returned");
    post_json(
        &url,
        "crm.deal.update",
        &json!({"id": deal, "fields": {"CONTACT_IDS": [c, b]}}),
    )
    .await
    .result();
    let now = items(&url, deal).await;
    let ids: Vec<&Value> = now
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| &b["CONTACT_ID"])
        .collect();
    assert_eq!(ids, [&json!(c), &json!(b)], "update replaces the set");
    let got = post_json(&url, "crm.deal.get", &json!({"id": deal})).await;
    assert_eq!(got.result()["CONTACT_ID"], json!(c.to_string()));
    let list = post_json(&url, "crm.deal.list", &json!({"filter": {"ID": deal}})).await;
    assert!(list.result()[0].get("CONTACT_IDS").is_none());
}

/// add returns false for a duplicate; deleting the primary promotes the first remaining one.
#[tokio::test]
async fn add_and_delete_bindings() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let (a, b, c) = (
        contact(&url, "A").await,
        contact(&url, "B").await,
        contact(&url, "C").await,
    );
    let deal = post_json(&url, "crm.deal.add", &json!({"fields": {"TITLE": "x"}}))
        .await
        .result()
        .as_i64()
        .expect("id");
    let add = |contact: i64, extra: Value| {
        let url = url.clone();
        async move {
            let mut fields = json!({"CONTACT_ID": contact});
            if let (Some(f), Some(e)) = (fields.as_object_mut(), extra.as_object()) {
                f.extend(e.clone());
            }
            post_json(
                &url,
                "crm.deal.contact.add",
                &json!({"id": deal, "fields": fields}),
            )
            .await
        }
    };
    assert_eq!(add(a, json!({})).await.result(), &json!(true));
    assert_eq!(add(b, json!({})).await.result(), &json!(true));
    assert_eq!(add(a, json!({})).await.result(), &json!(false), "duplicate");
    assert_eq!(
        add(c, json!({"IS_PRIMARY": "Y", "SORT": 5})).await.result(),
        &json!(true)
    );
    let now = items(&url, deal).await;
    assert_eq!(
        now[0],
        json!({"CONTACT_ID": c, "SORT": 5, "ROLE_ID": 0, "IS_PRIMARY": "Y"})
    );
    let primaries = now
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["IS_PRIMARY"] == "Y")
        .count();
    assert_eq!(primaries, 1);
    let del = post_json(
        &url,
        "crm.deal.contact.delete",
        &json!({"id": deal, "fields": {"CONTACT_ID": c}}),
    )
    .await;
    assert_eq!(del.result(), &json!(true));
    let now = items(&url, deal).await;
    assert_eq!(now[0]["CONTACT_ID"], json!(a));
    assert_eq!(
        now[0]["IS_PRIMARY"],
        json!("Y"),
        "the first remaining became primary"
    );
    let got = post_json(&url, "crm.deal.get", &json!({"id": deal})).await;
    assert_eq!(got.result()["CONTACT_ID"], json!(a.to_string()));
    let again = post_json(
        &url,
        "crm.deal.contact.delete",
        &json!({"id": deal, "fields": {"CONTACT_ID": c}}),
    )
    .await;
    assert_eq!(again.result(), &json!(false));
}

/// items.set: the first item primary unless one says Y, SORT (i+1)·10; items.delete clears.
#[tokio::test]
async fn items_set_and_delete() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let (a, b) = (contact(&url, "A").await, contact(&url, "B").await);
    let deal = post_json(&url, "crm.deal.add", &json!({"fields": {"TITLE": "x"}}))
        .await
        .result()
        .as_i64()
        .expect("id");
    let r = post_json(
        &url,
        "crm.deal.contact.items.set",
        &json!({"id": deal, "items": [{"CONTACT_ID": a}, {"CONTACT_ID": b, "IS_PRIMARY": "Y"}]}),
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    assert_eq!(
        items(&url, deal).await,
        json!([{"CONTACT_ID": a, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "N"},
               {"CONTACT_ID": b, "SORT": 20, "ROLE_ID": 0, "IS_PRIMARY": "Y"}])
    );
    let item = post_json(
        &url,
        "crm.item.get",
        &json!({"entityTypeId": 2, "id": deal}),
    )
    .await;
    assert_eq!(item.result()["item"]["contactIds"], json!([a, b]));
    assert_eq!(item.result()["item"]["contactId"], json!(b));
    let r = post_json(&url, "crm.deal.contact.items.delete", &json!({"id": deal})).await;
    assert_eq!(r.result(), &json!(true));
    assert_eq!(items(&url, deal).await, json!([]));
    let got = post_json(&url, "crm.deal.get", &json!({"id": deal})).await;
    assert_eq!(got.result()["CONTACT_ID"], Value::Null);
}

/// crm.item contactIds writes the same bindings: first id primary, SORT by order.
#[tokio::test]
async fn item_contact_ids_mirror_the_bindings() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let (a, b) = (contact(&url, "A").await, contact(&url, "B").await);
    let r = post_json(
        &url,
        "crm.item.add",
        &json!({"entityTypeId": 2, "fields": {"title": "x", "contactIds": [b, a]}}),
    )
    .await;
    let item = r.result()["item"].clone();
    assert_eq!(item["contactIds"], json!([b, a]));
    assert_eq!(item["contactId"], json!(b));
    let deal = item["id"].as_i64().expect("id");
    assert_eq!(items(&url, deal).await[0]["IS_PRIMARY"], json!("Y"));
    let r = post_json(
        &url,
        "crm.item.update",
        &json!({"entityTypeId": 2, "id": deal, "fields": {"contactIds": [a]}}),
    )
    .await;
    assert_eq!(r.result()["item"]["contactIds"], json!([a]));
    assert_eq!(r.result()["item"]["contactId"], json!(a));
}

/// The proxy's error texts (`""`, HTTP 400).
#[tokio::test]
async fn binding_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let cases = [
        (
            "crm.deal.contact.add",
            json!({"id": 0, "fields": {"CONTACT_ID": 1}}),
            "The parameter 'ownerEntityID' is invalid or not defined.",
        ),
        (
            "crm.deal.contact.items.get",
            json!({"id": 0}),
            "The parameter ownerEntityID is invalid or not defined.",
        ),
        (
            "crm.deal.contact.add",
            json!({"id": 999, "fields": {"CONTACT_ID": 1}}),
            "Not found.",
        ),
        (
            "crm.deal.contact.items.get",
            json!({"id": 999}),
            "Not found",
        ),
    ];
    for (method, params, text) in cases {
        let r = post_json(&url, method, &params).await;
        assert_eq!(r.error(), (400, ""), "{method}");
        assert_eq!(r.body["error_description"], json!(text), "{method}");
    }
    let deal = post_json(&url, "crm.deal.add", &json!({"fields": {"TITLE": "x"}}))
        .await
        .result()
        .as_i64()
        .expect("id");
    let r = post_json(
        &url,
        "crm.deal.contact.add",
        &json!({"id": deal, "fields": {"SORT": 1}}),
    )
    .await;
    assert_eq!(
        r.body["error_description"],
        json!("The parameter 'fields' is not valid.")
    );
    let r = post_json(
        &url,
        "crm.deal.contact.add",
        &json!({"id": deal, "fields": "x"}),
    )
    .await;
    assert_eq!(
        r.body["error_description"],
        json!("The parameter 'fields' must be array.")
    );
    let r = post_json(&url, "crm.deal.contact.items.set", &json!({"id": deal})).await;
    assert_eq!(
        r.body["error_description"],
        json!("The parameter items must be array.")
    );
    let f = post_json(&url, "crm.deal.contact.fields", &json!({})).await;
    assert_eq!(f.result()["CONTACT_ID"]["isRequired"], json!(true));
}
