//! `crm.item.productrow.*` (orders-timeline.md §1.4): camelCase rows under `productRow` /
//! `productRows`, owners by short code, controller errors (`NOT_FOUND`, `OWNER_NOT_FOUND`,
//! `ENTITY_TYPE_NOT_SUPPORTED`, `INVALID_ARG_VALUE`, `"100"`), each write saving the owner.

use super::fields::Api;
use super::owner::{self, Owner};
use super::row::{self, ApplyError, Row};
use super::{fields, store, totals};
use crate::error::ApiError;
use crate::methods::engine::{self, required};
use crate::methods::{Call, Output};
use crate::php::value::{as_string, elements, entries, intval, is_array};
use rusqlite::types::Value as Sql;
use serde_json::{json, Map, Value};

fn row_not_found() -> ApiError {
    ApiError::bad_request("NOT_FOUND", "Item not found")
}

fn invalid(text: impl Into<String>) -> ApiError {
    ApiError::bad_request("INVALID_ARG_VALUE", text)
}

/// The error of a row the portal refuses to compute, or of the storage.
pub(crate) fn apply_error(e: ApplyError) -> ApiError {
    match e {
        ApplyError::Refused(r) => ApiError::bad_request(r.code(), r.text()),
        ApplyError::Sql(e) => e.into(),
    }
}

fn array_param<'a>(call: &'a Call<'_>, name: &str) -> Result<&'a Value, ApiError> {
    let v = required(call, name)?;
    if is_array(v) {
        Ok(v)
    } else {
        Err(invalid(format!(
            "Invalid value for parameter {{{name}}}: an array is expected"
        )))
    }
}

/// Computes a row from its input and records the sandbox notes.
fn build(call: &mut Call<'_>, row: &mut Row, input: &Map<String, Value>) -> Result<(), ApiError> {
    let notes = row::apply(call.db, row, input, Api::Item).map_err(apply_error)?;
    for n in notes {
        call.note(format!("{}: {}", call.method, n.0));
    }
    Ok(())
}

/// `crm.item.productrow.fields`.
pub fn fields(_call: &mut Call<'_>) -> Result<Output, ApiError> {
    Ok(Output::new(fields::describe()))
}

/// `crm.item.productrow.add`: `{"productRow": {...}}`.
pub fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let input = row::pick(array_param(call, "fields")?, Api::Item);
    let code = input
        .get("OWNER_TYPE")
        .and_then(as_string)
        .unwrap_or_default();
    let owner_id = input.get("OWNER_ID").map_or(0, intval);
    let owner = owner::find(call.db, &code, owner_id)?;
    let had_rows = totals::has_rows(call, owner)?;
    let mut row = Row::new(owner.code(), owner.id);
    build(call, &mut row, &input)?;
    row.id = store::insert(call.db, &row)?;
    totals::owner_saved(call, owner, had_rows)?;
    Ok(Output::new(json!({ "productRow": row.camel(false) })))
}

/// The stored row and its owner, checked in the controller's order.
fn row_and_owner(call: &Call<'_>) -> Result<(Row, Owner), ApiError> {
    let id = intval(required(call, "id")?);
    let row = store::get(call.db, id)?.ok_or_else(row_not_found)?;
    let owner = owner::find(call.db, &row.owner_type, row.owner_id)?;
    Ok((row, owner))
}

/// `crm.item.productrow.get`: `{"productRow": {...}}` with `storeId`.
pub fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let (row, _) = row_and_owner(call)?;
    Ok(Output::new(json!({ "productRow": row.camel(true) })))
}

/// `crm.item.productrow.update`: only the fields sent change; nothing updatable left is
/// `INVALID_ARG_VALUE` "Field 'x' not available for update" for the first key sent.
pub fn update(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let (mut row, owner) = row_and_owner(call)?;
    let fields_v = array_param(call, "fields")?.clone();
    let mut input = row::pick(&fields_v, Api::Item);
    if input.is_empty() {
        return match entries(&fields_v).first() {
            Some((key, _)) => Err(invalid(format!("Field '{key}' not available for update"))),
            // An empty `fields`: the controller adds no error and returns nothing.
            None => Ok(Output::new(Value::Null)),
        };
    }
    // The owner is immutable.
    input.remove("OWNER_TYPE");
    input.remove("OWNER_ID");
    build(call, &mut row, &input)?;
    store::update(call.db, &row)?;
    totals::owner_saved(call, owner, true)?;
    Ok(Output::new(json!({ "productRow": row.camel(false) })))
}

/// `crm.item.productrow.delete`: `null`.
pub fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let (row, owner) = row_and_owner(call)?;
    store::delete(call.db, row.id)?;
    totals::owner_saved(call, owner, true)?;
    Ok(Output::new(Value::Null))
}

/// `crm.item.productrow.set`: replaces every row of the owner (ids are read-only, so every
/// row sent is a new row) and answers all of them.
pub fn set(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let code = as_string(required(call, "ownerType")?).unwrap_or_default();
    let owner_id = intval(required(call, "ownerId")?);
    let rows_v = array_param(call, "productRows")?.clone();
    let owner = owner::find(call.db, &code, owner_id)?;
    let had_rows = totals::has_rows(call, owner)?;
    let mut rows = Vec::new();
    for item in elements(&rows_v) {
        let input = row::pick(item, Api::Item);
        let mut row = Row::new(owner.code(), owner.id);
        build(call, &mut row, &input)?;
        rows.push(row);
    }
    store::delete_owner(call.db, owner.code(), owner.id)?;
    for row in &mut rows {
        row.id = store::insert(call.db, row)?;
    }
    totals::owner_saved(call, owner, had_rows)?;
    let all = store::of_owner(call.db, owner.code(), owner.id)?;
    let out: Vec<Value> = all.iter().map(|r| r.camel(false)).collect();
    Ok(Output::new(json!({ "productRows": out })))
}

