//! Deleting a CRM entity with everything that hangs on it: its columns, multifields and user
//! fields (`store::delete`), its product rows, its deal–contact bindings, its timeline
//! entries and its activities.

use super::activity;
use super::binding;
use super::productrow;
use super::store::{self, Kind};
use super::timeline;
use rusqlite::Connection;

/// Deletes an entity and its dependents. False when it did not exist.
pub fn delete(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<bool> {
    if !store::delete(conn, kind, id)? {
        return Ok(false);
    }
    match kind {
        Kind::Lead => productrow::forget(conn, kind, id)?,
        Kind::Deal => {
            productrow::forget(conn, kind, id)?;
            binding::store::forget_deal(conn, id)?;
        }
        Kind::Contact => binding::store::forget_contact(conn, id)?,
        Kind::Company => {}
    }
    timeline::forget(conn, kind.type_id(), id)?;
    activity::forget(conn, kind.type_id(), id)?;
    Ok(true)
}
