//! The OAuth server side: authorization codes, token issue, refresh-token rotation.
//!
//! Lifetimes: a code lives 30 s and works once; an access token lives 3600 s; a refresh token
//! 180 days. Rotation is strict: a refresh token stops working as soon as it was used once
//! (the docs say "do not use the old one anymore"; strict is the safe reading, listed in the
//! sandbox README).

use super::secret;
use crate::php::value::as_string;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};

/// Lifetime of an authorization code, seconds.
pub const CODE_TTL: i64 = 30;
/// Lifetime of an access token, seconds.
pub const ACCESS_TTL: i64 = 3600;
/// Lifetime of a refresh token, seconds (180 days).
pub const REFRESH_TTL: i64 = 180 * 24 * 3600;

/// A freshly issued token pair.
#[derive(Clone, PartialEq)]
pub struct TokenPair {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Unix time the access token expires.
    pub expires: i64,
    /// Granted scopes, comma-separated.
    pub scope: String,
    /// The user the tokens act as.
    pub user_id: i64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires", &self.expires)
            .field("scope", &self.scope)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// Issues a new access/refresh token pair for an app and user.
pub fn issue_tokens(
    conn: &Connection,
    app_id: i64,
    user_id: i64,
    scope: &str,
    now: i64,
) -> rusqlite::Result<TokenPair> {
    let access_token = secret::alnum(70);
    let refresh_token = secret::alnum(70);
    let expires = now + ACCESS_TTL;
    conn.execute(
        "INSERT INTO access_tokens (token, app_id, user_id, scope, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![access_token, app_id, user_id, scope, expires],
    )?;
    conn.execute(
        "INSERT INTO refresh_tokens (token, app_id, user_id, scope, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![refresh_token, app_id, user_id, scope, now + REFRESH_TTL],
    )?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        expires,
        scope: scope.to_string(),
        user_id,
    })
}

/// Creates a one-time authorization code for an app and user.
pub fn issue_code(
    conn: &Connection,
    app_id: i64,
    user_id: i64,
    scope: &str,
    now: i64,
) -> rusqlite::Result<String> {
    let code = secret::alnum(70);
    conn.execute(
        "INSERT INTO oauth_codes (code, app_id, user_id, scope, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![code, app_id, user_id, scope, now + CODE_TTL],
    )?;
    Ok(code)
}

/// The client credentials and grant of one `/oauth/token/` request.
#[derive(Clone, PartialEq)]
pub struct TokenRequest {
    /// `client_id` of the app asking.
    pub client_id: String,
    /// `client_secret` of the app asking.
    pub client_secret: String,
    /// What is exchanged for tokens.
    pub grant: Grant,
}

impl std::fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.grant {
            Grant::AuthorizationCode(_) => "authorization_code",
            Grant::RefreshToken(_) => "refresh_token",
        };
        f.debug_struct("TokenRequest")
            .field("client_id", &self.client_id)
            .field("grant_type", &kind)
            .finish_non_exhaustive()
    }
}

/// The two grant types the Bitrix24 OAuth server knows.
#[derive(Clone, PartialEq)]
pub enum Grant {
    /// `grant_type=authorization_code` with the `code` from the redirect.
    AuthorizationCode(String),
    /// `grant_type=refresh_token` with the current `refresh_token`.
    RefreshToken(String),
}

/// An error answer of the token endpoint: `{"error", "error_description"}` with a status.
///
/// The statuses are not documented (protocol.md §11); they follow what the official PHP SDK
/// expects (`ApiLevelErrorHandler::handleOAuthError`): `invalid_grant` and `invalid_request`
/// 400, `invalid_client` 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantError {
    /// HTTP status.
    pub status: u16,
    /// The `error` field.
    pub error: &'static str,
    /// The `error_description` field (never contains a secret).
    pub description: String,
}

impl GrantError {
    /// 400 `invalid_request`: a parameter is missing or the grant type is unknown.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    /// 401 `invalid_client`: unknown app, wrong secret, or the app is not installed.
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", description)
    }

    /// 400 `invalid_grant`: the code or refresh token is unknown, used, expired or foreign.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    /// 500 `server_error` (RFC 6749 §4.1.2.1): the sandbox itself failed.
    pub fn server_error() -> Self {
        Self::new(500, "server_error", "Internal server error")
    }

    fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }
}

impl std::fmt::Display for GrantError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.error, self.description)
    }
}

impl std::error::Error for GrantError {}

impl From<rusqlite::Error> for GrantError {
    fn from(err: rusqlite::Error) -> Self {
        tracing::error!(error = %err, "sqlite error in the token endpoint");
        Self::server_error()
    }
}

impl TokenRequest {
    /// Reads a request from the merged query/body parameters. Checks presence only; whether
    /// the values are right is decided by [`exchange`].
    pub fn from_params(params: &Map<String, Value>) -> Result<Self, GrantError> {
        let grant_type = required(params, "grant_type")?;
        let client_id = required(params, "client_id")?;
        let client_secret = required(params, "client_secret")?;
        let grant = match grant_type.as_str() {
            "authorization_code" => Grant::AuthorizationCode(required(params, "code")?),
            "refresh_token" => Grant::RefreshToken(required(params, "refresh_token")?),
            _ => {
                return Err(GrantError::invalid_request(
                    "Unsupported grant_type: use authorization_code or refresh_token",
                ))
            }
        };
        Ok(Self {
            client_id,
            client_secret,
            grant,
        })
    }
}

