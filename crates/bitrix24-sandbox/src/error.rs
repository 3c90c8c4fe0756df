//! The error answer of a REST method: `{error, error_description, ...extra}` with an HTTP status.
//!
//! The constructors mirror the exception classes of the real REST server
//! (`RestException`, `OAuthException`, `AccessException`, ...; see
//! `shared/bitrix24-server-behavior.md` §1.5), so a handler says *what* went wrong and the
//! status follows the portal's own mapping.

use serde_json::{Map, Value};

/// An error answer. Error answers never carry a `time` block.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status of the answer.
    pub status: u16,
    /// The `error` field. Classic CRM methods use the empty string.
    pub code: String,
    /// The `error_description` field.
    pub description: String,
    /// Additional keys, e.g. `argument` for argument errors (a short list keeps the error
    /// small, since every handler returns it by value).
    pub extra: Vec<(String, Value)>,
}

impl ApiError {
    /// Any error with an explicit status and code.
    pub fn new(status: u16, code: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            description: description.into(),
            extra: Vec::new(),
        }
    }

    /// A classic CRM `RestException(message)`: empty `error`, HTTP 400.
    pub fn crm(description: impl Into<String>) -> Self {
        Self::new(400, "", description)
    }

    /// `ERROR_CORE` with HTTP 400 (an application exception raised by an entity layer).
    pub fn core(description: impl Into<String>) -> Self {
        Self::new(400, "ERROR_CORE", description)
    }

    /// `ERROR_ARGUMENT` "Argument 'X' is null or empty" with the `argument` key.
    pub fn argument_null(name: &str) -> Self {
        Self::new(
            400,
            "ERROR_ARGUMENT",
            format!("Argument '{name}' is null or empty"),
        )
        .with("argument", Value::String(name.to_string()))
    }

    /// `ERROR_ARGUMENT` with a free text and the `argument` key.
    pub fn argument(name: &str, description: impl Into<String>) -> Self {
        Self::new(400, "ERROR_ARGUMENT", description)
            .with("argument", Value::String(name.to_string()))
    }

    /// A D7 controller's missing action parameter (`crm.item.*`, `catalog.*`, ...): the
    /// binder's `ArgumentException` has code 100, so the answer is `"100"` "Could not find
    /// value for parameter {name}" with HTTP 400 (orders-timeline.md §0).
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(
            400,
            "100",
            format!("Could not find value for parameter {{{name}}}"),
        )
    }

    /// 404 `ERROR_METHOD_NOT_FOUND`, answered before authentication.
    pub fn method_not_found() -> Self {
        Self::new(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    }

    /// Any authentication-layer failure: always HTTP 401 in REST v2.
    pub fn auth(code: &str, description: &str) -> Self {
        Self::new(401, code, description)
    }

    /// The REST core's `AccessException`: 403 `ACCESS_DENIED` "Access denied!" (+ detail).
    pub fn access_denied(detail: &str) -> Self {
        let description = if detail.is_empty() {
            "Access denied!".to_string()
        } else {
            format!("Access denied! {detail}")
        };
        Self::new(403, "ACCESS_DENIED", description)
    }

    /// 403 `WRONG_AUTH_TYPE`, e.g. `event.bind` called through a webhook.
    pub fn wrong_auth_type() -> Self {
        Self::new(
            403,
            "WRONG_AUTH_TYPE",
            "Current authorization type is denied for this method",
        )
    }

    /// A plain 400 for input the real portal has no specific answer for.
    pub fn bad_request(code: &str, description: impl Into<String>) -> Self {
        Self::new(400, code, description)
    }

    /// Adds an extra key to the error body.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extra.retain(|(k, _)| k != key);
        self.extra.push((key.to_string(), value));
        self
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        let mut map = Map::new();
        map.insert("error".into(), Value::String(self.code.clone()));
        map.insert(
            "error_description".into(),
            Value::String(self.description.clone()),
        );
        for (k, v) in &self.extra {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.description)
    }
}

impl std::error::Error for ApiError {}

impl From<rusqlite::Error> for ApiError {
    /// A storage failure is the portal's `ERROR_CORE` "SQL query error!" with HTTP 500.
    fn from(err: rusqlite::Error) -> Self {
        tracing::error!(error = %err, "sqlite error while running a method");
        Self::new(500, "ERROR_CORE", "SQL query error!")
    }
}
