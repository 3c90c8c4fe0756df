//! SQLite storage: one file in WAL mode (or memory for tests), with the schemas the caller
//! names applied at start-up. The tables belong to the modules that use them; this module
//! only opens the file and keeps the `meta` table.
//!
//! Every answered write is committed before its answer is sent, and WAL with
//! `synchronous=NORMAL` keeps committed transactions across a `kill -9` of the process
//! (only an OS crash could lose the last ones).
//!
//! A portal opens its data with [`open_store`]: the writer plus a few read-only connections
//! ([`readers`]). A portal without a data file then keeps its data in a temporary file that
//! is removed with the portal, since readers cannot share a private in-memory database.

pub mod readers;

use readers::Readers;
use rusqlite::Connection;
use std::path::Path;

/// The `meta` table: single values of the portal kept in its data file (`member_id`, ...).
const META_SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/// Opens (or creates) a database and applies `schemas` in order (each one idempotent:
/// `CREATE … IF NOT EXISTS`). `None` gives a private in-memory database. The `meta` table is
/// always there; the portal's full list of tables is [`crate::schema::ALL`].
pub fn open(path: Option<&Path>, schemas: &[&str]) -> rusqlite::Result<Connection> {
    open_with(path, schemas, "NORMAL")
}

fn open_with(
    path: Option<&Path>,
    schemas: &[&str],
    synchronous: &str,
) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(p) => Connection::open(p)?,
        None => Connection::open_in_memory()?,
    };
    if path.is_some() {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", synchronous)?;
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

/// A portal's database: the one writer, the read path, and for a portal without a data file
/// the temporary directory that holds its data (removed when this is dropped).
#[derive(Debug)]
pub struct Store {
    /// The only connection that writes.
    pub writer: Connection,
    /// Read-only connections (none when the store was opened without a read path).
    pub readers: Readers,
    /// The temporary directory of a portal without a data file.
    pub temp: Option<tempfile::TempDir>,
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The temporary directory of a portal without a data file could not be made.
    #[error("cannot create a temporary directory for the portal's data (set TMPDIR to a writable directory): {0}")]
    TempDir(#[source] std::io::Error),
}

/// Opens a portal's data at `path` (or, for `None`, in a fresh temporary file when there are
/// readers, in memory when there are none) with `schemas` applied, and `readers` read-only
/// connections beside the writer. The temporary file is not synced: it does not outlive the
/// process anyway.
pub fn open_store(
    path: Option<&Path>,
    schemas: &[&str],
    readers: usize,
) -> Result<Store, StoreError> {
    if readers == 0 {
        return Ok(Store {
            writer: open(path, schemas)?,
            readers: Readers::none(),
            temp: None,
        });
    }
    let (file, temp) = match path {
        Some(p) => (p.to_path_buf(), None),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("bitrix24-sandbox-")
                .tempdir()
                .map_err(StoreError::TempDir)?;
            (dir.path().join("portal.db"), Some(dir))
        }
    };
    let synchronous = if temp.is_some() { "OFF" } else { "NORMAL" };
    let writer = open_with(Some(&file), schemas, synchronous)?;
    writer.pragma_update(None, "mmap_size", readers::MMAP_BYTES)?;
    let readers = Readers::open(&file, readers)?;
    Ok(Store {
        writer,
        readers,
        temp,
    })
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
