//! Events: `event.bind`, `event.unbind`, `event.get`, `events`, `event.test` and the offline
//! queue (`event.offline.*`), plus the hand-off of committed events to delivery
//! (protocol.md §7, server-behavior.md §8).
//!
//! Methods live in `events/`; delivery (posting to handlers, storing offline rows) lives in
//! [`crate::events`], which the HTTP layer hands every committed call's events to, and
//! `Sandbox::install_app` / `uninstall_app` in [`crate::install`].

mod bind;
mod catalog;
mod offline;
mod offline_query;
mod params;

pub use catalog::{known_event, EventSpec};

use super::{Access, Registry};

/// Tables of the events module.
///
/// `event_handlers` mirrors `b_rest_event` (one row per binding; `handler` is empty for
/// offline bindings, `user_id` is `AUTH_TYPE`, 0 meaning "the user who caused the event").
/// `event_offline` mirrors `b_rest_event_offline`; its unique key is the portal's upsert key
/// (MESSAGE_ID, APP_ID, CONNECTOR_ID, PROCESS_ID), which is what merges repeated events.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS event_handlers (
    id INTEGER PRIMARY KEY,
    app_id INTEGER NOT NULL,
    event_name TEXT NOT NULL,
    handler TEXT NOT NULL DEFAULT '',
    user_id INTEGER NOT NULL DEFAULT 0,
    connector_id TEXT NOT NULL DEFAULT '',
    offline INTEGER NOT NULL DEFAULT 0,
    min_timeout INTEGER NOT NULL DEFAULT 1,
    last_sent INTEGER NOT NULL DEFAULT 0,
    date_create INTEGER NOT NULL,
    UNIQUE (app_id, event_name, handler, user_id, connector_id)
);
CREATE TABLE IF NOT EXISTS event_offline (
    id INTEGER PRIMARY KEY,
    timestamp_x INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    app_id INTEGER NOT NULL,
    event_name TEXT NOT NULL,
    event_data TEXT NOT NULL,
    event_additional TEXT NOT NULL,
    process_id TEXT NOT NULL DEFAULT '',
    connector_id TEXT NOT NULL DEFAULT '',
    error INTEGER NOT NULL DEFAULT 0,
    UNIQUE (message_id, app_id, connector_id, process_id)
);
"#;

/// Registers the event methods. All of them need application (OAuth) auth; they belong to
/// the portal's global scope, so every app may call them (the event itself still needs the
/// scope it belongs to, see `catalog`).
pub fn register(r: &mut Registry) {
    r.add_app_only("event.bind", "basic", Access::Write, bind::bind);
    r.add_app_only("event.unbind", "basic", Access::Write, bind::unbind);
    r.add_app_only("event.get", "basic", Access::Read, bind::get);
    r.add_app_only("event.test", "basic", Access::Write, bind::test);
    r.add_app_only("events", "basic", Access::Read, catalog::events);
    r.add_app_only("event.offline.get", "basic", Access::Write, offline::get);
    r.add_app_only(
        "event.offline.clear",
        "basic",
        Access::Write,
        offline::clear,
    );
    r.add_app_only(
        "event.offline.error",
        "basic",
        Access::Write,
        offline::error,
    );
    r.add_app_only("event.offline.list", "basic", Access::Read, offline::list);
}
