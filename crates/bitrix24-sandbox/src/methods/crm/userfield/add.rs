//! `crm.{lead,deal,contact,company}.userfield.add`: a new user-field definition (protocol.md
//! §5.7), checked as `CUserTypeEntity::CheckFields` does.

use super::definition::{definition, label, normalize_name, text, write_items, yn, LABELS};
use super::values::TYPES;
use crate::error::ApiError;
use crate::methods::crm::params::kind_of;
use crate::methods::{Call, Output};
use crate::php::value::{intval, is_array};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Map, Value};

pub(super) fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call.method)?;
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
