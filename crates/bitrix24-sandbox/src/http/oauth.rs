//! The OAuth endpoints: `/oauth/authorize/` (consent page) and `/oauth/token/`.

use crate::state::Portal;
use axum::Router;
use std::sync::Arc;

/// OAuth routes.
pub fn routes() -> Router<Arc<Portal>> {
    Router::new()
}
