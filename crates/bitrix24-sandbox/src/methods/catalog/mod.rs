//! The catalog minimum of an order flow (orders-timeline.md §2): `catalog.catalog.list`,
//! `catalog.product.*`, `catalog.priceType.list`, `catalog.price.add/list`. Scope `catalog`;
//! only administrators may call them, as on the portal.

pub mod catalogs;
pub mod measure;
pub mod price;
pub mod product;

use crate::error::ApiError;
use crate::methods::{Call, Registry};

/// Tables of catalog products and their prices.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS catalog_product (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    iblock_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    active TEXT NOT NULL DEFAULT 'Y',
    code TEXT,
    xml_id TEXT,
    type INTEGER NOT NULL DEFAULT 1,
    measure INTEGER,
    vat_id INTEGER,
    vat_included TEXT NOT NULL DEFAULT 'N',
    purchasing_price TEXT,
    purchasing_currency TEXT,
    quantity REAL,
    iblock_section_id INTEGER,
    preview_text TEXT,
    detail_text TEXT,
    sort INTEGER NOT NULL DEFAULT 500,
    date_create INTEGER NOT NULL,
    timestamp_x INTEGER NOT NULL,
    created_by INTEGER NOT NULL,
    modified_by INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS catalog_price (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL,
    catalog_group_id INTEGER NOT NULL,
    price REAL NOT NULL,
    currency TEXT NOT NULL,
    quantity_from INTEGER,
    quantity_to INTEGER,
    timestamp_x INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS catalog_price_product ON catalog_price(product_id);
"#;

/// Registers the catalog methods.
pub fn register(r: &mut Registry) {
    catalogs::register(r);
    product::register(r);
    price::register(r);
}

/// The catalog controllers' access check: only administrators (`200040300010` "Access
/// Denied", HTTP 400 like every controller error).
pub(crate) fn require_admin(call: &Call<'_>) -> Result<(), ApiError> {
    if call.caller.admin {
        Ok(())
    } else {
        Err(ApiError::bad_request("200040300010", "Access Denied"))
    }
}
