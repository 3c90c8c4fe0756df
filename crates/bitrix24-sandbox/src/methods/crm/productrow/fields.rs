//! `crm.item.productrow.fields` (orders-timeline.md §1.2): the row fields with their types and
//! attributes; the computed prices, `type` and `storeId` read-only, the owner required and
//! immutable. `priceAccount` and `xmlId` are not listed, as in the portal's code.

use serde_json::{json, Map, Value};

/// (camel name, type, required, read-only, immutable, title)
const FIELDS: [(&str, &str, bool, bool, bool, &str); 21] = [
    ("id", "integer", false, true, false, "ID"),
    ("ownerId", "integer", true, false, true, "Owner ID"),
    ("ownerType", "string", true, false, true, "Owner type"),
    ("productId", "integer", true, false, false, "Product"),
    ("productName", "string", false, false, false, "Product name"),
    ("price", "double", false, false, false, "Price"),
    (
        "priceExclusive",
        "double",
        false,
        true,
        false,
        "Price after discount, without tax",
    ),
    (
        "priceNetto",
        "double",
        false,
        true,
        false,
        "Price without discount and tax",
    ),
    (
        "priceBrutto",
        "double",
        false,
        true,
        false,
        "Price without discount, with tax",
    ),
    ("quantity", "double", false, false, false, "Quantity"),
    (
        "discountTypeId",
        "integer",
        false,
        false,
        false,
        "Discount type",
    ),
    (
        "discountRate",
        "double",
        false,
        false,
        false,
        "Discount rate",
    ),
    (
        "discountSum",
        "double",
        false,
        false,
        false,
        "Discount amount",
    ),
    ("taxRate", "double", false, false, false, "Tax rate"),
    ("taxIncluded", "char", false, false, false, "Tax included"),
    ("customized", "char", false, false, false, "Customized"),
    (
        "measureCode",
        "integer",
        false,
        false,
        false,
        "Unit of measure code",
    ),
    (
        "measureName",
        "string",
        false,
        false,
        false,
        "Unit of measure",
    ),
    ("sort", "integer", false, false, false, "Sort"),
    ("type", "integer", false, true, false, "Type"),
    ("storeId", "integer", false, true, false, "Warehouse"),
];

/// The `fields` map.
pub fn describe() -> Value {
    let mut out = Map::new();
    for (name, ty, required, read_only, immutable, title) in FIELDS {
        out.insert(
            name.to_string(),
            json!({"type": ty, "isRequired": required, "isReadOnly": read_only,
                "isImmutable": immutable, "isMultiple": false, "isDynamic": false,
                "title": title}),
        );
    }
    json!({ "fields": out })
}
