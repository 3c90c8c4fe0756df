//! The library's integration tests, in one binary (one link of the sandbox, axum and
//! rusqlite instead of one per file): one module per concern, the `*_support` modules shared.
//!
//! Tests that need a feature are compiled only with it. Without the feature they are not
//! silently missing: [`needs_features`] then holds one ignored test per missing feature, so
//! the run lists them as `ignored, needs --features …`.

mod child_support;
mod client_support;
mod oauth_support;
mod offline_support;
#[cfg(feature = "axum")]
mod portals_support;
#[cfg(feature = "postgres")]
mod postgres_support;

mod batch;
mod bulk;
mod calls;
mod crash;
mod crm_models;
mod crm_roundtrip;
mod encoding;
#[cfg(feature = "axum")]
mod events_axum;
#[cfg(feature = "axum")]
mod events_lifecycle;
mod events_offline;
mod events_offline_crash;
mod hostile;
mod limits;
mod lists;
mod needs_features;
mod oauth;
mod orders;
mod phone;
#[cfg(feature = "axum")]
mod portals;
mod portals_keys;
#[cfg(feature = "postgres")]
mod postgres_budget;
#[cfg(feature = "postgres")]
mod postgres_offline;
#[cfg(all(feature = "postgres", feature = "axum"))]
mod postgres_portals;
#[cfg(feature = "postgres")]
mod postgres_tls;
#[cfg(feature = "postgres")]
mod postgres_tokens;
mod product_rows;
mod refresh_race;
mod retries;
mod sandbox_helpers;
mod secrets;
mod token_stores;
mod typed;
