//! The browser half of OAuth: the anti-forgery `state` and the redirect back to the app.

use super::tokens::constant_time_eq;
use crate::error::{Error, ErrorKind, Result};
use rand::Rng;
use secrecy::SecretString;
use std::fmt::Write as _;

/// The `state` sent to `/oauth/authorize/` and checked when the browser comes back: 256
/// random bits, hex-encoded. Keep it in the user's session between the two requests.
/// `Debug` does not show it.
#[derive(Clone)]
pub struct State(String);

impl State {
    /// A new random state.
    pub fn new() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill(&mut bytes);
        let mut hex = String::with_capacity(64);
        for b in bytes {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{b:02x}");
        }
        Self(hex)
    }

    /// A state kept from earlier (e.g. read back from the user's session).
    pub fn from_saved(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, to put into the user's session.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `received` is this state; compared in constant time so the comparison does
    /// not reveal how much of a forged value was right.
    pub fn matches(&self, received: &str) -> bool {
        !self.0.is_empty() && constant_time_eq(self.0.as_bytes(), received.as_bytes())
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("State(..)")
    }
}

/// What the portal sends the browser back with (protocol.md §1b). `Debug` hides the code.
#[derive(Clone)]
#[non_exhaustive]
pub struct Redirect {
    /// The one-time authorization code (valid 30 s): exchange it at once.
    pub code: SecretString,
    /// The portal's host, e.g. `portal.bitrix24.com`.
    pub domain: String,
    /// The portal's id.
    pub member_id: String,
    /// Granted scopes, comma-separated.
    pub scope: String,
    /// The OAuth server's domain, e.g. `oauth.bitrix.info`.
    pub server_domain: String,
}

impl std::fmt::Debug for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redirect")
            .field("domain", &self.domain)
            .field("member_id", &self.member_id)
            .field("scope", &self.scope)
            .field("server_domain", &self.server_domain)
            .finish_non_exhaustive()
    }
}

/// Reads the redirect the portal sent the browser to: `query` is the query string (with or
/// without the leading `?`) or the whole redirect URL.
///
/// # Errors
/// [`ErrorKind::OAuthRedirect`] when `state` is missing or is not `expected`, or when there is
/// no `code` (the state is checked first: a forged redirect is refused whatever it holds).
pub fn parse_redirect(query: &str, expected: &State) -> Result<Redirect> {
    let query = query.trim();
    let query = match query.find('?') {
        Some(at) => query.get(at + 1..).unwrap_or_default(),
        None => query,
    };
    let query = query.split('#').next().unwrap_or_default();
    let mut code = None;
    let mut state = None;
    let mut redirect = Redirect {
        code: SecretString::from(String::new()),
        domain: String::new(),
        member_id: String::new(),
        scope: String::new(),
        server_domain: String::new(),
    };
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "domain" => redirect.domain = value.into_owned(),
            "member_id" => redirect.member_id = value.into_owned(),
            "scope" => redirect.scope = value.into_owned(),
            "server_domain" => redirect.server_domain = value.into_owned(),
            _ => {}
        }
    }
    let bad = |why: &str| Error::new(ErrorKind::OAuthRedirect, why.to_string());
    match state {
        None => {
            return Err(bad(
                "the OAuth redirect has no state; start the authorization again",
            ))
        }
        Some(s) if !expected.matches(&s) => {
            return Err(bad(
                "the OAuth redirect's state does not match the one sent (a forged or stale \
                 redirect); start the authorization again",
            ))
        }
        Some(_) => {}
    }
    match code.filter(|c| !c.is_empty()) {
        Some(c) => redirect.code = SecretString::from(c),
        None => {
            return Err(bad(
                "the OAuth redirect has no code (the user denied access or the portal refused \
                 the app); start the authorization again",
            ))
        }
    }
    Ok(redirect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn states_are_long_random_and_distinct() {
        let (a, b) = (State::new(), State::new());
        assert_eq!(a.as_str().len(), 64);
        assert_ne!(a.as_str(), b.as_str());
        assert!(a.matches(a.as_str()));
        assert!(!a.matches(b.as_str()));
        assert!(!a.matches(""));
        assert!(
            !State::from_saved("").matches(""),
            "an empty state never matches"
        );
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn parses_the_documented_redirect() {
        let st = State::from_saved("st-1");
        let r = parse_redirect(
            "https://app.example/cb?code=C0DE&state=st-1&domain=p.bitrix24.com&member_id=abc\
             &scope=crm%2Cuser&server_domain=oauth.bitrix.info",
            &st,
        )
        .expect("redirect");
        assert_eq!(r.code.expose_secret(), "C0DE");
        assert_eq!(r.domain, "p.bitrix24.com");
        assert_eq!(r.member_id, "abc");
        assert_eq!(r.scope, "crm,user");
        assert_eq!(r.server_domain, "oauth.bitrix.info");
        assert!(!format!("{r:?}").contains("C0DE"));
        assert!(parse_redirect("?code=X&state=st-1", &st).is_ok());
    }

    #[test]
    fn refuses_wrong_state_and_missing_code() {
        let st = State::from_saved("st-1");
        for q in [
            "code=X&state=st-2",
            "code=X",
            "state=st-1",
            "state=st-1&code=",
            "",
        ] {
            let e = parse_redirect(q, &st).expect_err(q);
            assert_eq!(e.kind(), ErrorKind::OAuthRedirect, "{q}");
            assert!(!e.to_string().contains("st-1"), "{e}");
        }
    }
}
