//! The product row: its stored form, the two spellings it is printed in (camelCase for
//! `crm.item.productrow.*`, UPPER_CASE for the legacy `crm.*.productrows.*`), and how input
//! fields are applied to it (orders-timeline.md §1.2, §1.5).

use super::fields::{self as field_table, Api};
use super::prices::{self, Input, Refused};
use crate::methods::catalog::{measure, product};
use crate::php::value::{as_string, floatval, intval, is_numeric};
use rusqlite::Connection;
use serde_json::{json, Map, Value};

/// One stored row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Row id (0 before insert).
    pub id: i64,
    /// Owner short code (`D`, `L`).
    pub owner_type: String,
    /// Owner id.
    pub owner_id: i64,
    /// Catalog product id; 0 = not from the catalog.
    pub product_id: i64,
    /// Row name.
    pub product_name: String,
    /// Final unit price (after discount, with tax).
    pub price: f64,
    /// `price` in the report currency (the sandbox has one currency: equal to `price`).
    pub price_account: f64,
    /// After discount, without tax.
    pub price_exclusive: f64,
    /// Before discount, without tax.
    pub price_netto: f64,
    /// Before discount, with tax.
    pub price_brutto: f64,
    /// Quantity (4 decimals).
    pub quantity: f64,
    /// 1 absolute, 2 percent.
    pub discount_type_id: i64,
    /// Discount in percent.
    pub discount_rate: f64,
    /// Discount per unit.
    pub discount_sum: f64,
    /// Tax rate in percent, or none.
    pub tax_rate: Option<f64>,
    /// `Y`/`N`.
    pub tax_included: bool,
    /// `Y`/`N` (deprecated).
    pub customized: bool,
    /// Unit code (`catalog_measure.code`, e.g. 796).
    pub measure_code: i64,
    /// Unit symbol (e.g. `pcs`).
    pub measure_name: String,
    /// Sort.
    pub sort: i64,
    /// External id.
    pub xml_id: String,
    /// 1 simple, ... 7 service.
    pub kind: i64,
}

impl Row {
    /// A new row of an owner with the column defaults (`ProductRowTable`).
    pub fn new(owner_type: &str, owner_id: i64) -> Row {
        Row {
            id: 0,
            owner_type: owner_type.to_string(),
            owner_id,
            product_id: 0,
            product_name: String::new(),
            price: 0.0,
            price_account: 0.0,
            price_exclusive: 0.0,
            price_netto: 0.0,
            price_brutto: 0.0,
            quantity: 1.0,
            discount_type_id: prices::PERCENTAGE,
            discount_rate: 0.0,
            discount_sum: 0.0,
            tax_rate: None,
            tax_included: false,
            customized: true,
            measure_code: 0,
            measure_name: String::new(),
            sort: 0,
            xml_id: String::new(),
            kind: 1,
        }
    }

