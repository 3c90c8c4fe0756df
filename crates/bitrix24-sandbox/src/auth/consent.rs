//! The portal side of `/oauth/authorize/`: which app and user a consent page is for, the
//! per-page token that ties the Allow button to the page that showed it, and the code issued
//! when the user allows.
//!
//! The sandbox has no login: the page acts for user 1 (an administrator) unless the query
//! names another one with `user_id=N`. The real portal would show its login form instead.

use crate::auth::oauth::{issue_code, same_secret};
use crate::auth::secret;
use crate::db;
use md5::{Digest, Md5};
use rusqlite::{Connection, OptionalExtension};

/// The user a consent page acts for when the query does not say.
pub const DEFAULT_USER: i64 = 1;

/// How long a consent page may be answered, seconds of sandbox time.
pub const PAGE_TTL: i64 = 600;

/// The `meta` key of the portal's page-signing key.
const KEY_NAME: &str = "oauth_consent_key";

/// Everything a consent page shows and the Allow answer needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    /// App row id.
    pub app_id: i64,
    /// The app's `client_id`.
    pub client_id: String,
    /// The app's display name.
    pub app_name: String,
    /// Scopes the app is granted, comma-separated, as the app row has them.
    pub scope: String,
    /// Where Allow sends the browser: from the app row, never from the request.
    pub redirect_uri: String,
    /// The portal user the page acts for.
    pub user_id: i64,
    /// That user's full name.
    pub user_name: String,
}

/// Why no consent page can be shown. The real portal shows such errors on its own page and
/// never redirects to the app (protocol.md §1b).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentError(pub String);

impl std::fmt::Display for ConsentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConsentError {}

impl From<rusqlite::Error> for ConsentError {
    fn from(err: rusqlite::Error) -> Self {
        tracing::error!(error = %err, "sqlite error on the consent page");
        ConsentError("Internal error of the sandbox database".into())
    }
}

