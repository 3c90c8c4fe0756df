//! The answer of the OAuth server's `/oauth/token/` to a code exchange or a refresh.

use crate::numbers;
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The answer of the OAuth server's `/oauth/token/` to a code exchange or a refresh
/// (protocol.md §1b). Both grants return the same field set; fields the server left out are
/// `None`. `Debug` never shows the tokens.
#[derive(Clone, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token (lives 3600 s).
    pub access_token: SecretString,
    /// The new refresh token; the one just used must not be used again.
    pub refresh_token: SecretString,
    /// Unix time when the access token expires (seen on refresh answers); `None` when
    /// absent or not a unix time.
    #[serde(default, deserialize_with = "unix_time")]
    pub expires: Option<i64>,
    /// Lifetime of the access token in seconds; `None` when absent or not a positive
    /// number of seconds (at most ten years).
    #[serde(default, deserialize_with = "lifetime")]
    pub expires_in: Option<i64>,
    /// Granted scopes, comma-separated.
    #[serde(default)]
    pub scope: String,
    /// The OAuth server's domain (not the portal's).
    #[serde(default)]
    pub domain: String,
    /// The OAuth server's own REST endpoint.
    #[serde(default)]
    pub server_endpoint: String,
    /// The portal's REST endpoint: where the app's calls go.
    #[serde(default)]
    pub client_endpoint: String,
    /// The portal's id; stays the same when the portal's domain changes.
    #[serde(default)]
    pub member_id: String,
    /// The user the tokens act as (seen on refresh answers); `None` when absent or not an id.
    #[serde(default, deserialize_with = "id")]
    pub user_id: Option<u64>,
    /// The app status letter (`L`, `F`, `D`, `T`, `P`).
    #[serde(default)]
    pub status: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires", &self.expires)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field("client_endpoint", &self.client_endpoint)
            .field("member_id", &self.member_id)
            .field("user_id", &self.user_id)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// Reads a number field of a token answer with one of the `numbers` checks. PHP may send
/// a JSON number or numeric text; anything out of range is `None`, so the record falls back
/// to its defaults rather than failing a token answer (or expiring at once) over one field.
fn checked<'de, D, T>(
    deserializer: D,
    check: fn(&Value) -> Option<T>,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(check(&Value::deserialize(deserializer)?))
}

fn unix_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    checked(d, numbers::unix_time)
}

fn lifetime<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    checked(d, numbers::lifetime)
}

fn id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    checked(d, numbers::id)
}
