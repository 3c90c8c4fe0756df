//! REST methods: the registry that maps a method name to its handler and scope, and the
//! context a handler runs with.
//!
//! Handlers are plain synchronous functions over one SQLite connection; the HTTP layer runs
//! them on a blocking thread inside a transaction, so a handler never sees a half-written
//! state of another call.

pub mod batch;
pub mod catalog;
pub mod crm;
pub mod dispatch;
pub mod engine;
pub mod events;
pub mod system;
pub mod user;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::Portal;
use rusqlite::Connection;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A method implementation.
pub type Handler = fn(&mut Call<'_>) -> Result<Output, ApiError>;

/// Which kinds of credentials may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthRule {
    /// Webhooks and OAuth apps.
    Any,
    /// OAuth apps only; a webhook gets 403 `WRONG_AUTH_TYPE` (e.g. `event.bind`).
    AppOnly,
}

/// Whether a method writes, stated where it is registered.
///
/// A request whose every command reads runs on a read-only connection, beside the writer
/// ([`crate::db::readers`]). The access is declared rather than guessed from the name: a read
/// registered as a write is merely serialized with the writes, while a write registered as a
/// read fails loudly (the readers refuse to write). `event.offline.get` is a write: it marks
/// the events it hands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The method never writes.
    Read,
    /// The method may write.
    Write,
}

/// One registered method.
#[derive(Debug, Clone, Copy)]
pub struct MethodSpec {
    /// Lower-case method name, e.g. `crm.lead.add`.
    pub name: &'static str,
    /// Scope the caller needs (`basic` is always granted).
    pub scope: &'static str,
    /// Who may call it.
    pub auth: AuthRule,
    /// Whether it writes.
    pub access: Access,
    /// The implementation.
    pub handler: Handler,
}

impl MethodSpec {
    /// True when the method never writes: a request of reads only runs on a read-only
    /// connection, beside the writer.
    pub fn read_only(&self) -> bool {
        self.access == Access::Read
    }
}

/// The methods of the sandbox portal, built on first use: the set is fixed by the program.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::standard)
}

/// All methods the sandbox answers.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    methods: BTreeMap<&'static str, MethodSpec>,
}

impl Registry {
    /// The full set of methods of the sandbox portal.
    pub fn standard() -> Self {
        let mut r = Registry::default();
        system::register(&mut r);
        user::register(&mut r);
        batch::register(&mut r);
        crm::register(&mut r);
        catalog::register(&mut r);
        events::register(&mut r);
        r
    }

    /// Registers a method callable by webhooks and apps.
    pub fn add(
        &mut self,
        name: &'static str,
        scope: &'static str,
        access: Access,
        handler: Handler,
    ) {
        self.insert(name, scope, AuthRule::Any, access, handler);
    }

    /// Registers a method callable only with application (OAuth) auth.
    pub fn add_app_only(
        &mut self,
        name: &'static str,
        scope: &'static str,
        access: Access,
        handler: Handler,
    ) {
        self.insert(name, scope, AuthRule::AppOnly, access, handler);
    }

    fn insert(
        &mut self,
        name: &'static str,
        scope: &'static str,
        auth: AuthRule,
        access: Access,
        handler: Handler,
    ) {
        debug_assert_eq!(
            name,
            name.to_lowercase(),
            "method names are registered lower-case"
        );
        self.methods.insert(
            name,
            MethodSpec {
                name,
                scope,
                auth,
                access,
                handler,
            },
        );
    }

    /// Finds a method by name; names are case-insensitive, as on the portal.
    pub fn get(&self, name: &str) -> Option<&MethodSpec> {
        self.methods
            .get(name)
            .or_else(|| self.methods.get(name.to_lowercase().as_str()))
    }

    /// Every method, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &MethodSpec> {
        self.methods.values()
    }
}

/// What a method returns: the `result` and, for lists, `next` and `total`.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The `result` payload.
    pub result: Value,
    /// `next`: the `start` of the following page, only when there is one.
    pub next: Option<i64>,
    /// `total`: rows matching the filter (lists only).
    pub total: Option<i64>,
}

impl Output {
    /// A plain result.
    pub fn new(result: impl Into<Value>) -> Self {
        Self {
            result: result.into(),
            next: None,
            total: None,
        }
    }

    /// A list page.
    pub fn page(result: impl Into<Value>, next: Option<i64>, total: Option<i64>) -> Self {
        Self {
            result: result.into(),
            next,
            total,
        }
    }
}

