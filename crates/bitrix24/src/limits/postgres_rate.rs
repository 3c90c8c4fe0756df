//! The request-rate budget in PostgreSQL: every process and machine that admits its requests
//! here shares one bucket per key, as the portal counts them.
//!
//! One statement per admission (an upsert of the key's row, one round trip): GCRA on the
//! database's clock. The row keeps the theoretical arrival time `tat`; a request reserves the
//! slot `max(tat, now)` and moves `tat` one emission interval on, and the statement returns
//! how long the caller waits for its slot (`slot − tolerance − now`, at most zero when the
//! burst has room). Reserving rather than polling keeps callers in arrival order and costs one
//! round trip however long the wait; a caller that gives up while waiting leaves its slot
//! unused, which only errs on the side of the portal's limit.

use super::budget::RateBudget;
use super::rate::RateLimits;
use crate::error::{Error, ErrorKind, Result};
use crate::postgres::Database;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::time::Duration;

const ADMIT: &str = "INSERT INTO bitrix24_rate_budgets AS b (key, tat)
     VALUES ($1, extract(epoch FROM clock_timestamp())::float8 + $2)
     ON CONFLICT (key) DO UPDATE
       SET tat = greatest(b.tat, extract(epoch FROM clock_timestamp())::float8) + $2
     RETURNING b.tat - $2 - $3 - extract(epoch FROM clock_timestamp())::float8";

/// Longest a reservation is waited for: a queue this long means the budget is shared far
/// beyond what the portal serves, and the caller should hear about it.
const LONGEST_WAIT: f64 = 3600.0;

/// A [`RateBudget`] in the table `bitrix24_rate_budgets` of a PostgreSQL [`Database`] (which
/// it may share with a [`PostgresStore`](crate::store::PostgresStore)). Cheap to clone.
#[derive(Clone, Debug)]
pub struct PostgresRateBudget {
    db: Database,
}

impl PostgresRateBudget {
    /// A budget in `db`.
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

    /// Reserves the next slot of `key` and returns how long to wait for it (zero when the
    /// burst has room), without waiting.
    ///
    /// # Errors
    /// [`ErrorKind::Database`] when the database cannot be reached or refuses the statement.
    pub async fn reserve(&self, key: &str, limits: RateLimits) -> Result<Duration> {
        let Some((interval, tolerance)) = limits.gcra() else {
            return Ok(Duration::ZERO);
        };
        let client = self.db.client().await?;
        let fail = |e| {
            Error::new(
                ErrorKind::Database,
                "cannot admit a request through the rate budget in PostgreSQL",
            )
            .with_source(e)
        };
        let statement = client.prepare_cached(ADMIT).await.map_err(fail)?;
        let wait: f64 = client
            .query_one(&statement, &[&key, &interval, &tolerance])
            .await
            .map_err(fail)?
            .get(0);
        if !wait.is_finite() || wait > LONGEST_WAIT {
            return Err(Error::new(
                ErrorKind::Database,
                format!(
                    "the shared rate budget {key} is booked for more than {LONGEST_WAIT} s \
                     ahead: far more callers share it than the portal serves"
                ),
            ));
        }
        Ok(Duration::from_secs_f64(wait.max(0.0)))
    }
}

impl RateBudget for PostgresRateBudget {
    fn admit<'a>(&'a self, key: &'a str, limits: RateLimits) -> BoxFuture<'a, Result<()>> {
        async move {
            let wait = self.reserve(key, limits).await?;
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            Ok(())
        }
        .boxed()
    }
}
