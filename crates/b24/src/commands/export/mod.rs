//! `b24 export ENTITY -o FILE`: every row to a CSV or JSON-lines file, in ascending ID order,
//! resumable.
//!
//! By default several keyset chains run at once over ID ranges, each into its own part file,
//! joined in ID order ([`ranged`]). With `--parallel 1` one chain writes straight into the
//! file: the last ID written is a cursor; after each chunk the file is synced and
//! `FILE.checkpoint` is replaced atomically with the last ID, the rows written and the file
//! length at that point. A resumed run cuts the file back to that length (dropping a
//! half-written chunk) and asks for `ID > last`, so no row is written twice and none is
//! skipped. The checkpoint is removed when the export completes.
//!
//! With a shared store the checkpoint is a row of the store instead of `FILE.checkpoint`,
//! keyed by the portal and the job name (`--job`, by default the file's name): a run from
//! another directory or another machine that sees the same file resumes it
//! ([`checkpoint_store`]).

mod checkpoint;
mod checkpoint_store;
mod format;
mod ranged;
mod rows;

pub use format::{format_of, FileFormat};

use super::list::Query;
use crate::config::Paths;
use crate::exit::{CliError, CliResult};
use crate::files::io_error;
use crate::profile_client::client_for;
use crate::progress;
use bitrix24::Client;
use checkpoint::{interrupted, open, request_after, save, Checkpoint, Pending};
use checkpoint_store::CheckpointStore;
use futures::StreamExt;
use indicatif::ProgressBar;
use rows::{csv_columns, row_id, write_csv, write_row};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Rows per page of the portal's list methods (for the page-by-page comparison).
const PAGE: u64 = 50;

/// Arguments of `b24 export`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    b24 export lead -o leads.csv --select ID,NAME,LAST_NAME,PHONE\n  \
    b24 export deal -o deals.jsonl --filter STAGE_ID=WON\n\n\
    Interrupted (Ctrl-C, a crash, a lost network)? Run the same command again: it resumes \
    from FILE.checkpoint (with --store: from the job's checkpoint in the store, found from \
    any directory or machine) without duplicating or losing a row.")]
pub struct ExportArgs {
    #[command(flatten)]
    pub query: Query,
    /// The file to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// With a shared store: the name its checkpoint is kept under (default: the output's
    /// file name), so that a run from another directory or machine resumes it.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// File format (default: csv for a .csv file, else jsonl).
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Rows per synced chunk and checkpoint.
    #[arg(long, default_value_t = 1000, hide = true)]
    pub chunk: usize,
    /// Stop (as if interrupted) after this many rows in this run; for testing resumes.
    #[arg(long, hide = true)]
    pub max_rows: Option<u64>,
    /// Keyset chains at once over ID ranges (1: one chain, straight into the file). The
    /// default keeps a standard portal's burst busy; the client's rate limiter paces them.
    #[arg(long, default_value_t = DEFAULT_PARALLEL, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: u16,
}

/// Chains at once by default: eight 2,500-row requests in flight fill a real portal's
/// latency (hundreds of milliseconds) and are a sixth of a standard bucket's burst.
pub const DEFAULT_PARALLEL: u16 = 8;

/// What a finished export did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Rows in the file (including those of earlier, interrupted runs).
    pub rows: u64,
    /// Rows written by this run.
    pub new_rows: u64,
    /// REST requests this run sent.
    pub requests: u64,
}

impl Summary {
    /// Requests a page-by-page export (one request per 50 rows, plus the last page) needs.
    pub fn page_by_page_requests(&self) -> u64 {
        self.new_rows / PAGE + 1
    }
}

/// Runs `b24 export`.
pub async fn run(args: ExportArgs, profile: Option<&str>) -> CliResult {
    let format = args.format.unwrap_or_else(|| format_of(&args.output));
    let paths = Paths::from_env()?;
    let (client, source) = client_for(&paths, profile).await?;
    let store = CheckpointStore::open(&args.output, args.job.as_deref(), &source.portal).await?;
    let bar = progress::bar("rows", None);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let opts = Options {
        format,
        chunk: args.chunk.max(1),
        max_rows: args.max_rows,
        parallel: usize::from(args.parallel),
    };
    let result = export(&client, &args.query, &args.output, &store, opts, &bar, stop).await;
    bar.finish_and_clear();
    let s = result?;
    eprintln!(
        "Exported {} rows to {} with {} request{} (page by page: {}).",
        s.rows,
        args.output.display(),
        s.requests,
        if s.requests == 1 { "" } else { "s" },
        s.page_by_page_requests()
    );
    Ok(())
}

/// How to export.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The file format.
    pub format: FileFormat,
    /// Rows per synced chunk.
    pub chunk: usize,
    /// Stop as if interrupted after this many rows of this run.
    pub max_rows: Option<u64>,
    /// Keyset chains at once (1: a single chain).
    pub parallel: usize,
}