/// Looks up the app and the acting user of a consent request.
pub fn resolve(
    conn: &Connection,
    client_id: Option<&str>,
    user_id: Option<&str>,
) -> Result<Consent, ConsentError> {
    let client_id = client_id
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ConsentError("The client_id parameter is missing.".into()))?;
    let app: Option<(i64, String, String, String, i64)> = conn
        .query_row(
            "SELECT id, name, scope, redirect_uri, installed FROM apps WHERE client_id = ?1",
            [client_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((app_id, app_name, scope, redirect_uri, installed)) = app else {
        return Err(ConsentError("Application not found.".into()));
    };
    if installed == 0 {
        return Err(ConsentError(
            "The application is not installed on this portal.".into(),
        ));
    }
    let user_id = match user_id.map(str::trim).filter(|s| !s.is_empty()) {
        None => DEFAULT_USER,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| ConsentError("user_id must be a positive integer.".into()))?,
    };
    let user: Option<(String, String, i64)> = conn
        .query_row(
            "SELECT name, last_name, active FROM users WHERE id = ?1",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let user_name = match user {
        Some((name, last, active)) if active != 0 => format!("{name} {last}"),
        _ => {
            return Err(ConsentError(format!(
                "User {user_id} not found or inactive."
            )))
        }
    };
    Ok(Consent {
        app_id,
        client_id: client_id.to_string(),
        app_name,
        scope,
        redirect_uri,
        user_id,
        user_name,
    })
}

/// Signs a consent page: the Allow form carries this token, so a POST is only accepted for an
/// app, user and state a page was actually shown for, and only for [`PAGE_TTL`] seconds.
pub fn page_token(
    conn: &Connection,
    consent: &Consent,
    state: &str,
    now: i64,
) -> rusqlite::Result<String> {
    let key = signing_key(conn)?;
    Ok(format!("{now}.{}", sign(&key, consent, state, now)))
}

/// Checks a page token made by [`page_token`].
pub fn check_token(
    conn: &Connection,
    consent: &Consent,
    state: &str,
    token: &str,
    now: i64,
) -> Result<(), ConsentError> {
    let stale =
        || ConsentError("The authorization page is invalid or expired; open it again.".into());
    let (issued, mac) = token.split_once('.').ok_or_else(stale)?;
    let issued: i64 = issued.parse().map_err(|_| stale())?;
    // `issued` comes from the form: far in the past must not overflow the subtraction.
    if issued > now || now.saturating_sub(issued) > PAGE_TTL {
        return Err(stale());
    }
    let key = signing_key(conn)?;
    let expected = sign(&key, consent, state, issued);
    if same_secret(expected.as_bytes(), mac.as_bytes()) {
        Ok(())
    } else {
        Err(stale())
    }
}

/// Issues the one-time code for an allowed consent (30 s, [`crate::auth::oauth::CODE_TTL`]).
pub fn allow(conn: &Connection, consent: &Consent, now: i64) -> rusqlite::Result<String> {
    issue_code(conn, consent.app_id, consent.user_id, &consent.scope, now)
}

/// The portal's signing key, created on first use and kept in the data file.
fn signing_key(conn: &Connection) -> rusqlite::Result<String> {
    if let Some(key) = db::meta_get(conn, KEY_NAME)? {
        return Ok(key);
    }
    let key = secret::hex(64);
    db::meta_set(conn, KEY_NAME, &key)?;
    Ok(key)
}

fn sign(key: &str, consent: &Consent, state: &str, issued: i64) -> String {
    // Fields are length-prefixed so that no two different tuples produce the same message.
    let mut msg = Vec::new();
    let user = consent.user_id.to_string();
    let issued = issued.to_string();
    for part in [consent.client_id.as_str(), &user, state, &issued] {
        msg.extend_from_slice(part.len().to_string().as_bytes());
        msg.push(b':');
        msg.extend_from_slice(part.as_bytes());
    }
    hex::encode(hmac_md5(key.as_bytes(), &msg))
}

/// HMAC (RFC 2104) over MD5, the only digest among the crate's dependencies. Its use here is
/// tamper detection on a test portal, where HMAC-MD5 has no known practical weakness.
fn hmac_md5(key: &[u8], msg: &[u8]) -> [u8; 16] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..16].copy_from_slice(&Md5::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Md5::new();
    inner.update(block.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Md5::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portal_db() -> Connection {
        let conn = db::open(None, &[crate::auth::SCHEMA]).expect("db");
        crate::auth::apps::seed_users(&conn, 0).expect("users");
        conn
    }

    fn app(conn: &Connection) -> Consent {
        let app = crate::auth::apps::register_app(conn, &Default::default()).expect("app");
        resolve(conn, Some(&app.client_id), None).expect("consent")
    }

    /// RFC 2202 test case 2 proves the HMAC construction itself.
    #[test]
    fn hmac_md5_matches_rfc_2202() {
        let mac = hmac_md5(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "750c783e6ab0b503eaa86e310a5db738");
    }

    #[test]
    fn page_token_is_bound_to_state_user_and_time() {
        let conn = portal_db();
        let consent = app(&conn);
        let token = page_token(&conn, &consent, "s1", 1000).expect("token");
        assert!(check_token(&conn, &consent, "s1", &token, 1000 + PAGE_TTL).is_ok());
        assert!(check_token(&conn, &consent, "s2", &token, 1000).is_err());
        assert!(check_token(&conn, &consent, "s1", &token, 1001 + PAGE_TTL).is_err());
        let other_user = Consent {
            user_id: 2,
            ..consent.clone()
        };
        assert!(check_token(&conn, &other_user, "s1", &token, 1000).is_err());
        assert!(check_token(&conn, &consent, "s1", "garbage", 1000).is_err());
        for forged in [
            "-9223372036854775808.x",
            "9223372036854775807.x",
            "99999999999999999999.x",
            ".x",
        ] {
            assert!(check_token(&conn, &consent, "s1", forged, 1000).is_err());
        }
    }

    #[test]
    fn resolve_defaults_to_the_admin_and_refuses_unknown_input() {
        let conn = portal_db();
        let consent = app(&conn);
        assert_eq!(consent.user_id, DEFAULT_USER);
        let id = Some(consent.client_id.as_str());
        assert_eq!(resolve(&conn, id, Some("2")).expect("user 2").user_id, 2);
        assert!(resolve(&conn, id, Some("99")).is_err());
        assert!(resolve(&conn, id, Some("-1")).is_err());
        assert!(resolve(&conn, Some("local.nope"), None).is_err());
        assert!(resolve(&conn, None, None).is_err());
    }
}
