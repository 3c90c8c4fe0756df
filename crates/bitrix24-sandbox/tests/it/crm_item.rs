//! Protocol tests of `crm.item.*` (protocol.md §5.3, §4.2-4.4).

use crate::common::{post_json, sandbox};
use serde_json::json;

/// protocol.md §5.3: add/get/update return `result.item` with typed values; delete returns `[]`.
#[tokio::test]
async fn item_lifecycle() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let added = post_json(
        &url,
        "crm.item.add",
        &json!({"entityTypeId": 2, "fields": {"title": "Big deal", "opportunity": "1500.5"}}),
    )
    .await;
    let item = added.result()["item"].clone();
    let id = item["id"].as_i64().unwrap_or(0);
    assert!(id > 0, "integer id: {item}");
    assert_eq!(item["title"], json!("Big deal"));
    assert_eq!(item["opportunity"], json!(1500.5));
    assert_eq!(item["categoryId"], json!(0));
    assert_eq!(item["stageId"], json!("NEW"));
    assert_eq!(item["createdBy"], json!(1));
    assert_eq!(item["entityTypeId"], json!(2));
    let got = post_json(&url, "crm.item.get", &json!({"entityTypeId": 2, "id": id})).await;
    assert_eq!(got.result()["item"]["title"], json!("Big deal"));
    let upd = post_json(
        &url,
        "crm.item.update",
        &json!({"entityTypeId": 2, "id": id, "fields": {"stageId": "WON"}}),
    )
    .await;
    assert_eq!(upd.result()["item"]["stageId"], json!("WON"));
    assert_eq!(upd.result()["item"]["stageSemanticId"], json!("S"));
    let del = post_json(
        &url,
        "crm.item.delete",
        &json!({"entityTypeId": 2, "id": id}),
    )
    .await;
    assert!(del.text.starts_with("{\"result\":[]"), "{}", del.text);
    let gone = post_json(&url, "crm.item.get", &json!({"entityTypeId": 2, "id": id})).await;
    assert_eq!(gone.error(), (400, "NOT_FOUND"));
    assert_eq!(gone.body["error_description"], json!("Element not found"));
}

/// protocol.md §5.3: a bad entityTypeId is 400 NOT_FOUND "Smart process not found"; params
/// are case-sensitive.
#[tokio::test]
async fn item_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_json(&url, "crm.item.get", &json!({"entityTypeId": 777, "id": 1})).await;
    assert_eq!(r.error(), (400, "NOT_FOUND"));
    assert_eq!(
        r.body["error_description"],
        json!("Smart process not found")
    );
    let r = post_json(&url, "crm.item.list", &json!({"ENTITYTYPEID": 1})).await;
    assert_eq!(r.status, 400);
    // orders-timeline.md §0, §8: the binder's missing parameter is code "100".
    assert_eq!(r.error(), (400, "100"));
    assert_eq!(
        r.body["error_description"],
        json!("Could not find value for parameter {entityTypeId}")
    );
    assert!(r.body.get("argument").is_none(), "{}", r.text);
    let r = post_json(&url, "crm.item.get", &json!({"entityTypeId": 2})).await;
    assert_eq!(r.error(), (400, "100"));
}

/// protocol.md §4.3, §4.7: unknown filter fields and bad orders are 400 INVALID_ARG_VALUE.
#[tokio::test]
async fn item_list_validates_filter_and_order() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": {"TITLE": "x"}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
    assert_eq!(
        r.body["error_description"],
        json!("Invalid filter: field 'TITLE' is not allowed in filter")
    );
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": {">id": ["1", "2"]}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "order": {"id": "up"}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "order": {"nope": "ASC"}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
}

/// protocol.md §4.1-4.2: `result.items`, top-level total/next, and `start=-1` omits both.
#[tokio::test]
async fn item_list_pages() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    for i in 0..3 {
        post_json(
            &url,
            "crm.item.add",
            &json!({"entityTypeId": 1, "fields": {"title": format!("L{i}")}}),
        )
        .await;
    }
    let r = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "filter": {">id": 1}, "order": {"id": "desc"}}),
    )
    .await;
    let titles: Vec<&str> = r.result()["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(titles, ["L2", "L1"]);
    assert_eq!(r.body["total"], json!(2));
    assert!(r.body.get("next").is_none());
    let fast = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "start": -1}),
    )
    .await;
    assert_eq!(fast.result()["items"].as_array().map(Vec::len), Some(3));
    assert!(
        fast.body.get("total").is_none() && fast.body.get("next").is_none(),
        "{}",
        fast.text
    );
    let picked = post_json(
        &url,
        "crm.item.list",
        &json!({"entityTypeId": 1, "select": ["title"], "filter": {"id": 1}}),
    )
    .await;
    assert_eq!(
        picked.result()["items"][0],
        json!({"id": 1, "title": "L0", "entityTypeId": 1})
    );
}

