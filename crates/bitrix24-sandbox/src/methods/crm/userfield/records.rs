//! Reading and changing user-field definitions: `userfield.list/get/update/delete` and the
//! user-field entries of `crm.X.fields`.

use super::definition::{label, text, write_items, yn, FLAGS, LABELS};
use crate::error::ApiError;
use crate::methods::crm::entity::Kind;
use crate::methods::crm::params::{array_param, kind_of};
use crate::methods::{Call, Output};
use crate::php::value::{as_string, entries, intval, is_array};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Map, Value};

const COLUMNS: &str = "id, entity_id, field_name, user_type_id, xml_id, sort, multiple, mandatory,
    show_filter, show_in_list, edit_in_list, is_searchable, settings, labels";

/// A definition as `userfield.list` prints it: every scalar a string.
fn row_to_json(r: &Row<'_>) -> rusqlite::Result<Map<String, Value>> {
    let mut m = Map::new();
    m.insert("ID".into(), json!(r.get::<_, i64>(0)?.to_string()));
    m.insert("ENTITY_ID".into(), json!(r.get::<_, String>(1)?));
    m.insert("FIELD_NAME".into(), json!(r.get::<_, String>(2)?));
    m.insert("USER_TYPE_ID".into(), json!(r.get::<_, String>(3)?));
    m.insert("XML_ID".into(), json!(r.get::<_, String>(4)?));
    m.insert("SORT".into(), json!(r.get::<_, i64>(5)?.to_string()));
    m.insert("MULTIPLE".into(), json!(r.get::<_, String>(6)?));
    for (i, key) in FLAGS.iter().enumerate() {
        m.insert((*key).into(), json!(r.get::<_, String>(7 + i)?));
    }
    let settings: String = r.get(12)?;
    m.insert(
        "SETTINGS".into(),
        serde_json::from_str(&settings).unwrap_or(json!([])),
    );
    let labels: Map<String, Value> =
        serde_json::from_str(&r.get::<_, String>(13)?).unwrap_or_default();
    for key in LABELS {
        m.insert(key.into(), labels.get(key).cloned().unwrap_or(json!("")));
    }
    Ok(m)
}

fn items(db: &Connection, field_id: i64) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = db.prepare_cached(
        "SELECT id, sort, value, def, xml_id FROM crm_userfield_enum
         WHERE field_id = ?1 ORDER BY sort, id",
    )?;
    let rows = stmt.query_map([field_id], |r| {
        Ok(json!({
            "ID": r.get::<_, i64>(0)?.to_string(),
            "SORT": r.get::<_, i64>(1)?.to_string(),
            "VALUE": r.get::<_, String>(2)?,
            "DEF": r.get::<_, String>(3)?,
            "XML_ID": r.get::<_, String>(4)?,
        }))
    })?;
    rows.collect()
}

/// Every definition of a kind as printed objects, enumerations with `LIST`.
pub fn all(db: &Connection, kind: Kind) -> rusqlite::Result<Vec<Map<String, Value>>> {
    let sql = format!("SELECT {COLUMNS} FROM crm_userfield WHERE entity_id = ?1 ORDER BY id");
    let mut stmt = db.prepare_cached(&sql)?;
    let mut out: Vec<Map<String, Value>> = stmt
        .query_map([kind.uf_entity()], row_to_json)?
        .collect::<rusqlite::Result<_>>()?;
    for m in &mut out {
        if m.get("USER_TYPE_ID").and_then(Value::as_str) == Some("enumeration") {
            let id = m.get("ID").map_or(0, intval);
            m.insert("LIST".into(), Value::Array(items(db, id)?));
        }
    }
    Ok(out)
}

