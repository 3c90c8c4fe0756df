//! Parameter access for the event methods, which upper-case every key first
//! (`array_change_key_case($params, CASE_UPPER)` in `rest/lib/api/event.php`), so `event`,
//! `EVENT` and `Event` are the same parameter.

use crate::error::ApiError;
use crate::methods::Call;
use crate::php::value::{as_string, intval};
use serde_json::Value;

/// A parameter by name, whatever the case of the key.
pub fn get<'a>(call: &'a Call<'_>, name: &str) -> Option<&'a Value> {
    call.params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// A scalar parameter as a string; absent or an array gives `""`.
pub fn text(call: &Call<'_>, name: &str) -> String {
    get(call, name).and_then(as_string).unwrap_or_default()
}

/// A required scalar parameter: missing or empty is `ERROR_ARGUMENT` "Argument 'X' is null
/// or empty" with `argument` set to the upper-case name.
pub fn required(call: &Call<'_>, name: &str) -> Result<String, ApiError> {
    let v = text(call, name);
    if v.trim().is_empty() {
        return Err(ApiError::argument_null(&name.to_uppercase()));
    }
    Ok(v)
}

/// An integer parameter after PHP `intval`, or `default` when absent.
pub fn int(call: &Call<'_>, name: &str, default: i64) -> i64 {
    get(call, name).map_or(default, intval)
}

/// Whether the caller is a portal administrator; the event queue and binding for other users
/// are reserved to them.
pub fn require_admin(call: &Call<'_>, detail: &str) -> Result<(), ApiError> {
    if call.caller.admin {
        Ok(())
    } else {
        Err(ApiError::access_denied(detail))
    }
}

/// The calling app's id (every event method is registered app-only, so a webhook never gets
/// here; the error is for safety only).
pub fn app_id(call: &Call<'_>) -> Result<i64, ApiError> {
    call.caller.app_id().ok_or_else(ApiError::wrong_auth_type)
}
