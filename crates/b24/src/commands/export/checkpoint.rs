//! The checkpoint of an export: what it records, opening the output for a fresh or resumed
//! run, and saving a chunk durably before the checkpoint that covers it. Where it is kept is
//! [`CheckpointStore`]'s concern.

use super::super::list::Query;
use super::checkpoint_store::CheckpointStore;
use super::format::FileFormat;
use crate::exit::{CliError, CliResult};
use crate::files::io_error;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// Where an export stands; the content of `FILE.checkpoint` (or of its row in the store).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The list method.
    pub method: String,
    /// The filter given.
    pub filter: Vec<(String, String)>,
    /// The select given.
    pub select: Vec<String>,
    /// The file format.
    pub format: FileFormat,
    /// CSV columns, fixed by the first chunk.
    pub columns: Vec<String>,
    /// The ID of the last row written.
    pub last_id: u64,
    /// Rows written.
    pub rows: u64,
    /// The file length after the last row.
    pub bytes: u64,
    /// The ranges of a parallel export not yet joined to the file, in ascending ID order
    /// (absent in the checkpoints of single-chain exports and of older versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<RangeCheckpoint>,
}

/// One ID range of a parallel export: rows `(start, up_to]` go to their own part file
/// (`FILE.part-<start>`), which is joined to the file once every range below it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeCheckpoint {
    /// The range's lower bound (exclusive): its key and the name of its part file.
    pub start: u64,
    /// The ID of the last row written to the part (`start` before the first).
    pub after: u64,
    /// The range's upper bound (inclusive); lowered when the range is cut.
    pub up_to: u64,
    /// Rows in the part.
    pub rows: u64,
    /// The part's length after its last row.
    pub bytes: u64,
    /// No more rows will come.
    pub done: bool,
}

/// The error of an export that stopped before the end, checkpoint saved.
pub(super) fn interrupted(ckpt: &Checkpoint, store: &CheckpointStore, why: &str) -> CliError {
    let rows = ckpt.rows + ckpt.ranges.iter().map(|r| r.rows).sum::<u64>();
    CliError::Interrupted(format!(
        "{why} after {rows} rows; {} is saved: run the same command again to resume",
        store.describe()
    ))
}

/// Rows buffered since the last checkpoint.
#[derive(Debug, Default)]
pub(super) struct Pending {
    /// Rows.
    pub rows: u64,
    /// The ID of the last one.
    pub last_id: u64,
}

/// Opens the output for a fresh or a resumed export.
pub(super) async fn open(
    path: &Path,
    store: &CheckpointStore,
    fresh: Checkpoint,
) -> CliResult<(Checkpoint, File)> {
    let saved: Option<Checkpoint> = store.load().await?;
    let Some(saved) = saved else {
        let file = File::create(path).map_err(|e| io_error(path, e))?;
        return Ok((fresh, file));
    };
    if (&saved.method, &saved.filter, &saved.select, saved.format)
        != (&fresh.method, &fresh.filter, &fresh.select, fresh.format)
    {
        return Err(CliError::Usage(format!(
            "{} belongs to another export ({} with other options); repeat that command to \
             resume it, or {} to start over",
            store.describe(),
            saved.method,
            store.forget_hint()
        )));
    }
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        // A checkpoint in the store may have been left by a run on another machine.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::Usage(format!(
                "{} says {} bytes of {} are written, but there is no such file here: resume \
                 where the file is (the same machine or a shared directory), or {} to export \
                 from the start",
                store.describe(),
                saved.bytes,
                path.display(),
                store.forget_hint()
            )))
        }
        Err(e) => return Err(io_error(path, e)),
    };
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    if len < saved.bytes {
        return Err(CliError::Usage(format!(
            "{} is shorter than its checkpoint says ({len} < {} bytes): it was changed; \
             {} to export from the start",
            path.display(),
            saved.bytes,
            store.forget_hint()
        )));
    }
    // Whatever follows the checkpoint was written by a run that died before saving it.
    file.set_len(saved.bytes).map_err(|e| io_error(path, e))?;
    file.seek(SeekFrom::End(0)).map_err(|e| io_error(path, e))?;
    Ok((saved, file))
}

/// Writes the chunk, syncs the file and saves the checkpoint.
pub(super) async fn save(
    file: &mut File,
    path: &Path,
    store: &CheckpointStore,
    ckpt: &mut Checkpoint,
    chunk: &mut Vec<u8>,
    pending: &mut Pending,
) -> CliResult {
    if chunk.is_empty() && pending.rows == 0 {
        return Ok(());
    }
    file.write_all(chunk).map_err(|e| io_error(path, e))?;
    file.sync_data().map_err(|e| io_error(path, e))?;
    ckpt.bytes += chunk.len() as u64;
    ckpt.rows += pending.rows;
    if pending.rows > 0 {
        ckpt.last_id = pending.last_id;
    }
    chunk.clear();
    *pending = Pending::default();
    store.save(ckpt).await
}

/// The request of `query` for the IDs after the checkpoint's `last_id`.
pub(super) fn request_after(query: &Query, last_id: u64) -> CliResult<bitrix24::list::ListRequest> {
    if last_id == 0 {
        return query.request();
    }
    let mut q = query.clone();
    let mut start = last_id;
    let mut kept = Vec::new();
    for (k, v) in query.filters()? {
        if k.eq_ignore_ascii_case(">ID") {
            // The user's own lower bound still holds when it is above the cursor.
            if let Ok(user) = v.trim().parse::<u64>() {
                start = start.max(user);
            }
        } else {
            kept.push(format!("{k}={v}"));
        }
    }
    kept.push(format!(">ID={start}"));
    q.filter = kept;
    q.request()
}
