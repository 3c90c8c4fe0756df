//! The deprecated `crm.deal.productrows.set/get` and `crm.lead.productrows.set/get`
//! (orders-timeline.md §1.5): UPPER_CASE rows on the same table as `crm.item.productrow.*`,
//! classic errors (`""`, the discount errors `ERROR_CORE`), `set` replacing every row.

use super::fields::Api;
use super::owner::{code_of, Owner};
use super::row::{self, ApplyError, Row};
use super::{store, totals};
use crate::error::ApiError;
use crate::methods::crm::store::{self as crm_store, Kind};
use crate::methods::{Call, Output};
use crate::php::value::{elements, intval, is_array};
use serde_json::Value;

fn kind_of(call: &Call<'_>) -> Kind {
    if call.method.starts_with("crm.lead.") {
        Kind::Lead
    } else {
        Kind::Deal
    }
}

/// The owner named by `id`: a bad id and a missing owner are the proxy's messages.
fn owner(call: &Call<'_>) -> Result<Owner, ApiError> {
    let id = call.param_any(&["id", "ID"]).map_or(0, intval);
    if id <= 0 {
        return Err(ApiError::crm("The parameter id is invalid or not defined."));
    }
    let kind = kind_of(call);
    if !crm_store::exists(call.db, kind, id)? {
        return Err(ApiError::crm("Not found"));
    }
    Ok(Owner { kind, id })
}

/// `crm.{deal,lead}.productrows.get`: a bare array ordered by `SORT, ID`.
pub fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let owner = owner(call)?;
    let rows = store::of_owner(call.db, code_of(owner.kind), owner.id)?;
    Ok(Output::new(Value::Array(
        rows.iter().map(Row::upper).collect(),
    )))
}

/// `crm.{deal,lead}.productrows.set`: `true`; rows not sent are removed, a missing `rows`
/// clears the owner (as read in the proxy).
pub fn set(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let owner = owner(call)?;
    let rows_v = call
        .param_any(&["rows", "ROWS", "Rows"])
        .cloned()
        .unwrap_or(Value::Object(Default::default()));
    if !is_array(&rows_v) {
        return Err(ApiError::crm("The parameter rows must be array."));
    }
    let had_rows = totals::has_rows(call, owner)?;
    let mut rows = Vec::new();
    for item in elements(&rows_v) {
        let input = row::pick(item, Api::Legacy);
        let mut r = Row::new(owner.code(), owner.id);
        let notes = row::apply(call.db, &mut r, &input, Api::Legacy).map_err(|e| match e {
            // `CCrmProductRow::RegisterError` → `ThrowException` → `ERROR_CORE`, with the
            // `<br>` the docs' example shows.
            ApplyError::Refused(refused) => ApiError::core(format!("{}<br>", refused.text())),
            ApplyError::Sql(e) => e.into(),
        })?;
        for n in notes {
            call.note(format!("{}: {}", call.method, n.0));
        }
        rows.push((
            r,
            input.contains_key("PRODUCT_ID") || input.contains_key("PRODUCT_NAME"),
        ));
    }
    store::delete_owner(call.db, owner.code(), owner.id)?;
    for (r, named) in &mut rows {
        r.id = store::insert(call.db, r)?;
        if !*named && r.product_name.is_empty() {
            r.product_name = format!("[{}]", r.id);
            store::update(call.db, r)?;
        }
    }
    totals::owner_saved(call, owner, had_rows)?;
    Ok(Output::new(true))
}
