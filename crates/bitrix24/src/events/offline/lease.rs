//! Offline queues of many portals consumed by a fleet of workers (feature `postgres`): each
//! portal's queue by at most one worker at a time, under a lease with an expiry kept in
//! PostgreSQL; a worker that dies stops renewing, and its portals go to another worker once
//! the lease runs out.
//!
//! The lease row also holds the portal's [`Checkpoint`] (the `process_id` of the batch being
//! handled), so the worker that takes a dead worker's portal over reads the batch the dead one
//! reserved and finishes it first: nothing is lost (an event may be handled twice, as always
//! with the at-least-once consumer). Every checkpoint save renews the lease, and is refused
//! once the lease is lost, so a worker that stalled past its lease stops before handling a
//! batch another worker now owns.
//!
//! ```no_run
//! # async fn demo(portals: bitrix24::portals::Portals, db: bitrix24::postgres::Database)
//! # -> bitrix24::Result<()> {
//! use bitrix24::events::offline::{OfflineConsumer, OfflineLeases};
//! use std::time::Duration;
//!
//! let leases = OfflineLeases::new(db, "worker-1", Duration::from_secs(30));
//! leases.register(&portals.portals().await?).await?;
//! loop {
//!     for member_id in leases.claim(20).await? {
//!         let consumer = OfflineConsumer::new(portals.client(&member_id).await?)
//!             .checkpoint(leases.checkpoint(&member_id));
//!         consumer.drain(|event| async move {
//!             println!("{}", event.name);
//!             Ok::<(), std::io::Error>(())
//!         }).await?;
//!     }
//!     tokio::time::sleep(Duration::from_secs(5)).await;
//! }
//! # }
//! ```

use super::checkpoint::Checkpoint;
use crate::error::{Error, ErrorKind, Result};
use crate::postgres::Database;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::time::Duration;

const CLAIM: &str = "UPDATE bitrix24_offline_leases AS l
     SET holder = $1, expires_at = extract(epoch FROM clock_timestamp())::float8 + $3
     FROM (SELECT member_id FROM bitrix24_offline_leases
           WHERE holder IS NOT DISTINCT FROM $1 OR holder IS NULL
              OR expires_at <= extract(epoch FROM clock_timestamp())::float8
           ORDER BY (holder IS NOT DISTINCT FROM $1) DESC, member_id
           LIMIT $2
           FOR UPDATE SKIP LOCKED) AS free
     WHERE l.member_id = free.member_id
     RETURNING l.member_id";

// Only the live holder writes the checkpoint, and writing it renews the lease.
const SAVE: &str = "UPDATE bitrix24_offline_leases
     SET process_id = $2, expires_at = extract(epoch FROM clock_timestamp())::float8 + $4
     WHERE member_id = $1 AND holder = $3
       AND expires_at > extract(epoch FROM clock_timestamp())::float8";

/// Leases of one worker (`holder`) on the offline queues of the portals registered in a
/// PostgreSQL [`Database`]. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OfflineLeases {
    db: Database,
    holder: String,
    lease: Duration,
}

fn fail(what: &'static str) -> impl FnOnce(tokio_postgres::Error) -> Error {
    move |e| Error::new(ErrorKind::Database, what).with_source(e)
}

impl OfflineLeases {
    /// The leases of worker `holder` (unique per worker: a host name and process id, say),
    /// each lasting `lease` from its last renewal (at least one second).
    pub fn new(db: Database, holder: impl Into<String>, lease: Duration) -> Self {
        Self {
            db,
            holder: holder.into(),
            lease: lease.max(Duration::from_secs(1)),
        }
    }

    /// This worker's name.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Offers the queues of `member_ids` to the fleet (portals already offered are left as
    /// they are).
    ///
    /// # Errors
    /// [`ErrorKind::Database`] when the database fails.
    pub async fn register(&self, member_ids: &[String]) -> Result<()> {
        let client = self.db.client().await?;
        client
            .execute(
                "INSERT INTO bitrix24_offline_leases (member_id)
                 SELECT unnest($1::text[]) ON CONFLICT (member_id) DO NOTHING",
                &[&member_ids],
            )
            .await
            .map(drop)
            .map_err(fail("cannot register portals for offline leases"))
    }

