//! `batch`.

use super::Registry;

/// Registers `batch`.
pub fn register(_r: &mut Registry) {}