    /// The camelCase object of `crm.item.productrow.*`; `store_id` adds the read-only
    /// `storeId` of get and list (the sandbox has no warehouses: always `null`).
    pub fn camel(&self, with_store_id: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "ownerId": self.owner_id,
            "ownerType": self.owner_type,
            "productId": self.product_id,
            "productName": self.product_name,
            "price": self.price,
            "priceAccount": self.price_account,
            "priceExclusive": self.price_exclusive,
            "priceNetto": self.price_netto,
            "priceBrutto": self.price_brutto,
            "quantity": self.quantity,
            "discountTypeId": self.discount_type_id,
            "discountRate": self.discount_rate,
            "discountSum": self.discount_sum,
            "taxRate": self.tax_rate,
            "taxIncluded": flag(self.tax_included),
            "customized": flag(self.customized),
            "measureCode": self.measure_code,
            "measureName": self.measure_name,
            "sort": self.sort,
            "xmlId": self.xml_id,
            "type": self.kind,
        });
        if with_store_id {
            v["storeId"] = Value::Null;
        }
        v
    }

    /// The UPPER_CASE object of `crm.deal.productrows.get` (`CCrmProductRow::LoadRows`): ids
    /// as strings, numbers cast, `PRICE_ACCOUNT` a string with 2 decimals.
    pub fn upper(&self) -> Value {
        json!({
            "ID": self.id.to_string(),
            "OWNER_ID": self.owner_id.to_string(),
            "OWNER_TYPE": self.owner_type,
            "PRODUCT_ID": self.product_id,
            "PRODUCT_NAME": self.product_name,
            "ORIGINAL_PRODUCT_NAME": self.product_name,
            "PRODUCT_DESCRIPTION": "",
            "PRICE": self.price,
            "PRICE_EXCLUSIVE": self.price_exclusive,
            "PRICE_NETTO": self.price_netto,
            "PRICE_BRUTTO": self.price_brutto,
            "PRICE_ACCOUNT": format!("{:.2}", self.price_account),
            "QUANTITY": self.quantity,
            "DISCOUNT_TYPE_ID": self.discount_type_id,
            "DISCOUNT_RATE": self.discount_rate,
            "DISCOUNT_SUM": self.discount_sum,
            "TAX_RATE": self.tax_rate,
            "TAX_INCLUDED": flag(self.tax_included),
            "CUSTOMIZED": flag(self.customized),
            "MEASURE_CODE": self.measure_code,
            "MEASURE_NAME": self.measure_name,
            "SORT": self.sort,
            "XML_ID": self.xml_id,
            "TYPE": self.kind,
            "STORE_ID": null,
            "RESERVE_ID": null,
            "DATE_RESERVE_END": "",
            "RESERVE_QUANTITY": null,
        })
    }
}

fn flag(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// The fields of an input row object that `api` takes from a caller, under their UPPER
/// names: `crm.item.productrow.*` reads camelCase keys (converted to UPPER_SNAKE), the legacy
/// methods UPPER_SNAKE exactly (other spellings are unknown keys).
pub fn pick(fields: &Value, api: Api) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, v) in crate::php::value::entries(fields) {
        let upper = match api {
            Api::Item => field_table::upper_snake(&key),
            Api::Legacy => key.clone(),
        };
        if field_table::by_upper(&upper).is_some_and(|f| f.writable(api)) {
            out.insert(upper, v.clone());
        }
    }
    out
}

/// A price a caller wrote that is not a number: PHP's `(float)` reads it as 0 (or its numeric
/// prefix), and the sandbox says so in its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(pub String);

fn text(v: &Value) -> String {
    as_string(v).unwrap_or_default()
}

fn float_of(key: &str, v: &Value, notes: &mut Vec<Note>) -> f64 {
    if !is_numeric(v) && !v.is_null() {
        notes.push(Note(format!(
            "product row field {key} = {v} is not a number; read as {}",
            floatval(v)
        )));
    }
    floatval(v)
}

/// `prepareForSave`'s TAX_RATE rule: a rate > 0, a literal 0 or a string starting with `0`
/// is kept; anything else is "no tax".
fn tax_rate(v: &Value) -> Option<f64> {
    let f = floatval(v);
    let zero = match v {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.starts_with('0'),
        _ => false,
    };
    (f > 0.0 || zero).then_some(f)
}

fn yes(v: &Value) -> bool {
    text(v).eq_ignore_ascii_case("Y")
}

