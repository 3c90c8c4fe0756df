//! `crm.item.add` / `crm.item.update`: camelCase fields into the classic storage.
//!
//! `fm` (multifield) writes go through the classic multifield merge (see `fm.rs`).

use super::names;
use crate::error::ApiError;
use crate::methods::crm::binding;
use crate::methods::crm::directory;
use crate::methods::crm::entity::Kind;
use crate::methods::crm::multifield;
use crate::methods::crm::store;
use crate::methods::crm::userfield;
use crate::methods::crm::values;
use crate::methods::{Call, Output};
use crate::php::value::{elements, entries, intval, is_array};
use serde_json::{json, Map, Value};

/// Stored-form columns and user-field values taken from an item `fields` object.
struct Input {
    columns: Map<String, Value>,
    uf: Vec<(String, Vec<Value>)>,
    /// Multifields in the classic `fields` shape.
    multi: Map<String, Value>,
    /// A deal's `contactIds` (or `contactId`): the contacts to bind, replacing the bindings.
    contacts: Option<Vec<i64>>,
}

fn fields_param<'a>(call: &'a Call<'_>) -> Result<&'a Value, ApiError> {
    let v = super::required(call, "fields")?;
    if is_array(v) {
        Ok(v)
    } else {
        Err(ApiError::bad_request(
            "INVALID_ARG_VALUE",
            "Parameter 'fields' must be array",
        ))
    }
}

/// Unknown and read-only fields are dropped (immutable ones too on update), as the factory
/// operation does.
fn internalize(
    call: &mut Call<'_>,
    kind: Kind,
    fields: &Value,
    update: bool,
) -> Result<Input, ApiError> {
    let offset = call.portal.config.utc_offset;
    let ufs = userfield::defs(call.db, kind)?;
    let mut input = Input {
        columns: Map::new(),
        uf: Vec::new(),
        multi: Map::new(),
        contacts: None,
    };
    let mut contact_ids = None;
    for (key, v) in entries(fields) {
        if let Some(f) = names::field_of(kind, &key) {
            if f.read_only() || (update && f.immutable()) {
                continue;
            }
            if let Some(stored) = values::internalize(f, v, offset) {
                input.columns.insert(f.name.to_string(), stored);
            }
        } else if let Some(def) = ufs
            .iter()
            .find(|u| u.field_name == key || names::uf_camel(&u.field_name) == key)
        {
            input.uf.push((
                def.field_name.clone(),
                userfield::internalize(def, v, offset),
            ));
        } else if key == "fm" && kind.has_multifields() {
            input.multi = super::fm::to_classic(v);
        } else if key == "contactIds" && kind == Kind::Deal {
            contact_ids = Some(
                elements(v)
                    .into_iter()
                    .map(intval)
                    .filter(|id| *id > 0)
                    .collect(),
            );
        }
    }
    if kind == Kind::Deal {
        // `contactId` is the single-value view of `contactIds`; the column follows the primary.
        input.contacts = binding::take_deal_contacts(&mut input.columns, contact_ids);
    }
    let errors = multifield::validate(kind, &input.multi);
    if !errors.is_empty() {
        return Err(ApiError::bad_request(
            "CRM_FIELD_ERROR_VALUE_NOT_VALID",
            errors.join("<br />"),
        ));
    }
    Ok(input)
}

/// Fills the stage and its semantics from the directories.
fn stage_defaults(
    call: &Call<'_>,
    kind: Kind,
    cols: &mut Map<String, Value>,
) -> Result<(), ApiError> {
    let (field, semantic, entity) = match kind {
        Kind::Lead => ("STATUS_ID", "STATUS_SEMANTIC_ID", "STATUS".to_string()),
        Kind::Deal => {
            let category = cols.get("CATEGORY_ID").map_or(0, intval);
            (
                "STAGE_ID",
                "STAGE_SEMANTIC_ID",
                directory::stage_entity(category),
            )
        }
        _ => return Ok(()),
    };
    let current = cols
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let stage = match current {
        Some(s) => Some(s),
        None => directory::first_status(call.db, &entity)?,
    };
    if let Some(stage) = stage {
        if let Some(sem) = directory::semantic_id(call.db, &entity, &stage)? {
            cols.insert(semantic.to_string(), json!(sem));
        }
        cols.insert(field.to_string(), json!(stage));
    }
    Ok(())
}

