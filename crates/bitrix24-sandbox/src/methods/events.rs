//! Event binding and delivery (`event.bind`, `event.get`, offline events). Filled in by the
//! events issue; for now raised events are only logged.

use super::{RaisedEvent, Registry};
use crate::state::Portal;
use std::sync::Arc;

/// Tables of the events module.
pub const SCHEMA: &str = "";

/// Registers the event methods.
pub fn register(_r: &mut Registry) {}

/// Hands the events a committed call raised to the delivery layer.
pub fn after_commit(_portal: &Arc<Portal>, events: Vec<RaisedEvent>) {
    for e in events {
        tracing::debug!(event = %e.name, "event raised");
    }
}
