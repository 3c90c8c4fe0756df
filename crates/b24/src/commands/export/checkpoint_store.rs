//! Where an export's checkpoint lives: `FILE.checkpoint` beside the output without a store
//! (replaced atomically), a row of `b24_export_checkpoints` with one (replaced by one
//! commit), keyed by the job (see [`crate::job`]) so that a run on another machine or from
//! another directory resumes it. Either way a checkpoint is saved only after the file data it
//! covers is synced, so a crash at any moment leaves a checkpoint the file agrees with.
//!
//! The store keeps a checkpoint's JSON and knows nothing of its fields.

use crate::exit::{CliError, CliResult};
use crate::files::{atomic_write, io_error, sibling};
use crate::job::{default_name, SharedJob};
use crate::shared::{db_error, shared_database};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The checkpoint of one export.
#[derive(Debug)]
pub enum CheckpointStore {
    /// `FILE.checkpoint`.
    File(PathBuf),
    /// The job's row in the shared store.
    Shared(Box<SharedJob>),
}

impl CheckpointStore {
    /// The checkpoint of the export into `output` from `portal`: the job `job` (default: the
    /// output's file name) in the shared store when one is set, taken for this process; else
    /// `FILE.checkpoint`.
    ///
    /// # Errors
    /// [`CliError::Usage`] when another process runs the job; the store's errors.
    pub async fn open(output: &Path, job: Option<&str>, portal: &str) -> CliResult<Self> {
        let Some(db) = shared_database().await? else {
            return Ok(CheckpointStore::File(sibling(output, ".checkpoint")));
        };
        let name = match job {
            Some(name) => name.to_string(),
            None => default_name(output)?,
        };
        let job = SharedJob::claim(&db, "export", portal, &name).await?;
        Ok(CheckpointStore::Shared(Box::new(job)))
    }

    /// The saved checkpoint, if any.
    ///
    /// # Errors
    /// [`CliError::Usage`] when it is damaged; [`CliError::Other`] when it cannot be read.
    pub async fn load<C: DeserializeOwned>(&self) -> CliResult<Option<C>> {
        let bytes = match self {
            CheckpointStore::File(path) => match std::fs::read(path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(io_error(path, e)),
            },
            CheckpointStore::Shared(job) => {
                let row = job
                    .client()?
                    .query_opt(
                        "SELECT checkpoint FROM b24_export_checkpoints
                         WHERE portal = $1 AND job = $2",
                        &[&job.portal, &job.name],
                    )
                    .await
                    .map_err(|e| db_error("cannot read the export checkpoint", e))?;
                match row {
                    Some(row) => row.get::<_, String>(0).into_bytes(),
                    None => return Ok(None),
                }
            }
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            CliError::Usage(format!(
                "{} is damaged ({e}); {} to export from the start",
                self.describe(),
                self.forget_hint()
            ))
        })
    }

    /// Replaces the saved checkpoint with `ckpt`, durably.
    ///
    /// # Errors
    /// [`CliError::Other`] when it cannot be written.
    pub async fn save<C: Serialize>(&self, ckpt: &C) -> CliResult {
        let text = serde_json::to_string(ckpt).map_err(|e| CliError::Other(e.to_string()))?;
        match self {
            CheckpointStore::File(path) => atomic_write(path, text.as_bytes()),
            CheckpointStore::Shared(job) => {
                job.client()?
                    .execute(
                        "INSERT INTO b24_export_checkpoints (portal, job, checkpoint)
                         VALUES ($1, $2, $3)
                         ON CONFLICT (portal, job)
                         DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = now()",
                        &[&job.portal, &job.name, &text],
                    )
                    .await
                    .map_err(|e| db_error("cannot save the export checkpoint", e))?;
                Ok(())
            }
        }
    }

    /// Forgets the checkpoint (the export is complete).
    ///
    /// # Errors
    /// [`CliError::Other`] when it cannot be removed.
    pub async fn remove(&self) -> CliResult {
        match self {
            CheckpointStore::File(path) => match std::fs::remove_file(path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io_error(path, e)),
            },
            CheckpointStore::Shared(job) => {
                job.client()?
                    .execute(
                        "DELETE FROM b24_export_checkpoints WHERE portal = $1 AND job = $2",
                        &[&job.portal, &job.name],
                    )
                    .await
                    .map_err(|e| db_error("cannot remove the export checkpoint", e))?;
                Ok(())
            }
        }
    }

    /// What the checkpoint is, for messages: the file, or the job in the store.
    pub fn describe(&self) -> String {
        match self {
            CheckpointStore::File(path) => path.display().to_string(),
            CheckpointStore::Shared(job) => format!("the checkpoint of {}", job.describe()),
        }
    }

    /// How to drop the checkpoint and start over, for messages.
    pub fn forget_hint(&self) -> String {
        match self {
            CheckpointStore::File(path) => format!("delete {}", path.display()),
            CheckpointStore::Shared(job) => format!(
                "delete it (DELETE FROM b24_export_checkpoints WHERE portal = '{}' AND job = \
                 '{}') or give another --job NAME",
                job.portal, job.name
            ),
        }
    }
}
