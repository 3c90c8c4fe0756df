//! A Bitrix24 REST API client that does the ugly work: webhook and OAuth auth, rotating
//! refresh tokens with durable stores, per-portal rate limiting, safe retries, `batch`,
//! list streams, typed CRM, phone search and events.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod crm;
pub mod error;
pub mod store;

pub use auth::WebhookUrl;
pub use error::{ApiErrorCode, Error, ErrorKind, Result};
