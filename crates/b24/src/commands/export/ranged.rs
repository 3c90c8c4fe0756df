//! The parallel export: several keyset chains over ID ranges at once
//! ([`ListRequest::split_ranges`](bitrix24::list::ListRequest::split_ranges)), one part file
//! per range, joined in ID order.
//!
//! The output file holds the finished prefix (the CSV header, then every row up to the
//! checkpoint's `last_id`); each range writes its rows to `FILE.part-<start>`. After every
//! answer the part is synced and the checkpoint replaced (atomically, or by one commit in the
//! shared store), with each range's last
//! ID, rows and part length. Whenever the lowest range is done, its part is appended to the
//! file, synced, and the checkpoint moves the prefix past it before the part is deleted. A
//! resumed run cuts the file and every part back to the lengths the checkpoint gives and
//! continues each range after its last ID: no row is written twice and none is lost, and
//! the file ends in ascending ID order. Memory stays at one answer (about 2,500 rows).

use super::super::list::Query;
use super::checkpoint::{interrupted, request_after, Checkpoint, RangeCheckpoint};
use super::checkpoint_store::CheckpointStore;
use super::format::FileFormat;
use super::rows::{csv_columns, write_csv, write_row};
use crate::exit::{CliError, CliResult};
use crate::files::{io_error, sibling};
use crate::progress;
use bitrix24::list::{IdRange, RangeEvent};
use bitrix24::{Client, Stats};
use futures::StreamExt;
use indicatif::ProgressBar;
use serde_json::Value;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What the parallel export works with.
pub(super) struct Run<'a> {
    /// The client.
    pub client: &'a Client,
    /// The output file.
    pub path: &'a Path,
    /// Its checkpoint.
    pub store: &'a CheckpointStore,
    /// The file format.
    pub format: FileFormat,
    /// The query.
    pub query: &'a Query,
    /// Chains at once.
    pub parallel: usize,
    /// Stop as if interrupted after this many rows of this run.
    pub max_rows: Option<u64>,
    /// The progress bar.
    pub bar: &'a ProgressBar,
    /// The client's counters at the start, for the request figure.
    pub base: Stats,
}

/// The part files of the open ranges, by range start.
struct Parts {
    files: HashMap<u64, File>,
}

fn part_path(path: &Path, start: u64) -> PathBuf {
    sibling(path, &format!(".part-{start}"))
}

impl Parts {
    /// Opens the parts of a resumed checkpoint, each cut back to its saved length.
    fn reopen(path: &Path, store: &CheckpointStore, ranges: &[RangeCheckpoint]) -> CliResult<Self> {
        let mut files = HashMap::new();
        for r in ranges {
            let p = part_path(path, r.start);
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&p)
                .map_err(|e| io_error(&p, e))?;
            let len = file.metadata().map_err(|e| io_error(&p, e))?.len();
            if len < r.bytes {
                return Err(CliError::Usage(format!(
                    "{} is shorter than the checkpoint says ({len} < {} bytes): it was changed; \
                     {} and the part files to export from the start",
                    p.display(),
                    r.bytes,
                    store.forget_hint()
                )));
            }
            file.set_len(r.bytes).map_err(|e| io_error(&p, e))?;
            file.seek(SeekFrom::End(0)).map_err(|e| io_error(&p, e))?;
            files.insert(r.start, file);
        }
        Ok(Self { files })
    }

    /// A new, empty part for the range starting at `start`.
    fn create(&mut self, path: &Path, start: u64) -> CliResult {
        let p = part_path(path, start);
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&p)
            .map_err(|e| io_error(&p, e))?;
        self.files.insert(start, file);
        Ok(())
    }

    /// Appends `bytes` to the part of `start` and syncs it.
    fn append(&mut self, path: &Path, start: u64, bytes: &[u8]) -> CliResult {
        let p = part_path(path, start);
        let file = self
            .files
            .get_mut(&start)
            .ok_or_else(|| CliError::Other(format!("{}: no such part is open", p.display())))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_data())
            .map_err(|e| io_error(&p, e))
    }
}

