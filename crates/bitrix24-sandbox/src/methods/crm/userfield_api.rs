//! `crm.{lead,deal,contact,company}.userfield.{add,list,get,update,delete}`
//! (protocol.md §5.7) and the user-field part of `crm.X.fields`.

use super::classic::array_param;
use super::entity::Kind;
use super::userfield::TYPES;
use crate::error::ApiError;
use crate::methods::{Call, Output, Registry};
use crate::php::value::{as_string, entries, intval, is_array};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Map, Value};

pub(super) const LABELS: [&str; 5] = [
    "EDIT_FORM_LABEL",
    "LIST_COLUMN_LABEL",
    "LIST_FILTER_LABEL",
    "ERROR_MESSAGE",
    "HELP_MESSAGE",
];
pub(super) const FLAGS: [&str; 5] = [
    "MANDATORY",
    "SHOW_FILTER",
    "SHOW_IN_LIST",
    "EDIT_IN_LIST",
    "IS_SEARCHABLE",
];

/// Registers the user-field methods of the four entities.
pub fn register(r: &mut Registry) {
    const NAMES: [[&str; 5]; 4] = [
        [
            "crm.lead.userfield.add",
            "crm.lead.userfield.list",
            "crm.lead.userfield.get",
            "crm.lead.userfield.update",
            "crm.lead.userfield.delete",
        ],
        [
            "crm.deal.userfield.add",
            "crm.deal.userfield.list",
            "crm.deal.userfield.get",
            "crm.deal.userfield.update",
            "crm.deal.userfield.delete",
        ],
        [
            "crm.contact.userfield.add",
            "crm.contact.userfield.list",
            "crm.contact.userfield.get",
            "crm.contact.userfield.update",
            "crm.contact.userfield.delete",
        ],
        [
            "crm.company.userfield.add",
            "crm.company.userfield.list",
            "crm.company.userfield.get",
            "crm.company.userfield.update",
            "crm.company.userfield.delete",
        ],
    ];
    use super::userfield_rows::{delete, get, list, update};
    let handlers: [crate::methods::Handler; 5] = [add, list, get, update, delete];
    for names in NAMES {
        for (name, h) in names.into_iter().zip(handlers) {
            r.add(name, "crm", h);
        }
    }
}

pub(super) fn kind(call: &Call<'_>) -> Result<Kind, ApiError> {
    super::classic::kind_of(call.method)
}

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
    v.map_or(default.to_string(), |x| super::values::flag(x).to_string())
}

/// The `fields` of a userfield call, or the top-level params when `fields` is absent.
fn definition(call: &Call<'_>) -> Map<String, Value> {
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

pub(super) fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind(call)?;
    let def = definition(call);
    let raw_name = text(&def, "FIELD_NAME");
    if raw_name.is_empty() {
        return Err(ApiError::crm("The 'FIELD_NAME' field is not found."));
    }
    let type_id = text(&def, "USER_TYPE_ID");
    if type_id.is_empty() {
        return Err(ApiError::crm("The 'USER_TYPE_ID' field is not found."));
    }
    let name = normalize_name(&raw_name);
    // CUserTypeEntity::CheckFields texts (English lang files are not public; wording ours).
    if !name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(ApiError::core(
            "The field code may contain only Latin letters, digits and underscores.",
        ));
    }
    if name.len() > 50 {
        return Err(ApiError::core(
            "The field code is too long (50 characters maximum).",
        ));
    }
    if !TYPES.contains(&type_id.as_str()) {
        return Err(ApiError::core(format!(
            "The field type '{type_id}' is invalid."
        )));
    }
    let exists: Option<i64> = call
        .db
        .query_row(
            "SELECT id FROM crm_userfield WHERE entity_id = ?1 AND field_name = ?2",
            params![kind.uf_entity(), name],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_some() {
        return Err(ApiError::core(format!(
            "A field with the code {name} already exists for the object {}.",
            kind.uf_entity()
        )));
    }
    // Boolean fields cannot be multiple.
    let multiple = if type_id == "boolean" {
        "N".into()
    } else {
        yn(def.get("MULTIPLE"), "N")
    };
    let mut labels = Map::new();
    let base = def.get("LABEL").and_then(label);
    for key in LABELS {
        let v = def.get(key).and_then(label).or_else(|| {
            base.clone()
                .filter(|_| key != "ERROR_MESSAGE" && key != "HELP_MESSAGE")
        });
        labels.insert(key.into(), json!(v.unwrap_or_default()));
    }
    let settings = def
        .get("SETTINGS")
        .filter(|v| is_array(v))
        .cloned()
        .unwrap_or(json!([]));
    let sort = def.get("SORT").map_or(100, intval);
    call.db.execute(
        "INSERT INTO crm_userfield (entity_id, field_name, user_type_id, xml_id, sort, multiple,
           mandatory, show_filter, show_in_list, edit_in_list, is_searchable, settings, labels)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            kind.uf_entity(),
            name,
            type_id,
            text(&def, "XML_ID"),
            sort,
            multiple,
            yn(def.get("MANDATORY"), "N"),
            yn(def.get("SHOW_FILTER"), "N"),
            yn(def.get("SHOW_IN_LIST"), "Y"),
            yn(def.get("EDIT_IN_LIST"), "Y"),
            yn(def.get("IS_SEARCHABLE"), "N"),
            settings.to_string(),
            Value::Object(labels).to_string(),
        ],
    )?;
    let id = call.db.last_insert_rowid();
    if type_id == "enumeration" {
        if let Some(list) = def.get("LIST") {
            write_items(call.db, id, list)?;
        }
    }
    Ok(Output::new(id))
}

/// Adds, changes (`ID`) or deletes (`ID` + `DEL=Y`) enumeration items; a repeated `XML_ID`
/// is an `ERROR_CORE`.
pub(super) fn write_items(db: &Connection, field_id: i64, list: &Value) -> Result<(), ApiError> {
    for (_, item) in entries(list) {
        let Value::Object(m) = item else { continue };
        let item_id = m.get("ID").map_or(0, intval);
        if item_id > 0 && m.get("DEL").is_some_and(|v| super::values::flag(v) == "Y") {
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
