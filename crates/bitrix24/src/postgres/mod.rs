//! PostgreSQL shared by any number of processes on any number of machines (feature
//! `postgres`): one [`Database`] (a connection pool whose schema is migrated on open) backs
//! the [`PostgresStore`](crate::store::PostgresStore) of tokens and the shared request-rate
//! budget [`PostgresRateBudget`](crate::PostgresRateBudget).
//!
//! The driver is tokio-postgres with a deadpool pool, both re-exported here, so a
//! [`Database::from_pool`] built with other pool or TLS settings (client certificates, say)
//! needs no second copy of either crate.
//!
//! TLS: `sslmode=require` in the URL makes [`Database::connect`] use TLS, checking the server's
//! certificate against the system's roots and the host name in the URL;
//! [`Database::connect_with_root_certificates`] trusts the CA you give instead (a private CA,
//! a managed database's bundle). Without either the connection is plain, as `prefer` falls
//! back to when the server has no TLS.

mod migrations;
mod redacted;
mod tls;

pub(crate) use redacted::Redacted;

pub use deadpool_postgres;
pub use migrations::Migrations;
pub use tokio_postgres;

use crate::error::{Error, ErrorKind, Result};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use std::str::FromStr;

/// Connections a pool opened by [`Database::connect`] keeps at most.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// A PostgreSQL database holding this crate's tables (`bitrix24_*`), migrated to the schema
/// this version ships. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
}

impl Database {
    /// Connects to `url` (`postgres://user:password@host:port/dbname`, or any form
    /// tokio-postgres accepts) with a pool of [`DEFAULT_POOL_SIZE`] connections, and migrates
    /// the schema. TLS when the URL says `sslmode=require` (see the [module docs](self)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when `url` is not a PostgreSQL URL; [`ErrorKind::Database`]
    /// when the server cannot be reached, its certificate is not trusted, or the schema cannot
    /// be migrated.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with_pool_size(url, DEFAULT_POOL_SIZE).await
    }

    /// [`Database::connect`] with a pool of at most `size` connections (at least 1).
    ///
    /// # Errors
    /// As [`Database::connect`].
    pub async fn connect_with_pool_size(url: &str, size: usize) -> Result<Self> {
        let config = parse(url)?;
        let pool = if config.get_ssl_mode() == tokio_postgres::config::SslMode::Require {
            build_pool(config, tls::connector(tls::Roots::System)?, size)?
        } else {
            build_pool(config, tokio_postgres::NoTls, size)?
        };
        Self::from_pool(pool).await
    }

    /// [`Database::connect`] over TLS trusting only the PEM certificates `ca_pem` (one or
    /// more `-----BEGIN CERTIFICATE-----` blocks), whatever the URL's `sslmode` but
    /// `disable`; the server's certificate must name the host in the URL.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when `ca_pem` holds no certificate; otherwise as
    /// [`Database::connect`].
    pub async fn connect_with_root_certificates(url: &str, ca_pem: &[u8]) -> Result<Self> {
        let config = parse(url)?;
        let connector = tls::connector(tls::Roots::Pem(ca_pem))?;
        let pool = build_pool(config, connector, DEFAULT_POOL_SIZE)?;
        Self::from_pool(pool).await
    }

    /// A database over a pool you built (TLS, sizes, timeouts); migrates the schema.
    ///
    /// # Errors
    /// [`ErrorKind::Database`] when no connection can be had or the schema cannot be
    /// migrated (for example because it is newer than this version of the crate).
    pub async fn from_pool(pool: Pool) -> Result<Self> {
        let db = Self { pool };
        let mut client = db.client().await?;
        migrations::migrate(&mut client, &migrations::LIBRARY).await?;
        Ok(db)
    }

    /// Applies an application's own schema `set` (see [`Migrations`]) with the runner of
    /// this crate's: each step once, in one transaction under the set's advisory lock, so
    /// processes starting together migrate once.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a set whose table name is not a plain identifier;
    /// [`ErrorKind::Database`] when a step fails (nothing of the run is kept) or the database
    /// holds a newer version of the set than `set` knows.
    pub async fn migrate(&self, set: &Migrations) -> Result<()> {
        let mut client = self.client().await?;
        migrations::migrate(&mut client, set).await
    }

    /// The pool, for queries of your own.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object> {
        self.pool
            .get()
            .await
            .map_err(|e| pg_error("cannot get a PostgreSQL connection", e))
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The pool's configuration holds the password: only its size is shown.
        let status = self.pool.status();
        f.debug_struct("Database")
            .field("pool_size", &status.max_size)
            .field("connections", &status.size)
            .finish_non_exhaustive()
    }
}

/// The URL's settings. The URL may hold a password: the error names what is wrong, never
/// the URL.
fn parse(url: &str) -> Result<tokio_postgres::Config> {
    tokio_postgres::Config::from_str(url).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            "the PostgreSQL URL cannot be read (expected postgres://user@host:port/dbname)",
        )
        .with_source(e)
    })
}

/// A pool of at most `size` connections (at least 1) made by `tls`.
fn build_pool<T>(config: tokio_postgres::Config, tls: T, size: usize) -> Result<Pool>
where
    T: tokio_postgres::tls::MakeTlsConnect<tokio_postgres::Socket> + Clone + Sync + Send + 'static,
    T::Stream: Sync + Send,
    T::TlsConnect: Sync + Send,
    <T::TlsConnect as tokio_postgres::tls::TlsConnect<tokio_postgres::Socket>>::Future: Send,
{
    let manager = Manager::from_config(
        config,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .build()
        .map_err(|e| pg_error("cannot build the PostgreSQL connection pool", e))
}

/// A database failure: what failed, with the driver's error as the cause (the server's
/// message; the crate never puts a token into a query's text, only into parameters).
pub(crate) fn pg_error(
    what: impl Into<String>,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::new(ErrorKind::Database, what).with_source(cause)
}
