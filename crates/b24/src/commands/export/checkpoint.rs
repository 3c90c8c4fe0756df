//! The checkpoint of an export (`FILE.checkpoint`): what it records, opening the output for
//! a fresh or resumed run, and saving a chunk durably before the checkpoint that covers it.

use super::format::FileFormat;
use crate::exit::{CliError, CliResult};
use crate::files::{atomic_write, io_error};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// Where an export stands; the content of `FILE.checkpoint`.
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
pub(super) fn open(
    path: &Path,
    ckpt_path: &Path,
    fresh: Checkpoint,
) -> CliResult<(Checkpoint, File)> {
    let saved = match std::fs::read(ckpt_path) {
        Ok(bytes) => Some(serde_json::from_slice::<Checkpoint>(&bytes).map_err(|e| {
            CliError::Usage(format!(
                "{} is damaged ({e}); delete it to export from the start",
                ckpt_path.display()
            ))
        })?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(ckpt_path, e)),
    };
    let Some(saved) = saved else {
        let file = File::create(path).map_err(|e| io_error(path, e))?;
        return Ok((fresh, file));
    };
    if (&saved.method, &saved.filter, &saved.select, saved.format)
        != (&fresh.method, &fresh.filter, &fresh.select, fresh.format)
    {
        return Err(CliError::Usage(format!(
            "{} belongs to another export ({} with other options); repeat that command to \
             resume it, or delete the checkpoint to start over",
            ckpt_path.display(),
            saved.method
        )));
    }
    let mut file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    if len < saved.bytes {
        return Err(CliError::Usage(format!(
            "{} is shorter than its checkpoint says ({len} < {} bytes): it was changed; \
             delete {} to export from the start",
            path.display(),
            saved.bytes,
            ckpt_path.display()
        )));
    }
    // Whatever follows the checkpoint was written by a run that died before saving it.
    file.set_len(saved.bytes).map_err(|e| io_error(path, e))?;
    file.seek(SeekFrom::End(0)).map_err(|e| io_error(path, e))?;
    Ok((saved, file))
}

/// Writes the chunk, syncs the file and saves the checkpoint.
pub(super) fn save(
    file: &mut File,
    path: &Path,
    ckpt_path: &Path,
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
    let text = serde_json::to_vec(ckpt).map_err(|e| CliError::Other(e.to_string()))?;
    atomic_write(ckpt_path, &text)
}
