//! Checking that an event call really comes from the portal: its `auth[application_token]`
//! must equal the token the app stored at install time (protocol.md §1d; the docs' "safe
//! event handlers"). The comparison runs in constant time so a forger learns nothing from
//! how long a refusal takes.

use super::parse::{parse_event, Event};
use crate::error::{Error, ErrorKind, Result};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::Arc;

/// Checks `event` against the application token stored for its portal.
///
/// Errors ([`ErrorKind::Event`]) say what is wrong without echoing any token: the call has no
/// `application_token`, or it does not match.
pub fn verify(event: &Event, expected: &SecretString) -> Result<()> {
    let Some(got) = &event.auth.application_token else {
        return Err(Error::new(
            ErrorKind::Event,
            format!(
                "the {} call has no auth[application_token]; it cannot be verified, so it was refused",
                event.name
            ),
        ));
    };
    if constant_time_eq(
        got.expose_secret().as_bytes(),
        expected.expose_secret().as_bytes(),
    ) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Event,
            format!(
                "the {} call has a wrong application_token (forged, or the app was reinstalled \
                 and the stored token is stale)",
                event.name
            ),
        ))
    }
}

/// Compares two byte strings without stopping at the first difference. The length is not
/// hidden (application tokens have a fixed length anyway).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // `black_box` keeps the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

type Lookup = dyn Fn(&str) -> Option<SecretString> + Send + Sync;

/// Where the expected application token comes from.
#[derive(Clone)]
enum Source {
    Single(SecretString),
    ByPortal(Arc<Lookup>),
}

/// Verifies event calls: parses the body and checks its application token, for one app on
/// one portal ([`Verifier::single`]) or on many portals ([`Verifier::by_portal`], keyed by
/// `member_id`).
#[derive(Clone)]
pub struct Verifier {
    source: Source,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match self.source {
            Source::Single(_) => "single",
            Source::ByPortal(_) => "by_portal",
        };
        f.debug_struct("Verifier")
            .field("mode", &mode)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Accepts calls that carry exactly this application token.
    pub fn single(application_token: SecretString) -> Self {
        Self {
            source: Source::Single(application_token),
        }
    }

    /// Looks the expected token up by the call's `auth[member_id]`; `None` means the portal
    /// is unknown and the call is refused.
    pub fn by_portal(
        lookup: impl Fn(&str) -> Option<SecretString> + Send + Sync + 'static,
    ) -> Self {
        Self {
            source: Source::ByPortal(Arc::new(lookup)),
        }
    }

    /// Checks an already parsed event.
    pub fn verify(&self, event: &Event) -> Result<()> {
        match &self.source {
            Source::Single(token) => verify(event, token),
            Source::ByPortal(lookup) => {
                let Some(member_id) = event.auth.member_id.as_deref() else {
                    return Err(Error::new(
                        ErrorKind::Event,
                        format!(
                            "the {} call has no auth[member_id]; its portal is unknown, so it was refused",
                            event.name
                        ),
                    ));
                };
                match lookup(member_id) {
                    Some(token) => verify(event, &token),
                    None => Err(Error::new(
                        ErrorKind::Event,
                        format!(
                            "the {} call comes from an unknown portal (member_id {member_id} is \
                             not registered); it was refused",
                            event.name
                        ),
                    )),
                }
            }
        }
    }

    /// Parses and verifies a raw event call body.
    pub fn parse_and_verify(&self, body: &[u8]) -> Result<Event> {
        let event = parse_event(body)?;
        self.verify(&event)?;
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
