//! The one error type of the crate.
//!
//! `Error` is opaque: ask it for its [`ErrorKind`], and for the Bitrix24 details
//! ([`Error::code`], [`Error::description`], [`Error::status`], [`Error::method`]) when the portal
//! answered with an error. `Display` says what failed and what to do; `source()` keeps the full
//! chain. Nothing secret is ever stored in an error: URLs are dropped from transport errors and
//! bodies are excerpted only from answers, which carry no credentials.

use std::fmt;

mod hints;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The portal answered with an error body (`error`, `error_description`); see
    /// [`Error::code`].
    Api,
    /// The stored refresh token no longer works (revoked, rotated by someone else, expired or
    /// missing): a person must authorize the app again at [`Error::authorize_url`].
    ReauthorizationRequired,
    /// The request did not complete: connection refused or dropped, timeout, TLS. For a write,
    /// the portal may or may not have run it.
    Transport,
    /// The answer was not what the API promises (not JSON, wrong shape): see the JSON path and
    /// body excerpt in the message.
    Decode,
    /// The token store failed to read, write or lock.
    TokenStore,
    /// A shared database failed: connecting to it, migrating its schema, or a budget kept
    /// in it (feature `postgres`).
    Database,
    /// The caller's input cannot be sent (unencodable parameters, a batch over 50 commands,
    /// a bad URL).
    InvalidInput,
    /// A list did not advance (the same cursor came back twice).
    Pagination,
    /// An event body was malformed, or its `application_token` did not verify.
    Event,
    /// The OAuth redirect was invalid (missing `code`, mismatched `state`).
    OAuthRedirect,
    /// A `batch` command did not run because an earlier command failed and `halt` was set.
    Skipped,
}

/// A Bitrix24 error code, as found in the `error` field. Unknown codes are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorCode {
    /// `QUERY_LIMIT_EXCEEDED`: the request-rate bucket is full (503). The request did not run.
    QueryLimitExceeded,
    /// `OPERATION_TIME_LIMIT`: the method used too much server time (429).
    OperationTimeLimit,
    /// `expired_token`: the access token expired (401).
    ExpiredToken,
    /// `invalid_token`: the access token is unknown (401).
    InvalidToken,
    /// `NO_AUTH_FOUND`: no credentials were sent (401).
    NoAuthFound,
    /// `INVALID_CREDENTIALS`: a wrong webhook secret (401).
    InvalidCredentials,
    /// `INVALID_REQUEST`: e.g. a webhook over plain HTTP (401).
    InvalidRequest,
    /// `insufficient_scope`: the app or webhook lacks the method's scope (401).
    InsufficientScope,
    /// `ACCESS_DENIED` (403).
    AccessDenied,
    /// `WRONG_AUTH_TYPE`: the method needs application auth (403).
    WrongAuthType,
    /// `ERROR_METHOD_NOT_FOUND` (404).
    MethodNotFound,
    /// `ERROR_BATCH_LENGTH_EXCEEDED`: a batch command past the 50th.
    BatchLengthExceeded,
    /// `ERROR_BATCH_METHOD_NOT_ALLOWED`: a method that cannot run inside a batch.
    BatchMethodNotAllowed,
    /// `ERROR_CORE`.
    Core,
    /// `ERROR_ARGUMENT`.
    Argument,
    /// `NOT_FOUND` (`crm.item.*`).
    NotFound,
    /// `INVALID_ARG_VALUE` (`crm.item.*` filters and order).
    InvalidArgValue,
    /// `invalid_grant`: a bad, used or expired code or refresh token (token endpoint).
    InvalidGrant,
    /// `invalid_client`: wrong client id or secret (token endpoint).
    InvalidClient,
    /// `INTERNAL_SERVER_ERROR` or a 5xx without a body the client could read.
    InternalServerError,
    /// The empty code of classic CRM errors (`"error": ""`, HTTP 400): read the description.
    Empty,
    /// Any other code, as written.
    Unknown(String),
}

