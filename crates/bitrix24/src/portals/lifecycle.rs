//! The app lifecycle calls a portal makes: the install call (protocol.md §1d), in either of its
//! two shapes, and the fields an app must keep from it.
//!
//! - An app **without a UI** gets the `ONAPPINSTALL` event POSTed to its install URL:
//!   `event=ONAPPINSTALL&auth[access_token]=…&auth[refresh_token]=…&auth[member_id]=…
//!   &auth[application_token]=…`.
//! - An app **with a UI** gets its install page POSTed in the portal's frame: `AUTH_ID`,
//!   `REFRESH_ID`, `AUTH_EXPIRES`, `member_id`, `APPLICATION_TOKEN`, `SERVER_ENDPOINT`, …, with
//!   `DOMAIN` and `PROTOCOL` in the query string.
//!
//! Both carry the first token pair and the `application_token` that later event calls are
//! verified with. [`parse_install`] reads either into one [`Installation`]; the registry
//! [`Portals`](super::Portals) stores it.

use crate::auth::tokens::unix_now;
use crate::error::{Error, ErrorKind, Result};
use crate::events::form;
use crate::events::parse::{parse_event, EventKind};
use crate::store::TokenRecord;
use secrecy::SecretString;
use serde_json::{Map, Value};
use std::fmt;

/// What an install call told the app about one portal. `Debug` hides the secrets.
#[derive(Clone)]
#[non_exhaustive]
pub struct Installation {
    /// The portal's stable id: the key of everything stored for it.
    pub member_id: String,
    /// The portal host, e.g. `example.bitrix24.com` (may be empty when the call omits it).
    pub domain: String,
    /// The portal's REST base, e.g. `https://example.bitrix24.com/rest/`.
    pub client_endpoint: String,
    /// The OAuth server's REST base.
    pub server_endpoint: String,
    /// The secret that later event calls of this portal carry.
    pub application_token: SecretString,
    /// The first access token.
    pub access_token: SecretString,
    /// The first refresh token.
    pub refresh_token: SecretString,
    /// The access token's lifetime in seconds, when given as 1 s to ten years.
    pub expires_in: Option<i64>,
    /// Granted scopes, comma-separated.
    pub scope: String,
    /// The user the tokens act as, when given.
    pub user_id: Option<u64>,
}

impl fmt::Debug for Installation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Installation")
            .field("member_id", &self.member_id)
            .field("domain", &self.domain)
            .field("client_endpoint", &self.client_endpoint)
            .field("scope", &self.scope)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

impl Installation {
    /// The token record to store, as generation `generation`.
    pub fn token_record(&self, generation: u64) -> TokenRecord {
        TokenRecord {
            member_id: self.member_id.clone(),
            domain: self.domain.clone(),
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            // Counted on this machine's clock from now, as for token answers.
            expires_at: unix_now().saturating_add(self.expires_in.unwrap_or(3600)),
            scope: self.scope.clone(),
            client_endpoint: self.client_endpoint.clone(),
            server_endpoint: self.server_endpoint.clone(),
            user_id: self.user_id,
            generation,
            application_token: Some(self.application_token.clone()),
        }
    }
}

/// Reads an install call: an `ONAPPINSTALL` event body, or the POST body of the install page
/// (whose `DOMAIN` and `PROTOCOL` travel in the query string: pass it as `query`, or `""`).
///
/// Nothing here is verified: the application token is learnt from this very call (trust on
/// first use, as the docs advise). [`Portals::install`](super::Portals::install)
/// decides whether to believe a call for a portal it already knows.
///
/// # Errors
/// [`ErrorKind::Event`] when the body is neither shape, or lacks the member id, the
/// application token, the access or the refresh token, or a usable portal address.
pub fn parse_install(query: &str, body: &[u8]) -> Result<Installation> {
    let root = form::parse(body)?;
    if root.contains_key("event") {
        from_event(body)
    } else if root.contains_key("AUTH_ID") {
        let query = form::parse(query.trim_start_matches('?').as_bytes())?;
        from_page(&root, &query)
    } else {
        Err(malformed(
            "neither an ONAPPINSTALL event nor an install page call (no `event`, no `AUTH_ID`)",
        ))
    }
}

