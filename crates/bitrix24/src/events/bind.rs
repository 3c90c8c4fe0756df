//! `event.bind`, `event.unbind` and `event.get` (protocol.md §7.1).
//!
//! They work only with an application's OAuth tokens: a webhook client gets 403
//! `WRONG_AUTH_TYPE` (outgoing webhooks are set up in the portal's UI instead). Offline
//! bindings, and bindings for another user (`auth_type`), need an administrator. Bindings go
//! when the app is removed or updated, so bind again on each install.
//!
//! ```no_run
//! # async fn demo(client: bitrix24::Client) -> bitrix24::Result<()> {
//! use bitrix24::events::bind::{bind, handlers, unbind, Binding};
//!
//! bind(&client, &Binding::online("ONCRMLEADADD", "https://app.example.com/events")).await?;
//! bind(&client, &Binding::offline("ONCRMDEALUPDATE")).await?;
//! for h in handlers(&client).await? {
//!     println!("{} -> {:?}", h.event, h.handler);
//! }
//! let removed = unbind(&client, &Binding::online("ONCRMLEADADD", "https://app.example.com/events")).await?;
//! # let _ = removed; Ok(()) }
//! ```

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use serde::Serialize;
use serde_json::Value;

/// One binding: an event and where it goes.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Binding {
    /// The event name (the portal upper-cases it).
    pub event: String,
    /// The handler URL; `None` for an offline binding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// `event_type`: `offline` for the queue (omitted for online, the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<&'static str>,
    /// `auth_type`: the user whose tokens the call carries (the default is whoever caused
    /// the event). Binding for another user needs an administrator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type: Option<u64>,
    /// `auth_connector`: changes made with this connector are not queued for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_connector: Option<String>,
    /// `options`, e.g. `{"minTimeout": 30}` for `ONOFFLINEEVENT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
}

impl Binding {
    /// An online binding: the portal POSTs `event` to `handler` (an http(s) URL whose host
    /// has a dot: the real portal refuses `localhost`).
    pub fn online(event: impl Into<String>, handler: impl Into<String>) -> Self {
        Self {
            event: event.into(),
            handler: Some(handler.into()),
            event_type: None,
            auth_type: None,
            auth_connector: None,
            options: None,
        }
    }

    /// An offline binding: the portal queues `event` for `event.offline.get`.
    pub fn offline(event: impl Into<String>) -> Self {
        Self {
            event: event.into(),
            handler: None,
            event_type: Some("offline"),
            auth_type: None,
            auth_connector: None,
            options: None,
        }
    }

    /// Calls carry the tokens of user `user_id`.
    pub fn auth_type(mut self, user_id: u64) -> Self {
        self.auth_type = Some(user_id);
        self
    }

    /// Sets `auth_connector`.
    pub fn auth_connector(mut self, connector: impl Into<String>) -> Self {
        self.auth_connector = Some(connector.into());
        self
    }

    /// Sets `options`.
    pub fn options(mut self, options: Value) -> Self {
        self.options = Some(options);
        self
    }

    fn check(&self) -> Result<()> {
        if self.event.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the event name is empty",
            ));
        }
        if self.event_type.is_none() && self.handler.as_deref().is_none_or(str::is_empty) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "an online binding needs a handler URL",
            ));
        }
        Ok(())
    }
}

/// One binding of the app, as `event.get` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Handler {
    /// The event name, upper-case.
    pub event: String,
    /// The handler URL (online bindings).
    pub handler: Option<String>,
    /// The user the calls authorize as (`0`: whoever caused the event).
    pub auth_type: Option<u64>,
    /// The connector (offline bindings).
    pub connector_id: Option<String>,
    /// True for an offline binding.
    pub offline: bool,
}

/// `event.bind`. A binding that exists already is an error (`ERROR_CORE`, "Handler already
/// binded"), as on the portal.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] for an empty event or an online binding without a handler;
/// the portal's errors as [`ErrorKind::Api`].
pub async fn bind(client: &Client, binding: &Binding) -> Result<()> {
    binding.check()?;
    // The portal answers `true`; anything else would be a surprise worth reporting.
    let ok: Value = client.call("event.bind", binding).await?.result;
    if truthy(&ok) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Decode,
            format!("event.bind answered {ok} instead of true"),
        ))
    }
}

/// `event.unbind`; returns how many bindings were removed (0 when none matched). Without
/// `auth_type`, the bindings of every user for that handler go.
///
/// # Errors
/// As [`bind`].
pub async fn unbind(client: &Client, binding: &Binding) -> Result<u64> {
    binding.check()?;
    let answer: Value = client.call("event.unbind", binding).await?.result;
    // `{"count": N}`, N a number or a numeric string.
    Ok(answer
        .get("count")
        .and_then(crate::numbers::count)
        .unwrap_or(0))
}

/// `event.get`: the app's bindings.
///
/// # Errors
/// The portal's errors; [`ErrorKind::Decode`] when the answer is not a list.
pub async fn handlers(client: &Client) -> Result<Vec<Handler>> {
    let answer: Value = client.call("event.get", &()).await?.result;
    let Value::Array(items) = answer else {
        return Err(Error::new(
            ErrorKind::Decode,
            "event.get did not answer with a list",
        ));
    };
    Ok(items.iter().filter_map(handler_of).collect())
}

fn handler_of(v: &Value) -> Option<Handler> {
    let text = |k: &str| match v.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Some(Handler {
        event: text("event")?,
        handler: text("handler"),
        auth_type: text("auth_type").and_then(|s| s.parse().ok()),
        connector_id: text("connector_id"),
        offline: v.get("offline").is_some_and(truthy),
    })
}

/// PHP truthiness of a JSON value as the portal sends flags: `true`, `1`, `"1"`, `"Y"`.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !matches!(s.as_str(), "" | "0" | "N" | "false"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bindings_encode_as_the_portal_expects() {
        let b = Binding::offline("ONCRMLEADADD").auth_connector("c1");
        let form = crate::encode::to_form(&b).unwrap();
        assert_eq!(
            form,
            "event=ONCRMLEADADD&event_type=offline&auth_connector=c1"
        );
        let b = Binding::online("ONCRMLEADADD", "https://a.example.com/h").auth_type(1);
        let form = crate::encode::to_form(&b).unwrap();
        assert_eq!(
            form,
            "event=ONCRMLEADADD&handler=https://a.example.com/h&auth_type=1"
        );
        assert_eq!(
            Binding::online("X", "").check().unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert!(Binding::online(" ", "https://a.b/").check().is_err());
    }

    #[test]
    fn event_get_rows_of_both_kinds_decode() {
        let on = json!({"event": "ONCRMLEADADD", "handler": "https://a.b/h", "auth_type": "0", "offline": 0});
        let off = json!({"event": "ONCRMDEALADD", "connector_id": "", "offline": 1});
        let h = handler_of(&on).unwrap();
        assert_eq!(h.handler.as_deref(), Some("https://a.b/h"));
        assert_eq!(h.auth_type, Some(0));
        assert!(!h.offline);
        let h = handler_of(&off).unwrap();
        assert!(h.offline && h.handler.is_none() && h.connector_id.is_none());
        assert!(handler_of(&json!({"handler": "x"})).is_none());
    }
}