impl ApiErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::QueryLimitExceeded => "QUERY_LIMIT_EXCEEDED",
            Self::OperationTimeLimit => "OPERATION_TIME_LIMIT",
            Self::ExpiredToken => "expired_token",
            Self::InvalidToken => "invalid_token",
            Self::NoAuthFound => "NO_AUTH_FOUND",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InsufficientScope => "insufficient_scope",
            Self::AccessDenied => "ACCESS_DENIED",
            Self::WrongAuthType => "WRONG_AUTH_TYPE",
            Self::MethodNotFound => "ERROR_METHOD_NOT_FOUND",
            Self::BatchLengthExceeded => "ERROR_BATCH_LENGTH_EXCEEDED",
            Self::BatchMethodNotAllowed => "ERROR_BATCH_METHOD_NOT_ALLOWED",
            Self::Core => "ERROR_CORE",
            Self::Argument => "ERROR_ARGUMENT",
            Self::NotFound => "NOT_FOUND",
            Self::InvalidArgValue => "INVALID_ARG_VALUE",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidClient => "invalid_client",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
            Self::Empty => "",
            Self::Unknown(s) => s,
        }
    }
}

impl From<&str> for ApiErrorCode {
    fn from(s: &str) -> Self {
        match s {
            "QUERY_LIMIT_EXCEEDED" => Self::QueryLimitExceeded,
            "OPERATION_TIME_LIMIT" => Self::OperationTimeLimit,
            "expired_token" => Self::ExpiredToken,
            "invalid_token" => Self::InvalidToken,
            "NO_AUTH_FOUND" => Self::NoAuthFound,
            "INVALID_CREDENTIALS" => Self::InvalidCredentials,
            "INVALID_REQUEST" => Self::InvalidRequest,
            "insufficient_scope" => Self::InsufficientScope,
            "ACCESS_DENIED" => Self::AccessDenied,
            "WRONG_AUTH_TYPE" => Self::WrongAuthType,
            "ERROR_METHOD_NOT_FOUND" => Self::MethodNotFound,
            "ERROR_BATCH_LENGTH_EXCEEDED" => Self::BatchLengthExceeded,
            "ERROR_BATCH_METHOD_NOT_ALLOWED" => Self::BatchMethodNotAllowed,
            "ERROR_CORE" => Self::Core,
            "ERROR_ARGUMENT" => Self::Argument,
            "NOT_FOUND" => Self::NotFound,
            "INVALID_ARG_VALUE" => Self::InvalidArgValue,
            "invalid_grant" => Self::InvalidGrant,
            "invalid_client" => Self::InvalidClient,
            "INTERNAL_SERVER_ERROR" => Self::InternalServerError,
            "" => Self::Empty,
            other => {
                tracing::debug!(code = other, "unknown Bitrix24 error code");
                Self::Unknown(other.to_string())
            }
        }
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Classic CRM methods answer `"error": ""` and put the reason in the description;
            // `Error`'s Display names that reason ("not found") instead.
            Self::Empty => f.write_str("(no code)"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// What a classic CRM error (empty code) is about, read from its description: the classic
/// methods answer `"error": ""` with texts such as `Not found`, `Lead is not found`,
/// `ID is not defined or invalid.` or `Access denied.`.
fn classic_reason(description: &str) -> &'static str {
    let d = description
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if is_entity_not_found(&d) {
        "not found"
    } else if d.starts_with("access denied") {
        "access denied"
    } else if d.starts_with("id is not defined or invalid") {
        "invalid id"
    } else {
        "CRM error"
    }
}

/// `not found`, `lead is not found`, `element not found`; not `the 'x' field is not found`
/// (a field name, which is the caller's mistake rather than a missing record).
fn is_entity_not_found(lowercase: &str) -> bool {
    lowercase.ends_with("not found") && !lowercase.contains("field")
}

/// The error of every fallible operation in this crate.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    method: Option<String>,
    code: Option<ApiErrorCode>,
    description: Option<String>,
    status: Option<u16>,
    authorize_url: Option<String>,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` with a message that says what went wrong and what to do.
    ///
    /// For code outside the crate too: a custom [`TokenStore`](crate::store::TokenStore) or
    /// [`Checkpoint`](crate::events::offline::Checkpoint) reports its failures with it
    /// (usually [`ErrorKind::TokenStore`] and the cause attached with
    /// [`Error::with_source`]). Keep secrets out of `message`.
    ///
    /// ```
    /// use bitrix24::{Error, ErrorKind};
    /// let io = std::io::Error::other("disk full");
    /// let e = Error::new(ErrorKind::TokenStore, "cannot save the tokens").with_source(io);
    /// assert_eq!(e.kind(), ErrorKind::TokenStore);
    /// assert_eq!(e.to_string(), "cannot save the tokens");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                method: None,
                code: None,
                description: None,
                status: None,
                authorize_url: None,
                source: None,
            }),
        }
    }

    /// An error answer of the portal: its `error` code, `error_description` and HTTP status
    /// (for tests and for code that talks to the portal on its own).
    pub fn api(code: ApiErrorCode, description: impl Into<String>, status: Option<u16>) -> Self {
        let mut e = Self::new(ErrorKind::Api, String::new());
        e.inner.code = Some(code);
        e.inner.description = Some(description.into());
        e.inner.status = status;
        e
    }

    /// Attaches the underlying cause (kept as [`std::error::Error::source`]).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// Attaches the REST method the error happened in.
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.inner.method = Some(method.into());
        self
    }

    /// Attaches the HTTP status of the answer.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Attaches the URL where a person re-authorizes the app.
    pub(crate) fn with_authorize_url(mut self, url: impl Into<String>) -> Self {
        self.inner.authorize_url = Some(url.into());
        self
    }

    /// The same failure reported again, for another command that shared its request (the
    /// cause is kept in the message, not as a second `source`).
    pub(crate) fn for_each_command(&self) -> Self {
        let mut e = Self::new(self.inner.kind, self.inner.message.clone());
        e.inner.method.clone_from(&self.inner.method);
        e.inner.code.clone_from(&self.inner.code);
        e.inner.description.clone_from(&self.inner.description);
        e.inner.status = self.inner.status;
        e.inner.authorize_url.clone_from(&self.inner.authorize_url);
        if let Some(source) = &self.inner.source {
            e.inner.message = format!("{}: {source}", e.inner.message);
        }
        e
    }

    /// A transport failure; the URL (which may hold a token or webhook secret) is dropped.
    pub(crate) fn transport(err: reqwest::Error) -> Self {
        let what = if err.is_timeout() {
            "the request timed out"
        } else if err.is_connect() {
            "could not connect to the portal (check the portal URL and the network)"
        } else if err.is_body() || err.is_decode() {
            "the connection failed while reading the answer"
        } else {
            "the request failed"
        };
        Self::new(ErrorKind::Transport, what).with_source(err.without_url())
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The Bitrix24 error code, for [`ErrorKind::Api`] errors.
    pub fn code(&self) -> Option<&ApiErrorCode> {
        self.inner.code.as_ref()
    }

    /// The portal's `error_description`, for [`ErrorKind::Api`] errors.
    pub fn description(&self) -> Option<&str> {
        self.inner.description.as_deref()
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The REST method that failed, when known.
    pub fn method(&self) -> Option<&str> {
        self.inner.method.as_deref()
    }

    /// Where a person authorizes the app again, for
    /// [`ErrorKind::ReauthorizationRequired`].
    pub fn authorize_url(&self) -> Option<&str> {
        self.inner.authorize_url.as_deref()
    }

    /// True when the error is the portal's answer with this code.
    pub fn is_code(&self, code: &ApiErrorCode) -> bool {
        self.inner.code.as_ref() == Some(code)
    }

    /// True when the record asked for does not exist: `NOT_FOUND` / `ERROR_NOT_FOUND`
    /// (`crm.item.*`), or a classic CRM error whose description says so (`Not found`,
    /// `Lead is not found`, `Element not found`). An unknown *field* name is not this.
    pub fn is_not_found(&self) -> bool {
        if self.inner.kind != ErrorKind::Api {
            return false;
        }
        let described = || {
            self.description().is_some_and(|d| {
                is_entity_not_found(&d.trim().trim_end_matches('.').to_ascii_lowercase())
            })
        };
        match self.code() {
            Some(ApiErrorCode::NotFound) => true,
            Some(ApiErrorCode::Unknown(c)) if c == "ERROR_NOT_FOUND" => true,
            Some(ApiErrorCode::Empty | ApiErrorCode::Core) => described(),
            _ => false,
        }
    }

    /// True when the portal refused the call for load: 503 `QUERY_LIMIT_EXCEEDED` (the
    /// request-rate bucket is full) or 429 `OPERATION_TIME_LIMIT` (the method's server-time
    /// budget is used up). The call did not run; the client already waited and retried as
    /// its [`RetryPolicy`](crate::RetryPolicy) allows.
    pub fn is_rate_limited(&self) -> bool {
        matches!(
            self.code(),
            Some(ApiErrorCode::QueryLimitExceeded | ApiErrorCode::OperationTimeLimit)
        )
    }

    /// True when the credentials do not allow the call: a person must authorize the app
    /// again ([`ErrorKind::ReauthorizationRequired`]), or the portal refused the token,
    /// webhook secret, client id or secret, scope or permission (`invalid_token`,
    /// `expired_token` after a refresh, `NO_AUTH_FOUND`, `INVALID_CREDENTIALS`,
    /// `insufficient_scope`, `ACCESS_DENIED`, `WRONG_AUTH_TYPE`, `invalid_grant`,
    /// `invalid_client`, a classic `Access denied.`).
    pub fn is_auth(&self) -> bool {
        if self.inner.kind == ErrorKind::ReauthorizationRequired {
            return true;
        }
        match self.code() {
            Some(
                ApiErrorCode::ExpiredToken
                | ApiErrorCode::InvalidToken
                | ApiErrorCode::NoAuthFound
                | ApiErrorCode::InvalidCredentials
                | ApiErrorCode::InsufficientScope
                | ApiErrorCode::AccessDenied
                | ApiErrorCode::WrongAuthType
                | ApiErrorCode::InvalidGrant
                | ApiErrorCode::InvalidClient,
            ) => true,
            Some(ApiErrorCode::Empty) => self
                .description()
                .is_some_and(|d| classic_reason(d) == "access denied"),
            _ => false,
        }
    }

    /// True when the same call may succeed if sent again later: a rate limit, a 5xx answer
    /// or `INTERNAL_SERVER_ERROR`, or a transport failure. The client has already retried
    /// what its policy allows. A transport failure of a **write** is ambiguous (the portal
    /// may have run it): check before sending it again.
    pub fn is_retryable(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Transport => true,
            ErrorKind::Api => {
                self.is_rate_limited()
                    || self.is_code(&ApiErrorCode::InternalServerError)
                    || self.status().is_some_and(|s| s >= 500)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        match (&i.code, i.kind) {
            (Some(code), ErrorKind::Api) => {
                match code {
                    ApiErrorCode::Empty => write!(
                        f,
                        "Bitrix24 error: {}",
                        classic_reason(i.description.as_deref().unwrap_or(""))
                    )?,
                    code => write!(f, "Bitrix24 error {code}")?,
                }
                if let Some(status) = i.status {
                    write!(f, " (HTTP {status})")?;
                }
                if let Some(m) = &i.method {
                    write!(f, " in {m}")?;
                }
                if let Some(d) = i.description.as_deref().filter(|d| !d.is_empty()) {
                    write!(f, ": {d}")?;
                }
                if let Some(hint) = hints::for_code(code) {
                    write!(f, "; {hint}")?;
                }
                if !i.message.is_empty() {
                    write!(f, " ({})", i.message)?;
                }
                Ok(())
            }
            _ => {
                f.write_str(&i.message)?;
                if let Some(m) = &i.method {
                    write!(f, " (method {m})")?;
                }
                if let Some(status) = i.status {
                    write!(f, " (HTTP {status})")?;
                }
                if let Some(url) = &i.authorize_url {
                    write!(f, "; authorize the app again at {url}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(c) = &i.code {
            d.field("code", c);
        }
        if let Some(x) = &i.description {
            d.field("description", x);
        }
        if let Some(x) = &i.status {
            d.field("status", x);
        }
        if let Some(x) = &i.method {
            d.field("method", x);
        }
        if let Some(x) = &i.authorize_url {
            d.field("authorize_url", x);
        }
        if let Some(x) = &i.source {
            d.field("source", x);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_display_names_code_status_method_description() {
        let e = Error::api(
            ApiErrorCode::from("QUERY_LIMIT_EXCEEDED"),
            "Too many requests",
            Some(503),
        )
        .with_method("crm.lead.add");
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(
            e.to_string(),
            "Bitrix24 error QUERY_LIMIT_EXCEEDED (HTTP 503) in crm.lead.add: Too many requests"
        );
    }

    #[test]
    fn unknown_codes_round_trip() {
        let c = ApiErrorCode::from("SOMETHING_NEW");
        assert_eq!(c, ApiErrorCode::Unknown("SOMETHING_NEW".into()));
        assert_eq!(c.as_str(), "SOMETHING_NEW");
        assert_eq!(ApiErrorCode::from("").to_string(), "(no code)");
    }

    fn classic(description: &str) -> Error {
        Error::api(ApiErrorCode::Empty, description, Some(400)).with_method("crm.lead.get")
    }

    #[test]
    fn classic_errors_are_named_in_display() {
        assert_eq!(
            classic("Not found").to_string(),
            "Bitrix24 error: not found (HTTP 400) in crm.lead.get: Not found"
        );
        assert!(classic("ID is not defined or invalid.")
            .to_string()
            .starts_with("Bitrix24 error: invalid id (HTTP 400)"));
        assert!(classic("Access denied.")
            .to_string()
            .starts_with("Bitrix24 error: access denied"));
        assert!(classic("Something else")
            .to_string()
            .starts_with("Bitrix24 error: CRM error"));
    }

    #[test]
    fn predicates_sort_the_common_failures() {
        for not_found in ["Not found", "Lead is not found", "Contact is not found."] {
            assert!(classic(not_found).is_not_found(), "{not_found}");
        }
        assert!(!classic("The 'UF_X' field is not found.").is_not_found());
        assert!(!classic("Access denied.").is_not_found());
        assert!(Error::api(ApiErrorCode::NotFound, "Element not found", Some(400)).is_not_found());
        assert!(Error::api(ApiErrorCode::from("ERROR_NOT_FOUND"), "x", None).is_not_found());
        assert!(!Error::new(ErrorKind::Decode, "Not found").is_not_found());

        let limit = Error::api(ApiErrorCode::QueryLimitExceeded, "Too many", Some(503));
        assert!(limit.is_rate_limited() && limit.is_retryable() && !limit.is_auth());
        let op = Error::api(ApiErrorCode::OperationTimeLimit, "", Some(429));
        assert!(op.is_rate_limited() && op.is_retryable());

        assert!(Error::api(ApiErrorCode::InvalidToken, "", Some(401)).is_auth());
        assert!(classic("Access denied.").is_auth());
        assert!(Error::new(ErrorKind::ReauthorizationRequired, "again").is_auth());
        assert!(!classic("Not found").is_auth() && !classic("Not found").is_retryable());

        assert!(Error::api(ApiErrorCode::Unknown("X".into()), "", Some(502)).is_retryable());
        assert!(Error::new(ErrorKind::Transport, "timed out").is_retryable());
        assert!(!Error::new(ErrorKind::InvalidInput, "bad").is_retryable());
    }
}