/// `crm.item.productrow.getAvailableForPayment`: the sandbox has no payments, so every row.
pub fn available_for_payment(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let owner_id = intval(required(call, "ownerId")?);
    let code = as_string(required(call, "ownerType")?).unwrap_or_default();
    let owner = owner::find(call.db, &code, owner_id)?;
    let rows = store::of_owner(call.db, owner.code(), owner.id)?;
    let out: Vec<Value> = rows.iter().map(|r| r.camel(false)).collect();
    Ok(Output::new(json!({ "productRows": out })))
}

/// Splits an ORM filter key into its operator and field (longest prefixes first).
fn split(key: &str) -> (&'static str, &str) {
    const PREFIXES: [&str; 13] = [
        "!=%", "!%=", "!=", "!%", ">=", "<=", "=%", "%=", "=", "%", ">", "<", "",
    ];
    for p in PREFIXES {
        if let Some(rest) = key.strip_prefix(p) {
            return (p, rest);
        }
    }
    ("", key)
}

fn sql_value(v: &Value) -> Sql {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(Sql::Integer)
            .unwrap_or_else(|| Sql::Real(n.as_f64().unwrap_or(0.0))),
        other => Sql::Text(as_string(other).unwrap_or_default()),
    }
}

/// Compiles the list filter into SQL, refusing what the controller refuses.
fn compile(filter: &Map<String, Value>, params: &mut Vec<Sql>) -> Result<String, ApiError> {
    let mut parts = Vec::new();
    for (key, value) in filter {
        let (op, camel) = split(key);
        let column = fields::upper_snake(camel);
        if !store::COLUMNS.contains(&column.as_str()) {
            return Err(invalid(format!(
                "Invalid filter: field '{camel}' is not allowed in filter"
            )));
        }
        if (op.contains('<') || op.contains('>'))
            && !matches!(value, Value::String(_) | Value::Number(_))
        {
            return Err(invalid(format!(
                "Value for filter key '{key}' should be either string or number"
            )));
        }
        let negate = op.starts_with('!');
        let sql = match op.trim_start_matches('!') {
            "" | "=" if is_array(value) => {
                let list = elements(value);
                if list.is_empty() {
                    "1=2".to_string()
                } else {
                    let marks = vec!["?"; list.len()].join(", ");
                    params.extend(list.into_iter().map(sql_value));
                    format!("{column} IN ({marks})")
                }
            }
            "" | "=" => {
                params.push(sql_value(value));
                format!("{column} = ?")
            }
            "%" => {
                params.push(Sql::Text(format!(
                    "%{}%",
                    as_string(value).unwrap_or_default()
                )));
                format!("{column} LIKE ?")
            }
            "=%" | "%=" => {
                params.push(Sql::Text(as_string(value).unwrap_or_default()));
                format!("{column} LIKE ?")
            }
            cmp => {
                params.push(sql_value(value));
                format!("{column} {cmp} ?")
            }
        };
        parts.push(if negate { format!("NOT ({sql})") } else { sql });
    }
    Ok(if parts.is_empty() {
        "1=1".to_string()
    } else {
        parts.join(" AND ")
    })
}

/// `crm.item.productrow.list`: `filter` must name the owner with `=ownerType` and `=ownerId`
/// (the `=` is part of the key); pages of 50 under `productRows` with `total` and `next`.
pub fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let mut filter = Map::new();
    if let Some(f) = call.param("filter").filter(|f| is_array(f)) {
        for (k, v) in entries(f) {
            filter.insert(k, v.clone());
        }
    }
    let missing = |name: &str| {
        ApiError::bad_request(
            "REQUIRED_ARG_MISSING",
            format!("Argument '{name}' is required"),
        )
    };
    let code = filter
        .get("=ownerType")
        .and_then(as_string)
        .filter(|s| !s.is_empty() && s != "0")
        .ok_or_else(|| missing("=ownerType"))?;
    let owner_id = filter.get("=ownerId").map_or(0, intval);
    if owner_id <= 0 {
        return Err(missing("=ownerId"));
    }
    // canRead(type, id): an admin may read any id of a known type; an unknown type is denied.
    match owner::find(call.db, &code, owner_id) {
        Err(e) if e.code == "ENTITY_TYPE_NOT_SUPPORTED" => {
            return Err(ApiError::bad_request("ACCESS_DENIED", "Access denied"));
        }
        _ => {}
    }
    let mut params = Vec::new();
    let where_sql = compile(&filter, &mut params)?;
    let mut terms = Vec::new();
    if let Some(order) = call.param("order").filter(|o| is_array(o)) {
        for (key, dir) in entries(order) {
            let column = fields::upper_snake(&key);
            if !store::COLUMNS.contains(&column.as_str()) {
                return Err(invalid(format!(
                    "Invalid order: field '{key}' is not allowed"
                )));
            }
            let dir = as_string(dir).unwrap_or_default().to_uppercase();
            let dir = if dir == "DESC" { "DESC" } else { "ASC" };
            terms.push(format!("{column} {dir}"));
        }
    }
    terms.push("ID ASC".to_string());
    let offset = engine::offset(call.start, engine::PAGE_SIZE);
    let (rows, total) = store::query(
        call.db,
        &where_sql,
        &params,
        &terms.join(", "),
        engine::PAGE_SIZE,
        offset,
    )?;
    let out: Vec<Value> = rows.iter().map(|r| r.camel(true)).collect();
    Ok(engine::page(
        "productRows",
        out,
        offset,
        engine::PAGE_SIZE,
        total,
    ))
}
