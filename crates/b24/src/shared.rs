//! The shared store: `--store URL` or `$B24_STORE` (the flag wins), a PostgreSQL database that
//! keeps what every `b24` process on every machine naming it shares: profiles, OAuth tokens,
//! the request-rate and operating-time budgets, export checkpoints, import journals and the
//! offline-event puller's checkpoint.
//!
//! It is resolved once per process ([`configure`]), connected once ([`shared_database`]), and
//! b24's own tables (`b24_*`) are migrated with the library's runner beside its `bitrix24_*`.

use crate::exit::{CliError, CliResult};
use bitrix24::postgres::{Database, Migrations};
use std::sync::OnceLock;
use tokio::sync::OnceCell;

/// `$B24_STORE`: the shared store's PostgreSQL URL (see the module docs).
pub const STORE_ENV: &str = "B24_STORE";

/// b24's schema: numbered SQL files, applied once each, in order. A released file is never
/// edited: a change is a new file.
const SCHEMA: Migrations = Migrations::new(
    "b24_migrations",
    // The advisory-lock key of b24's migration ("b24climg"), not the library's.
    0x6232_3463_6c69_6d67,
    &[
        (1, include_str!("shared/migrations/0001_profiles.sql")),
        (
            2,
            include_str!("shared/migrations/0002_export_checkpoints.sql"),
        ),
        (
            3,
            include_str!("shared/migrations/0003_import_journals.sql"),
        ),
        (
            4,
            include_str!("shared/migrations/0004_offline_checkpoints.sql"),
        ),
    ],
);

/// The store's URL as given; its `Debug` never shows it (it may carry a password). Any text
/// parses: it is checked when used, so that a mistyped URL is never echoed in an error.
#[derive(Clone)]
pub struct StoreUrl(String);

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreUrl(..)")
    }
}

impl std::str::FromStr for StoreUrl {
    type Err = std::convert::Infallible;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Ok(Self(url.trim().to_string()))
    }
}

impl StoreUrl {
    /// The URL when it is a PostgreSQL one; `None` when empty.
    ///
    /// # Errors
    /// [`CliError::Usage`] for any other URL (without repeating it).
    fn checked(&self) -> CliResult<Option<&str>> {
        let url = self.0.as_str();
        if url.is_empty() {
            Ok(None)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Some(url))
        } else {
            Err(CliError::Usage(format!(
                "--store (or ${STORE_ENV}) must be a postgres:// URL: the database that keeps \
                 the profiles, tokens, budgets and checkpoints every b24 process shares"
            )))
        }
    }
}

static STORE: OnceLock<Option<StoreUrl>> = OnceLock::new();

/// Records the store the command line named (`--store`, which clap fills from `$B24_STORE`
/// when the flag is absent). Called once, before any command; later calls change nothing.
pub fn configure(store: Option<StoreUrl>) {
    let _ = STORE.set(store);
}

/// The store in use: the one [`configure`]d, else `$B24_STORE` (for code run without the
/// command line).
///
/// # Errors
/// [`CliError::Usage`] when it is something other than a postgres:// URL.
fn store() -> CliResult<Option<String>> {
    let url = match STORE.get() {
        Some(configured) => configured.clone(),
        None => std::env::var(STORE_ENV).ok().map(StoreUrl),
    };
    Ok(match &url {
        Some(url) => url.checked()?.map(str::to_string),
        None => None,
    })
}

/// The shared store's database, connected and migrated once per process (`None` when no
/// store is set).
///
/// # Errors
/// [`CliError::Usage`] for a URL that is not a PostgreSQL one; [`CliError::Other`] when the
/// server cannot be reached or a schema migrated.
pub async fn shared_database() -> CliResult<Option<Database>> {
    static DATABASE: OnceCell<Database> = OnceCell::const_new();
    let Some(url) = store()? else {
        return Ok(None);
    };
    DATABASE
        .get_or_try_init(|| async {
            // Few connections (a fleet of b24 processes shares the server's max_connections):
            // the four the budgets and tokens used before, plus the one an export or import
            // holds for its job.
            let db = Database::connect_with_pool_size(&url, 5)
                .await
                .map_err(|e| CliError::Other(format!("the store (${STORE_ENV}): {e}")))?;
            db.migrate(&SCHEMA).await.map_err(|e| {
                CliError::Other(format!("the store (${STORE_ENV}): b24's tables: {e}"))
            })?;
            Ok(db)
        })
        .await
        .cloned()
        .map(Some)
}

/// A database failure of b24's own tables, naming what failed (the server's message says
/// why; no secret goes into a query's text, only into its parameters).
pub fn db_error(what: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Other(format!("the store (${STORE_ENV}): {what}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_urls_and_never_shown() {
        let url = StoreUrl("postgres://u:hunter2@db/x".into());
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(url.checked().unwrap(), Some("postgres://u:hunter2@db/x"));
        let bad = StoreUrl("mysql://u:hunter2@db/x".into());
        let err = bad.checked().unwrap_err().to_string();
        assert!(
            err.contains("postgres:// URL") && !err.contains("hunter2"),
            "{err}"
        );
        assert_eq!(StoreUrl(String::new()).checked().unwrap(), None);
    }
}
