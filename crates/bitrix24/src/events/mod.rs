//! Receiving events: decoding the portal's event calls, verifying them, and (feature `axum`)
//! an HTTP handler that does both before calling your code; binding handlers ([`bind`]),
//! consuming the offline queue at least once ([`offline`]); the app lifecycle of many portals
//! is in [`portals`](crate::portals).
//!
//! The portal POSTs `application/x-www-form-urlencoded` bodies with PHP nested keys
//! (`data[FIELDS][ID]=5&auth[application_token]=…`), once, with no retries; a handler must
//! check `auth[application_token]` against the value stored at install time, because anyone
//! can POST to a public URL.
//!
//! ```
//! use bitrix24::events::{parse_event, verify, EventKind};
//! use secrecy::SecretString;
//!
//! let body = b"event=ONCRMLEADADD&data%5BFIELDS%5D%5BID%5D=42&ts=1766047124\
//!              &auth%5Bapplication_token%5D=0123456789abcdef0123456789abcdef";
//! let event = parse_event(body)?;
//! verify(&event, &SecretString::from("0123456789abcdef0123456789abcdef"))?;
//! match event.kind {
//!     EventKind::LeadAdd(id) => assert_eq!(id.get(), 42),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), bitrix24::Error>(())
//! ```

pub mod bind;
pub(crate) mod form;
pub mod offline;
pub(crate) mod parse;
pub(crate) mod verify;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod listen;

pub use parse::{parse_event, AppInstall, AppUninstall, Event, EventAuth, EventKind, EventTokens};
pub use verify::{verify, Verifier};

#[cfg(test)]
mod tests;