/// Applies input fields (UPPER keys, already picked) to a row, then fills the catalog name,
/// the measure and the computed prices. Returns the notes for the sandbox log, or the
/// discount the portal refuses.
pub fn apply(
    conn: &Connection,
    row: &mut Row,
    fields: &Map<String, Value>,
    api: Api,
) -> Result<Vec<Note>, ApplyError> {
    let mut notes = Vec::new();
    let mut given = Input::default();
    for (key, v) in fields {
        match key.as_str() {
            "PRODUCT_ID" => row.product_id = intval(v).max(0),
            "PRODUCT_NAME" => row.product_name = text(v),
            "PRICE" => row.price = float_of(key, v, &mut notes),
            "QUANTITY" => {
                row.quantity =
                    prices::round(float_of(key, v, &mut notes), prices::QUANTITY_PRECISION)
            }
            "DISCOUNT_TYPE_ID" => row.discount_type_id = intval(v),
            "DISCOUNT_RATE" => given.discount_rate = Some(float_of(key, v, &mut notes)),
            "DISCOUNT_SUM" => given.discount_sum = Some(float_of(key, v, &mut notes)),
            "TAX_RATE" => row.tax_rate = tax_rate(v),
            "TAX_INCLUDED" => row.tax_included = yes(v),
            "CUSTOMIZED" => row.customized = yes(v),
            "MEASURE_CODE" => row.measure_code = intval(v),
            "MEASURE_NAME" => row.measure_name = text(v),
            "SORT" => row.sort = intval(v),
            "PRICE_EXCLUSIVE" => given.given_exclusive = Some(float_of(key, v, &mut notes)),
            "PRICE_NETTO" => given.given_netto = Some(float_of(key, v, &mut notes)),
            "PRICE_BRUTTO" => given.given_brutto = Some(float_of(key, v, &mut notes)),
            _ => {}
        }
    }
    let product = if row.product_id > 0 {
        product::summary(conn, row.product_id)?
    } else {
        None
    };
    if let Some(p) = &product {
        row.kind = p.kind;
        if !fields.contains_key("PRODUCT_NAME") {
            row.product_name = p.name.clone();
        }
    }
    // normalizeMeasure: an empty or unknown code becomes the product's measure, else the
    // portal's default; the name always follows the code.
    let m = measure::by_code(row.measure_code)
        .or_else(|| product.as_ref().and_then(|p| measure::by_id(p.measure_id)))
        .unwrap_or_else(measure::default_measure);
    row.measure_code = m.code;
    row.measure_name = m.symbol.to_string();
    let (type_id, rate, sum) = match api {
        // `crm.item.productrow.*`: the row object carries its stored values (column defaults
        // on add, so a missing rate or sum is 0): a percent row keeps its rate, and an
        // absolute row re-derives its rate from the sum unless the caller sent one (the stored
        // rate would be stale after a new sum). The unit prices are always derived.
        Api::Item => {
            let rate = given.discount_rate.or_else(|| {
                (row.discount_type_id != prices::MONETARY).then_some(row.discount_rate)
            });
            (
                row.discount_type_id,
                rate,
                Some(given.discount_sum.unwrap_or(row.discount_sum)),
            )
        }
        // `crm.*.productrows.set`: the raw row array, so what was not sent is missing (an
        // absent type is "undefined", which the computation turns into no discount), and the
        // unit prices may be given.
        Api::Legacy => (
            fields.get("DISCOUNT_TYPE_ID").map_or(0, intval),
            given.discount_rate,
            given.discount_sum,
        ),
    };
    let computed = prices::compute(&Input {
        price: row.price,
        tax_rate: row.tax_rate,
        discount_type_id: type_id,
        discount_rate: rate,
        discount_sum: sum,
        ..given
    })
    .map_err(ApplyError::Refused)?;
    row.price = computed.price;
    row.price_account = computed.price;
    row.price_exclusive = computed.exclusive;
    row.price_netto = computed.netto;
    row.price_brutto = computed.brutto;
    row.discount_type_id = computed.discount_type_id;
    row.discount_rate = computed.discount_rate;
    row.discount_sum = computed.discount_sum;
    row.tax_rate = computed.tax_rate;
    Ok(notes)
}

/// Why a row could not be applied.
#[derive(Debug)]
pub enum ApplyError {
    /// A discount the portal refuses.
    Refused(Refused),
    /// Storage failure.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for ApplyError {
    fn from(e: rusqlite::Error) -> Self {
        ApplyError::Sql(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_rate_rule() {
        assert_eq!(tax_rate(&json!(20)), Some(20.0));
        assert_eq!(tax_rate(&json!(0)), Some(0.0));
        assert_eq!(tax_rate(&json!("0")), Some(0.0));
        assert_eq!(tax_rate(&json!("")), None);
        assert_eq!(tax_rate(&json!(-5)), None);
        assert_eq!(tax_rate(&json!("abc")), None);
    }

    #[test]
    fn read_only_prices_are_not_picked_for_the_item_api() {
        let picked = pick(
            &json!({"priceNetto": 5, "price": 10, "xmlId": "x", "nope": 1}),
            Api::Item,
        );
        assert_eq!(picked.keys().collect::<Vec<_>>(), ["PRICE"]);
    }
}