/// Exports the rows of `query` into `path`, resuming from the checkpoint in `store` when
/// there is one. `stop` resolving (e.g. Ctrl-C) ends the export at the next row, checkpoint
/// saved.
///
/// # Errors
/// [`CliError::Interrupted`] when stopped (run again to resume); [`CliError::Usage`] when the
/// checkpoint belongs to another export; the client's errors, checkpoint saved.
pub async fn export(
    client: &Client,
    query: &Query,
    path: &Path,
    store: &CheckpointStore,
    opts: Options,
    bar: &ProgressBar,
    stop: impl std::future::Future<Output = ()>,
) -> CliResult<Summary> {
    let fresh = Checkpoint {
        method: query.method()?,
        filter: query.filters()?,
        select: query.select.clone(),
        format: opts.format,
        columns: Vec::new(),
        last_id: 0,
        rows: 0,
        bytes: 0,
        ranges: Vec::new(),
    };
    let (mut ckpt, mut file) = open(path, store, fresh).await?;
    let base = client.stats();
    bar.set_position(ckpt.rows + ckpt.ranges.iter().map(|r| r.rows).sum::<u64>());
    // A checkpoint with ranges continues them whatever --parallel says now.
    let new_rows = if opts.parallel > 1 || !ckpt.ranges.is_empty() {
        let run = ranged::Run {
            client,
            path,
            store,
            format: opts.format,
            query,
            parallel: opts.parallel,
            max_rows: opts.max_rows,
            bar,
            base,
        };
        ranged::export(run, &mut ckpt, &mut file, stop).await?
    } else {
        let chain = Chain {
            client,
            query,
            path,
            store,
            opts,
            bar,
            base: &base,
        };
        single_chain(chain, stop, &mut ckpt, &mut file).await?
    };
    file.sync_all().map_err(|e| io_error(path, e))?;
    store.remove().await?;
    Ok(Summary {
        rows: ckpt.rows,
        new_rows,
        requests: client.stats().since(&base).requests,
    })
}

/// What the single chain works with.
struct Chain<'a> {
    client: &'a Client,
    query: &'a Query,
    path: &'a Path,
    store: &'a CheckpointStore,
    opts: Options,
    bar: &'a ProgressBar,
    base: &'a bitrix24::Stats,
}

/// One keyset chain straight into the file; returns the rows this run wrote.
async fn single_chain(
    chain: Chain<'_>,
    stop: impl std::future::Future<Output = ()>,
    ckpt: &mut Checkpoint,
    file: &mut std::fs::File,
) -> CliResult<u64> {
    let Chain {
        client,
        query,
        path,
        store,
        opts,
        bar,
        base,
    } = chain;
    let req = request_after(query, ckpt.last_id)?;
    let mut rows = req.stream::<Value>(client);
    let mut chunk: Vec<u8> = Vec::new();
    let mut pending = Pending::default();
    let mut new_rows = 0u64;
    tokio::pin!(stop);
    loop {
        let next = tokio::select! {
            r = rows.next() => r,
            () = &mut stop => {
                save(file, path, store, ckpt, &mut chunk, &mut pending).await?;
                return Err(interrupted(ckpt, store, "interrupted"));
            }
        };
        let row = match next {
            None => break,
            Some(Ok(row)) => row,
            Some(Err(e)) => {
                save(file, path, store, ckpt, &mut chunk, &mut pending).await?;
                return Err(CliError::from(e).with_note(&format!(
                    "{} rows are saved; run the same command again to resume.",
                    ckpt.rows
                )));
            }
        };
        let id = row_id(&row)?;
        if ckpt.columns.is_empty() && opts.format == FileFormat::Csv {
            ckpt.columns = csv_columns(&query.select, &row);
            write_csv(&mut chunk, &ckpt.columns)?;
        }
        write_row(&mut chunk, opts.format, &ckpt.columns, &row)?;
        pending.rows += 1;
        pending.last_id = id;
        new_rows += 1;
        bar.inc(1);
        progress::show_requests(bar, client, base);
        if pending.rows as usize >= opts.chunk {
            save(file, path, store, ckpt, &mut chunk, &mut pending).await?;
        }
        if opts.max_rows.is_some_and(|m| new_rows >= m) {
            save(file, path, store, ckpt, &mut chunk, &mut pending).await?;
            return Err(interrupted(ckpt, store, "stopped at --max-rows"));
        }
    }
    save(file, path, store, ckpt, &mut chunk, &mut pending).await?;
    Ok(new_rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_formats() {
        assert_eq!(format_of(Path::new("a.CSV")), FileFormat::Csv);
        assert_eq!(format_of(Path::new("a.json")), FileFormat::Jsonl);
    }

    #[test]
    fn resume_keeps_the_higher_lower_bound() {
        let q = Query {
            entity: "lead".into(),
            filter: vec![">ID=500".into(), "STATUS_ID=NEW".into()],
            select: vec![],
        };
        let shown = format!("{:?}", request_after(&q, 100).unwrap());
        assert!(shown.contains("\">ID\": String(\"500\")"), "{shown}");
        let shown = format!("{:?}", request_after(&q, 900).unwrap());
        assert!(shown.contains("\">ID\": String(\"900\")"), "{shown}");
        assert!(shown.contains("STATUS_ID"), "{shown}");
    }
}
