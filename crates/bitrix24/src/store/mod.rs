//! Durable token stores, keyed by portal (`member_id`).
//!
//! Bitrix24 rotates refresh tokens: a refresh token works once, so the pair a refresh returns
//! must be saved before it is used, and two processes must never refresh the same portal at
//! once (the loser would present a used token and be logged out). A store therefore offers,
//! besides load/save, an exclusive section per portal that holds across processes:
//! [`TokenStore::lock`] returns a [`LockedPortal`] through which the record is re-read and the
//! refreshed pair saved.
//!
//! - [`MemoryStore`]: one process, nothing survives a restart (tests, short jobs).
//! - [`FileStore`]: one JSON file, atomic replace, mode 0600, a lock file for the section.
//! - `SqliteStore` (feature `sqlite`): one table; `BEGIN IMMEDIATE` is the section.
//! - `PostgresStore` (feature `postgres`): one table shared by processes on many machines; a
//!   per-portal advisory lock is the section.

mod file;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

pub use crate::auth::tokens::TokenRecord;
pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;

use crate::error::{Error, ErrorKind, Result};
use futures::future::BoxFuture;

/// Where the tokens of OAuth portals are kept. Object-safe: sessions hold an
/// `Arc<dyn TokenStore>`. Implement it to keep tokens in your own database; the contract is
/// in each method's documentation.
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The record of the portal `member_id`, if any. May read without the lock, so a save
    /// must never be seen half-written.
    fn load<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Option<TokenRecord>>>;

    /// Stores `record` under `record.member_id`, replacing the previous one, durably (it
    /// survives a crash once the future completes). Waits for the portal's lock.
    fn save<'a>(&'a self, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>>;

    /// Forgets the portal (e.g. after the app was uninstalled). Waits for the portal's lock.
    fn delete<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<()>>;

    /// The `member_id` of every stored portal.
    fn portals(&self) -> BoxFuture<'_, Result<Vec<String>>>;

    /// Enters the exclusive section of portal `member_id`: until the returned value is
    /// dropped or saved through, no other holder of the same store (in this process or any
    /// other) gets in. A refresh runs entirely inside it.
    fn lock<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Box<dyn LockedPortal>>>;
}

/// The exclusive section of one portal. Dropping it leaves without writing.
pub trait LockedPortal: Send {
    /// Re-reads the portal's record inside the section: the value another process saved
    /// before the section was entered is seen here.
    fn load(&mut self) -> BoxFuture<'_, Result<Option<TokenRecord>>>;

    /// Saves `record` durably, then leaves the section. When it returns `Ok`, the record
    /// survives a crash of this process.
    fn save_and_unlock<'a>(self: Box<Self>, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>>;
}

/// A store failure with what failed and the cause; paths are fine to show, contents never.
pub(crate) fn store_error(
    what: impl Into<String>,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::new(ErrorKind::TokenStore, what).with_source(cause)
}

/// The message of a blocking store task that did not finish (it panicked or was cancelled).
pub(crate) fn join_error(err: tokio::task::JoinError) -> Error {
    store_error("a token store task did not finish", err)
}

/// Refuses records that cannot be stored under a key.
pub(crate) fn check_record(record: &TokenRecord) -> Result<()> {
    if record.member_id.trim().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "the token record has no member_id, the key it is stored under",
        ));
    }
    Ok(())
}

/// Refuses a record saved through the section of another portal.
pub(crate) fn check_locked(record: &TokenRecord, member_id: &str) -> Result<()> {
    check_record(record)?;
    if record.member_id != member_id {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "the token record belongs to another portal than the locked one",
        ));
    }
    Ok(())
}
