//! SQLite storage: one file in WAL mode (or memory for tests), with the schemas the caller
//! names applied at start-up. The tables belong to the modules that use them; this module
//! only opens the file and keeps the `meta` table.
//!
//! Every answered write is committed before its answer is sent, and WAL with
//! `synchronous=NORMAL` keeps committed transactions across a `kill -9` of the process
//! (only an OS crash could lose the last ones).

use rusqlite::Connection;
use std::path::Path;

/// The `meta` table: single values of the portal kept in its data file (`member_id`, ...).
const META_SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/// Opens (or creates) a database and applies `schemas` in order (each one idempotent:
/// `CREATE … IF NOT EXISTS`). `None` gives a private in-memory database. The `meta` table is
/// always there; the portal's full list of tables is [`crate::schema::ALL`].
pub fn open(path: Option<&Path>, schemas: &[&str]) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(p) => Connection::open(p)?,
        None => Connection::open_in_memory()?,
    };
    if path.is_some() {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -65536)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(META_SCHEMA)?;
    for schema in schemas {
        conn.execute_batch(schema)?;
    }
    Ok(conn)
}

/// Reads a value from the `meta` table.
pub fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Writes a value to the `meta` table.
pub fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}
