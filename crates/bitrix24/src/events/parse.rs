//! The typed event a portal posts to a handler (protocol.md §7.2, §1d, §5.9).

use super::form;
use crate::crm::types::{CompanyId, ContactId, DealId, Id, LeadId};
use crate::error::{Error, ErrorKind, Result};
use crate::numbers;
use secrecy::SecretString;
use serde_json::{Map, Value};
use std::fmt;

/// One event call from a portal: `event`, `event_handler_id`, `data`, `ts` and `auth`.
///
/// Build it with [`parse_event`]; check it with [`verify`](super::verify) or a
/// [`Verifier`](super::Verifier) before trusting anything in it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Event {
    /// The event name, upper-case (`ONCRMLEADADD`).
    pub name: String,
    /// What happened, typed.
    pub kind: EventKind,
    /// `event_handler_id`: the binding that caused this call (absent for the install call;
    /// `None` too when it is not an id).
    pub handler_id: Option<u64>,
    /// `ts`: unix seconds the event was raised (`None` when absent or not a unix time).
    pub ts: Option<i64>,
    /// `auth`: who the portal is and, for apps, tokens to call it back.
    pub auth: EventAuth,
    /// `data` as sent, for fields the typed kind does not carry.
    pub data: Value,
}

/// What an event says happened.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum EventKind {
    /// `ONCRMLEADADD`.
    LeadAdd(LeadId),
    /// `ONCRMLEADUPDATE`.
    LeadUpdate(LeadId),
    /// `ONCRMLEADDELETE`.
    LeadDelete(LeadId),
    /// `ONCRMDEALADD`.
    DealAdd(DealId),
    /// `ONCRMDEALUPDATE`.
    DealUpdate(DealId),
    /// `ONCRMDEALDELETE`.
    DealDelete(DealId),
    /// `ONCRMCONTACTADD`.
    ContactAdd(ContactId),
    /// `ONCRMCONTACTUPDATE`.
    ContactUpdate(ContactId),
    /// `ONCRMCONTACTDELETE`.
    ContactDelete(ContactId),
    /// `ONCRMCOMPANYADD`.
    CompanyAdd(CompanyId),
    /// `ONCRMCOMPANYUPDATE`.
    CompanyUpdate(CompanyId),
    /// `ONCRMCOMPANYDELETE`.
    CompanyDelete(CompanyId),
    /// `ONAPPINSTALL`: the app was installed; carries the first token pair.
    AppInstall(AppInstall),
    /// `ONAPPUNINSTALL`: the app was removed; the call carries no tokens.
    AppUninstall(AppUninstall),
    /// Any other event, with its `data` as sent.
    Unknown {
        /// The event name, upper-case.
        name: String,
        /// `data`, nested objects of strings.
        raw: Value,
    },
}

/// `ONAPPINSTALL` details.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AppInstall {
    /// `data[VERSION]`: the installed version of the app.
    pub version: Option<String>,
    /// `data[ACTIVE]` is `Y`.
    pub active: bool,
    /// `data[INSTALLED]` is `Y` (false while an install wizard has not finished).
    pub installed: bool,
    /// `data[LANGUAGE_ID]`.
    pub language_id: Option<String>,
    /// The tokens of the install call (the refresh token is only ever sent here and in
    /// `ONOFFLINEEVENT`: store it).
    pub tokens: EventTokens,
}

/// `ONAPPUNINSTALL` details.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AppUninstall {
    /// `data[LANGUAGE_ID]`.
    pub language_id: Option<String>,
    /// `data[CLEAN]` is `1`: the admin asked to delete the app's data.
    pub clean: bool,
}

/// The `auth` block. Every field is optional: webhook events, uninstall calls and events
/// caused by automation carry fewer keys (protocol.md §7.2).
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct EventAuth {
    /// `domain`: the portal host.
    pub domain: Option<String>,
    /// `member_id`: the portal's stable id; key your per-portal data on it.
    pub member_id: Option<String>,
    /// `client_endpoint`: the portal's REST base, e.g. `https://x.bitrix24.com/rest/`.
    pub client_endpoint: Option<String>,
    /// `server_endpoint`: the OAuth server's REST base.
    pub server_endpoint: Option<String>,
    /// `status`: the app's licence status (`L`, `F`, `D`, `T`, `P`).
    pub status: Option<String>,
    /// `application_token`: the secret to verify the call with.
    pub application_token: Option<SecretString>,
    /// Tokens to call the portal back as `user_id`, when the call has them.
    pub tokens: Option<EventTokens>,
}

impl fmt::Debug for EventAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventAuth")
            .field("domain", &self.domain)
            .field("member_id", &self.member_id)
            .field("client_endpoint", &self.client_endpoint)
            .field("server_endpoint", &self.server_endpoint)
            .field("status", &self.status)
            .field(
                "application_token",
                &self.application_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("tokens", &self.tokens)
            .finish()
    }
}

/// Tokens an event call carries.
#[derive(Clone)]
#[non_exhaustive]
pub struct EventTokens {
    /// `access_token`.
    pub access_token: SecretString,
    /// `refresh_token` (ONAPPINSTALL and ONOFFLINEEVENT only).
    pub refresh_token: Option<SecretString>,
    /// `expires`: unix seconds the access token expires (`None` when not a unix time).
    pub expires: Option<i64>,
    /// `expires_in`: its lifetime in seconds (`None` unless 1 s to ten years).
    pub expires_in: Option<i64>,
    /// `scope`: the app's scopes, comma-separated.
    pub scope: Option<String>,
    /// `user_id`: the user the tokens act as (`None` when not an id).
    pub user_id: Option<u64>,
}

