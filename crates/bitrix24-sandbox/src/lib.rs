//! A local Bitrix24-compatible portal for integration tests.
//!
//! It answers the REST API (`/rest/…`, webhooks and OAuth tokens), runs the OAuth server
//! (`/oauth/authorize/`, `/oauth/token/`), enforces the real limits (503
//! `QUERY_LIMIT_EXCEEDED`, 429 `OPERATION_TIME_LIMIT`), reproduces the portal's quirks (PHP
//! arrays, `start` rounding, raw phone prefix filters, batch references) and injects faults.
//! Every behaviour names its source in `shared/bitrix24-protocol.md` or
//! `shared/bitrix24-server-behavior.md`; the choices made where those are silent are listed in
//! the crate README.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use bitrix24_sandbox::{Limits, Sandbox};
//! let sandbox = Sandbox::builder().limits(Limits::Off).start().await?;
//! let url = format!("{}crm.lead.add", sandbox.webhook_url());
//! let body = reqwest::Client::new()
//!     .post(url)
//!     .form(&[("fields[TITLE]", "Hello")])
//!     .send()
//!     .await?
//!     .text()
//!     .await?;
//! assert!(body.contains("\"result\""));
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod auth;
pub mod builder;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod events;
pub mod faults;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod inspector;
pub mod install;
pub mod limits;
pub mod methods;
pub mod php;
pub mod schema;
pub mod serve;
pub mod state;
pub mod testing;
pub mod tls;

pub use auth::apps::{App, AppRegistration, Webhook};
pub use auth::oauth::TokenPair;
pub use builder::{Sandbox, SandboxBuilder, StartError};
pub use config::{Limits, PortalConfig};
pub use error::ApiError;
pub use faults::FaultConfig;