/// An event raised by a method, delivered after the call's transaction commits.
#[derive(Debug, Clone, PartialEq)]
pub struct RaisedEvent {
    /// Upper-case event name, e.g. `ONCRMLEADADD`.
    pub name: String,
    /// The `data` payload, e.g. `{"FIELDS": {"ID": 5}}`.
    pub data: Value,
    /// The user whose action raised the event.
    pub user_id: i64,
    /// The app whose call raised it (offline events skip the app's own changes).
    pub app_id: Option<i64>,
}

/// Things a call leaves behind besides its answer.
#[derive(Debug, Default)]
pub struct Effects {
    /// Events to deliver once the transaction commits.
    pub events: Vec<RaisedEvent>,
    /// Notes for the sandbox log, e.g. filter keys the portal silently dropped.
    pub notes: Vec<String>,
}

/// The context of one method call.
pub struct Call<'a> {
    /// The portal (config, clock, registry, limiters).
    pub portal: &'a Portal,
    /// The database connection, inside the call's transaction.
    pub db: &'a Connection,
    /// Who is calling.
    pub caller: &'a Caller,
    /// The method name, lower-case.
    pub method: &'a str,
    /// Parameters with the auth keys and `start` removed; JSON lists normalised to PHP arrays.
    pub params: Map<String, Value>,
    /// The `start` parameter after PHP `intval` (0 when absent).
    pub start: i64,
    /// Sandbox time when the call began, unix seconds.
    pub now: f64,
    /// Injected latency this call is charged with, seconds (a batch hands it on to its
    /// commands).
    pub injected_seconds: f64,
    /// Events and notes the call leaves behind.
    pub effects: &'a mut Effects,
}

impl Call<'_> {
    /// A parameter by exact name.
    pub fn param(&self, name: &str) -> Option<&Value> {
        self.params.get(name)
    }

    /// A parameter under any of several accepted spellings.
    pub fn param_any(&self, names: &[&str]) -> Option<&Value> {
        crate::php::value::lookup(&self.params, names)
    }

    /// Unix seconds formatted like PHP `date('c')` in the portal's time zone.
    pub fn iso(&self, unix: i64) -> String {
        crate::clock::iso(unix, self.portal.config.utc_offset)
    }

    /// Whole unix seconds of the call.
    pub fn unix_now(&self) -> i64 {
        self.now.floor() as i64
    }

    /// Records a note for the sandbox log.
    pub fn note(&mut self, text: impl Into<String>) {
        self.effects.notes.push(text.into());
    }

    /// Raises an event for delivery after commit.
    pub fn raise(&mut self, name: &str, data: Value) {
        let app_id = self.caller.app_id();
        self.effects.events.push(RaisedEvent {
            name: name.to_uppercase(),
            data,
            user_id: self.caller.user_id,
            app_id,
        });
    }
}

impl std::fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_of_every_family_are_registered_as_reads() {
        let r = Registry::standard();
        for name in [
            "profile",
            "user.current",
            "crm.lead.list",
            "crm.company.userfield.get",
            "crm.item.get",
            "crm.item.productrow.list",
            "crm.deal.productrows.get",
            "crm.deal.contact.items.get",
            "catalog.product.list",
            "event.offline.list",
            "user.get",
            "crm.activity.get",
            "crm.activity.list",
            "crm.timeline.comment.get",
            "crm.timeline.comment.list",
            "crm.timeline.comment.fields",
            "crm.timeline.logmessage.get",
            "crm.timeline.logmessage.list",
            "crm.dealcategory.stage.list",
        ] {
            assert!(r.get(name).expect(name).read_only(), "{name}");
        }
    }

    /// A read left registered as a write is merely serialized with the writes, so nothing
    /// else would notice it.
    #[test]
    fn every_get_list_and_fields_method_is_a_read_but_event_offline_get() {
        let r = Registry::standard();
        let named_as_reads: Vec<&str> = r
            .iter()
            .filter(|m| {
                m.name
                    .rsplit('.')
                    .next()
                    .is_some_and(|last| matches!(last, "get" | "list" | "fields"))
            })
            .map(|m| m.name)
            .collect();
        assert!(named_as_reads.len() > 30, "{named_as_reads:?}");
        for name in named_as_reads {
            let spec = r.get(name).expect(name);
            // event.offline.get marks the events it hands out.
            assert_eq!(spec.read_only(), name != "event.offline.get", "{name}");
        }
    }

    #[test]
    fn writes_and_batch_are_not_reads() {
        let r = Registry::standard();
        for name in [
            "crm.lead.add",
            "crm.company.userfield.update",
            "crm.deal.productrows.set",
            "event.offline.get",
            "event.bind",
            "crm.activity.delete",
            "crm.timeline.comment.add",
            "crm.timeline.logmessage.delete",
            "batch",
        ] {
            assert!(!r.get(name).expect(name).read_only(), "{name}");
        }
    }
}