fn from_event(body: &[u8]) -> Result<Installation> {
    let event = parse_event(body)?;
    let EventKind::AppInstall(install) = event.kind else {
        return Err(malformed(&format!(
            "a {} call is not an install call",
            event.name
        )));
    };
    let auth = event.auth;
    let member_id = auth
        .member_id
        .ok_or_else(|| malformed("ONAPPINSTALL without auth[member_id]"))?;
    let application_token = auth
        .application_token
        .ok_or_else(|| malformed("ONAPPINSTALL without auth[application_token]"))?;
    let tokens = install.tokens;
    let refresh_token = tokens
        .refresh_token
        .ok_or_else(|| malformed("ONAPPINSTALL without auth[refresh_token]"))?;
    let domain = auth.domain.unwrap_or_default();
    let client_endpoint = match auth.client_endpoint {
        Some(e) => e,
        None => endpoint_of(&domain, true)?,
    };
    Ok(Installation {
        member_id,
        domain,
        client_endpoint,
        server_endpoint: auth.server_endpoint.unwrap_or_default(),
        application_token,
        access_token: tokens.access_token,
        refresh_token,
        expires_in: tokens.expires_in,
        scope: tokens.scope.unwrap_or_default(),
        user_id: tokens.user_id,
    })
}

fn from_page(body: &Map<String, Value>, query: &Map<String, Value>) -> Result<Installation> {
    // The docs put DOMAIN and PROTOCOL in the query string; some proxies and the JS SDK's
    // examples fold them into the body, so the body is the fallback.
    let field = |k: &str| text(query, k).or_else(|| text(body, k));
    let required = |k: &str| {
        text(body, k).ok_or_else(|| malformed(&format!("the install page call has no {k}")))
    };
    let member_id = required("member_id")?;
    let domain = field("DOMAIN").ok_or_else(|| malformed("the install page call has no DOMAIN"))?;
    let https = field("PROTOCOL").is_none_or(|p| p != "0");
    Ok(Installation {
        client_endpoint: endpoint_of(&domain, https)?,
        member_id,
        domain,
        server_endpoint: text(body, "SERVER_ENDPOINT").unwrap_or_default(),
        application_token: required("APPLICATION_TOKEN")?.into(),
        access_token: required("AUTH_ID")?.into(),
        refresh_token: required("REFRESH_ID")?.into(),
        expires_in: text(body, "AUTH_EXPIRES").and_then(|s| crate::numbers::lifetime_text(&s)),
        scope: text(body, "APPLICATION_SCOPE").unwrap_or_default(),
        user_id: None,
    })
}

/// `https://{domain}/rest/`, refusing a domain that would change the URL's meaning.
fn endpoint_of(domain: &str, https: bool) -> Result<String> {
    let ok = !domain.is_empty()
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !ok {
        return Err(malformed("the install call names no usable portal domain"));
    }
    let scheme = if https { "https" } else { "http" };
    Ok(format!("{scheme}://{domain}/rest/"))
}

