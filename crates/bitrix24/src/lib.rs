//! A Bitrix24 REST API client that does the ugly work: webhook and OAuth auth, rotating
//! refresh tokens with durable stores, per-portal rate limiting, safe retries, `batch`,
//! list streams, typed CRM, phone search and events.
//!
//! # Calling methods
//!
//! One concrete [`Client`], cheap to clone; parameters are any `Serialize` value, encoded with
//! PHP's nested keys (`fields[PHONE][0][VALUE]=…`) so every UTF-8 value arrives intact.
//!
//! ```no_run
//! # async fn demo() -> bitrix24::Result<()> {
//! use bitrix24::Client;
//! use serde_json::json;
//!
//! let client = Client::from_webhook("https://example.bitrix24.com/rest/1/secret/")?;
//! let id: u64 = client
//!     .call("crm.lead.add", &json!({"fields": {"TITLE": "Hello", "NAME": "Иван"}}))
//!     .await?
//!     .result;
//! println!("lead {id}");
//! # Ok(()) }
//! ```
//!
//! The client paces itself with a per-portal leaky bucket (2/s, burst 50 by default; see
//! [`RateLimits`]), waits for a method's operating-time window instead of running into 429,
//! retries what is safe to retry ([`RetryPolicy`]: a `QUERY_LIMIT_EXCEEDED` always, an
//! ambiguous failure only for reads unless you opt in) and reports every failure as one
//! [`Error`] with a [`ErrorKind`], the Bitrix24 code, description, HTTP status and method.
//!
//! # OAuth applications
//!
//! [`OAuthApp`] builds the authorize URL and exchanges the code; [`OAuthSession`] keeps the
//! tokens in a [`TokenStore`] ([`MemoryStore`], [`FileStore`], `SqliteStore` with the `sqlite`
//! feature), refreshes them before they expire and after `expired_token`, exactly once even
//! with a hundred concurrent calls or several processes, and saves the rotated refresh token
//! before using the new access token.
//!
//! ```no_run
//! # async fn demo(query: &str, state: &bitrix24::State) -> bitrix24::Result<()> {
//! use bitrix24::{parse_redirect, Client, FileStore, OAuthApp, OAuthSession, SecretString};
//! use std::sync::Arc;
//!
//! let app = OAuthApp::new(
//!     "local.abc.123",
//!     SecretString::from("client secret"),
//!     "https://example.bitrix24.com",
//! )?;
//! let store = Arc::new(FileStore::new("tokens.json")?);
//! // `state` went into `app.authorize_url(&state)`; `query` is what the browser came back with.
//! let redirect = parse_redirect(query, state)?;
//! let session = OAuthSession::from_redirect(app, store, &redirect).await?;
//! let client = Client::builder().oauth(session).build()?;
//! # Ok(()) }
//! ```
//!
//! # Lists, batches, CRM, events
//!
//! - [`list::ListRequest`] streams any classic list with constant memory: keyset paging chained
//!   fifty pages per `batch` (about 2,500 rows per HTTP request), or several disjoint ID ranges
//!   in parallel.
//! - [`batch::Batch`] sends up to 50 typed commands with `$result[…]` references;
//!   [`Client::batch_chunked`] runs any number of independent commands, several batch
//!   requests in flight ([`batch::Pipeline`]: an adaptive window under the rate limiter),
//!   results in command order; [`Client::stats`] counts the HTTP requests it took.
//! - [`list::ListRequest::split_ranges`] exports over several keyset chains at once, re-cutting
//!   the ID ranges as chains finish, resumable per range.
//! - [`crm`] has typed entities, field builders, a filter builder and
//!   [`crm::find_by_phone`], which finds a number in any stored format.
//! - [`events`] parses and verifies the form-encoded event posts (and, with the `axum` feature,
//!   serves them).

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod crm;
pub mod error;
pub mod events;
pub mod portals;
pub mod store;

pub mod batch;
pub mod encode;
pub mod list;

#[doc(hidden)]
pub mod fuzzing;

mod client;
mod decode;
mod limits;
mod numbers;
mod response;
mod retry;
mod stats;
mod transport;

pub use auth::{parse_redirect, AccessToken, OAuthApp, OAuthSession, Redirect, State, WebhookUrl};
pub use client::{Client, ClientBuilder};
pub use crm::{phone, types};
pub use error::{ApiErrorCode, Error, ErrorKind, Result};
pub use limits::RateLimits;
pub use portals::{Portals, Received};
pub use response::{Response, Time};
pub use retry::{is_read_method, RetryPolicy};
/// Secrets (client secret, tokens) are `secrecy::SecretString`, re-exported for convenience.
pub use secrecy::SecretString;
pub use stats::Stats;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{FileStore, LockedPortal, MemoryStore, TokenRecord, TokenStore};
