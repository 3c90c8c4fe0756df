//! Product rows: `crm.item.productrow.*` and the legacy `crm.{deal,lead}.productrows.*`
//! (orders-timeline.md §1, checklist §9 items 1-4).

use crate::common::orders::{add_deal, add_row, list_rows};
use crate::common::{post_form, post_json, sandbox};
use serde_json::{json, Value};

fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|f| (f - want).abs() < 0.02)
}

/// §9.1: add/get/list/update/delete answer `productRow`, `productRows` + `total`, `null`.
#[tokio::test]
async fn row_lifecycle_and_answer_shapes() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "Order 1"})).await;
    let added = add_row(
        &url,
        "D",
        deal,
        json!({"productName": "Chair", "price": 100, "quantity": 2}),
    )
    .await;
    let row = added.result()["productRow"].clone();
    let id = row["id"].as_i64().expect("row id");
    assert_eq!(row["ownerType"], json!("D"));
    assert_eq!(row["ownerId"], json!(deal));
    assert_eq!(row["productName"], json!("Chair"));
    assert_eq!(row["quantity"], json!(2.0));
    assert_eq!(row["discountTypeId"], json!(2), "percent by default");
    assert_eq!(row["taxIncluded"], json!("N"));
    assert_eq!(row["measureCode"], json!(796));
    assert_eq!(row["measureName"], json!("pcs"));

    let got = post_json(&url, "crm.item.productrow.get", &json!({"id": id})).await;
    assert_eq!(got.result()["productRow"]["price"], json!(100.0));
    assert!(
        got.result()["productRow"].get("storeId").is_some(),
        "get has storeId"
    );

    let list = list_rows(&url, "D", deal).await;
    assert_eq!(
        list.result()["productRows"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(list.body["total"], json!(1));

    let upd = post_json(
        &url,
        "crm.item.productrow.update",
        &json!({"id": id, "fields": {"quantity": 3}}),
    )
    .await;
    assert_eq!(upd.result()["productRow"]["quantity"], json!(3.0));
    assert_eq!(
        upd.result()["productRow"]["productName"],
        json!("Chair"),
        "partial update"
    );

    let del = post_json(&url, "crm.item.productrow.delete", &json!({"id": id})).await;
    assert!(del.text.starts_with("{\"result\":null"), "{}", del.text);
    let gone = post_json(&url, "crm.item.productrow.get", &json!({"id": id})).await;
    assert_eq!(gone.error(), (400, "NOT_FOUND"));
}

/// §9.1: owners by short code; unknown codes, missing owners and missing rows are 400s.
#[tokio::test]
async fn owner_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    for code in ["ZZ", "I", "C", ""] {
        let r = add_row(&url, code, deal, json!({"price": 1})).await;
        assert_eq!(
            r.error(),
            (400, "ENTITY_TYPE_NOT_SUPPORTED"),
            "{code}: {}",
            r.text
        );
    }
    let r = add_row(&url, "d", deal + 100, json!({"price": 1})).await;
    assert_eq!(r.error(), (400, "OWNER_NOT_FOUND"));
    assert_eq!(r.body["error_description"], json!("Owner was not found"));
    let r = post_json(
        &url,
        "crm.item.productrow.set",
        &json!({"ownerType": "T80", "ownerId": 1, "productRows": []}),
    )
    .await;
    assert_eq!(
        r.error(),
        (400, "OWNER_NOT_FOUND"),
        "a smart process the sandbox has no items of"
    );
    for method in [
        "crm.item.productrow.get",
        "crm.item.productrow.update",
        "crm.item.productrow.delete",
    ] {
        let r = post_json(&url, method, &json!({"id": 999999, "fields": {"price": 1}})).await;
        assert_eq!(r.error(), (400, "NOT_FOUND"), "{method}");
    }
    let r = post_json(&url, "crm.item.productrow.get", &json!({})).await;
    assert_eq!(r.error(), (400, "100"));
    assert_eq!(
        r.body["error_description"],
        json!("Could not find value for parameter {id}")
    );
}

