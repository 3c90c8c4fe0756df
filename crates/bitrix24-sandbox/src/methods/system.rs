//! `profile`, `user.current`, `app.info`, `scope`, `methods`, `method.get`, `server.time`.

use super::Registry;

/// Registers the system methods.
pub fn register(_r: &mut Registry) {}