    /// Forgets the queue of `member_id` (say, after the app was uninstalled there).
    ///
    /// # Errors
    /// [`ErrorKind::Database`] when the database fails.
    pub async fn unregister(&self, member_id: &str) -> Result<()> {
        let client = self.db.client().await?;
        client
            .execute(
                "DELETE FROM bitrix24_offline_leases WHERE member_id = $1",
                &[&member_id],
            )
            .await
            .map(drop)
            .map_err(fail("cannot unregister a portal's offline lease"))
    }

    /// Takes (or renews) the leases of at most `max` portals: this worker's own first, then
    /// free or expired ones. Rows another worker is claiming at this very moment are skipped
    /// (`FOR UPDATE SKIP LOCKED`), so concurrent claims never wait for each other and never
    /// get the same portal.
    ///
    /// # Errors
    /// [`ErrorKind::Database`] when the database fails.
    pub async fn claim(&self, max: usize) -> Result<Vec<String>> {
        let client = self.db.client().await?;
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        let rows = client
            .query(CLAIM, &[&self.holder, &max, &self.lease.as_secs_f64()])
            .await
            .map_err(fail("cannot claim offline leases"))?;
        let mut ids: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        ids.sort();
        Ok(ids)
    }

    /// Gives the lease of `member_id` back at once (at a clean shutdown), keeping its
    /// checkpoint for the next holder.
    ///
    /// # Errors
    /// [`ErrorKind::Database`] when the database fails.
    pub async fn release(&self, member_id: &str) -> Result<()> {
        let client = self.db.client().await?;
        client
            .execute(
                "UPDATE bitrix24_offline_leases SET holder = NULL, expires_at = 0
                 WHERE member_id = $1 AND holder = $2",
                &[&member_id, &self.holder],
            )
            .await
            .map(drop)
            .map_err(fail("cannot release an offline lease"))
    }

    /// The checkpoint of `member_id`'s queue, kept in its lease row; give it to the
    /// [`OfflineConsumer`](super::OfflineConsumer) of that portal.
    pub fn checkpoint(&self, member_id: &str) -> LeaseCheckpoint {
        LeaseCheckpoint {
            leases: self.clone(),
            member_id: member_id.to_string(),
        }
    }
}

/// The [`Checkpoint`] of one portal's queue in its lease row: readable by anyone, written only
/// by the live holder, and every write renews the lease.
#[derive(Clone, Debug)]
pub struct LeaseCheckpoint {
    leases: OfflineLeases,
    member_id: String,
}

impl Checkpoint for LeaseCheckpoint {
    fn load(&self) -> BoxFuture<'_, Result<Option<String>>> {
        async move {
            let client = self.leases.db.client().await?;
            let row = client
                .query_opt(
                    "SELECT process_id FROM bitrix24_offline_leases WHERE member_id = $1",
                    &[&self.member_id],
                )
                .await
                .map_err(fail("cannot read the offline checkpoint"))?;
            Ok(row.and_then(|r| r.get(0)))
        }
        .boxed()
    }

    fn save<'a>(&'a self, process_id: Option<&'a str>) -> BoxFuture<'a, Result<()>> {
        async move {
            let client = self.leases.db.client().await?;
            let updated = client
                .execute(
                    SAVE,
                    &[
                        &self.member_id,
                        &process_id,
                        &self.leases.holder,
                        &self.leases.lease.as_secs_f64(),
                    ],
                )
                .await
                .map_err(fail("cannot write the offline checkpoint"))?;
            if updated == 0 {
                return Err(Error::new(
                    ErrorKind::Database,
                    format!(
                        "the offline lease of portal {} is not held by {} any more (it expired \
                         or another worker took it): stopping before handling its queue",
                        self.member_id, self.leases.holder
                    ),
                ));
            }
            Ok(())
        }
        .boxed()
    }
}
