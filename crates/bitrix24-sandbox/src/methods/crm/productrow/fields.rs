//! The product row's fields (orders-timeline.md §1.2): one table of their names in both
//! spellings, types and attributes, from which `crm.item.productrow.fields` and what each API
//! lets a caller write are derived. The computed prices, `type` and `storeId` are read-only,
//! the owner required and immutable; `priceAccount` and `xmlId` are not listed, as in the
//! portal's code.

use serde_json::{json, Map, Value};

/// Which API a row is written through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// `crm.item.productrow.*` (camelCase keys).
    Item,
    /// The deprecated `crm.{deal,lead}.productrows.set` (UPPER_CASE keys).
    Legacy,
}

/// One field of a product row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The `crm.item.productrow.*` name, e.g. `productName`.
    pub camel: &'static str,
    /// The legacy name and table column, e.g. `PRODUCT_NAME`.
    pub upper: &'static str,
    /// The type `fields` gives.
    pub ty: &'static str,
    /// The title `fields` gives.
    pub title: &'static str,
    /// `isRequired`.
    pub required: bool,
    /// `isReadOnly`: `crm.item.productrow.*` drops it from the input silently, as
    /// `prepareForSave` does.
    pub read_only: bool,
    /// `isImmutable`: taken on add only.
    pub immutable: bool,
    /// Listed by `crm.item.productrow.fields`.
    pub listed: bool,
    /// Written by the legacy `set` (which takes the owner from its `id`).
    pub legacy_writes: bool,
}

/// A field both APIs write, listed by `fields`; the methods below say how it differs.
const fn field(
    camel: &'static str,
    upper: &'static str,
    ty: &'static str,
    title: &'static str,
) -> Field {
    Field {
        camel,
        upper,
        ty,
        title,
        required: false,
        read_only: false,
        immutable: false,
        listed: true,
        legacy_writes: true,
    }
}

impl Field {
    const fn required(self) -> Field {
        Field {
            required: true,
            ..self
        }
    }

    /// The owner: required and immutable in the item API, never written by the legacy one
    /// (which takes the owner from its `id`).
    const fn owner(self) -> Field {
        Field {
            required: true,
            immutable: true,
            legacy_writes: false,
            ..self
        }
    }

    /// A unit price the item API computes and the legacy API may be given.
    const fn computed(self) -> Field {
        Field {
            read_only: true,
            ..self
        }
    }

    /// A field no caller writes.
    const fn fixed(self) -> Field {
        Field {
            read_only: true,
            legacy_writes: false,
            ..self
        }
    }

    const fn unlisted(self) -> Field {
        Field {
            listed: false,
            ..self
        }
    }

    /// True when `api` takes this field from a caller's row.
    pub fn writable(&self, api: Api) -> bool {
        match api {
            Api::Item => !self.read_only,
            Api::Legacy => self.legacy_writes,
        }
    }
}

/// Every field, in the order `fields` lists them.
pub const FIELDS: [Field; 23] = [
    field("id", "ID", "integer", "ID").fixed(),
    field("ownerId", "OWNER_ID", "integer", "Owner ID").owner(),
    field("ownerType", "OWNER_TYPE", "string", "Owner type").owner(),
    field("productId", "PRODUCT_ID", "integer", "Product").required(),
    field("productName", "PRODUCT_NAME", "string", "Product name"),
    field("price", "PRICE", "double", "Price"),
    field(
        "priceAccount",
        "PRICE_ACCOUNT",
        "double",
        "Price in the report currency",
    )
    .fixed()
    .unlisted(),
    field(
        "priceExclusive",
        "PRICE_EXCLUSIVE",
        "double",
        "Price after discount, without tax",
    )
    .computed(),
    field(
        "priceNetto",
        "PRICE_NETTO",
        "double",
        "Price without discount and tax",
    )
    .computed(),
    field(
        "priceBrutto",
        "PRICE_BRUTTO",
        "double",
        "Price without discount, with tax",
    )
    .computed(),
    field("quantity", "QUANTITY", "double", "Quantity"),
    field(
        "discountTypeId",
        "DISCOUNT_TYPE_ID",
        "integer",
        "Discount type",
    ),
    field("discountRate", "DISCOUNT_RATE", "double", "Discount rate"),
    field("discountSum", "DISCOUNT_SUM", "double", "Discount amount"),
    field("taxRate", "TAX_RATE", "double", "Tax rate"),
    field("taxIncluded", "TAX_INCLUDED", "char", "Tax included"),
    field("customized", "CUSTOMIZED", "char", "Customized"),
    field(
        "measureCode",
        "MEASURE_CODE",
        "integer",
        "Unit of measure code",
    ),
    field("measureName", "MEASURE_NAME", "string", "Unit of measure"),
    field("sort", "SORT", "integer", "Sort"),
    field("xmlId", "XML_ID", "string", "External ID")
        .fixed()
        .unlisted(),
    field("type", "TYPE", "integer", "Type").fixed(),
    field("storeId", "STORE_ID", "integer", "Warehouse").fixed(),
];

