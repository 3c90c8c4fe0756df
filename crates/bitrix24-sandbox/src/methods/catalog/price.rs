//! `catalog.price.add` and `catalog.price.list` (orders-timeline.md §2): a product's price per
//! price type. A product row does not copy it: the row's price is set on the row.

use super::require_admin;
use crate::error::ApiError;
use crate::methods::engine::{self, required};
use crate::methods::{Access, Call, Output, Registry};
use crate::php::value::{as_string, floatval, intval, is_numeric};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

/// Registers the price methods.
pub fn register(r: &mut Registry) {
    r.add("catalog.price.add", "catalog", Access::Write, add);
    r.add("catalog.price.list", "catalog", Access::Read, list);
}

fn render(call: &Call<'_>, r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(0)?,
        "productId": r.get::<_, i64>(1)?,
        "catalogGroupId": r.get::<_, i64>(2)?,
        "price": r.get::<_, f64>(3)?,
        "currency": r.get::<_, String>(4)?,
        "extraId": null,
        "quantityFrom": r.get::<_, Option<i64>>(5)?,
        "quantityTo": r.get::<_, Option<i64>>(6)?,
        "timestampX": call.iso(r.get::<_, i64>(7)?),
    }))
}

const COLUMNS: &str =
    "id, product_id, catalog_group_id, price, currency, quantity_from, quantity_to, timestamp_x";

fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let fields = match required(call, "fields")? {
        Value::Object(m) => m.clone(),
        _ => {
            return Err(ApiError::bad_request(
                "0",
                "Parameter 'fields' must be array",
            ))
        }
    };
    for name in ["productId", "catalogGroupId", "price", "currency"] {
        if fields
            .get(name)
            .is_none_or(|v| as_string(v).unwrap_or_default().trim().is_empty())
        {
            return Err(ApiError::bad_request(
                "0",
                format!("Required fields: {name}"),
            ));
        }
    }
    let product_id = fields.get("productId").map_or(0, intval);
    let exists = call
        .db
        .query_row(
            "SELECT 1 FROM catalog_product WHERE id = ?1",
            [product_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !exists {
        return Err(ApiError::bad_request("0", "product does not exist."));
    }
    let group = fields.get("catalogGroupId").map_or(0, intval);
    if group != super::catalogs::BASE_PRICE_TYPE {
        return Err(ApiError::bad_request("0", "price type does not exist."));
    }
    let price = fields.get("price").cloned().unwrap_or(Value::Null);
    if !is_numeric(&price) {
        return Err(ApiError::bad_request(
            "0",
            "Invalid value of the field price: a number is required",
        ));
    }
    let currency = fields
        .get("currency")
        .and_then(as_string)
        .unwrap_or_default();
    let from = fields.get("quantityFrom").map(intval);
    let to = fields.get("quantityTo").map(intval);
    call.db.execute(
        "INSERT INTO catalog_price (product_id, catalog_group_id, price, currency, quantity_from,
         quantity_to, timestamp_x) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            product_id,
            group,
            floatval(&price),
            currency.to_uppercase(),
            from,
            to,
            call.unix_now()
        ],
    )?;
    let id = call.db.last_insert_rowid();
    let row = call.db.query_row(
        &format!("SELECT {COLUMNS} FROM catalog_price WHERE id = ?1"),
        [id],
        |r| render(call, r),
    )?;
    Ok(Output::new(json!({ "price": row })))
}

fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let mut stmt = call
        .db
        .prepare_cached(&format!("SELECT {COLUMNS} FROM catalog_price ORDER BY id"))?;
    let rows: Vec<Value> = stmt
        .query_map([], |r| render(call, r))?
        .collect::<Result<_, _>>()?;
    drop(stmt);
    let rows = super::catalogs::equality_filter(rows, call.param("filter"))?;
    let total = rows.len() as i64;
    let offset = engine::offset(call.start, engine::PAGE_SIZE);
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset as usize)
        .take(engine::PAGE_SIZE as usize)
        .collect();
    Ok(engine::page(
        "prices",
        page,
        offset,
        engine::PAGE_SIZE,
        total,
    ))
}
