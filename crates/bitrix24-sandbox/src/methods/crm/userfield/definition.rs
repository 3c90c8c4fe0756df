//! A user-field definition as a caller writes it (`fields` of `userfield.add`/`update`):
//! labels in one or several languages, `Y`/`N` flags, the `UF_CRM_` name, enumeration items.

use crate::error::ApiError;
use crate::methods::crm::params::array_param;
use crate::methods::crm::values;
use crate::methods::Call;
use crate::php::value::{as_string, entries, intval};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

/// The label keys of a definition, in the portal's order.
pub(super) const LABELS: [&str; 5] = [
    "EDIT_FORM_LABEL",
    "LIST_COLUMN_LABEL",
    "LIST_FILTER_LABEL",
    "ERROR_MESSAGE",
    "HELP_MESSAGE",
];
/// The `Y`/`N` flags of a definition besides `MULTIPLE`, in the portal's order.
pub(super) const FLAGS: [&str; 5] = [
    "MANDATORY",
    "SHOW_FILTER",
    "SHOW_IN_LIST",
    "EDIT_IN_LIST",
    "IS_SEARCHABLE",
];

/// A label given as a string or a language map (`{"en": "..."}`: English, else the first).
pub(super) fn label(v: &Value) -> Option<String> {
    match v {
        Value::Object(m) => m
            .get("en")
            .or_else(|| m.values().next())
            .and_then(as_string),
        other => as_string(other),
    }
}

pub(super) fn yn(v: Option<&Value>, default: &str) -> String {
    v.map_or(default.to_string(), |x| values::flag(x).to_string())
}

/// The `fields` of a userfield call, or the top-level params when `fields` is absent.
pub(super) fn definition(call: &Call<'_>) -> Map<String, Value> {
    match array_param(call, "fields") {
        Some(Value::Object(m)) => m.clone(),
        _ => call.params.clone(),
    }
}

pub(super) fn text(m: &Map<String, Value>, key: &str) -> String {
    m.get(key)
        .and_then(as_string)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Forces the `UF_CRM_` prefix and upper case: `X` → `UF_CRM_X`, `UF_X` → `UF_CRM_X`.
pub fn normalize_name(raw: &str) -> String {
    let up = raw.trim().to_uppercase();
    if up.starts_with("UF_CRM_") {
        up
    } else if let Some(rest) = up.strip_prefix("UF_") {
        format!("UF_CRM_{rest}")
    } else {
        format!("UF_CRM_{up}")
    }
}

/// Adds, changes (`ID`) or deletes (`ID` + `DEL=Y`) enumeration items; a repeated `XML_ID`
/// is an `ERROR_CORE`.
pub(super) fn write_items(db: &Connection, field_id: i64, list: &Value) -> Result<(), ApiError> {
    for (_, item) in entries(list) {
        let Value::Object(m) = item else { continue };
        let item_id = m.get("ID").map_or(0, intval);
        if item_id > 0 && m.get("DEL").is_some_and(|v| values::flag(v) == "Y") {
            db.execute(
                "DELETE FROM crm_userfield_enum WHERE id = ?1 AND field_id = ?2",
                [item_id, field_id],
            )?;
            continue;
        }
        let value = text(m, "VALUE");
        if value.is_empty() {
            continue;
        }
        let xml = match text(m, "XML_ID") {
            x if x.is_empty() => md5_hex(&value),
            x => x,
        };
        let taken: Option<i64> = db
            .query_row(
                "SELECT id FROM crm_userfield_enum WHERE field_id = ?1 AND xml_id = ?2 AND id <> ?3",
                params![field_id, xml, item_id],
                |r| r.get(0),
            )
            .optional()?;
        if taken.is_some() {
            return Err(ApiError::core(format!(
                "The list item XML_ID '{xml}' is not unique."
            )));
        }
        let def = yn(m.get("DEF"), "N");
        let sort = m.get("SORT").map_or(500, intval);
        let updated = item_id > 0
            && db.execute(
                "UPDATE crm_userfield_enum SET value = ?1, def = ?2, sort = ?3, xml_id = ?4
                 WHERE id = ?5 AND field_id = ?6",
                params![value, def, sort, xml, item_id, field_id],
            )? > 0;
        if !updated {
            db.execute(
                "INSERT INTO crm_userfield_enum (field_id, value, def, sort, xml_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![field_id, value, def, sort, xml],
            )?;
        }
    }
    Ok(())
}

/// Hex MD5 of a text, the portal's default enumeration XML_ID.
fn md5_hex(s: &str) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(s.as_bytes()))
}