/// §9.1: `set` replaces the whole list and answers every row of the owner.
#[tokio::test]
async fn set_replaces_all_rows() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let set = |rows: Value| {
        let url = url.clone();
        async move {
            post_json(
                &url,
                "crm.item.productrow.set",
                &json!({"ownerType": "D", "ownerId": deal, "productRows": rows}),
            )
            .await
        }
    };
    let r = set(json!([{"productName": "A", "price": 1}, {"productName": "B", "price": 2}])).await;
    assert_eq!(r.result()["productRows"].as_array().map(Vec::len), Some(2));
    let r = set(json!([{"productName": "C", "price": 3}])).await;
    let rows = r.result()["productRows"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["productName"], json!("C"));
    let list = list_rows(&url, "D", deal).await;
    assert_eq!(list.body["total"], json!(1));
}

/// §9.1: list needs `=ownerType` and `=ownerId`, with the `=`.
#[tokio::test]
async fn list_requires_prefixed_owner_keys() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let r = post_json(
        &url,
        "crm.item.productrow.list",
        &json!({"filter": {"ownerType": "D", "ownerId": deal}}),
    )
    .await;
    assert_eq!(r.error(), (400, "REQUIRED_ARG_MISSING"));
    assert_eq!(
        r.body["error_description"],
        json!("Argument '=ownerType' is required")
    );
    let r = post_json(
        &url,
        "crm.item.productrow.list",
        &json!({"filter": {"=ownerType": "D", "ownerId": deal}}),
    )
    .await;
    assert_eq!(
        r.body["error_description"],
        json!("Argument '=ownerId' is required")
    );
    let r = post_json(
        &url,
        "crm.item.productrow.list",
        &json!({"filter": {"=ownerType": "D", "=ownerId": deal, ">price": [1]}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
}

/// §9.1: update with nothing updatable is INVALID_ARG_VALUE for the first key sent.
#[tokio::test]
async fn update_with_nothing_updatable() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let added = add_row(&url, "D", deal, json!({"price": 10})).await;
    let id = added.result()["productRow"]["id"].clone();
    let r = post_json(
        &url,
        "crm.item.productrow.update",
        &json!({"id": id, "fields": {"priceNetto": 5, "bogus": 1}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
    assert_eq!(
        r.body["error_description"],
        json!("Field 'priceNetto' not available for update")
    );
}

/// §9.2: the computed prices of the docs' examples, read-only; a catalog product fills the name.
#[tokio::test]
async fn computed_prices_and_catalog_name() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let r = add_row(
        &url,
        "D",
        deal,
        json!({"productName": "TV", "price": 80000, "taxRate": 20, "taxIncluded": "Y",
            "discountTypeId": 2, "discountRate": 20, "priceNetto": 1, "priceBrutto": 1,
            "priceExclusive": 1}),
    )
    .await;
    let row = &r.result()["productRow"];
    assert!(close(&row["priceExclusive"], 66666.67), "{row}");
    assert!(close(&row["priceNetto"], 83333.34), "{row}");
    assert!(close(&row["priceBrutto"], 100000.01), "{row}");
    assert!(close(&row["discountSum"], 16666.67), "{row}");
    assert_eq!(row["taxIncluded"], json!("Y"));

    let r = add_row(
        &url,
        "D",
        deal,
        json!({"price": 90, "discountTypeId": 1, "discountSum": 10}),
    )
    .await;
    let row = &r.result()["productRow"];
    assert_eq!(row["priceNetto"], json!(100.0));
    assert_eq!(row["discountRate"], json!(10.0));

    let product = post_json(
        &url,
        "catalog.product.add",
        &json!({"fields": {"iblockId": 14, "name": "Catalog lamp", "measure": 4}}),
    )
    .await;
    let product_id = product.result()["element"]["id"].clone();
    let r = add_row(
        &url,
        "D",
        deal,
        json!({"productId": product_id, "price": 5}),
    )
    .await;
    let row = &r.result()["productRow"];
    assert_eq!(row["productName"], json!("Catalog lamp"));
    assert_eq!(row["measureCode"], json!(166), "the product's unit (kg)");
    assert_eq!(row["measureName"], json!("kg"));
}

/// Bad input gets the portal's error: a 100 % discount without its sum; a price that is no
/// number is read as PHP reads it (0), never a panic.
#[tokio::test]
async fn refused_discount_and_unreadable_price() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let r = add_row(
        &url,
        "D",
        deal,
        json!({"price": 10, "discountTypeId": 2, "discountRate": 100}),
    )
    .await;
    assert_eq!(
        r.error(),
        (400, "CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_SUM_REQUIRED")
    );
    let r = add_row(&url, "D", deal, json!({"price": "abc"})).await;
    assert_eq!(r.result()["productRow"]["price"], json!(0.0));
    let r = add_row(&url, "D", deal, json!({"productName": "no price"})).await;
    assert_eq!(
        r.result()["productRow"]["price"],
        json!(0.0),
        "the column default"
    );
    let r = post_json(&url, "crm.item.productrow.add", &json!({"fields": "x"})).await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
}

async fn opportunity(url: &str, deal: i64) -> Value {
    let r = post_json(url, "crm.deal.get", &json!({"id": deal})).await;
    r.result()["OPPORTUNITY"].clone()
}

/// §9.3: OPPORTUNITY = Σ price × quantity after any row write, unless manual.
#[tokio::test]
async fn opportunity_follows_the_rows_unless_manual() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x", "OPPORTUNITY": 5})).await;
    let r = post_json(
        &url,
        "crm.item.productrow.set",
        &json!({"ownerType": "D", "ownerId": deal, "productRows": [
            {"productName": "A", "price": 100, "quantity": 2},
            {"productName": "B", "price": 50.5, "quantity": 1}]}),
    )
    .await;
    let first = r.result()["productRows"][0]["id"].clone();
    assert_eq!(opportunity(&url, deal).await, json!("250.50"));
    post_json(
        &url,
        "crm.item.productrow.update",
        &json!({"id": first, "fields": {"quantity": 1}}),
    )
    .await
    .result();
    assert_eq!(opportunity(&url, deal).await, json!("150.50"));
    post_json(&url, "crm.item.productrow.delete", &json!({"id": first}))
        .await
        .result();
    assert_eq!(opportunity(&url, deal).await, json!("50.50"));

    let manual = add_deal(
        &url,
        json!({"TITLE": "m", "OPPORTUNITY": 7, "IS_MANUAL_OPPORTUNITY": "Y"}),
    )
    .await;
    add_row(&url, "D", manual, json!({"price": 100}))
        .await
        .result();
    assert_eq!(opportunity(&url, manual).await, json!("7.00"));
    let item = post_json(
        &url,
        "crm.item.get",
        &json!({"entityTypeId": 2, "id": deal}),
    )
    .await;
    assert_eq!(item.result()["item"]["opportunity"], json!(50.5));
}

/// §1.6: with rows and not manual, an amount typed into the deal is replaced by the rows'
/// total; in manual mode it stays.
#[tokio::test]
async fn typed_amount_is_replaced_unless_manual() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    add_row(&url, "D", deal, json!({"price": 40, "quantity": 2}))
        .await
        .result();
    post_json(
        &url,
        "crm.deal.update",
        &json!({"id": deal, "fields": {"OPPORTUNITY": 999}}),
    )
    .await
    .result();
    assert_eq!(opportunity(&url, deal).await, json!("80.00"));
    post_json(
        &url,
        "crm.item.update",
        &json!({"entityTypeId": 2, "id": deal, "fields": {"opportunity": 5}}),
    )
    .await
    .result();
    assert_eq!(opportunity(&url, deal).await, json!("80.00"));
    post_json(
        &url,
        "crm.deal.update",
        &json!({"id": deal, "fields": {"OPPORTUNITY": 999, "IS_MANUAL_OPPORTUNITY": "Y"}}),
    )
    .await
    .result();
    assert_eq!(opportunity(&url, deal).await, json!("999.00"));
}

