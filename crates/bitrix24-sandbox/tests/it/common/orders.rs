//! Scaffolding of the order-flow tests (product rows, timeline): a deal to hang things on, and
//! the product-row calls those tests repeat.

use super::{post_json, Reply};
use serde::Serialize;
use serde_json::{json, Value};

/// Adds a deal of `fields`; answers its id.
pub async fn add_deal(url: &str, fields: Value) -> i64 {
    let r = post_json(url, "crm.deal.add", &json!({ "fields": fields })).await;
    r.result().as_i64().expect("deal id")
}

/// The `fields` object `{"ownerType": …, "ownerId": …}` followed by `more`'s fields.
fn owned(owner_type: &str, owner_id: impl Serialize, more: Value) -> Value {
    let mut fields = json!({"ownerType": owner_type, "ownerId": owner_id});
    if let (Some(all), Value::Object(more)) = (fields.as_object_mut(), more) {
        all.extend(more);
    }
    fields
}

/// `crm.item.productrow.add` of a row of the owner `owner_type`/`owner_id` with the camelCase
/// `fields` given.
pub async fn add_row(
    url: &str,
    owner_type: &str,
    owner_id: impl Serialize,
    fields: Value,
) -> Reply {
    post_json(
        url,
        "crm.item.productrow.add",
        &json!({ "fields": owned(owner_type, owner_id, fields) }),
    )
    .await
}

/// `crm.item.productrow.list` of the rows of the owner `owner_type`/`owner_id`.
pub async fn list_rows(url: &str, owner_type: &str, owner_id: impl Serialize) -> Reply {
    post_json(
        url,
        "crm.item.productrow.list",
        &json!({"filter": {"=ownerType": owner_type, "=ownerId": owner_id}}),
    )
    .await
}
