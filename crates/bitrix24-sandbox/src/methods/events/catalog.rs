//! The events an app can bind, with the scope each belongs to, and the `events` method.
//!
//! The portal builds its event list from the scopes of the calling app
//! (`CRestUtil::getEventList`), so binding an event of a scope the app lacks fails the same
//! way as an unknown name: `ERROR_EVENT_NOT_FOUND`.

use super::params;
use crate::error::ApiError;
use crate::methods::{Call, Output};
use crate::php::value::truthy;
use serde_json::Value;

/// One bindable event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpec {
    /// Upper-case name, e.g. `ONCRMLEADADD`.
    pub name: &'static str,
    /// Scope the app needs to see the event (`basic` for the app's own life-cycle events).
    pub scope: &'static str,
    /// Whether the event can be bound offline (`disableOffline` is set on the app life-cycle
    /// events and on `ONOFFLINEEVENT` itself).
    pub offline: bool,
}

const fn ev(name: &'static str, scope: &'static str) -> EventSpec {
    EventSpec {
        name,
        scope,
        offline: true,
    }
}

const fn app_ev(name: &'static str) -> EventSpec {
    EventSpec {
        name,
        scope: "basic",
        offline: false,
    }
}

/// Every event the sandbox knows. The CRM ones are raised by the CRM methods; the others can
/// be bound (so app set-up code runs unchanged) but only some are ever raised.
pub const EVENTS: &[EventSpec] = &[
    app_ev("ONAPPINSTALL"),
    app_ev("ONAPPUNINSTALL"),
    app_ev("ONAPPUPDATE"),
    app_ev("ONAPPPAYMENT"),
    app_ev("ONAPPTEST"),
    app_ev("ONAPPMETHODCONFIRM"),
    app_ev("ONOFFLINEEVENT"),
    ev("ONCRMLEADADD", "crm"),
    ev("ONCRMLEADUPDATE", "crm"),
    ev("ONCRMLEADDELETE", "crm"),
    ev("ONCRMDEALADD", "crm"),
    ev("ONCRMDEALUPDATE", "crm"),
    ev("ONCRMDEALDELETE", "crm"),
    ev("ONCRMCONTACTADD", "crm"),
    ev("ONCRMCONTACTUPDATE", "crm"),
    ev("ONCRMCONTACTDELETE", "crm"),
    ev("ONCRMCOMPANYADD", "crm"),
    ev("ONCRMCOMPANYUPDATE", "crm"),
    ev("ONCRMCOMPANYDELETE", "crm"),
    ev("ONCRMDYNAMICITEMADD", "crm"),
    ev("ONCRMDYNAMICITEMUPDATE", "crm"),
    ev("ONCRMDYNAMICITEMDELETE", "crm"),
    ev("ONCRMACTIVITYADD", "crm"),
    ev("ONCRMACTIVITYUPDATE", "crm"),
    ev("ONCRMACTIVITYDELETE", "crm"),
    ev("ONCRMTIMELINECOMMENTADD", "crm"),
    ev("ONCRMTIMELINECOMMENTUPDATE", "crm"),
    ev("ONCRMTIMELINECOMMENTDELETE", "crm"),
    ev("CATALOG.PRODUCT.ON.ADD", "catalog"),
    ev("CATALOG.PRODUCT.ON.UPDATE", "catalog"),
    ev("CATALOG.PRODUCT.ON.DELETE", "catalog"),
    ev("ONUSERADD", "user"),
];

/// The event of that name, if it exists on the portal at all.
pub fn known_event(name: &str) -> Option<&'static EventSpec> {
    EVENTS.iter().find(|e| e.name.eq_ignore_ascii_case(name))
}

/// The event of that name as the calling app sees it: unknown names and events of scopes the
/// app lacks are both "not found".
pub fn visible_event(call: &Call<'_>, name: &str) -> Result<&'static EventSpec, ApiError> {
    known_event(name)
        .filter(|e| call.caller.has_scope(e.scope))
        .ok_or_else(not_found)
}

/// 400 `ERROR_EVENT_NOT_FOUND` "Event not found".
pub fn not_found() -> ApiError {
    ApiError::new(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
}

/// `events`: the names of the events the app can bind; `full=1` lists every event of the
/// portal, `scope=X` the events of one scope.
pub fn events(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let full = params::get(call, "FULL").is_some_and(truthy);
    let scope = params::text(call, "SCOPE");
    let names: Vec<Value> = EVENTS
        .iter()
        .filter(|e| full || call.caller.has_scope(e.scope))
        .filter(|e| scope.is_empty() || e.scope.eq_ignore_ascii_case(&scope))
        .map(|e| Value::String(e.name.to_string()))
        .collect();
    Ok(Output::new(Value::Array(names)))
}
