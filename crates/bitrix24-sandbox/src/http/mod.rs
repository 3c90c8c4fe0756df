//! The HTTP face of the sandbox: `/rest/…` for methods, `/oauth/…` for the OAuth server and
//! `/_sandbox/…` for the admin API (off unless a key is configured).

pub mod admin;
pub mod consent;
pub mod oauth;
pub mod request;
pub mod response;
pub mod rest;

use crate::inspector;
use crate::state::Portal;
use axum::middleware;
use axum::routing::any;
use axum::Router;
use std::sync::Arc;

/// Request extension set by the TLS listener: the request came over HTTPS.
#[derive(Debug, Clone, Copy)]
pub struct Https;

/// The complete router of one sandbox portal.
pub fn router(portal: Arc<Portal>) -> Router {
    Router::new()
        .route("/rest/{*path}", any(rest::handle))
        .route_layer(middleware::from_fn_with_state(
            portal.clone(),
            inspector::record::middleware,
        ))
        .merge(oauth::routes())
        .merge(admin::guarded(portal.clone()))
        .merge(inspector::routes(portal.clone()))
        .with_state(portal)
}