/// Runs (or resumes) the parallel export. Returns the rows this run wrote.
pub(super) async fn export(
    run: Run<'_>,
    ckpt: &mut Checkpoint,
    file: &mut File,
    stop: impl std::future::Future<Output = ()>,
) -> CliResult<u64> {
    let path = run.path;
    let mut parts = Parts::reopen(path, run.store, &ckpt.ranges)?;
    // A run that died between finishing the lowest ranges and joining them left them done.
    join_finished(path, run.store, ckpt, file, &mut parts).await?;
    // The stream numbers ranges itself: map its numbers to range starts.
    let resumed: Vec<u64> = ckpt
        .ranges
        .iter()
        .filter(|r| !r.done)
        .map(|r| r.start)
        .collect();
    let mut events = if ckpt.ranges.is_empty() {
        request_after(run.query, ckpt.last_id)?.split_ranges::<Value>(run.client, run.parallel)
    } else {
        let saved = ckpt
            .ranges
            .iter()
            .filter(|r| !r.done)
            .map(|r| IdRange {
                after: r.after,
                up_to: r.up_to,
            })
            .collect();
        // The saved ranges carry their own bounds; the user's `>ID` is inside them.
        run.query
            .request()?
            .resume_ranges::<Value>(run.client, saved, run.parallel)
    };
    let is_resume = !ckpt.ranges.is_empty();
    let mut starts: HashMap<usize, u64> = HashMap::new();
    let mut new_rows = 0u64;
    let mut buffer = Vec::new();
    tokio::pin!(stop);
    loop {
        let next = tokio::select! {
            e = events.next() => e,
            () = &mut stop => return Err(interrupted(ckpt, run.store, "interrupted")),
        };
        let event = match next {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(e)) => {
                let rows = ckpt.rows + ckpt.ranges.iter().map(|r| r.rows).sum::<u64>();
                return Err(CliError::from(e).with_note(&format!(
                    "{rows} rows are saved; run the same command again to resume."
                )));
            }
        };
        match event {
            RangeEvent::Planned { range, bounds } => {
                let start = if is_resume {
                    *resumed.get(range).ok_or_else(|| {
                        CliError::Other("the list stream planned a range it was not given".into())
                    })?
                } else {
                    parts.create(path, bounds.after)?;
                    insert(
                        ckpt,
                        RangeCheckpoint {
                            start: bounds.after,
                            after: bounds.after,
                            up_to: bounds.up_to,
                            rows: 0,
                            bytes: 0,
                            done: false,
                        },
                    );
                    bounds.after
                };
                starts.insert(range, start);
            }
            RangeEvent::Split {
                from,
                range,
                at,
                up_to,
            } => {
                let cut = range_of(ckpt, &starts, from)?;
                cut.up_to = at;
                parts.create(path, at)?;
                insert(
                    ckpt,
                    RangeCheckpoint {
                        start: at,
                        after: at,
                        up_to,
                        rows: 0,
                        bytes: 0,
                        done: false,
                    },
                );
                starts.insert(range, at);
            }
            RangeEvent::Rows {
                range,
                rows,
                last_id,
            } => {
                if ckpt.columns.is_empty() && run.format == FileFormat::Csv {
                    // The header opens the file, ahead of every part.
                    if let Some(first) = rows.first() {
                        ckpt.columns = csv_columns(&run.query.select, first);
                        let mut header = Vec::new();
                        write_csv(&mut header, &ckpt.columns)?;
                        file.write_all(&header)
                            .and_then(|()| file.sync_data())
                            .map_err(|e| io_error(path, e))?;
                        ckpt.bytes += header.len() as u64;
                    }
                }
                buffer.clear();
                for row in &rows {
                    write_row(&mut buffer, run.format, &ckpt.columns, row)?;
                }
                let start = *starts.get(&range).ok_or_else(unknown_range)?;
                parts.append(path, start, &buffer)?;
                let r = range_of(ckpt, &starts, range)?;
                r.after = last_id;
                r.rows += rows.len() as u64;
                r.bytes += buffer.len() as u64;
                new_rows += rows.len() as u64;
                run.bar.inc(rows.len() as u64);
                progress::show_requests(run.bar, run.client, &run.base);
            }
            RangeEvent::Done { range } => {
                range_of(ckpt, &starts, range)?.done = true;
                join_finished(path, run.store, ckpt, file, &mut parts).await?;
            }
        }
        run.store.save(ckpt).await?;
        if run.max_rows.is_some_and(|m| new_rows >= m) {
            return Err(interrupted(ckpt, run.store, "stopped at --max-rows"));
        }
    }
    join_finished(path, run.store, ckpt, file, &mut parts).await?;
    if let Some(open) = ckpt.ranges.first() {
        return Err(CliError::Other(format!(
            "the list ended with the range after ID {} unfinished; run the same command again \
             to resume",
            open.after
        )));
    }
    Ok(new_rows)
}

fn unknown_range() -> CliError {
    CliError::Other("the list stream named a range it never planned".into())
}

/// Keeps the ranges in ascending order of their starts.
fn insert(ckpt: &mut Checkpoint, range: RangeCheckpoint) {
    let at = ckpt.ranges.partition_point(|r| r.start < range.start);
    ckpt.ranges.insert(at, range);
}

fn range_of<'c>(
    ckpt: &'c mut Checkpoint,
    starts: &HashMap<usize, u64>,
    range: usize,
) -> CliResult<&'c mut RangeCheckpoint> {
    let start = *starts.get(&range).ok_or_else(unknown_range)?;
    ckpt.ranges
        .iter_mut()
        .find(|r| r.start == start)
        .ok_or_else(unknown_range)
}

/// Appends the parts of the lowest finished ranges to the file, in order: each is synced
/// into the file and the checkpoint saved before its part is deleted.
async fn join_finished(
    path: &Path,
    store: &CheckpointStore,
    ckpt: &mut Checkpoint,
    file: &mut File,
    parts: &mut Parts,
) -> CliResult {
    while ckpt.ranges.first().is_some_and(|r| r.done) {
        let r = ckpt.ranges.remove(0);
        let p = part_path(path, r.start);
        if let Some(mut part) = parts.files.remove(&r.start) {
            part.seek(SeekFrom::Start(0)).map_err(|e| io_error(&p, e))?;
            let copied = std::io::copy(&mut std::io::Read::take(&mut part, r.bytes), file)
                .map_err(|e| io_error(path, e))?;
            if copied != r.bytes {
                return Err(CliError::Other(format!(
                    "{} holds {copied} bytes where the checkpoint says {}",
                    p.display(),
                    r.bytes
                )));
            }
            file.sync_data().map_err(|e| io_error(path, e))?;
        }
        ckpt.bytes += r.bytes;
        ckpt.rows += r.rows;
        ckpt.last_id = ckpt.last_id.max(r.up_to);
        store.save(ckpt).await?;
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&p, e)),
        }
    }
    Ok(())
}
