//! The token record: what a token store keeps per portal ([`TokenRecord`]), built from a
//! token answer ([`TokenResponse`], kept at this path too) and read back by the stores.

pub use super::token_response::TokenResponse;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::{SystemTime, UNIX_EPOCH};

/// What a token store keeps for one portal (keyed by `member_id`). `Debug` never shows the
/// tokens; serializing it (what stores do) writes them in clear, so keep the result private.
///
/// Non-exhaustive, so fields can be added without breaking you: build one with
/// [`TokenRecord::new`] (or [`TokenRecord::from_response`]) and set the public fields after.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenRecord {
    /// The portal's id, the store key.
    pub member_id: String,
    /// The portal's domain as the app last saw it (may be empty when unknown).
    pub domain: String,
    /// The current access token.
    pub access_token: SecretString,
    /// The current refresh token: the only one that still works after a rotation.
    pub refresh_token: SecretString,
    /// Unix time (this machine's clock) when the access token expires.
    pub expires_at: i64,
    /// Granted scopes, comma-separated.
    pub scope: String,
    /// The portal's REST endpoint, e.g. `https://portal.bitrix24.com/rest/`.
    pub client_endpoint: String,
    /// The OAuth server's REST endpoint.
    pub server_endpoint: String,
    /// The user the tokens act as, when known.
    pub user_id: Option<u64>,
    /// Counts refreshes: every save of a refreshed pair stores the previous value plus one, so
    /// a process can tell that another one already refreshed.
    pub generation: u64,
    /// The portal's application token for this app, learnt from the install call: the secret
    /// that event calls carry in `auth[application_token]`. `None` for tokens got through the
    /// OAuth redirect alone. A refresh keeps it.
    pub application_token: Option<SecretString>,
}

impl TokenRecord {
    /// A record of portal `member_id` with its pair, the access token expiring at
    /// `expires_at` (unix time), generation 1; every other field empty.
    pub fn new(
        member_id: impl Into<String>,
        access_token: SecretString,
        refresh_token: SecretString,
        expires_at: i64,
    ) -> Self {
        Self {
            member_id: member_id.into(),
            domain: String::new(),
            access_token,
            refresh_token,
            expires_at,
            scope: String::new(),
            client_endpoint: String::new(),
            server_endpoint: String::new(),
            user_id: None,
            generation: 1,
            application_token: None,
        }
    }

    /// Builds the record for a token answer received just now. `domain` is the portal's
    /// (the answer's own `domain` is the OAuth server's); `generation` the new generation.
    pub fn from_response(response: &TokenResponse, domain: &str, generation: u64) -> Self {
        // The lifetime is counted from when the answer arrived, on this machine's clock:
        // `expires` is the server's clock, and the two may disagree by minutes. Only when
        // `expires_in` is missing is `expires` taken as is.
        let now = unix_now();
        let expires_at = match (response.expires_in, response.expires) {
            (Some(secs), _) => now.saturating_add(secs),
            (None, Some(at)) => at,
            (None, None) => now.saturating_add(3600),
        };
        Self {
            member_id: response.member_id.clone(),
            domain: domain.to_string(),
            access_token: response.access_token.clone(),
            refresh_token: response.refresh_token.clone(),
            expires_at,
            scope: response.scope.clone(),
            client_endpoint: response.client_endpoint.clone(),
            server_endpoint: response.server_endpoint.clone(),
            user_id: response.user_id,
            generation,
            application_token: None,
        }
    }

    /// True when the access token expires within `margin_secs` from now.
    pub fn expires_within(&self, margin_secs: i64) -> bool {
        self.expires_at.saturating_sub(margin_secs) <= unix_now()
    }

    /// True when both records hold the same refresh token (compared in constant time).
    pub(crate) fn same_refresh_token(&self, other: &TokenRecord) -> bool {
        constant_time_eq(
            self.refresh_token.expose_secret().as_bytes(),
            other.refresh_token.expose_secret().as_bytes(),
        )
    }
}

impl std::fmt::Debug for TokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenRecord")
            .field("member_id", &self.member_id)
            .field("domain", &self.domain)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("client_endpoint", &self.client_endpoint)
            .field("user_id", &self.user_id)
            .field("generation", &self.generation)
            .field("has_application_token", &self.application_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The stored form: plain strings, because `SecretString` deliberately cannot be serialized.
#[derive(Serialize, Deserialize)]
struct Stored {
    member_id: String,
    #[serde(default)]
    domain: String,
    access_token: String,
    refresh_token: String,
    expires_at: i64,
    #[serde(default)]
    scope: String,
    client_endpoint: String,
    #[serde(default)]
    server_endpoint: String,
    #[serde(default)]
    user_id: Option<u64>,
    #[serde(default)]
    generation: u64,
    // Absent from files written before the field existed (their application tokens are
    // side records, which `Portals` still reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    application_token: Option<String>,
}

impl Serialize for TokenRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Stored {
            member_id: self.member_id.clone(),
            domain: self.domain.clone(),
            access_token: self.access_token.expose_secret().to_string(),
            refresh_token: self.refresh_token.expose_secret().to_string(),
            expires_at: self.expires_at,
            scope: self.scope.clone(),
            client_endpoint: self.client_endpoint.clone(),
            server_endpoint: self.server_endpoint.clone(),
            user_id: self.user_id,
            generation: self.generation,
            application_token: self
                .application_token
                .as_ref()
                .map(|t| t.expose_secret().to_string()),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TokenRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Stored::deserialize(deserializer)?;
        Ok(Self {
            member_id: s.member_id,
            domain: s.domain,
            access_token: s.access_token.into(),
            refresh_token: s.refresh_token.into(),
            expires_at: s.expires_at,
            scope: s.scope,
            client_endpoint: s.client_endpoint,
            server_endpoint: s.server_endpoint,
            user_id: s.user_id,
            generation: s.generation,
            application_token: s.application_token.map(SecretString::from),
        })
    }
}

