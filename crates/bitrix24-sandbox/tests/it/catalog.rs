//! The catalog minimum (orders-timeline.md §2, checklist §9 item 5).

use crate::common::{post_json, sandbox};
use serde_json::json;

/// catalog.catalog.list: the product catalog is the one without productIblockId.
#[tokio::test]
async fn catalogs_and_price_types() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_json(&url, "catalog.catalog.list", &json!({})).await;
    let catalogs = r.result()["catalogs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(r.body["total"], json!(catalogs.len()));
    let products: Vec<_> = catalogs
        .iter()
        .filter(|c| c["productIblockId"].is_null())
        .collect();
    assert_eq!(products.len(), 1);
    assert_eq!(products[0]["iblockId"], json!(14));
    let r = post_json(&url, "catalog.priceType.list", &json!({})).await;
    let types = r.result()["priceTypes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(types.iter().filter(|t| t["base"] == "Y").count(), 1);
}

/// Products: add/update → element, get → product, list → products + total, delete → true;
/// prices: add → price, list → prices.
#[tokio::test]
async fn products_and_prices() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_json(
        &url,
        "catalog.product.add",
        &json!({"fields": {"iblockId": 14, "name": "Desk", "measure": 5, "xmlId": "desk-1"}}),
    )
    .await;
    let element = r.result()["element"].clone();
    let id = element["id"].as_i64().expect("id");
    assert_eq!(element["name"], json!("Desk"));
    assert_eq!(element["active"], json!("Y"));
    assert_eq!(element["vatIncluded"], json!("N"));
    let r = post_json(
        &url,
        "catalog.product.update",
        &json!({"id": id, "fields": {"name": "Oak desk"}}),
    )
    .await;
    assert_eq!(r.result()["element"]["name"], json!("Oak desk"));
    let r = post_json(&url, "catalog.product.get", &json!({"id": id})).await;
    assert_eq!(r.result()["product"]["xmlId"], json!("desk-1"));
    let r = post_json(
        &url,
        "catalog.product.list",
        &json!({"select": ["id", "iblockId", "name"], "filter": {"iblockId": 14}}),
    )
    .await;
    assert_eq!(
        r.result()["products"],
        json!([{"id": id, "iblockId": 14, "name": "Oak desk"}])
    );
    assert_eq!(r.body["total"], json!(1));
    let r = post_json(
        &url,
        "catalog.product.list",
        &json!({"select": ["id", "iblockId"]}),
    )
    .await;
    assert_eq!(r.error(), (400, "0"), "filter.iblockId is required");
    let r = post_json(
        &url,
        "catalog.price.add",
        &json!({"fields": {"productId": id, "catalogGroupId": 1, "price": 199.9, "currency": "USD"}}),
    )
    .await;
    assert_eq!(r.result()["price"]["price"], json!(199.9));
    assert_eq!(r.result()["price"]["currency"], json!("USD"));
    let r = post_json(
        &url,
        "catalog.price.list",
        &json!({"filter": {"productId": id}}),
    )
    .await;
    assert_eq!(r.result()["prices"].as_array().map(Vec::len), Some(1));
    assert_eq!(r.body["total"], json!(1));
    let r = post_json(&url, "catalog.product.delete", &json!({"id": id})).await;
    assert_eq!(r.result(), &json!(true));
    let r = post_json(&url, "catalog.product.get", &json!({"id": id})).await;
    assert_eq!(r.error(), (400, "0"));
    assert_eq!(
        r.body["error_description"],
        json!("product does not exist.")
    );
}

/// Scope catalog, administrators only; missing parameters are "100".
#[tokio::test]
async fn catalog_access_and_errors() {
    let sb = sandbox().await;
    let crm_only = sb.create_webhook(1, "crm").expect("webhook");
    let r = post_json(
        &sb.webhook_url_of(&crm_only),
        "catalog.catalog.list",
        &json!({}),
    )
    .await;
    assert_eq!(r.error().1, "insufficient_scope");
    let not_admin = sb.create_webhook(2, "catalog").expect("webhook");
    let r = post_json(
        &sb.webhook_url_of(&not_admin),
        "catalog.catalog.list",
        &json!({}),
    )
    .await;
    assert_eq!(r.error(), (400, "200040300010"));
    let url = sb.webhook_url();
    let r = post_json(&url, "catalog.product.add", &json!({})).await;
    assert_eq!(r.error(), (400, "100"));
    let r = post_json(
        &url,
        "catalog.product.add",
        &json!({"fields": {"iblockId": 99, "name": "x"}}),
    )
    .await;
    assert_eq!(r.error(), (400, "200040300000"));
    let r = post_json(
        &url,
        "catalog.product.add",
        &json!({"fields": {"iblockId": 14}}),
    )
    .await;
    assert_eq!(r.error(), (400, "0"));
}