impl fmt::Debug for EventTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventTokens")
            .field("access_token", &"[REDACTED]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires", &self.expires)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("user_id", &self.user_id)
            .finish()
    }
}

/// Decodes an event call body (`application/x-www-form-urlencoded`, PHP nested keys).
///
/// Fails with [`ErrorKind::Event`] when the body is not a form, has no `event`, or a CRM or
/// install event lacks what it must carry (`data[FIELDS][ID]`, the install tokens). It never
/// panics, whatever the bytes. The result is **not verified**: see [`super::verify`].
pub fn parse_event(body: &[u8]) -> Result<Event> {
    let root = form::parse(body)?;
    let name = text(&root, "event")
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| malformed("no `event` field"))?;
    let data = root.get("data").cloned().unwrap_or(Value::Null);
    let auth = match root.get("auth") {
        Some(Value::Object(a)) => auth(a),
        _ => EventAuth::default(),
    };
    let kind = kind(&name, &data, &auth)?;
    Ok(Event {
        handler_id: text(&root, "event_handler_id").and_then(numbers::id_text),
        ts: text(&root, "ts").and_then(numbers::unix_time_text),
        name,
        kind,
        auth,
        data,
    })
}

fn malformed(why: &str) -> Error {
    Error::new(ErrorKind::Event, format!("malformed event body: {why}"))
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

fn owned(m: &Map<String, Value>, key: &str) -> Option<String> {
    text(m, key).filter(|s| !s.is_empty()).map(str::to_string)
}

fn secret(m: &Map<String, Value>, key: &str) -> Option<SecretString> {
    text(m, key)
        .filter(|s| !s.is_empty())
        .map(|s| SecretString::from(s.to_string()))
}

fn auth(a: &Map<String, Value>) -> EventAuth {
    let tokens = secret(a, "access_token").map(|access_token| EventTokens {
        access_token,
        refresh_token: secret(a, "refresh_token"),
        expires: text(a, "expires").and_then(numbers::unix_time_text),
        expires_in: text(a, "expires_in").and_then(numbers::lifetime_text),
        scope: owned(a, "scope"),
        user_id: text(a, "user_id").and_then(numbers::id_text),
    });
    EventAuth {
        domain: owned(a, "domain"),
        member_id: owned(a, "member_id"),
        client_endpoint: owned(a, "client_endpoint"),
        server_endpoint: owned(a, "server_endpoint"),
        status: owned(a, "status"),
        application_token: secret(a, "application_token"),
        tokens,
    }
}

fn kind(name: &str, data: &Value, auth: &EventAuth) -> Result<EventKind> {
    let d = data.as_object();
    let field = |k: &str| d.and_then(|m| owned(m, k));
    Ok(match name {
        "ONCRMLEADADD" => EventKind::LeadAdd(id(name, data)?),
        "ONCRMLEADUPDATE" => EventKind::LeadUpdate(id(name, data)?),
        "ONCRMLEADDELETE" => EventKind::LeadDelete(id(name, data)?),
        "ONCRMDEALADD" => EventKind::DealAdd(id(name, data)?),
        "ONCRMDEALUPDATE" => EventKind::DealUpdate(id(name, data)?),
        "ONCRMDEALDELETE" => EventKind::DealDelete(id(name, data)?),
        "ONCRMCONTACTADD" => EventKind::ContactAdd(id(name, data)?),
        "ONCRMCONTACTUPDATE" => EventKind::ContactUpdate(id(name, data)?),
        "ONCRMCONTACTDELETE" => EventKind::ContactDelete(id(name, data)?),
        "ONCRMCOMPANYADD" => EventKind::CompanyAdd(id(name, data)?),
        "ONCRMCOMPANYUPDATE" => EventKind::CompanyUpdate(id(name, data)?),
        "ONCRMCOMPANYDELETE" => EventKind::CompanyDelete(id(name, data)?),
        "ONAPPINSTALL" => EventKind::AppInstall(AppInstall {
            version: field("VERSION"),
            active: field("ACTIVE").is_some_and(|v| v == "Y"),
            installed: field("INSTALLED").is_some_and(|v| v == "Y"),
            language_id: field("LANGUAGE_ID"),
            tokens: auth
                .tokens
                .clone()
                .ok_or_else(|| malformed("ONAPPINSTALL without auth[access_token]"))?,
        }),
        "ONAPPUNINSTALL" => EventKind::AppUninstall(AppUninstall {
            language_id: field("LANGUAGE_ID"),
            clean: field("CLEAN").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("Y")),
        }),
        _ => EventKind::Unknown {
            name: name.to_string(),
            raw: data.clone(),
        },
    })
}

/// `data[FIELDS][ID]` as a typed id.
fn id<M>(name: &str, data: &Value) -> Result<Id<M>> {
    data.get("FIELDS")
        .and_then(|f| f.get("ID"))
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse::<u64>().ok())
        .and_then(Id::new)
        .ok_or_else(|| malformed(&format!("{name} without a valid data[FIELDS][ID]")))
}