/// Seconds since the Unix epoch on this machine's clock.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Compares two byte strings without stopping at the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> TokenResponse {
        serde_json::from_str(json).expect("token answer")
    }

    #[test]
    fn record_counts_the_lifetime_on_the_local_clock() {
        let r = answer(
            r#"{"access_token":"AAA","refresh_token":"RRR","expires":1,"expires_in":3600,
                "scope":"crm","member_id":"m1","client_endpoint":"https://p/rest/","user_id":"7"}"#,
        );
        let rec = TokenRecord::from_response(&r, "p.bitrix24.com", 3);
        let now = unix_now();
        assert!(
            (now + 3590..=now + 3610).contains(&rec.expires_at),
            "{}",
            rec.expires_at
        );
        assert_eq!(rec.generation, 3);
        assert_eq!(rec.user_id, Some(7));
        assert!(!rec.expires_within(60));
        assert!(rec.expires_within(3700));
    }

    /// A lifetime of zero or less would expire the record at once (a refresh on every call);
    /// NaN, inf or a fraction is no lifetime: each falls back to `expires`, then to 3600 s.
    #[test]
    fn hostile_numbers_in_a_token_answer_fall_back_to_defaults() {
        for bad in [
            r#""NaN""#, r#""inf""#, "-1", r#""-5""#, "1e300", "[]", r#""x""#,
        ] {
            let r = answer(&format!(
                r#"{{"access_token":"a","refresh_token":"r","expires_in":{bad},"expires":{bad},"user_id":{bad}}}"#
            ));
            assert_eq!(
                (r.expires_in, r.expires, r.user_id),
                (None, None, None),
                "{bad}"
            );
            let rec = TokenRecord::from_response(&r, "", 1);
            let now = unix_now();
            assert!((now + 3590..=now + 3610).contains(&rec.expires_at), "{bad}");
        }
        // Zero or a fraction is no lifetime and no id (but 0 is a unix time).
        for bad in ["0", "1.5"] {
            let r = answer(&format!(
                r#"{{"access_token":"a","refresh_token":"r","expires_in":{bad},"user_id":{bad}}}"#
            ));
            assert_eq!((r.expires_in, r.user_id), (None, None), "{bad}");
        }
    }

    #[test]
    fn record_round_trips_through_json_and_hides_secrets_in_debug() {
        let r = answer(r#"{"access_token":"sekrit-a","refresh_token":"sekrit-r","expires":99}"#);
        let rec = TokenRecord::from_response(&r, "", 1);
        assert_eq!(rec.expires_at, 99);
        let json = serde_json::to_string(&rec).expect("json");
        let back: TokenRecord = serde_json::from_str(&json).expect("back");
        assert_eq!(back.refresh_token.expose_secret(), "sekrit-r");
        assert!(back.same_refresh_token(&rec));
        let shown = format!("{rec:?} {r:?}");
        assert!(!shown.contains("sekrit"), "{shown}");
    }

    /// Records written before the field existed read back without an application token;
    /// one with it keeps it, and `Debug` tells only whether there is one.
    #[test]
    fn the_application_token_is_optional_in_stored_records() {
        let old = r#"{"member_id":"m","access_token":"a","refresh_token":"r","expires_at":5,
                      "client_endpoint":"https://p/rest/","generation":2}"#;
        let rec: TokenRecord = serde_json::from_str(old).expect("old record");
        assert!(rec.application_token.is_none());
        assert!(!serde_json::to_string(&rec)
            .expect("json")
            .contains("application_token"));
        let mut rec = rec;
        rec.application_token = Some(SecretString::from("sekrit-app"));
        let back: TokenRecord =
            serde_json::from_str(&serde_json::to_string(&rec).expect("json")).expect("back");
        assert_eq!(
            back.application_token.as_ref().map(|t| t.expose_secret()),
            Some("sekrit-app")
        );
        let shown = format!("{back:?}");
        assert!(!shown.contains("sekrit") && shown.contains("has_application_token: true"));
    }
}