fn required(params: &Map<String, Value>, name: &str) -> Result<String, GrantError> {
    params
        .get(name)
        .and_then(as_string)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| GrantError::invalid_request(format!("Parameter {name} is required")))
}

/// What a successful grant gives: the new pair and the app's status letter (`L`, `F`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Granted {
    /// The new token pair.
    pub tokens: TokenPair,
    /// The app status as `app.info` reports it.
    pub status: String,
}

/// Runs a token request: authenticates the client, consumes the code or refresh token, and
/// issues a new pair. The caller wraps this in one `BEGIN IMMEDIATE` transaction; the
/// conditional `UPDATE … AND used = 0` below makes a grant single-use even without it.
pub fn exchange(conn: &Connection, req: &TokenRequest, now: i64) -> Result<Granted, GrantError> {
    let (app_id, status) = client(conn, req)?;
    let (table, column, key, label) = match &req.grant {
        Grant::AuthorizationCode(c) => ("oauth_codes", "code", c, "Authorization code"),
        Grant::RefreshToken(t) => ("refresh_tokens", "token", t, "Refresh token"),
    };
    let row: Option<(i64, i64, String, i64, i64)> = conn
        .query_row(
            &format!(
                "SELECT app_id, user_id, scope, expires_at, used FROM {table} WHERE {column} = ?1"
            ),
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let invalid = || GrantError::invalid_grant(format!("{label} is invalid or was already used"));
    let Some((owner, user_id, scope, expires_at, used)) = row else {
        return Err(invalid());
    };
    // A grant issued to another app is reported like an unknown one: it must not reveal
    // that the value exists.
    if owner != app_id || used != 0 {
        return Err(invalid());
    }
    // Same comparison as the portal's access-token check: `expires <= time()` is expired.
    if expires_at <= now {
        return Err(GrantError::invalid_grant(format!("{label} has expired")));
    }
    // Strict rotation (protocol.md §11 leaves it open): the value stops working the moment it
    // is used, so a racing second use finds `used = 1` and fails.
    let consumed = conn.execute(
        &format!("UPDATE {table} SET used = 1 WHERE {column} = ?1 AND used = 0"),
        [key],
    )?;
    if consumed != 1 {
        return Err(invalid());
    }
    let tokens = issue_tokens(conn, app_id, user_id, &scope, now)?;
    Ok(Granted { tokens, status })
}

/// Authenticates the client: `(app id, status)`.
fn client(conn: &Connection, req: &TokenRequest) -> Result<(i64, String), GrantError> {
    let row: Option<(i64, String, String, i64)> = conn
        .query_row(
            "SELECT id, client_secret, status, installed FROM apps WHERE client_id = ?1",
            [&req.client_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((id, secret, status, installed)) = row else {
        return Err(GrantError::invalid_client("Unknown client_id"));
    };
    if !same_secret(secret.as_bytes(), req.client_secret.as_bytes()) {
        return Err(GrantError::invalid_client("Wrong client_secret"));
    }
    if installed == 0 {
        return Err(GrantError::invalid_client(
            "The application is not installed on the portal",
        ));
    }
    Ok((id, status))
}

/// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed when it succeeds, rolled back
/// when it fails or when the commit itself fails (so no transaction is ever left open on the
/// shared connection).
pub fn in_transaction<T, E: From<rusqlite::Error>>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = f(conn);
    let end = match &result {
        Ok(_) => conn.execute_batch("COMMIT"),
        Err(_) => conn.execute_batch("ROLLBACK"),
    };
    if let Err(e) = end {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(e.into());
    }
    result
}

/// Compares secrets without stopping at the first difference.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn count_codes(conn: &Connection) -> i64 {
        conn.query_row("SELECT COUNT(*) FROM oauth_codes", [], |r| r.get(0))
            .expect("count")
    }

    #[test]
    fn a_failed_transaction_leaves_nothing_and_the_connection_usable() {
        let conn = crate::db::open(None, &[crate::auth::SCHEMA]).expect("db");
        let failed: Result<(), GrantError> = in_transaction(&conn, |c| {
            issue_code(c, 1, 1, "crm", 0)?;
            Err(GrantError::invalid_grant("no"))
        });
        assert!(failed.is_err());
        assert_eq!(count_codes(&conn), 0, "rolled back");
        let ok: Result<String, GrantError> =
            in_transaction(&conn, |c| Ok(issue_code(c, 1, 1, "crm", 0)?));
        assert!(ok.is_ok(), "no transaction was left open");
        assert_eq!(count_codes(&conn), 1);
    }

    #[test]
    fn array_or_empty_parameters_are_missing() {
        let params = |v: serde_json::Value| v.as_object().cloned().expect("object");
        let base = json!({"grant_type": "refresh_token", "client_id": "a", "client_secret": "b"});
        let mut with_array = params(base.clone());
        with_array.insert("refresh_token".into(), json!({"0": "x"}));
        let err = TokenRequest::from_params(&with_array).expect_err("array is not a token");
        assert_eq!((err.status, err.error), (400, "invalid_request"));
        let mut empty = params(base.clone());
        empty.insert("refresh_token".into(), json!(""));
        assert!(TokenRequest::from_params(&empty).is_err());
        let mut good = params(base);
        good.insert("refresh_token".into(), json!("x"));
        let req = TokenRequest::from_params(&good).expect("valid");
        assert!(req.grant == Grant::RefreshToken("x".into()));
        assert!(
            !format!("{req:?}").contains("\"b\""),
            "Debug hides the secret"
        );
    }
}
