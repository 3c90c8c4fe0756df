//! The OAuth server side: authorization codes, token issue, refresh-token rotation.
//!
//! Lifetimes: a code lives 30 s and works once; an access token lives 3600 s; a refresh token
//! 180 days. Rotation is strict: a refresh token stops working as soon as it was used once
//! (the docs say "do not use the old one anymore"; strict is the safe reading, listed in the
//! sandbox README).

use super::secret;
use rusqlite::{params, Connection};

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
