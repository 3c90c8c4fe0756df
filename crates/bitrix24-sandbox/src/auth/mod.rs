//! Who is calling: incoming webhooks (`/rest/{user}/{secret}/…`) and OAuth access tokens,
//! checked exactly as the portal's auth handlers do (`rest/lib/apauth/auth.php`,
//! `rest/lib/oauth/auth.php`). Every failure here is HTTP 401.

pub mod apps;
pub mod consent;
pub mod oauth;
pub mod secret;

use crate::error::ApiError;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{Map, Value};

/// Tables of the auth layer: users, apps, webhooks, OAuth codes and tokens.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    time_zone TEXT NOT NULL DEFAULT '',
    date_register INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS apps (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    install_url TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL,
    application_token TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'L',
    installed INTEGER NOT NULL DEFAULT 1,
    version TEXT NOT NULL DEFAULT '1'
);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    secret TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    expires_at INTEGER
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
"#;

/// The authenticated caller of a method.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// The portal user the call runs as.
    pub user_id: i64,
    /// Webhook or app.
    pub kind: CallerKind,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Whether the user is a portal administrator.
    pub admin: bool,
}

/// The kind of credentials a call came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerKind {
    /// An incoming webhook, by its id.
    Webhook {
        /// Webhook id.
        id: i64,
    },
    /// An OAuth application, by its id.
    App {
        /// App id.
        app_id: i64,
    },
}

impl Caller {
    /// True for OAuth app calls.
    pub fn is_app(&self) -> bool {
        matches!(self.kind, CallerKind::App { .. })
    }

    /// The app id, for app calls.
    pub fn app_id(&self) -> Option<i64> {
        match self.kind {
            CallerKind::App { app_id } => Some(app_id),
            CallerKind::Webhook { .. } => None,
        }
    }

    /// Whether a method of `scope` may be called. `basic` is always granted, and `user` is
    /// granted by `user_brief` or `user_basic` (`RestManager::fillAlternativeScope`).
    pub fn has_scope(&self, scope: &str) -> bool {
        if scope == "basic" {
            return true;
        }
        self.scopes
            .iter()
            .any(|s| s == scope || (scope == "user" && (s == "user_brief" || s == "user_basic")))
    }

    /// The `insufficient_scope` error for this kind of credentials.
    pub fn insufficient_scope(&self) -> ApiError {
        let token = if self.is_app() { "access" } else { "webhook" };
        ApiError::auth(
            "insufficient_scope",
            &format!("The request requires higher privileges than provided by the {token} token"),
        )
    }

    /// The operating-limit key part for this caller (auth type and app or webhook id).
    pub fn limiter_key(&self) -> String {
        match self.kind {
            CallerKind::Webhook { id } => format!("apauth|{id}"),
            CallerKind::App { app_id } => format!("oauth|{app_id}"),
        }
    }
}

/// Credentials taken from the webhook path.
#[derive(Debug, Clone)]
pub struct WebhookPath {
    /// `aplogin`: the user id (or login) in the path.
    pub user: String,
    /// `ap`: the webhook secret.
    pub secret: String,
}

/// Where a request's credentials came from.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Path credentials of an incoming webhook.
    pub webhook: Option<WebhookPath>,
    /// The `Authorization: Bearer` token, checked first.
    pub bearer: Option<String>,
    /// Whether the request came over HTTPS.
    pub https: bool,
}

/// Authenticates a call and removes `auth`, `access_token` and `auth_connector` from its
/// parameters, as the portal does before the method sees them.
pub fn authenticate(
    conn: &Connection,
    creds: &Credentials,
    params: &mut Map<String, Value>,
    now: i64,
    allow_http_webhooks: bool,
) -> Result<Caller, ApiError> {
    let result = match &creds.webhook {
        Some(path) => webhook(conn, path, creds.https || allow_http_webhooks, now),
        None => match token_from(creds, params) {
            Some(token) => access_token(conn, &token, now),
            None => Err(ApiError::auth("NO_AUTH_FOUND", "Wrong authorization data")),
        },
    };
    if result.is_ok() {
        for key in ["auth", "access_token", "auth_connector"] {
            params.shift_remove(key);
        }
    }
    result
}

fn token_from(creds: &Credentials, params: &Map<String, Value>) -> Option<String> {
    if let Some(b) = &creds.bearer {
        return Some(b.clone());
    }
    for key in ["auth", "access_token"] {
        if let Some(Value::String(s)) = params.get(key) {
            if !s.is_empty() {
                return Some(s.clone());
            }
        }
    }
    None
}

fn webhook(
    conn: &Connection,
    path: &WebhookPath,
    https: bool,
    now: i64,
) -> Result<Caller, ApiError> {
    if !https {
        return Err(ApiError::auth("INVALID_REQUEST", "Https required."));
    }
    let invalid = || ApiError::auth("INVALID_CREDENTIALS", "Invalid request credentials");
    let row: Option<(i64, i64, String, Option<i64>)> = conn
        .query_row(
            "SELECT id, user_id, scope, expires_at FROM webhooks WHERE secret = ?1",
            [&path.secret],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((id, user_id, scope, expires_at)) = row else {
        return Err(invalid());
    };
    if path.user != user_id.to_string() || expires_at.is_some_and(|t| t <= now) {
        return Err(invalid());
    }
    Ok(Caller {
        user_id,
        kind: CallerKind::Webhook { id },
        scopes: split_scope(&scope),
        admin: is_admin(conn, user_id)?,
    })
}

fn access_token(conn: &Connection, token: &str, now: i64) -> Result<Caller, ApiError> {
    let row: Option<(i64, i64, String, i64)> = conn
        .query_row(
            "SELECT app_id, user_id, scope, expires_at FROM access_tokens WHERE token = ?1",
            [token],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((app_id, user_id, scope, expires_at)) = row else {
        return Err(ApiError::auth(
            "invalid_token",
            "The access token provided is invalid",
        ));
    };
    if expires_at <= now {
        return Err(ApiError::auth(
            "expired_token",
            "The access token provided has expired",
        ));
    }
    Ok(Caller {
        user_id,
        kind: CallerKind::App { app_id },
        scopes: split_scope(&scope),
        admin: is_admin(conn, user_id)?,
    })
}

/// Splits a comma-separated scope list.
pub fn split_scope(scope: &str) -> Vec<String> {
    scope
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn is_admin(conn: &Connection, user_id: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row("SELECT admin FROM users WHERE id = ?1", [user_id], |r| {
            r.get::<_, i64>(0)
        })
        .optional()?
        .unwrap_or(0)
        != 0)
}
