//! `crm.duplicate.findbycomm` and the normalised match codes behind it.

use crate::methods::Registry;
use rusqlite::Connection;

/// Tables of the duplicate index.
pub const SCHEMA: &str = "";

/// Registers `crm.duplicate.findbycomm`.
pub fn register(_r: &mut Registry) {}

/// Rebuilds the match codes of one entity from its multifields (`crm_fm`).
pub fn reindex(_conn: &Connection, _entity_type_id: i64, _element_id: i64) -> rusqlite::Result<()> {
    Ok(())
}

/// Removes the match codes of a deleted entity.
pub fn forget(_conn: &Connection, _entity_type_id: i64, _element_id: i64) -> rusqlite::Result<()> {
    Ok(())
}
