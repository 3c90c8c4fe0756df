//! `profile`, `app.info`, `scope`, `methods`, `method.get`, `server.time`,
//! `feature.get` (protocol.md §8).

use super::{Access, Call, Output, Registry};
use crate::auth::{apps, CallerKind};
use crate::error::ApiError;
use crate::php::value::{as_string, truthy};
use serde_json::{json, Value};

/// Every scope the sandbox portal knows, for `scope?full=true`.
pub const ALL_SCOPES: [&str; 13] = [
    "crm",
    "catalog",
    "user",
    "user_brief",
    "user_basic",
    "department",
    "event",
    "placement",
    "task",
    "im",
    "imbot",
    "entity",
    "disk",
];

/// Registers the system methods.
pub fn register(r: &mut Registry) {
    r.add("profile", "basic", Access::Read, profile);
    r.add("app.info", "basic", Access::Read, app_info);
    r.add("scope", "basic", Access::Read, scope);
    r.add("methods", "basic", Access::Read, methods);
    r.add("method.get", "basic", Access::Read, method_get);
    r.add("server.time", "basic", Access::Read, server_time);
    r.add("feature.get", "basic", Access::Read, feature_get);
}

fn profile(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let u = super::user::current(call)?;
    Ok(Output::new(json!({
        "ID": u.id.to_string(),
        "ADMIN": u.admin,
        "NAME": u.name,
        "LAST_NAME": u.last_name,
        "PERSONAL_GENDER": "",
        "TIME_ZONE": u.time_zone,
    })))
}

fn app_info(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let license = "en_project";
    match call.caller.kind {
        CallerKind::Webhook { .. } => Ok(Output::new(json!({
            "SCOPE": call.caller.scopes,
            "LICENSE": license,
        }))),
        CallerKind::App { app_id } => {
            let app = apps::app_by_id(call.db, app_id)?
                .ok_or_else(|| ApiError::access_denied("Application context required"))?;
            let (status, installed, version): (String, i64, String) = call.db.query_row(
                "SELECT status, installed, version FROM apps WHERE id = ?1",
                [app_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok(Output::new(json!({
                "ID": app.id.to_string(),
                "CODE": app.client_id,
                "VERSION": version.parse::<i64>().map(Value::from).unwrap_or(Value::String(version)),
                "STATUS": status,
                "INSTALLED": installed != 0,
                "PAYMENT_EXPIRED": "N",
                "DAYS": null,
                "LANGUAGE_ID": "en",
                "LICENSE": license,
                "LICENSE_TYPE": "project",
                "LICENSE_FAMILY": "project",
            })))
        }
    }
}

fn scope(call: &mut Call<'_>) -> Result<Output, ApiError> {
    if call.param("full").is_some_and(truthy) {
        return Ok(Output::new(json!(ALL_SCOPES)));
    }
    Ok(Output::new(json!(call.caller.scopes)))
}

fn methods(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let full = call.param("full").is_some_and(truthy);
    let only_scope = call.param("scope").and_then(as_string);
    let names: Vec<&str> = super::registry()
        .iter()
        .filter(|m| match &only_scope {
            Some(s) => m.scope == s,
            None => full || call.caller.has_scope(m.scope),
        })
        .map(|m| m.name)
        .collect();
    Ok(Output::new(json!(names)))
}

fn method_get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let name = call
        .param("name")
        .and_then(as_string)
        .unwrap_or_default()
        .to_lowercase();
    let spec = (!name.is_empty())
        .then(|| super::registry().get(&name))
        .flatten();
    let available = spec.is_some_and(|s| {
        call.caller.has_scope(s.scope) && (s.auth == super::AuthRule::Any || call.caller.is_app())
    });
    Ok(Output::new(json!({
        "isExisting": spec.is_some(),
        "isAvailable": available,
    })))
}

fn server_time(call: &mut Call<'_>) -> Result<Output, ApiError> {
    Ok(Output::new(json!(call.iso(call.unix_now()))))
}

fn feature_get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let code = call
        .param_any(&["CODE", "code"])
        .and_then(as_string)
        .unwrap_or_default();
    if code.is_empty() {
        return Err(ApiError::bad_request("CODE_EMPTY", "Empty feature code"));
    }
    // The sandbox portal has the extended offline events and auth connectors.
    let on = matches!(
        code.as_str(),
        "rest_offline_extended" | "rest_auth_connector"
    );
    Ok(Output::new(json!({ "value": if on { "Y" } else { "N" } })))
}
