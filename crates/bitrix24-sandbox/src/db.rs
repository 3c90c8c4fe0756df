//! SQLite storage: one file in WAL mode (or memory for tests), with the schema of every
//! module applied at start-up.
//!
//! Every answered write is committed before its answer is sent, and WAL with
//! `synchronous=NORMAL` keeps committed transactions across a `kill -9` of the process
//! (only an OS crash could lose the last ones).

use rusqlite::Connection;
use std::path::Path;

/// Tables of the portal core: users, apps, webhooks, OAuth codes and tokens, settings.
const CORE_SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    time_zone TEXT NOT NULL DEFAULT '',
    date_register INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS apps (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    client_secret TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    install_url TEXT NOT NULL DEFAULT '',
    scope TEXT NOT NULL,
    application_token TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'L',
    installed INTEGER NOT NULL DEFAULT 1,
    version TEXT NOT NULL DEFAULT '1'
);
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    secret TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    expires_at INTEGER
);
CREATE TABLE IF NOT EXISTS oauth_codes (
    code TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_tokens (
    token TEXT PRIMARY KEY,
    app_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
"#;

/// Opens (or creates) the portal database. `None` gives a private in-memory database.
pub fn open(path: Option<&Path>) -> rusqlite::Result<Connection> {
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
    for schema in schemas() {
        conn.execute_batch(schema)?;
    }
    Ok(conn)
}

/// Every module's schema, in dependency order.
fn schemas() -> [&'static str; 5] {
    use crate::methods::{crm, events};
    [
        CORE_SCHEMA,
        crm::SCHEMA,
        crm::duplicate::SCHEMA,
        crm::directory::SCHEMA,
        events::SCHEMA,
    ]
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
