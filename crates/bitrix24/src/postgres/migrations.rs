//! The schema, shipped in the crate: numbered SQL files applied in order, each once, inside
//! one transaction under an advisory lock, so processes starting together migrate once and
//! a failed step leaves the previous schema whole.

use super::pg_error;
use crate::error::{Error, ErrorKind, Result};
use deadpool_postgres::Object;

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

pub(super) async fn migrate(client: &mut Object) -> Result<()> {
    let fail = |what: &str| {
        let what = what.to_string();
        move |e| pg_error(what, e)
    };
    let tx = client
        .transaction()
        .await
        .map_err(fail("cannot start the schema migration"))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(fail("cannot take the schema migration lock"))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS bitrix24_migrations (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(fail("cannot create the table bitrix24_migrations"))?;
    let newest: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM bitrix24_migrations",
            &[],
        )
        .await
        .map_err(fail("cannot read the schema version"))?
        .get(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if newest > known {
        return Err(Error::new(
            ErrorKind::Database,
            format!(
                "the database schema is at version {newest}, newer than the {known} this \
                 version of the bitrix24 crate knows: upgrade the crate in every process"
            ),
        ));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > newest) {
        tx.batch_execute(sql)
            .await
            .map_err(fail(&format!("schema migration {version} failed")))?;
        tx.execute(
            "INSERT INTO bitrix24_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(fail("cannot record the schema version"))?;
    }
    tx.commit()
        .await
        .map_err(fail("cannot commit the schema migration"))
}
