//! `catalog.product.add/get/update/list/delete` (orders-timeline.md §2): camelCase fields,
//! answers under `element` (add, update), `product` (get) and `products` (list). The price is
//! not a product field: prices are `catalog.price.*`.

use super::catalogs::is_catalog;
use super::require_admin;
use crate::error::ApiError;
use crate::methods::engine::{self, required};
use crate::methods::{Access, Call, Output, Registry};
use crate::php::value::{as_string, elements, entries, floatval, intval, is_array};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

/// Registers the product methods.
pub fn register(r: &mut Registry) {
    r.add("catalog.product.add", "catalog", Access::Write, add);
    r.add("catalog.product.get", "catalog", Access::Read, get);
    r.add("catalog.product.update", "catalog", Access::Write, update);
    r.add("catalog.product.list", "catalog", Access::Read, list);
    r.add("catalog.product.delete", "catalog", Access::Write, delete);
}

/// What a product row needs from the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The product's name.
    pub name: String,
    /// Its type (1 simple, ... 7 service).
    pub kind: i64,
    /// Its unit (`catalog_measure.id`), 0 when none.
    pub measure_id: i64,
}

/// The name, type and unit of a product, if it exists.
pub fn summary(conn: &Connection, id: i64) -> rusqlite::Result<Option<Summary>> {
    conn.prepare_cached(
        "SELECT name, type, COALESCE(measure, 0) FROM catalog_product WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(Summary {
            name: r.get(0)?,
            kind: r.get(1)?,
            measure_id: r.get(2)?,
        })
    })
    .optional()
}

/// Text columns and their camelCase names.
const TEXT: [(&str, &str); 7] = [
    ("code", "code"),
    ("xml_id", "xmlId"),
    ("purchasing_price", "purchasingPrice"),
    ("purchasing_currency", "purchasingCurrency"),
    ("preview_text", "previewText"),
    ("detail_text", "detailText"),
    ("active", "active"),
];
/// Integer columns and their camelCase names.
const INT: [(&str, &str); 5] = [
    ("measure", "measure"),
    ("vat_id", "vatId"),
    ("iblock_section_id", "iblockSectionId"),
    ("sort", "sort"),
    ("type", "type"),
];

fn not_found() -> ApiError {
    ApiError::bad_request("0", "product does not exist.")
}

fn fields_param(call: &Call<'_>) -> Result<Map<String, Value>, ApiError> {
    match required(call, "fields")? {
        Value::Object(m) => Ok(m.clone()),
        _ => Err(ApiError::bad_request(
            "0",
            "Parameter 'fields' must be array",
        )),
    }
}

/// The columns a `fields` object sets (unknown names are ignored, as the controller's
/// `prepareFields` does).
fn columns(fields: &Map<String, Value>) -> Vec<(&'static str, rusqlite::types::Value)> {
    use rusqlite::types::Value as Sql;
    let mut out = Vec::new();
    for (col, camel) in TEXT {
        if let Some(v) = fields.get(camel) {
            let s = as_string(v).unwrap_or_default();
            let s = if col == "active" {
                if s.eq_ignore_ascii_case("N") {
                    "N"
                } else {
                    "Y"
                }
                .to_string()
            } else {
                s
            };
            out.push((col, Sql::Text(s)));
        }
    }
    for (col, camel) in INT {
        if let Some(v) = fields.get(camel) {
            out.push((col, Sql::Integer(intval(v))));
        }
    }
    if let Some(v) = fields.get("vatIncluded") {
        let yes = as_string(v).unwrap_or_default().eq_ignore_ascii_case("Y");
        out.push((
            "vat_included",
            Sql::Text(if yes { "Y" } else { "N" }.into()),
        ));
    }
    if let Some(v) = fields.get("quantity") {
        out.push(("quantity", Sql::Real(floatval(v))));
    }
    if let Some(v) = fields.get("name") {
        out.push(("name", Sql::Text(as_string(v).unwrap_or_default())));
    }
    out
}

fn load(call: &Call<'_>, id: i64) -> Result<Option<Value>, ApiError> {
    let row = call
        .db
        .prepare_cached(
            "SELECT id, iblock_id, name, active, code, xml_id, type, measure, vat_id, vat_included,
                    purchasing_price, purchasing_currency, quantity, iblock_section_id,
                    preview_text, detail_text, sort, date_create, timestamp_x, created_by,
                    modified_by
             FROM catalog_product WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(json!({
                "id": r.get::<_, i64>(0)?,
                "iblockId": r.get::<_, i64>(1)?,
                "name": r.get::<_, String>(2)?,
                "active": r.get::<_, String>(3)?,
                "code": r.get::<_, Option<String>>(4)?,
                "xmlId": r.get::<_, Option<String>>(5)?,
                "type": r.get::<_, i64>(6)?,
                "measure": r.get::<_, Option<i64>>(7)?,
                "vatId": r.get::<_, Option<i64>>(8)?,
                "vatIncluded": r.get::<_, String>(9)?,
                "purchasingPrice": r.get::<_, Option<String>>(10)?,
                "purchasingCurrency": r.get::<_, Option<String>>(11)?,
                "quantity": r.get::<_, Option<f64>>(12)?,
                "iblockSectionId": r.get::<_, Option<i64>>(13)?,
                "previewText": r.get::<_, Option<String>>(14)?,
                "detailText": r.get::<_, Option<String>>(15)?,
                "sort": r.get::<_, i64>(16)?,
                "dateCreate": r.get::<_, i64>(17)?,
                "timestampX": r.get::<_, i64>(18)?,
                "createdBy": r.get::<_, i64>(19)?,
                "modifiedBy": r.get::<_, i64>(20)?,
            }))
        })
        .optional()?;
    Ok(row.map(|mut p| {
        for key in ["dateCreate", "timestampX"] {
            let unix = p[key].as_i64().unwrap_or(0);
            p[key] = json!(call.iso(unix));
        }
        p
    }))
}

fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let fields = fields_param(call)?;
    for name in ["iblockId", "name"] {
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
    let iblock = fields.get("iblockId").map_or(0, intval);
    if !is_catalog(iblock) {
        return Err(ApiError::bad_request("200040300000", "Iblock Not Found"));
    }
    let now = call.unix_now();
    let user = call.caller.user_id;
    call.db
        .prepare_cached(
            "INSERT INTO catalog_product (iblock_id, name, date_create, timestamp_x, created_by,
             modified_by) VALUES (?1, '', ?2, ?2, ?3, ?3)",
        )?
        .execute(params![iblock, now, user])?;
    let id = call.db.last_insert_rowid();
    write_columns(call.db, id, &fields)?;
    let element = load(call, id)?.ok_or_else(not_found)?;
    call.raise(
        "CATALOG.PRODUCT.ON.ADD",
        json!({"FIELDS": {"ID": id, "TYPE": element["type"]}}),
    );
    Ok(Output::new(json!({ "element": element })))
}

fn write_columns(conn: &Connection, id: i64, fields: &Map<String, Value>) -> rusqlite::Result<()> {
    let cols = columns(fields);
    if cols.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> = cols.iter().map(|(c, _)| format!("{c} = ?")).collect();
    let mut values: Vec<rusqlite::types::Value> = cols.into_iter().map(|(_, v)| v).collect();
    values.push(rusqlite::types::Value::Integer(id));
    conn.execute(
        &format!(
            "UPDATE catalog_product SET {} WHERE id = ?",
            sets.join(", ")
        ),
        rusqlite::params_from_iter(values),
    )?;
    Ok(())
}

fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let id = intval(required(call, "id")?);
    let product = load(call, id)?.ok_or_else(not_found)?;
    Ok(Output::new(json!({ "product": product })))
}

fn update(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let id = intval(required(call, "id")?);
    let mut fields = fields_param(call)?;
    if load(call, id)?.is_none() {
        return Err(not_found());
    }
    fields.remove("iblockId");
    write_columns(call.db, id, &fields)?;
    call.db.execute(
        "UPDATE catalog_product SET timestamp_x = ?1, modified_by = ?2 WHERE id = ?3",
        params![call.unix_now(), call.caller.user_id, id],
    )?;
    let element = load(call, id)?.ok_or_else(not_found)?;
    call.raise(
        "CATALOG.PRODUCT.ON.UPDATE",
        json!({"FIELDS": {"ID": id, "TYPE": element["type"]}}),
    );
    Ok(Output::new(json!({ "element": element })))
}

fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let id = intval(required(call, "id")?);
    let Some(product) = load(call, id)? else {
        return Err(not_found());
    };
    call.db
        .execute("DELETE FROM catalog_product WHERE id = ?1", [id])?;
    call.db
        .execute("DELETE FROM catalog_price WHERE product_id = ?1", [id])?;
    call.raise(
        "CATALOG.PRODUCT.ON.DELETE",
        json!({"FIELDS": {"ID": id, "TYPE": product["type"]}}),
    );
    Ok(Output::new(true))
}

/// `catalog.product.list`: `filter.iblockId` and `select` with `id` and `iblockId` are
/// required (code `0` otherwise, as the docs say); the filter is by equality.
fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    require_admin(call)?;
    let select: Vec<String> = call
        .param("select")
        .map(elements)
        .unwrap_or_default()
        .into_iter()
        .filter_map(as_string)
        .collect();
    if !select.iter().any(|s| s == "id") || !select.iter().any(|s| s == "iblockId") {
        return Err(ApiError::bad_request(
            "0",
            "Required select fields: id, iblockId",
        ));
    }
    let filter = call
        .param("filter")
        .filter(|f| is_array(f))
        .cloned()
        .unwrap_or(json!({}));
    let has_iblock = entries(&filter)
        .iter()
        .any(|(k, _)| k.strip_prefix('=').unwrap_or(k) == "iblockId");
    if !has_iblock {
        return Err(ApiError::bad_request(
            "0",
            "Required filter fields: iblockId",
        ));
    }
    let ids: Vec<i64> = call
        .db
        .prepare_cached("SELECT id FROM catalog_product ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = load(call, id)? {
            rows.push(p);
        }
    }
    let rows = super::catalogs::equality_filter(rows, Some(&filter))?;
    let total = rows.len() as i64;
    let offset = engine::offset(call.start, engine::PAGE_SIZE);
    let page: Vec<Value> = rows
        .into_iter()
        .skip(offset as usize)
        .take(engine::PAGE_SIZE as usize)
        .map(|p| {
            let mut out = Map::new();
            for name in &select {
                if let Some(v) = p.get(name) {
                    out.insert(name.clone(), v.clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    Ok(engine::page(
        "products",
        page,
        offset,
        engine::PAGE_SIZE,
        total,
    ))
}