/// protocol.md §4.5 "Write, crm.item.*": `fm` on add is a list of new entries; on update it is
/// keyed by operation (`n0` adds, an id with a value changes it, an id with an empty value
/// deletes it); `typeId` is required; the duplicate index follows the change.
#[tokio::test]
async fn fm_writes_on_add_and_update() {
    let s = crate::common::sandbox().await;
    let hook = s.webhook_url();
    let added = post_json(
        &hook,
        "crm.item.add",
        &json!({"entityTypeId": 1, "fields": {"title": "fm", "fm": [
            {"typeId": "PHONE", "valueType": "WORK", "value": "+7 903 111-22-33"},
            {"typeId": "EMAIL", "valueType": "HOME", "value": "fm@example.com"}
        ]}}),
    )
    .await;
    let item = &added.result()["item"];
    let id = item["id"].as_i64().expect("integer id");
    let fm = item["fm"].as_array().expect("fm list");
    assert_eq!(fm.len(), 2, "{}", added.text);
    let phone = fm.iter().find(|f| f["typeId"] == "PHONE").unwrap();
    let email = fm.iter().find(|f| f["typeId"] == "EMAIL").unwrap();
    assert!(phone["id"].is_i64());
    assert_eq!(phone["value"], "+7 903 111-22-33");
    assert_eq!(email["valueType"], "HOME");

    let (phone_id, email_id) = (phone["id"].as_i64().unwrap(), email["id"].as_i64().unwrap());
    let mut ops = serde_json::Map::new();
    ops.insert(
        phone_id.to_string(),
        json!({"typeId": "PHONE", "value": "8 (916) 000-00-01"}),
    );
    ops.insert(
        email_id.to_string(),
        json!({"typeId": "EMAIL", "value": ""}),
    );
    ops.insert(
        "n0".into(),
        json!({"typeId": "PHONE", "valueType": "MOBILE", "value": "+7 925 5"}),
    );
    let updated = post_json(
        &hook,
        "crm.item.update",
        &json!({"entityTypeId": 1, "id": id, "fields": {"fm": ops}}),
    )
    .await;
    let fm = updated.result()["item"]["fm"].as_array().unwrap().clone();
    let values: Vec<&str> = fm.iter().filter_map(|f| f["value"].as_str()).collect();
    assert_eq!(values.len(), 2, "{}", updated.text);
    assert!(values.contains(&"8 (916) 000-00-01") && values.contains(&"+7 925 5"));

    // The duplicate index saw the change: the new number is found in another format.
    let found = post_json(
        &hook,
        "crm.duplicate.findbycomm",
        &json!({"type": "PHONE", "values": ["+7 916 000 00 01"], "entity_type": "LEAD"}),
    )
    .await;
    assert_eq!(found.result(), &json!({"LEAD": [id]}));
}

/// protocol.md §4.5: an `fm` entry without `typeId`, or a string `fm`, changes nothing.
#[tokio::test]
async fn fm_without_type_id_is_ignored() {
    let s = crate::common::sandbox().await;
    let hook = s.webhook_url();
    let added = post_json(
        &hook,
        "crm.item.add",
        &json!({"entityTypeId": 1, "fields": {"title": "x", "fm": [{"value": "+7 1"}]}}),
    )
    .await;
    assert_eq!(added.result()["item"]["fm"], json!([]), "{}", added.text);
    let id = added.result()["item"]["id"].as_i64().unwrap();
    let updated = post_json(
        &hook,
        "crm.item.update",
        &json!({"entityTypeId": 1, "id": id, "fields": {"fm": "+7 2"}}),
    )
    .await;
    assert_eq!(updated.result()["item"]["fm"], json!([]));
}
