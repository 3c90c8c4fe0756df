//! Where `b24 events pull` keeps the `process_id` of the batch it reserved: a file in the
//! config directory without a store, a row of `b24_offline_checkpoints` with one, keyed by
//! the portal and the profile (see [`crate::job`]), so that a pull on another machine finishes
//! the batch a killed one left. The job's lock makes one puller per portal and profile.

use crate::exit::CliResult;
use crate::job::SharedJob;
use crate::shared::shared_database;
use bitrix24::events::offline::Checkpoint;
use bitrix24::{Error, ErrorKind};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::sync::Arc;

/// The puller's checkpoint in the shared store.
#[derive(Debug, Clone)]
pub struct StoreCheckpoint {
    job: Arc<SharedJob>,
}

impl StoreCheckpoint {
    /// The checkpoint of the pull of `profile` on `portal`, taken for this process; `None`
    /// without a store.
    ///
    /// # Errors
    /// A usage error when another process pulls the same queue; the store's errors.
    pub async fn open(portal: &str, profile: &str) -> CliResult<Option<Self>> {
        let Some(db) = shared_database().await? else {
            return Ok(None);
        };
        let job =
            SharedJob::claim(&db, "events pull", portal, &format!("offline {profile}")).await?;
        Ok(Some(Self { job: Arc::new(job) }))
    }
}

fn store_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Database, format!("the store: {what}: {e}"))
}

impl Checkpoint for StoreCheckpoint {
    fn load(&self) -> BoxFuture<'_, bitrix24::Result<Option<String>>> {
        async move {
            let job = &self.job;
            let client = job.client().map_err(|e| store_error("no connection", e))?;
            let row = client
                .query_opt(
                    "SELECT process_id FROM b24_offline_checkpoints
                     WHERE portal = $1 AND job = $2",
                    &[&job.portal, &job.name],
                )
                .await
                .map_err(|e| store_error("cannot read the offline checkpoint", e))?;
            Ok(row.map(|r| r.get(0)))
        }
        .boxed()
    }

    fn save<'a>(&'a self, process_id: Option<&'a str>) -> BoxFuture<'a, bitrix24::Result<()>> {
        async move {
            let job = &self.job;
            let client = job.client().map_err(|e| store_error("no connection", e))?;
            // One statement outside a transaction: durable when it returns.
            let done =
                match process_id {
                    Some(pid) => {
                        client
                            .execute(
                                "INSERT INTO b24_offline_checkpoints (portal, job, process_id)
                             VALUES ($1, $2, $3)
                             ON CONFLICT (portal, job)
                             DO UPDATE SET process_id = excluded.process_id, updated_at = now()",
                                &[&job.portal, &job.name, &pid],
                            )
                            .await
                    }
                    None => client
                        .execute(
                            "DELETE FROM b24_offline_checkpoints WHERE portal = $1 AND job = $2",
                            &[&job.portal, &job.name],
                        )
                        .await,
                };
            done.map(drop)
                .map_err(|e| store_error("cannot write the offline checkpoint", e))
        }
        .boxed()
    }
}
