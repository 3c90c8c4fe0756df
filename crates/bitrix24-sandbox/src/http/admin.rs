//! The admin API under `/_sandbox/`.

use crate::state::Portal;
use axum::Router;
use std::sync::Arc;

/// Admin routes.
pub fn routes() -> Router<Arc<Portal>> {
    Router::new()
}
