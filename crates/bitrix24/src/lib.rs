//! A Bitrix24 REST API client that does the ugly work: webhook and OAuth auth, rotating
//! refresh tokens with durable stores, per-portal rate limiting, safe retries, `batch`,
//! list streams, typed CRM, phone search and events.
//!
//! # Typed requests
//!
//! One concrete [`Client`], cheap to clone. Every CRM operation is a
//! [request value](request): `.await` it to send it alone, or push it into a
//! [`Batch`](batch::Batch) to send up to 50 in one HTTP request. The entity services
//! ([`Client::leads`], [`Client::deals`], [`Client::contacts`], [`Client::companies`],
//! [`Client::items`]) hand them out:
//!
//! ```no_run
//! # async fn demo() -> bitrix24::Result<()> {
//! use bitrix24::batch::Batch;
//! use bitrix24::crm::{ContactFields, DealFields, Filter, LeadFields, PhoneType};
//! use bitrix24::Client;
//! use futures::TryStreamExt;
//!
//! let client = Client::from_webhook("https://example.bitrix24.com/rest/1/secret/")?;
//! let (name, phone) = ("Иван", "+7 903 227-88-74");
//!
//! let id = client.leads().add(LeadFields::new().title("Signup").name(name).phone(phone, PhoneType::Mobile)).await?; // LeadId
//! let lead = client.leads().get(id).await?; // Lead
//! client.leads().update(id, LeadFields::new().comments("called back")).await?;
//! let mut rows = client.leads().list().filter(Filter::new().eq("STATUS_ID", "NEW")).select(["ID", "NAME"]).stream();
//! while let Some(row) = rows.try_next().await? {
//!     println!("{:?} {:?}", row.id, row.name);
//! }
//!
//! let mut batch = Batch::new();
//! let contact = batch.push(client.contacts().add(ContactFields::new().name("Иван"))); // Handle<ContactId>
//! let deal = batch.push(client.deals().add(DealFields::new().title("Order 7").contact(&contact))); // id or handle
//! let results = client.batch(batch).await?;
//! let (contact_id, deal_id) = (results.get(&contact)?, results.get(&deal)?);
//!
//! client.leads().delete(id).await?;
//! # let _ = (lead, contact_id, deal_id); Ok(()) }
//! ```
//!
//! Builders never fail on the spot: a mistake (a lower-case field name the portal would
//! silently drop, an empty phone) is kept and reported when the request or its batch is sent,
//! before anything goes out.
//!
//! # Any other method
//!
//! [`Client::request`] makes a request value of any method, and [`Client::call`] returns the
//! whole answer. Parameters are any `Serialize` value, encoded with PHP's nested keys
//! (`fields[PHONE][0][VALUE]=…`) so every UTF-8 value arrives intact.
//!
//! ```no_run
//! # async fn demo(client: bitrix24::Client) -> bitrix24::Result<()> {
//! use serde_json::{json, Value};
//!
//! let user: Vec<Value> = client.request("user.get", json!({"ID": 1})).await?;
//! let answer = client.call::<Vec<Value>>("crm.status.list", &()).await?;
//! println!("{} statuses, {:?} in all", answer.result.len(), answer.total);
//! # let _ = user; Ok(()) }
//! ```
//!
//! The client paces itself with a per-portal leaky bucket (2/s, burst 50 by default; see
//! [`RateLimits`]), waits for a method's operating-time window instead of running into 429,
//! retries what is safe to retry ([`RetryPolicy`]: a `QUERY_LIMIT_EXCEEDED` always, an
//! ambiguous failure only for reads unless you opt in) and reports every failure as one
//! [`Error`] with a [`ErrorKind`], the Bitrix24 code, description, HTTP status and method, and
//! the predicates [`Error::is_not_found`], [`Error::is_rate_limited`], [`Error::is_auth`],
//! [`Error::is_retryable`].
//!
//! # OAuth applications
//!
//! [`auth::OAuthApp`] builds the authorize URL and exchanges the code;
//! [`auth::OAuthSession`] keeps the tokens in a [`store::TokenStore`]
//! ([`store::MemoryStore`], [`store::FileStore`], `SqliteStore` with the `sqlite` feature),
//! refreshes them before they expire and after `expired_token`, exactly once even with a
//! hundred concurrent calls or several processes, and saves the rotated refresh token before
//! using the new access token.
//!
//! ```no_run
//! # async fn demo(query: &str, state: &bitrix24::auth::State) -> bitrix24::Result<()> {
//! use bitrix24::auth::{parse_redirect, OAuthApp, OAuthSession};
//! use bitrix24::store::FileStore;
//! use bitrix24::{Client, SecretString};
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
//! - [`list`] streams any list with constant memory: keyset paging chained fifty pages per
//!   `batch` (about 2,500 rows per HTTP request), or several disjoint ID ranges in parallel
//!   ([`list::List::split_ranges`], resumable per range); [`list::ListRequest`] is the untyped
//!   form for any list method.
//! - [`batch::Batch`] sends up to 50 commands with `$result[…]` references;
//!   [`Client::batch_chunked`] runs any number of independent commands, several batch
//!   requests in flight ([`batch::Pipeline`]: an adaptive window under the rate limiter),
//!   results in command order; [`Client::stats`] counts the HTTP requests it took.
//! - [`crm`] has typed entities, field builders, a filter builder and
//!   [`crm::phone::find_by_phone`], which finds a number in any stored format; for orders,
//!   [`Client::product_rows`] (typed rows, the prices the portal computed),
//!   [`Client::catalog`], [`service::Deals::contacts`], [`Client::timeline`] and
//!   [`Client::activities`], request values like the rest, so a whole order is one batch.
//! - [`events`] parses and verifies the form-encoded event posts (and, with the `axum` feature,
//!   serves them); [`portals`] runs one application on many portals.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod crm;
pub mod events;
pub mod portals;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub mod postgres;
pub mod store;

pub mod batch;
pub mod encode;
pub mod list;
pub mod request;
pub mod service;

#[doc(hidden)]
pub mod fuzzing;

mod client;
mod decode;
mod error;
mod limits;
mod numbers;
mod response;
mod retry;
mod stats;
mod transport;

pub use client::{Client, ClientBuilder};
pub use error::{ApiErrorCode, Error, ErrorKind, Result};
pub use limits::{
    LocalOperatingBudget, LocalRateBudget, OperatingBudget, OperatingReport, RateBudget,
    RateLimits, OPERATING_IN_FLIGHT_TTL,
};
#[cfg(feature = "postgres")]
pub use limits::{PostgresOperatingBudget, PostgresRateBudget};
pub use response::{Response, Time};
pub use retry::RetryPolicy;
/// Secrets (client secret, tokens) are `secrecy::SecretString`; read one with
/// [`ExposeSecret::expose_secret`], and keep what it shows out of logs.
pub use secrecy::{ExposeSecret, SecretString};
pub use stats::Stats;
/// The `time` crate, for the dates of CRM records (`Lead::date_create`...) and
/// [`IntoWire`](crate::crm::types::IntoWire) values, re-exported so its version always
/// matches.
pub use time;

/// The workspace README's quickstart, compiled as a doc test so it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeQuickstart;
