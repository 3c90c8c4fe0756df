//! `crm.item.*`: the universal CRM API over the classic lead/deal/contact/company storage
//! (protocol.md §5.3, §4.3-4.5): camelCase, case-sensitive parameters, typed values,
//! `result.item` / `result.items`, controller-style errors (`NOT_FOUND`, `INVALID_ARG_VALUE`).

pub mod fm;
pub mod list;
pub mod names;
pub mod write;

use super::entity::{Kind, MULTI_TYPES};
use super::store::{self, Record};
use super::userfield;
use crate::error::ApiError;
use crate::methods::{Access, Call, Output, Registry};
use crate::php::value::{intval, truthy};
use serde_json::{json, Map, Value};

/// Registers `crm.item.*`.
pub fn register(r: &mut Registry) {
    r.add("crm.item.fields", "crm", Access::Read, fields);
    r.add("crm.item.get", "crm", Access::Read, get);
    r.add("crm.item.list", "crm", Access::Read, list::list);
    r.add("crm.item.add", "crm", Access::Write, write::add);
    r.add("crm.item.update", "crm", Access::Write, write::update);
    r.add("crm.item.delete", "crm", Access::Write, delete);
}

/// A required controller parameter, by its exact (case-sensitive) name: `"100"` when missing.
pub(crate) fn required<'a>(call: &'a Call<'_>, name: &str) -> Result<&'a Value, ApiError> {
    crate::methods::engine::required(call, name)
}

/// `entityTypeId` → the kind; anything but 1-4 is "Smart process not found".
pub(crate) fn kind_of(call: &Call<'_>) -> Result<Kind, ApiError> {
    let id = intval(required(call, "entityTypeId")?);
    Kind::from_type_id(id)
        .ok_or_else(|| ApiError::bad_request("NOT_FOUND", "Smart process not found"))
}

/// The `NOT_FOUND` "Element not found" error.
pub(crate) fn not_found() -> ApiError {
    ApiError::bad_request("NOT_FOUND", "Element not found")
}

/// `useOriginalUfNames=Y` keeps `UF_CRM_…` names.
fn original_uf_names(call: &Call<'_>) -> bool {
    call.param("useOriginalUfNames")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("Y"))
        || call
            .param("useOriginalUfNames")
            .is_some_and(|v| v.is_boolean() && truthy(v))
}

/// An item as `crm.item.get` prints it. `with_fm` adds `fm` and the `phone`/`email` aliases.
pub(crate) fn render(
    call: &Call<'_>,
    kind: Kind,
    rec: &Record,
    ufs: &[userfield::UfDef],
    with_fm: bool,
) -> Result<Value, ApiError> {
    let offset = call.portal.config.utc_offset;
    let original = original_uf_names(call);
    let mut item = Map::new();
    for (name, v) in &rec.fields {
        if let Some(f) = kind.field(name) {
            item.insert(names::camel(name), names::item_value(f, v, offset));
        }
    }
    if kind == Kind::Deal {
        // The bindings in card order.
        let ids = super::binding::store::contact_ids(call.db, rec.id)?;
        item.insert("contactIds".into(), json!(ids));
    }
    item.insert("entityTypeId".into(), json!(kind.type_id()));
    if with_fm && kind.has_multifields() {
        let fm: Vec<Value> = rec
            .multi
            .iter()
            .map(|m| json!({"id": m.id, "valueType": m.value_type, "value": m.value, "typeId": m.type_id}))
            .collect();
        for (alias, type_id) in [("phone", "PHONE"), ("email", "EMAIL")] {
            let first = rec.multi.iter().find(|m| m.type_id == type_id);
            item.insert(alias.into(), json!(first.map(|m| m.value.clone())));
        }
        item.insert("fm".into(), Value::Array(fm));
    }
    for (name, stored) in &rec.uf {
        let key = if original {
            name.clone()
        } else {
            names::uf_camel(name)
        };
        let multiple = ufs.iter().any(|d| &d.field_name == name && d.multiple);
        let value = match stored {
            Value::Array(list) if !multiple => list.first().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        item.insert(key, value);
    }
    Ok(Value::Object(item))
}

/// One full item (every field, multifield and user field) or `NOT_FOUND`.
pub(crate) fn load(call: &Call<'_>, kind: Kind, id: i64) -> Result<Value, ApiError> {
    let rec = store::get(call.db, kind, id)?.ok_or_else(not_found)?;
    let ufs = userfield::defs(call.db, kind)?;
    let mut item = render(call, kind, &rec, &ufs, true)?;
    // Empty user fields are present too, as `null`.
    if let Value::Object(map) = &mut item {
        let original = original_uf_names(call);
        for def in ufs {
            let key = if original {
                def.field_name.clone()
            } else {
                names::uf_camel(&def.field_name)
            };
            map.entry(key).or_insert(Value::Null);
        }
    }
    Ok(item)
}

fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call)?;
    let id = intval(required(call, "id")?);
    Ok(Output::new(json!({ "item": load(call, kind, id)? })))
}

fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call)?;
    let id = intval(required(call, "id")?);
    if !super::removal::delete(call.db, kind, id)? {
        return Err(not_found());
    }
    call.raise(
        &format!("ONCRM{}DELETE", kind.upper()),
        json!({"FIELDS": {"ID": id}}),
    );
    // `deleteAction` returns an empty array, which prints as `[]`.
    Ok(Output::new(Value::Array(Vec::new())))
}

fn fields(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let kind = kind_of(call)?;
    let mut out = Map::new();
    for f in kind.fields().iter().filter(|f| f.storage.has_column()) {
        out.insert(
            names::camel(f.name),
            json!({
                "type": f.ty, "isRequired": f.required(), "isReadOnly": f.read_only(),
                "isImmutable": f.immutable(), "isMultiple": f.multiple(), "isDynamic": false,
                "title": f.title, "upperName": f.name,
            }),
        );
    }
    if kind == Kind::Deal {
        out.insert(
            "contactIds".into(),
            json!({"type": "crm_contact", "isRequired": false, "isReadOnly": false,
                "isImmutable": false, "isMultiple": true, "isDynamic": false,
                "title": "Contacts", "upperName": "CONTACT_IDS"}),
        );
    }
    if kind.has_multifields() {
        out.insert(
            "fm".into(),
            json!({"type": "crm_multifield", "isRequired": false, "isReadOnly": false,
                "isImmutable": false, "isMultiple": true, "isDynamic": false,
                "title": "Multifields", "upperName": "FM", "typeIds": MULTI_TYPES}),
        );
    }
    let original = original_uf_names(call);
    for def in userfield::defs(call.db, kind)? {
        let key = if original {
            def.field_name.clone()
        } else {
            names::uf_camel(&def.field_name)
        };
        out.insert(
            key,
            json!({"type": def.user_type_id, "isRequired": def.mandatory, "isReadOnly": false,
                "isImmutable": false, "isMultiple": def.multiple, "isDynamic": true,
                "title": def.field_name, "upperName": def.field_name}),
        );
    }
    Ok(Output::new(json!({ "fields": out })))
}
