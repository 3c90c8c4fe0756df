//! `crm.deal.contact.*` (orders-timeline.md §3): the classic binding proxy
//! (`CCrmEntityBindingProxy`), UPPER_CASE fields, `""` errors with its exact messages.

use super::store::{self, Wanted};
use crate::error::ApiError;
use crate::methods::crm::params::array_param;
use crate::methods::crm::store::{self as crm_store, Kind};
use crate::methods::{Call, Output};
use crate::php::value::{as_string, elements, intval, is_array};
use serde_json::{json, Value};

/// The deal named by `id`. `quoted` picks the message variant: add and delete quote the
/// parameter name, the `items.*` methods do not; `period` whether "Not found" ends with one.
fn deal(call: &Call<'_>, quoted: bool, period: bool) -> Result<i64, ApiError> {
    let id = call.param_any(&["id", "ID"]).map_or(0, intval);
    if id <= 0 {
        return Err(ApiError::crm(if quoted {
            "The parameter 'ownerEntityID' is invalid or not defined."
        } else {
            "The parameter ownerEntityID is invalid or not defined."
        }));
    }
    if !crm_store::exists(call.db, Kind::Deal, id)? {
        return Err(ApiError::crm(if period {
            "Not found."
        } else {
            "Not found"
        }));
    }
    Ok(id)
}

fn yes(v: Option<&Value>) -> bool {
    v.and_then(as_string)
        .is_some_and(|s| s.eq_ignore_ascii_case("Y"))
}

/// `crm.deal.contact.fields`.
pub fn fields(_call: &mut Call<'_>) -> Result<Output, ApiError> {
    let f = |ty: &str, required: bool, title: &str| {
        json!({"type": ty, "isRequired": required, "isReadOnly": false, "isImmutable": false,
            "isMultiple": false, "isDynamic": false, "title": title})
    };
    Ok(Output::new(json!({
        "CONTACT_ID": f("integer", true, "Contact"),
        "SORT": f("integer", false, "Sort"),
        "ROLE_ID": f("integer", false, "Role"),
        "IS_PRIMARY": f("char", false, "Primary"),
    })))
}

/// `crm.deal.contact.add`: `true`, or `false` when the contact is already bound.
pub fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let deal_id = deal(call, true, true)?;
    let Some(fields) = array_param(call, "fields").filter(|v| is_array(v)) else {
        return Err(ApiError::crm("The parameter 'fields' must be array."));
    };
    let contact_id = fields.get("CONTACT_ID").map_or(0, intval);
    if contact_id <= 0 {
        return Err(ApiError::crm("The parameter 'fields' is not valid."));
    }
    let sort = fields.get("SORT").map(intval);
    let primary = yes(fields.get("IS_PRIMARY"));
    Ok(Output::new(store::add(
        call.db, deal_id, contact_id, sort, primary,
    )?))
}

/// `crm.deal.contact.delete`: `true`, or `false` when the contact was not bound.
pub fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let deal_id = deal(call, true, true)?;
    let Some(fields) = array_param(call, "fields").filter(|v| is_array(v)) else {
        return Err(ApiError::crm("The parameter 'item' must be array."));
    };
    let contact_id = fields.get("CONTACT_ID").map_or(0, intval);
    if contact_id <= 0 {
        return Err(ApiError::crm("The parameter 'fields' is not valid."));
    }
    Ok(Output::new(store::remove(call.db, deal_id, contact_id)?))
}

/// `crm.deal.contact.items.get`: `[{CONTACT_ID, SORT, ROLE_ID, IS_PRIMARY}]` by sort.
pub fn items_get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let deal_id = deal(call, false, false)?;
    let rows: Vec<Value> = store::items(call.db, deal_id)?
        .into_iter()
        .map(|b| {
            json!({"CONTACT_ID": b.contact_id, "SORT": b.sort, "ROLE_ID": b.role_id,
                "IS_PRIMARY": if b.primary { "Y" } else { "N" }})
        })
        .collect();
    Ok(Output::new(Value::Array(rows)))
}

/// `crm.deal.contact.items.set`: replaces the bindings; the first item marked primary (else
/// the first item) is primary, sort defaults to `(i+1)·10`.
pub fn items_set(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let deal_id = deal(call, false, true)?;
    let Some(items) = array_param(call, "items").filter(|v| is_array(v)).cloned() else {
        return Err(ApiError::crm("The parameter items must be array."));
    };
    let mut wanted = Vec::new();
    for item in elements(&items) {
        let contact_id = item.get("CONTACT_ID").map_or(0, intval);
        if contact_id <= 0 {
            return Err(ApiError::core(
                "The parameter 'items' contains an invalid binding: CONTACT_ID is required.",
            ));
        }
        wanted.push(Wanted {
            contact_id,
            sort: item.get("SORT").map(intval),
            primary: yes(item.get("IS_PRIMARY")),
        });
    }
    store::replace(call.db, deal_id, &store::normalize(&wanted))?;
    Ok(Output::new(true))
}

/// `crm.deal.contact.items.delete`: unbinds every contact.
pub fn items_delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let deal_id = deal(call, false, false)?;
    store::replace(call.db, deal_id, &[])?;
    Ok(Output::new(true))
}