pub(super) fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
    let mut rows = all(call.db, kind)?;
    if let Some(filter) = array_param(call, "filter").filter(|v| is_array(v)) {
        for (key, want) in entries(filter) {
            let want = as_string(want).unwrap_or_default();
            let key = key.to_uppercase();
            // Only scalar columns filter; other keys are ignored like unknown ones.
            rows.retain(|m| match m.get(&key) {
                Some(Value::String(have)) => have.eq_ignore_ascii_case(&want),
                _ => true,
            });
        }
    }
    if let Some(order) = array_param(call, "order").filter(|v| is_array(v)) {
        let terms: Vec<(String, bool)> = entries(order)
            .into_iter()
            .map(|(k, d)| {
                (
                    k.to_uppercase(),
                    !as_string(d)
                        .unwrap_or_default()
                        .eq_ignore_ascii_case("DESC"),
                )
            })
            .collect();
        rows.sort_by(|a, b| {
            for (key, asc) in &terms {
                let ord = if key == "ID" || key == "SORT" {
                    let n = |m: &Map<String, Value>| m.get(key).map_or(0, intval);
                    n(a).cmp(&n(b))
                } else {
                    let t =
                        |m: &Map<String, Value>| m.get(key).and_then(as_string).unwrap_or_default();
                    t(a).cmp(&t(b))
                };
                let ord = if *asc { ord } else { ord.reverse() };
                if ord.is_ne() {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    Ok(Output::new(Value::Array(
        rows.into_iter().map(Value::Object).collect(),
    )))
}

fn find(call: &Call<'_>) -> Result<(Kind, i64, Map<String, Value>), ApiError> {
    let kind = kind_of(call.method)?;
    let id = call.param_any(&["id", "ID"]).map_or(0, intval);
    let raw = call
        .param_any(&["id", "ID"])
        .and_then(as_string)
        .unwrap_or_default();
    let sql = format!("SELECT {COLUMNS} FROM crm_userfield WHERE id = ?1 AND entity_id = ?2");
    let row = call
        .db
        .query_row(&sql, params![id, kind.uf_entity()], row_to_json)
        .optional()?;
    match row {
        Some(mut m) => {
            if m.get("USER_TYPE_ID").and_then(Value::as_str) == Some("enumeration") {
                m.insert("LIST".into(), Value::Array(items(call.db, id)?));
            }
            Ok((kind, id, m))
        }
        None => Err(ApiError::bad_request(
            "ERROR_NOT_FOUND",
            format!("The entity with ID '{raw}' is not found."),
        )),
    }
}

pub(super) fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let (_, _, m) = find(call)?;
    Ok(Output::new(Value::Object(m)))
}

pub(super) fn update(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let (_, id, current) = find(call)?;
    let def = match array_param(call, "fields") {
        Some(Value::Object(m)) => m.clone(),
        _ => return Err(ApiError::crm("The parameter 'fields' must be array.")),
    };
    // FIELD_NAME, USER_TYPE_ID, ENTITY_ID and MULTIPLE cannot change after creation.
    if let Some(sort) = def.get("SORT") {
        call.db.execute(
            "UPDATE crm_userfield SET sort = ?1 WHERE id = ?2",
            params![intval(sort), id],
        )?;
    }
    if def.contains_key("XML_ID") {
        call.db.execute(
            "UPDATE crm_userfield SET xml_id = ?1 WHERE id = ?2",
            params![text(&def, "XML_ID"), id],
        )?;
    }
    for key in FLAGS {
        if let Some(v) = def.get(key) {
            let col = key.to_lowercase();
            let sql = format!("UPDATE crm_userfield SET {col} = ?1 WHERE id = ?2");
            call.db.execute(&sql, params![yn(Some(v), "N"), id])?;
        }
    }
    if let Some(s) = def.get("SETTINGS").filter(|v| is_array(v)) {
        call.db.execute(
            "UPDATE crm_userfield SET settings = ?1 WHERE id = ?2",
            params![s.to_string(), id],
        )?;
    }
    let mut labels = Map::new();
    for key in LABELS {
        let v = def
            .get(key)
            .and_then(label)
            .or_else(|| def.get("LABEL").and_then(label));
        let v = v
            .map(Value::String)
            .or_else(|| current.get(key).cloned())
            .unwrap_or(json!(""));
        labels.insert(key.into(), v);
    }
    call.db.execute(
        "UPDATE crm_userfield SET labels = ?1 WHERE id = ?2",
        params![Value::Object(labels).to_string(), id],
    )?;
    if let Some(list) = def.get("LIST") {
        write_items(call.db, id, list)?;
    }
    Ok(Output::new(true))
}

pub(super) fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let (kind, id, current) = find(call)?;
    let name = current
        .get("FIELD_NAME")
        .and_then(as_string)
        .unwrap_or_default();
    call.db
        .execute("DELETE FROM crm_userfield WHERE id = ?1", [id])?;
    call.db
        .execute("DELETE FROM crm_userfield_enum WHERE field_id = ?1", [id])?;
    call.db.execute(
        "DELETE FROM crm_uf_value WHERE entity_type_id = ?1 AND field_name = ?2",
        params![kind.type_id(), name],
    )?;
    Ok(Output::new(true))
}

/// The user-field entries of `crm.X.fields`: `isDynamic: true`, the labels, `settings`, and
/// `items` for enumerations.
pub fn describe(db: &Connection, kind: Kind) -> rusqlite::Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    for m in all(db, kind)? {
        let s = |k: &str| m.get(k).and_then(as_string).unwrap_or_default();
        let name = s("FIELD_NAME");
        let mut d = json!({
            "type": s("USER_TYPE_ID"),
            "isRequired": s("MANDATORY") == "Y",
            "isReadOnly": false,
            "isImmutable": false,
            "isMultiple": s("MULTIPLE") == "Y",
            "isDynamic": true,
            "title": name,
            "listLabel": s("LIST_COLUMN_LABEL"),
            "formLabel": s("EDIT_FORM_LABEL"),
            "filterLabel": s("LIST_FILTER_LABEL"),
            "settings": m.get("SETTINGS").cloned().unwrap_or(json!([])),
        });
        if let Some(Value::Array(list)) = m.get("LIST") {
            let items: Vec<Value> = list
                .iter()
                .map(|i| json!({"ID": i.get("ID").cloned().unwrap_or(Value::Null), "VALUE": i.get("VALUE").cloned().unwrap_or(Value::Null)}))
                .collect();
            d["items"] = Value::Array(items);
        }
        out.push((name, d));
    }
    Ok(out)
}
