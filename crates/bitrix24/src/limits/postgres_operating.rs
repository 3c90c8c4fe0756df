//! The operating-time reports in PostgreSQL, shared by every process and machine that calls
//! the portal as the same app or webhook: one row per (caller, method), reset times on the
//! database's clock. A load is one `SELECT` for all the methods of a call; a store one upsert.
//! Calls in flight: one row per (caller, method, client) in `bitrix24_operating_flights`,
//! an upsert (or a delete at zero) when a client's number changes, one `SELECT` of the sums.

use super::operating_budget::{
    clean_seconds, OperatingBudget, OperatingReport, OPERATING_IN_FLIGHT_TTL,
};
use crate::error::{Error, ErrorKind, Result};
use crate::postgres::Database;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::time::Duration;

const LOAD: &str =
    "SELECT method, operating, resets_at - extract(epoch FROM clock_timestamp())::float8, cost
     FROM bitrix24_operating_budgets
     WHERE key = $1 AND method = ANY($2)
       AND (resets_at IS NULL OR resets_at > extract(epoch FROM clock_timestamp())::float8)";

// Within a window the larger sum wins; once the stored window has reset, the new report does.
const STORE: &str =
    "INSERT INTO bitrix24_operating_budgets AS b (key, method, operating, resets_at, cost)
     VALUES ($1, $2, $3, extract(epoch FROM clock_timestamp())::float8 + $4, $5)
     ON CONFLICT (key, method) DO UPDATE SET
       operating = CASE WHEN b.resets_at > extract(epoch FROM clock_timestamp())::float8
                        THEN greatest(b.operating, excluded.operating)
                        ELSE excluded.operating END,
       resets_at = CASE WHEN b.resets_at > extract(epoch FROM clock_timestamp())::float8
                        THEN greatest(b.resets_at, excluded.resets_at)
                        ELSE excluded.resets_at END,
       cost = excluded.cost";

// The client's row is replaced only by a newer estimate (its calls publish concurrently, so
// their writes may land out of order); a row at zero stays, so a late older estimate cannot
// bring it back. Other clients' expired rows of the key and method go with any write, so a
// killed client's row does not stay for ever.
const PUBLISH: &str = "
    WITH gone AS (
        DELETE FROM bitrix24_operating_flights
        WHERE key = $1 AND method = $3 AND client <> $2
          AND expires_at <= extract(epoch FROM clock_timestamp())::float8
    )
    INSERT INTO bitrix24_operating_flights AS f
        (key, method, client, seconds, sequence, expires_at)
    VALUES ($1, $3, $2, $4, $5, extract(epoch FROM clock_timestamp())::float8 + $6)
    ON CONFLICT (key, method, client) DO UPDATE
      SET seconds = excluded.seconds, sequence = excluded.sequence,
          expires_at = excluded.expires_at
      WHERE f.sequence < excluded.sequence";

const OTHERS: &str = "
    SELECT method, sum(seconds)
    FROM bitrix24_operating_flights
    WHERE key = $1 AND client <> $2 AND method = ANY($3)
      AND seconds > 0 AND expires_at > extract(epoch FROM clock_timestamp())::float8
    GROUP BY method";

/// An [`OperatingBudget`] in the table `bitrix24_operating_budgets` of a PostgreSQL
/// [`Database`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct PostgresOperatingBudget {
    db: Database,
}

impl PostgresOperatingBudget {
    /// Reports in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Connects to `url` (see [`Database::connect`]) and migrates the schema.
    ///
    /// # Errors
    /// As [`Database::connect`].
    pub async fn connect(url: &str) -> Result<Self> {
        Ok(Self::new(Database::connect(url).await?))
    }
}

fn fail(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
    move |e| Error::new(ErrorKind::Database, what).with_source(e)
}

impl OperatingBudget for PostgresOperatingBudget {
    fn load<'a>(
        &'a self,
        key: &'a str,
        methods: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Option<OperatingReport>>>> {
        async move {
            if methods.is_empty() {
                return Ok(Vec::new());
            }
            let client = self.db.client().await?;
            let what = "cannot read the operating-time budget in PostgreSQL";
            let statement = client.prepare_cached(LOAD).await.map_err(fail(what))?;
            let rows = client
                .query(&statement, &[&key, &methods])
                .await
                .map_err(fail(what))?;
            Ok(methods
                .iter()
                .map(|m| {
                    let row = rows.iter().find(|r| r.get::<_, &str>(0) == m)?;
                    let resets_in: Option<f64> = row.get(2);
                    Some(OperatingReport::new(
                        row.get(1),
                        resets_in
                            .filter(|s| s.is_finite() && *s > 0.0)
                            .map(|s| Duration::from_secs_f64(s.min(600.0))),
                        row.get(3),
                    ))
                })
                .collect())
        }
        .boxed()
    }

    fn store<'a>(
        &'a self,
        key: &'a str,
        method: &'a str,
        report: OperatingReport,
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            let client = self.db.client().await?;
            let what = "cannot write the operating-time budget in PostgreSQL";
            let statement = client.prepare_cached(STORE).await.map_err(fail(what))?;
            let resets_in = report.resets_in.map(|d| d.as_secs_f64());
            client
                .execute(
                    &statement,
                    &[&key, &method, &report.operating, &resets_in, &report.cost],
                )
                .await
                .map(drop)
                .map_err(fail(what))
        }
        .boxed()
    }

    fn publish_in_flight<'a>(
        &'a self,
        key: &'a str,
        client: &'a str,
        method: &'a str,
        seconds: f64,
        sequence: u64,
    ) -> BoxFuture<'a, Result<()>> {
        async move {
            // bigint is signed; a client publishes far fewer than 2^63 estimates.
            let sequence = i64::try_from(sequence).unwrap_or(i64::MAX);
            let db = self.db.client().await?;
            let what = "cannot write the calls in flight to PostgreSQL";
            let statement = db.prepare_cached(PUBLISH).await.map_err(fail(what))?;
            let ttl = OPERATING_IN_FLIGHT_TTL.as_secs_f64();
            db.execute(
                &statement,
                &[
                    &key,
                    &client,
                    &method,
                    &clean_seconds(seconds),
                    &sequence,
                    &ttl,
                ],
            )
            .await
            .map(drop)
            .map_err(fail(what))
        }
        .boxed()
    }

    fn others_in_flight<'a>(
        &'a self,
        key: &'a str,
        client: &'a str,
        methods: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>>> {
        async move {
            if methods.is_empty() {
                return Ok(Vec::new());
            }
            let db = self.db.client().await?;
            let what = "cannot read the calls in flight from PostgreSQL";
            let statement = db.prepare_cached(OTHERS).await.map_err(fail(what))?;
            let rows = db
                .query(&statement, &[&key, &client, &methods])
                .await
                .map_err(fail(what))?;
            Ok(methods
                .iter()
                .map(|m| {
                    rows.iter()
                        .find(|r| r.get::<_, &str>(0) == m)
                        .map_or(0.0, |r| clean_seconds(r.get::<_, f64>(1)))
                })
                .collect())
        }
        .boxed()
    }
}
