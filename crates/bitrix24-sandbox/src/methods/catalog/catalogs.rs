//! `catalog.catalog.list` and `catalog.priceType.list`: the fixed catalogs and price types of a
//! new portal (orders-timeline.md §2). The product catalog is the one without
//! `productIblockId`; the other is its variations (offers) catalog.

use super::require_admin;
use crate::error::ApiError;
use crate::methods::engine;
use crate::methods::{Access, Call, Output, Registry};
use crate::php::value::{as_string, entries, is_array};
use serde_json::{json, Value};

/// The iblock of the product catalog.
pub const PRODUCT_IBLOCK: i64 = 14;
/// The iblock of the variations catalog.
pub const OFFERS_IBLOCK: i64 = 15;
/// The id of the base price type.
pub const BASE_PRICE_TYPE: i64 = 1;

/// Registers the two directory lists.
pub fn register(r: &mut Registry) {
    r.add(
        "catalog.catalog.list",
        "catalog",
        Access::Read,
        catalog_list,
    );
    r.add(
        "catalog.pricetype.list",
        "catalog",
        Access::Read,
        price_type_list,
    );
}

/// True for an iblock that holds products.
pub fn is_catalog(iblock_id: i64) -> bool {
    iblock_id == PRODUCT_IBLOCK || iblock_id == OFFERS_IBLOCK
}

fn catalogs() -> Vec<Value> {
    vec![
        json!({"id": PRODUCT_IBLOCK, "iblockId": PRODUCT_IBLOCK, "iblockTypeId": "CRM_PRODUCT_CATALOG",
            "lid": "s1", "name": "CRM product catalog", "productIblockId": null,
            "skuPropertyId": null, "subscription": "N", "vatId": null}),
        json!({"id": OFFERS_IBLOCK, "iblockId": OFFERS_IBLOCK, "iblockTypeId": "CRM_PRODUCT_CATALOG",
            "lid": "s1", "name": "CRM product catalog (variations)",
            "productIblockId": PRODUCT_IBLOCK, "skuPropertyId": 100, "subscription": "N",
            "vatId": null}),
    ]
}

fn price_types(call: &Call<'_>) -> Vec<Value> {
    let created = call.iso(0);
    vec![
        json!({"id": BASE_PRICE_TYPE, "name": "BASE", "base": "Y", "sort": 100, "xmlId": "BASE",
        "createdBy": 1, "modifiedBy": 1, "dateCreate": created, "timestampX": created}),
    ]
}

/// Keeps the rows whose fields equal the filter's values (`field` or `=field`). A key naming
/// no field, or another operator, is refused rather than ignored.
pub(crate) fn equality_filter(
    rows: Vec<Value>,
    filter: Option<&Value>,
) -> Result<Vec<Value>, ApiError> {
    let Some(filter) = filter.filter(|f| is_array(f)) else {
        return Ok(rows);
    };
    let mut conds = Vec::new();
    for (key, want) in entries(filter) {
        let name = key.strip_prefix('=').unwrap_or(&key).to_string();
        let known = rows.first().is_none_or(|r| r.get(&name).is_some());
        if !known || name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ApiError::bad_request(
                "0",
                format!("Invalid filter: field '{key}' is not supported by the sandbox"),
            ));
        }
        conds.push((name, as_string(want).unwrap_or_default()));
    }
    Ok(rows
        .into_iter()
        .filter(|r| {
            conds
                .iter()
                .all(|(name, want)| r.get(name).and_then(as_string).unwrap_or_default() == *want)
        })
        .collect())
}

fn catalog_list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let rows = equality_filter(catalogs(), call.param("filter"))?;
    let total = rows.len() as i64;
    Ok(engine::page(
        "catalogs",
        rows,
        call.start,
        engine::PAGE_SIZE,
        total,
    ))
}

fn price_type_list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let rows = equality_filter(price_types(call), call.param("filter"))?;
    let total = rows.len() as i64;
    Ok(engine::page(
        "priceTypes",
        rows,
        call.start,
        engine::PAGE_SIZE,
        total,
    ))
}
