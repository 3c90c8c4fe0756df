//! A token store in an SQLite database, shared safely by any number of processes.
//!
//! The exclusive section is a `BEGIN IMMEDIATE` transaction: SQLite lets one writer in at a
//! time across processes, and a process that dies mid-section leaves a transaction SQLite
//! rolls back, so the previous record stays. Commits run with the default
//! `synchronous = FULL`, so a saved record survives a crash.

use super::{
    check_locked, check_record, join_error, store_error, LockedPortal, TokenRecord, TokenStore,
};
use crate::error::{Error, ErrorKind, Result};
use futures::future::BoxFuture;
use futures::FutureExt;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// Another process may hold the section for a whole refresh (an HTTP round trip with a 30 s
// timeout): wait longer than that before calling the database busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(120);

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS bitrix24_tokens (
    member_id TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    record TEXT NOT NULL,
    updated_at INTEGER NOT NULL
)";

/// Tokens in the table `bitrix24_tokens` of an SQLite database (a new file is created with
/// mode 0600; SQLite gives its journal the same mode).
#[derive(Clone)]
pub struct SqliteStore {
    path: Arc<PathBuf>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and its table.
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`] when the file cannot be created or opened.
    pub async fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path: PathBuf = path.into();
        let p = path.clone();
        tokio::task::spawn_blocking(move || {
            create_private(&p)?;
            let conn = connect(&p)?;
            conn.execute_batch(SCHEMA).map_err(|e| {
                store_error(
                    format!("cannot create the token table in {}", p.display()),
                    e,
                )
            })
        })
        .await
        .map_err(join_error)??;
        Ok(Self {
            path: Arc::new(path),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || f(&connect(&path)?))
            .await
            .map_err(join_error)?
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl TokenStore for SqliteStore {
    fn load<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Option<TokenRecord>>> {
        let member_id = member_id.to_string();
        self.run(move |c| select(c, &member_id)).boxed()
    }

    fn save<'a>(&'a self, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>> {
        async move {
            check_record(record)?;
            let record = record.clone();
            self.run(move |c| in_transaction(c, |c| upsert(c, &record)))
                .await
        }
        .boxed()
    }

    fn delete<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<()>> {
        let member_id = member_id.to_string();
        self.run(move |c| {
            in_transaction(c, |c| {
                c.execute(
                    "DELETE FROM bitrix24_tokens WHERE member_id = ?1",
                    [&member_id],
                )
                .map(drop)
                .map_err(|e| store_error("cannot delete the token record", e))
            })
        })
        .boxed()
    }

    fn portals(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        self.run(|c| {
            let fail = |e| store_error("cannot list the stored portals", e);
            let mut stmt = c
                .prepare("SELECT member_id FROM bitrix24_tokens ORDER BY member_id")
                .map_err(fail)?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .map_err(fail)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(fail)
        })
        .boxed()
    }

    fn lock<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Box<dyn LockedPortal>>> {
        let member_id = member_id.to_string();
        let path = self.path.clone();
        async move {
            let conn = tokio::task::spawn_blocking(move || {
                let conn = connect(&path)?;
                conn.execute_batch("BEGIN IMMEDIATE")
                    .map_err(|e| store_error("cannot lock the token database", e))?;
                Ok::<_, Error>(conn)
            })
            .await
            .map_err(join_error)??;
            let locked: Box<dyn LockedPortal> = Box::new(SqliteLocked {
                conn: Arc::new(Mutex::new(conn)),
                member_id,
            });
            Ok(locked)
        }
        .boxed()
    }
}

/// The open `BEGIN IMMEDIATE` transaction; dropping the connection rolls it back.
struct SqliteLocked {
    conn: Arc<Mutex<Connection>>,
    member_id: String,
}

impl LockedPortal for SqliteLocked {
    fn load(&mut self) -> BoxFuture<'_, Result<Option<TokenRecord>>> {
        let conn = self.conn.clone();
        let member_id = self.member_id.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let c = conn.lock().unwrap_or_else(|p| p.into_inner());
                select(&c, &member_id)
            })
            .await
            .map_err(join_error)?
        }
        .boxed()
    }

    fn save_and_unlock<'a>(self: Box<Self>, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>> {
        async move {
            check_locked(record, &self.member_id)?;
            let record = record.clone();
            let conn = self.conn.clone();
            tokio::task::spawn_blocking(move || {
                let c = conn.lock().unwrap_or_else(|p| p.into_inner());
                upsert(&c, &record)?;
                c.execute_batch("COMMIT")
                    .map_err(|e| store_error("cannot commit the token record", e))
            })
            .await
            .map_err(join_error)?
        }
        .boxed()
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path).map_err(|e| {
        store_error(
            format!("cannot open the token database {}", path.display()),
            e,
        )
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| store_error("cannot configure the token database", e))?;
    Ok(conn)
}

fn in_transaction(c: &Connection, f: impl FnOnce(&Connection) -> Result<()>) -> Result<()> {
    c.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| store_error("cannot lock the token database", e))?;
    match f(c) {
        Ok(()) => c
            .execute_batch("COMMIT")
            .map_err(|e| store_error("cannot commit to the token database", e)),
        Err(e) => {
            let _ = c.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn select(c: &Connection, member_id: &str) -> Result<Option<TokenRecord>> {
    let text: Option<String> = c
        .query_row(
            "SELECT record FROM bitrix24_tokens WHERE member_id = ?1",
            [member_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| store_error("cannot read the token record", e))?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            // Position only: serde's message may quote a token.
            Error::new(
                ErrorKind::TokenStore,
                format!(
                    "the stored token record is damaged ({:?} error at column {})",
                    e.classify(),
                    e.column()
                ),
            )
        })
    })
    .transpose()
}

fn upsert(c: &Connection, record: &TokenRecord) -> Result<()> {
    let text = serde_json::to_string(record)
        .map_err(|e| store_error("cannot encode the token record", e))?;
    let generation = i64::try_from(record.generation).unwrap_or(i64::MAX);
    c.execute(
        "INSERT INTO bitrix24_tokens (member_id, generation, record, updated_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(member_id) DO UPDATE SET
           generation = excluded.generation, record = excluded.record,
           updated_at = excluded.updated_at",
        params![
            record.member_id,
            generation,
            text,
            crate::auth::tokens::unix_now()
        ],
    )
    .map(drop)
    .map_err(|e| store_error("cannot write the token record", e))
}

/// Creates the database file with mode 0600 before SQLite does (it would use 0644).
fn create_private(path: &Path) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map(drop).map_err(|e| {
        store_error(
            format!("cannot create the token database {}", path.display()),
            e,
        )
    })
}
