//! A Bitrix24 REST API client that does the ugly work: webhook and OAuth auth, rotating
//! refresh tokens with durable stores, per-portal rate limiting, safe retries, `batch`,
//! list streams, typed CRM, phone search and events.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod crm;
pub mod error;
pub mod store;

pub mod batch;
pub mod encode;
pub mod list;

mod client;
mod limiter;
mod response;
mod retry;
mod transport;

pub use auth::WebhookUrl;
pub use client::{Client, ClientBuilder};
pub use error::{ApiErrorCode, Error, ErrorKind, Result};
pub use limiter::RateLimits;
pub use response::{Response, Time};
pub use retry::{is_read_method, RetryPolicy};