/// `crm.item.add`: `{"item": {...}}`.
pub fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = super::kind_of(call)?;
    let fields = fields_param(call)?.clone();
    let mut input = internalize(call, kind, &fields, false)?;
    let user = call.caller.user_id;
    let now = call.unix_now();
    let cols = &mut input.columns;
    for (k, v) in [
        ("CREATED_BY_ID", json!(user)),
        ("MODIFY_BY_ID", json!(user)),
        ("DATE_CREATE", json!(now)),
        ("DATE_MODIFY", json!(now)),
    ] {
        if kind.field(k).is_some() {
            cols.insert(k.to_string(), v);
        }
    }
    if cols.get("ASSIGNED_BY_ID").is_none_or(Value::is_null) {
        cols.insert("ASSIGNED_BY_ID".into(), json!(user));
    }
    if kind.field("OPENED").is_some() && !cols.contains_key("OPENED") {
        cols.insert("OPENED".into(), json!("Y"));
    }
    if kind == Kind::Deal && !cols.contains_key("CATEGORY_ID") {
        cols.insert("CATEGORY_ID".into(), json!(0));
    }
    stage_defaults(call, kind, &mut input.columns)?;
    let id = store::insert(call.db, kind, &input.columns)?;
    if let Some(ids) = &input.contacts {
        binding::store::replace_ids(call.db, id, ids)?;
    }
    userfield::write(call.db, kind, id, &input.uf)?;
    multifield::merge(call.db, kind, id, &input.multi)?;
    call.raise(
        &format!("ONCRM{}ADD", kind.upper()),
        json!({"FIELDS": {"ID": id}}),
    );
    Ok(Output::new(json!({ "item": super::load(call, kind, id)? })))
}

/// `crm.item.update`: `{"item": {...}}`; nothing changed means nothing saved.
pub fn update(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = super::kind_of(call)?;
    let id = intval(super::required(call, "id")?);
    let fields = fields_param(call)?.clone();
    let before = store::get(call.db, kind, id)?.ok_or_else(super::not_found)?;
    let mut input = internalize(call, kind, &fields, true)?;
    input.columns.retain(|k, v| before.fields.get(k) != Some(v));
    let uf_changed = input.uf.iter().any(|(name, vals)| {
        before
            .uf
            .get(name)
            .cloned()
            .unwrap_or(Value::Array(Vec::new()))
            != Value::Array(vals.clone())
    });
    let contacts_changed = match &input.contacts {
        Some(ids) => *ids != binding::store::contact_ids(call.db, id)?,
        None => false,
    };
    if input.columns.is_empty() && !uf_changed && input.multi.is_empty() && !contacts_changed {
        return Ok(Output::new(json!({ "item": super::load(call, kind, id)? })));
    }
    if input.columns.contains_key("STATUS_ID") || input.columns.contains_key("STAGE_ID") {
        if kind == Kind::Deal {
            let category = before
                .fields
                .get("CATEGORY_ID")
                .cloned()
                .unwrap_or(json!(0));
            input.columns.insert("CATEGORY_ID".into(), category);
        }
        stage_defaults(call, kind, &mut input.columns)?;
        input
            .columns
            .insert("MOVED_BY_ID".into(), json!(call.caller.user_id));
        input
            .columns
            .insert("MOVED_TIME".into(), json!(call.unix_now()));
    }
    input
        .columns
        .insert("MODIFY_BY_ID".into(), json!(call.caller.user_id));
    input
        .columns
        .insert("DATE_MODIFY".into(), json!(call.unix_now()));
    store::update(call.db, kind, id, &input.columns)?;
    if let Some(ids) = input.contacts.as_ref().filter(|_| contacts_changed) {
        binding::store::replace_ids(call.db, id, ids)?;
    }
    crate::methods::crm::productrow::totals::owner_updated(call.db, kind, id)?;
    userfield::write(call.db, kind, id, &input.uf)?;
    multifield::merge(call.db, kind, id, &input.multi)?;
    call.raise(
        &format!("ONCRM{}UPDATE", kind.upper()),
        json!({"FIELDS": {"ID": id}}),
    );
    Ok(Output::new(json!({ "item": super::load(call, kind, id)? })))
}