/// `productName` → `PRODUCT_NAME` (the controller's `convertKeysToUpper`).
pub fn upper_snake(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// The field whose UPPER name is `upper`.
pub fn by_upper(upper: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.upper == upper)
}

/// The `fields` map.
pub fn describe() -> Value {
    let mut out = Map::new();
    for f in FIELDS.iter().filter(|f| f.listed) {
        out.insert(
            f.camel.to_string(),
            json!({"type": f.ty, "isRequired": f.required, "isReadOnly": f.read_only,
                "isImmutable": f.immutable, "isMultiple": false, "isDynamic": false,
                "title": f.title}),
        );
    }
    json!({ "fields": out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writes(api: Api, upper: &str) -> bool {
        by_upper(upper).expect(upper).writable(api)
    }

    #[test]
    fn the_item_api_writes_the_owner_and_the_legacy_api_the_unit_prices() {
        for owner in ["OWNER_ID", "OWNER_TYPE"] {
            assert!(
                writes(Api::Item, owner) && !writes(Api::Legacy, owner),
                "{owner}"
            );
        }
        for price in ["PRICE_EXCLUSIVE", "PRICE_NETTO", "PRICE_BRUTTO"] {
            assert!(
                !writes(Api::Item, price) && writes(Api::Legacy, price),
                "{price}"
            );
        }
        for both in ["PRODUCT_NAME", "PRICE", "QUANTITY", "TAX_RATE", "SORT"] {
            assert!(
                writes(Api::Item, both) && writes(Api::Legacy, both),
                "{both}"
            );
        }
        for neither in ["ID", "PRICE_ACCOUNT", "XML_ID", "TYPE", "STORE_ID"] {
            assert!(
                !writes(Api::Item, neither) && !writes(Api::Legacy, neither),
                "{neither}"
            );
        }
    }

    #[test]
    fn fields_lists_all_but_the_report_price_and_the_external_id() {
        let described = describe();
        let listed = described["fields"].as_object().expect("a map");
        assert_eq!(listed.len(), FIELDS.len() - 2);
        assert!(!listed.contains_key("priceAccount") && !listed.contains_key("xmlId"));
        assert_eq!(listed["storeId"]["isReadOnly"], true);
        assert_eq!(listed["ownerType"]["isRequired"], true);
        assert_eq!(listed["ownerType"]["isImmutable"], true);
        assert_eq!(listed["priceNetto"]["isReadOnly"], true);
        assert_eq!(listed["productName"]["isReadOnly"], false);
    }

    #[test]
    fn camel_keys_become_upper_snake() {
        assert_eq!(upper_snake("productName"), "PRODUCT_NAME");
        assert_eq!(upper_snake("discountTypeId"), "DISCOUNT_TYPE_ID");
        assert_eq!(upper_snake("price"), "PRICE");
    }

    #[test]
    fn every_camel_name_is_the_upper_name_spelled_in_camel_case() {
        for f in FIELDS {
            assert_eq!(upper_snake(f.camel), f.upper);
        }
    }
}