/// §9.4: the legacy methods share the rows, UPPER_CASE, `true`, a bare array by SORT, ID.
#[tokio::test]
async fn legacy_methods_share_the_rows() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let r = post_json(
        &url,
        "crm.deal.productrows.set",
        &json!({"id": deal, "rows": [
            {"PRODUCT_NAME": "Second", "PRICE": 10, "SORT": 20},
            {"PRODUCT_NAME": "First", "PRICE": 20, "QUANTITY": 2, "SORT": 10,
             "PRICE_NETTO": 25, "productName": "ignored"}]}),
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let got = post_json(&url, "crm.deal.productrows.get", &json!({"id": deal})).await;
    let rows = got.result().as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["PRODUCT_NAME"], json!("First"), "ordered by SORT");
    assert!(rows[0]["ID"].is_string() && rows[0]["OWNER_ID"].is_string());
    assert_eq!(rows[0]["OWNER_TYPE"], json!("D"));
    assert_eq!(
        rows[0]["PRICE_NETTO"],
        json!(25.0),
        "writable on the legacy path"
    );
    assert_eq!(rows[0]["PRICE_ACCOUNT"], json!("20.00"));
    assert_eq!(opportunity(&url, deal).await, json!("50.00"));
    let list = post_json(
        &url,
        "crm.item.productrow.list",
        &json!({"filter": {"=ownerType": "D", "=ownerId": deal}, "order": {"sort": "desc"}}),
    )
    .await;
    assert_eq!(
        list.result()["productRows"][0]["productName"],
        json!("Second")
    );

    let lead = post_json(&url, "crm.lead.add", &json!({"fields": {"TITLE": "l"}})).await;
    let lead = lead.result().clone();
    let r = post_form(
        &url,
        "crm.lead.productrows.set",
        &[
            ("id", &lead.to_string()),
            ("rows[0][PRODUCT_NAME]", "Form row"),
            ("rows[0][PRICE]", "3.5"),
        ],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let got = post_json(&url, "crm.lead.productrows.get", &json!({"id": lead})).await;
    assert_eq!(got.result()[0]["OWNER_TYPE"], json!("L"));
    assert_eq!(got.result()[0]["PRICE"], json!(3.5));
    let r = list_rows(&url, "L", lead).await;
    assert_eq!(r.body["total"], json!(1));
}

