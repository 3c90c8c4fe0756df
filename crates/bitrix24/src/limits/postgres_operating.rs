//! The operating-time reports in PostgreSQL, shared by every process and machine that calls
//! the portal as the same app or webhook: one row per (caller, method), reset times on the
//! database's clock. A load is one `SELECT` for all the methods of a call; a store one upsert.

use super::operating_budget::{OperatingBudget, OperatingReport};
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
}
