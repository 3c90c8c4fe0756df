//! The schema, shipped in the crate: numbered SQL files applied in order, each once, inside
//! one transaction under an advisory lock, so processes starting together migrate once and
//! a failed step leaves the previous schema whole.
//!
//! The same runner applies an application's own set ([`Migrations`], through
//! [`Database::migrate`](super::Database::migrate)), with its own version table and lock.

use super::pg_error;
use crate::error::{Error, ErrorKind, Result};
use deadpool_postgres::Object;

/// A set of numbered schema migrations, applied in order, each once: this crate's own, or an
/// application's that keeps its tables in the same database (the `b24` CLI does).
///
/// Each set records its versions in a table of its own and migrates under an advisory lock
/// of its own, so sets of different programs never block or confuse each other.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    table: &'static str,
    lock: i64,
    steps: &'static [(i32, &'static str)],
}

impl Migrations {
    /// A set whose applied versions live in `table` (lower-case letters, digits and `_`),
    /// migrated under the transaction-level advisory lock `lock`, with `steps` as
    /// (version, SQL) in ascending order. A released step is never edited: a change is a
    /// new step.
    pub const fn new(
        table: &'static str,
        lock: i64,
        steps: &'static [(i32, &'static str)],
    ) -> Self {
        Self { table, lock, steps }
    }
}

/// (version, file) in order. A released file is never edited: a change is a new file.
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("migrations/0001_tokens.sql")),
    (2, include_str!("migrations/0002_rate_budgets.sql")),
    (3, include_str!("migrations/0003_operating_budgets.sql")),
    (4, include_str!("migrations/0004_offline_leases.sql")),
    (5, include_str!("migrations/0005_operating_flights.sql")),
];

/// The advisory-lock key of the migration (a constant of this crate: "b24mgrte").
const MIGRATION_LOCK: i64 = 0x6232_346d_6772_7465;

/// This crate's schema.
pub(super) const LIBRARY: Migrations =
    Migrations::new("bitrix24_migrations", MIGRATION_LOCK, MIGRATIONS);

pub(super) async fn migrate(client: &mut Object, set: &Migrations) -> Result<()> {
    let table = set.table;
    // The name goes into the SQL text: only a plain identifier may.
    let plain = !table.is_empty()
        && table
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !table.starts_with(|c: char| c.is_ascii_digit());
    if !plain {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the migrations table {table:?} is not a plain name (lower-case letters, \
                 digits, _)"
            ),
        ));
    }
    let fail = |what: &str| {
        let what = what.to_string();
        move |e| pg_error(what, e)
    };
    let tx = client
        .transaction()
        .await
        .map_err(fail("cannot start the schema migration"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&set.lock])
        .await
        .map_err(fail("cannot take the schema migration lock"))?;
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {table} (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )"
    ))
    .await
    .map_err(fail(&format!("cannot create the table {table}")))?;
    let newest: i32 = tx
        .query_one(
            &format!("SELECT coalesce(max(version), 0) FROM {table}"),
            &[],
        )
        .await
        .map_err(fail("cannot read the schema version"))?
        .get(0);
    let known = set.steps.last().map_or(0, |m| m.0);
    if newest > known {
        return Err(Error::new(
            ErrorKind::Database,
            format!(
                "the database schema ({table}) is at version {newest}, newer than the {known} \
                 this program knows: upgrade it in every process"
            ),
        ));
    }
    for (version, sql) in set.steps.iter().filter(|m| m.0 > newest) {
        tx.batch_execute(sql)
            .await
            .map_err(fail(&format!("schema migration {version} failed")))?;
        tx.execute(
            &format!("INSERT INTO {table} (version) VALUES ($1)"),
            &[version],
        )
        .await
        .map_err(fail("cannot record the schema version"))?;
    }
    tx.commit()
        .await
        .map_err(fail("cannot commit the schema migration"))
}
