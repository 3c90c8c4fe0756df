//! Protocol tests of the CRM directories: `crm.status.list`, `crm.dealcategory.*` and
//! `crm.category.list` (protocol.md §5.4, §5.5).

use crate::common::{post_form, post_json, sandbox};
use serde_json::json;

/// protocol.md §5.4: items carry string ID/SORT and EXTRA; `total` is top-level; no paging.
#[tokio::test]
async fn status_list_returns_every_row_with_total_and_no_next() {
    let sb = sandbox().await;
    let r = post_json(
        &sb.webhook_url(),
        "crm.status.list",
        &json!({"filter": {"ENTITY_ID": "STATUS"}}),
    )
    .await;
    let rows = r.result().as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|s| s["STATUS_ID"].as_str())
        .collect();
    assert_eq!(ids, ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]);
    assert_eq!(r.body["total"], json!(5));
    assert!(r.body.get("next").is_none());
    assert_eq!(rows[3]["SORT"], json!("40"));
    assert!(rows[3]["ID"].is_string());
    assert_eq!(rows[3]["SEMANTICS"], json!("S"));
    assert_eq!(rows[3]["EXTRA"]["SEMANTICS"], json!("success"));
    // More than 50 rows would still come back in one answer: the whole table has no `next`.
    let all = post_json(&sb.webhook_url(), "crm.status.list", &json!({})).await;
    let n = all.result().as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(all.body["total"], json!(n));
    assert!(all.body.get("next").is_none());
}

/// protocol.md §4.7: `crm.status.list` defaults to `sort asc`; other orders are honoured.
#[tokio::test]
async fn status_list_orders_by_sort_unless_told_otherwise() {
    let sb = sandbox().await;
    let r = post_form(
        &sb.webhook_url(),
        "crm.status.list",
        &[("filter[ENTITY_ID]", "DEAL_TYPE"), ("order[SORT]", "desc")],
    )
    .await;
    let first = r.result()[0]["STATUS_ID"].as_str().map(str::to_string);
    assert_eq!(first.as_deref(), Some("SERVICE"));
}

/// protocol.md §5.4 (code): an array filter on ENTITY_ID is an error, `error: ""`, HTTP 400.
#[tokio::test]
async fn status_list_rejects_an_array_entity_filter() {
    let sb = sandbox().await;
    let r = post_form(
        &sb.webhook_url(),
        "crm.status.list",
        &[
            ("filter[ENTITY_ID][]", "STATUS"),
            ("filter[ENTITY_ID][]", "SOURCE"),
        ],
    )
    .await;
    assert_eq!(r.error(), (400, ""));
    assert_eq!(
        r.body["error_description"],
        json!("Filter by ENTITY_ID must be a string")
    );
    let r = post_json(
        &sb.webhook_url(),
        "crm.status.list",
        &json!({"order": "SORT"}),
    )
    .await;
    assert_eq!(r.error(), (400, ""));
    assert_eq!(
        r.body["error_description"],
        json!("Parameter 'order' must be array.")
    );
}

/// protocol.md §5.5: `crm.dealcategory.list` lists custom pipelines only, all rows + total.
#[tokio::test]
async fn dealcategory_list_has_no_pipeline_zero() {
    let sb = sandbox().await;
    let r = post_json(&sb.webhook_url(), "crm.dealcategory.list", &json!({})).await;
    let rows = r.result().as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["ID"], json!("1"));
    assert_eq!(rows[0]["NAME"], json!("Wholesale"));
    assert_eq!(rows[0]["IS_LOCKED"], json!("N"));
    assert!(rows[0]["CREATED_DATE"]
        .as_str()
        .is_some_and(|d| d.contains('T')));
    assert_eq!(r.body["total"], json!(1));
    let picked = post_json(
        &sb.webhook_url(),
        "crm.dealcategory.list",
        &json!({"select": ["NAME"]}),
    )
    .await;
    assert_eq!(picked.result(), &json!([{"ID": "1", "NAME": "Wholesale"}]));
}

/// protocol.md §5.5: stages of pipeline N live in `DEAL_STAGE_N` with `C{N}:` ids.
#[tokio::test]
async fn dealcategory_stage_list_and_status() {
    let sb = sandbox().await;
    let r = post_json(
        &sb.webhook_url(),
        "crm.dealcategory.stage.list",
        &json!({"id": 1}),
    )
    .await;
    let first = r.result()[0]["STATUS_ID"].as_str().map(str::to_string);
    assert_eq!(first.as_deref(), Some("C1:NEW"));
    let none = post_json(
        &sb.webhook_url(),
        "crm.dealcategory.stage.list",
        &json!({"id": 7}),
    )
    .await;
    assert!(none.text.contains("\"result\":[]"), "{}", none.text);
    let main = post_json(&sb.webhook_url(), "crm.dealcategory.stage.list", &json!({})).await;
    assert_eq!(main.result()[0]["ENTITY_ID"], json!("DEAL_STAGE"));
    let name = post_json(
        &sb.webhook_url(),
        "crm.dealcategory.status",
        &json!({"id": 1}),
    )
    .await;
    assert_eq!(name.result(), &json!("DEAL_STAGE_1"));
}

/// protocol.md §5.5: `crm.category.list` includes `{id: 0, name: "General", isDefault: "Y"}`.
#[tokio::test]
async fn category_list_includes_the_default_pipeline() {
    let sb = sandbox().await;
    let r = post_json(
        &sb.webhook_url(),
        "crm.category.list",
        &json!({"entityTypeId": 2}),
    )
    .await;
    let cats = r.result()["categories"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(r.body["total"], json!(2));
    assert_eq!(cats.len(), 2);
    assert_eq!(cats[0]["id"], json!(1));
    assert_eq!(cats[0]["isDefault"], json!("N"));
    assert_eq!(
        cats[1],
        json!({"id": 0, "name": "General", "sort": 300, "entityTypeId": 2, "isDefault": "Y"})
    );
}

/// protocol.md §5.5, crm-category-list.md: unsupported and unknown entity types are errors.
#[tokio::test]
async fn category_list_errors() {
    let sb = sandbox().await;
    let lead = post_json(
        &sb.webhook_url(),
        "crm.category.list",
        &json!({"entityTypeId": 1}),
    )
    .await;
    assert_eq!(lead.error(), (400, "ENTITY_TYPE_NOT_SUPPORTED"));
    let unknown = post_json(
        &sb.webhook_url(),
        "crm.category.list",
        &json!({"entityTypeId": 999}),
    )
    .await;
    assert_eq!(unknown.error(), (400, "NOT_FOUND"));
    assert_eq!(
        unknown.body["error_description"],
        json!("Smart process not found")
    );
    // Controller params are case-sensitive: `ENTITYTYPEID` is not `entityTypeId`.
    let missing = post_json(
        &sb.webhook_url(),
        "crm.category.list",
        &json!({"ENTITYTYPEID": 2}),
    )
    .await;
    assert_eq!(missing.status, 400);
}

/// protocol.md §5.5: `crm.deal.category.list` (with a dot) does not exist.
#[tokio::test]
async fn deal_category_list_with_a_dot_is_unknown() {
    let sb = sandbox().await;
    let r = post_json(&sb.webhook_url(), "crm.deal.category.list", &json!({})).await;
    assert_eq!(r.error(), (404, "ERROR_METHOD_NOT_FOUND"));
}