/// §9.4: legacy errors are `""` with the proxy's texts; discount errors are ERROR_CORE.
#[tokio::test]
async fn legacy_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_json(&url, "crm.deal.productrows.get", &json!({"id": 0})).await;
    assert_eq!(r.error(), (400, ""));
    assert_eq!(
        r.body["error_description"],
        json!("The parameter id is invalid or not defined.")
    );
    let r = post_json(
        &url,
        "crm.deal.productrows.set",
        &json!({"id": 4242, "rows": []}),
    )
    .await;
    assert_eq!(r.body["error_description"], json!("Not found"));
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let r = post_json(
        &url,
        "crm.deal.productrows.set",
        &json!({"id": deal, "rows": "x"}),
    )
    .await;
    assert_eq!(
        r.body["error_description"],
        json!("The parameter rows must be array.")
    );
    let r = post_json(
        &url,
        "crm.deal.productrows.set",
        &json!({"id": deal, "rows": [{"PRODUCT_NAME": "x", "PRICE": 5, "DISCOUNT_TYPE_ID": 1}]}),
    )
    .await;
    assert_eq!(r.error(), (400, "ERROR_CORE"));
    assert!(
        r.body["error_description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Discount Sum (DISCOUNT_SUM) is required")),
        "{}",
        r.text
    );
    let got = post_json(&url, "crm.deal.productrows.get", &json!({"id": deal})).await;
    assert_eq!(got.result(), &json!([]), "a refused set writes nothing");
}

/// Deleting a deal deletes its rows.
#[tokio::test]
async fn rows_go_with_their_deal() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let deal = add_deal(&url, json!({"TITLE": "x"})).await;
    let added = add_row(&url, "D", deal, json!({"price": 1})).await;
    let id = added.result()["productRow"]["id"].clone();
    post_json(&url, "crm.deal.delete", &json!({"id": deal}))
        .await
        .result();
    let r = post_json(&url, "crm.item.productrow.get", &json!({"id": id})).await;
    assert_eq!(r.error(), (400, "NOT_FOUND"));
}
