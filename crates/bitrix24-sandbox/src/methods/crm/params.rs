//! The parameter conventions of the classic CRM REST proxies (`CCrmRestProxyBase`), shared by
//! the entity methods and their user-field methods: the kind named in the method, array
//! parameters under their accepted spellings, the entity `id`.

use super::entity::Kind;
use crate::error::ApiError;
use crate::methods::Call;
use crate::php::value::intval;
use serde_json::Value;

/// The entity kind of a `crm.<kind>.<action>` method name.
pub fn kind_of(method: &str) -> Result<Kind, ApiError> {
    method
        .split('.')
        .nth(1)
        .and_then(Kind::from_name)
        .ok_or_else(ApiError::method_not_found)
}

/// An array parameter under its accepted spellings (`resolveArrayParam`): as given, UPPER,
/// Capitalized or `ar`+Capitalized.
pub fn array_param<'c>(call: &'c Call<'_>, name: &str) -> Option<&'c Value> {
    let upper = name.to_uppercase();
    let cap = format!(
        "{}{}",
        name.get(..1).unwrap_or("").to_uppercase(),
        name.get(1..).unwrap_or("")
    );
    let ar = format!("ar{cap}");
    call.param_any(&[name, upper.as_str(), cap.as_str(), ar.as_str()])
}

/// The `id` parameter: a positive integer or "ID is not defined or invalid.".
pub fn entity_id(call: &Call<'_>) -> Result<i64, ApiError> {
    let id = call.param_any(&["id", "ID"]).map_or(0, intval);
    if id <= 0 {
        return Err(ApiError::crm("ID is not defined or invalid."));
    }
    Ok(id)
}