fn text(m: &Map<String, Value>, key: &str) -> Option<String> {
    m.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn malformed(why: &str) -> Error {
    Error::new(ErrorKind::Event, format!("malformed install call: {why}"))
}

/// The prefix of the side records in which versions before the token record had an
/// `application_token` field kept the application token of portal `m`, under
/// `application_token#m`. They are still read (and removed on the next install or uninstall),
/// so stores written by those versions keep working.
pub(crate) const APP_TOKEN_KEY: &str = "application_token#";

pub(crate) fn side_key(member_id: &str) -> String {
    format!("{APP_TOKEN_KEY}{member_id}")
}

pub(crate) fn check_member_id(member_id: &str) -> Result<()> {
    if member_id.trim().is_empty() || member_id.starts_with(APP_TOKEN_KEY) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "the member_id is empty or not a portal id",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    const EVENT: &str = "event=ONAPPINSTALL&data%5BVERSION%5D=1&auth%5Baccess_token%5D=AT\
        &auth%5Brefresh_token%5D=RT&auth%5Bexpires_in%5D=3600&auth%5Bmember_id%5D=m1\
        &auth%5Bdomain%5D=p.example.com&auth%5Bclient_endpoint%5D=https%3A%2F%2Fp.example.com%2Frest%2F\
        &auth%5Bapplication_token%5D=APPTOK&auth%5Bscope%5D=crm";

    #[test]
    fn reads_the_install_event() {
        let i = parse_install("", EVENT.as_bytes()).unwrap();
        assert_eq!(i.member_id, "m1");
        assert_eq!(i.client_endpoint, "https://p.example.com/rest/");
        assert_eq!(i.application_token.expose_secret(), "APPTOK");
        assert_eq!(i.refresh_token.expose_secret(), "RT");
        let shown = format!("{i:?}");
        assert!(
            !shown.contains("APPTOK") && !shown.contains("RT\""),
            "{shown}"
        );
        let rec = i.token_record(1);
        assert_eq!(rec.member_id, "m1");
        assert!(!rec.expires_within(3000));
    }

    #[test]
    fn reads_the_install_page_with_the_domain_in_the_query() {
        let body = b"AUTH_ID=A1&AUTH_EXPIRES=3600&REFRESH_ID=R1&member_id=m2\
                     &APPLICATION_TOKEN=T2&APPLICATION_SCOPE=crm%2Cuser&status=L";
        let i = parse_install("?DOMAIN=q.example.com&PROTOCOL=1&LANG=en", body).unwrap();
        assert_eq!(i.member_id, "m2");
        assert_eq!(i.client_endpoint, "https://q.example.com/rest/");
        assert_eq!(i.scope, "crm,user");
        assert_eq!(i.expires_in, Some(3600));
        let e = parse_install("", body).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Event);
        assert!(e.to_string().contains("DOMAIN"), "{e}");
    }

    #[test]
    fn refuses_what_is_not_a_complete_install_call() {
        let cases: [&[u8]; 5] = [
            b"",
            b"event=ONCRMLEADADD&data%5BFIELDS%5D%5BID%5D=1",
            b"event=ONAPPINSTALL&auth%5Baccess_token%5D=A&auth%5Bmember_id%5D=m",
            b"AUTH_ID=A&REFRESH_ID=R&member_id=m&DOMAIN=x.example.com",
            b"AUTH_ID=A&REFRESH_ID=R&member_id=m&APPLICATION_TOKEN=t&DOMAIN=evil.com%2Fx%3F",
        ];
        for body in cases {
            let e = parse_install("", body).unwrap_err();
            assert_eq!(
                e.kind(),
                ErrorKind::Event,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    proptest! {
        /// Random bodies and queries never panic: they install or give an Event error.
        #[test]
        fn random_install_calls_never_panic(
            body in "(event|ONAPPINSTALL|AUTH_ID|REFRESH_ID|member_id|APPLICATION_TOKEN|DOMAIN|auth|%5B|%5D|\\[|\\]|=|&|[0-9a-z%.+]){0,80}",
            query in "(DOMAIN|PROTOCOL|=|&|\\?|[0-9a-z%.:/]){0,30}",
        ) {
            if let Err(e) = parse_install(&query, body.as_bytes()) {
                prop_assert_eq!(e.kind(), ErrorKind::Event);
            }
        }

        /// Whatever the (form-safe) values, an install page call gives back exactly them.
        #[test]
        fn install_page_values_round_trip(
            member in "[a-z0-9]{1,40}",
            token in "[a-zA-Z0-9]{1,64}",
            access in "[a-zA-Z0-9._-]{1,80}",
            domain in "[a-z0-9-]{1,20}\\.[a-z]{2,8}",
        ) {
            let body = format!(
                "AUTH_ID={access}&REFRESH_ID=r&member_id={member}&APPLICATION_TOKEN={token}"
            );
            let i = parse_install(&format!("DOMAIN={domain}&PROTOCOL=0"), body.as_bytes()).unwrap();
            prop_assert_eq!(&i.member_id, &member);
            prop_assert_eq!(i.application_token.expose_secret(), token.as_str());
            prop_assert_eq!(i.access_token.expose_secret(), access.as_str());
            prop_assert_eq!(i.client_endpoint, format!("http://{domain}/rest/"));
        }
    }
}
