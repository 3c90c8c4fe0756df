//! `b24 export ENTITY -o FILE`: every row to a CSV or JSON-lines file, resumable.
//!
//! Rows come by keyset paging, in ascending ID order, so the last ID written is a cursor.
//! After each chunk the file is synced and `FILE.checkpoint` is replaced atomically with the
//! last ID, the rows written and the file length at that point. A resumed run cuts the file
//! back to that length (dropping a half-written chunk) and asks for `ID > last`, so no row is
//! written twice and none is skipped. The checkpoint is removed when the export completes.

mod checkpoint;
mod format;

pub use format::{format_of, FileFormat};

use super::list::Query;
use crate::config::Paths;
use crate::exit::{CliError, CliResult};
use crate::files::{io_error, sibling};
use crate::output::{cell, csv_line};
use crate::profile_client::client_for;
use crate::progress;
use bitrix24::Client;
use checkpoint::{open, save, Checkpoint, Pending};
use futures::StreamExt;
use indicatif::ProgressBar;
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
    from FILE.checkpoint without duplicating or losing a row.")]
pub struct ExportArgs {
    #[command(flatten)]
    pub query: Query,
    /// The file to write.
    #[arg(short, long)]
    pub output: PathBuf,
    /// File format (default: csv for a .csv file, else jsonl).
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Rows per synced chunk and checkpoint.
    #[arg(long, default_value_t = 1000, hide = true)]
    pub chunk: usize,
    /// Stop (as if interrupted) after this many rows in this run; for testing resumes.
    #[arg(long, hide = true)]
    pub max_rows: Option<u64>,
}

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
    let (client, _) = client_for(&paths, profile).await?;
    let bar = progress::bar("rows", None);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let opts = Options {
        format,
        chunk: args.chunk.max(1),
        max_rows: args.max_rows,
    };
    let result = export(&client, &args.query, &args.output, opts, &bar, stop).await;
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
}

/// Exports the rows of `query` into `path`, resuming from `path.checkpoint` when there is one.
/// `stop` resolving (e.g. Ctrl-C) ends the export at the next row, checkpoint saved.
///
/// # Errors
/// [`CliError::Interrupted`] when stopped (run again to resume); [`CliError::Usage`] when the
/// checkpoint belongs to another export; the client's errors, checkpoint saved.
pub async fn export(
    client: &Client,
    query: &Query,
    path: &Path,
    opts: Options,
    bar: &ProgressBar,
    stop: impl std::future::Future<Output = ()>,
) -> CliResult<Summary> {
    let ckpt_path = sibling(path, ".checkpoint");
    let fresh = Checkpoint {
        method: query.method()?,
        filter: query.filters()?,
        select: query.select.clone(),
        format: opts.format,
        columns: Vec::new(),
        last_id: 0,
        rows: 0,
        bytes: 0,
    };
    let (mut ckpt, mut file) = open(path, &ckpt_path, fresh)?;
    let req = resume_request(query, ckpt.last_id)?;
    let base = progress::requests();
    bar.set_position(ckpt.rows);
    let mut rows = req.stream::<Value>(client);
    let mut chunk: Vec<u8> = Vec::new();
    let mut pending = Pending::default();
    let mut new_rows = 0u64;
    tokio::pin!(stop);
    loop {
        let next = tokio::select! {
            r = rows.next() => r,
            () = &mut stop => {
                save(&mut file, path, &ckpt_path, &mut ckpt, &mut chunk, &mut pending)?;
                return Err(interrupted(&ckpt, path, "interrupted"));
            }
        };
        let row = match next {
            None => break,
            Some(Ok(row)) => row,
            Some(Err(e)) => {
                save(
                    &mut file,
                    path,
                    &ckpt_path,
                    &mut ckpt,
                    &mut chunk,
                    &mut pending,
                )?;
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
        match opts.format {
            FileFormat::Jsonl => {
                chunk.extend_from_slice(row.to_string().as_bytes());
                chunk.push(b'\n');
            }
            FileFormat::Csv => {
                let cells: Vec<String> = ckpt
                    .columns
                    .iter()
                    .map(|c| cell(row.get(c).unwrap_or(&Value::Null)))
                    .collect();
                write_csv(&mut chunk, &cells)?;
            }
        }
        pending.rows += 1;
        pending.last_id = id;
        new_rows += 1;
        bar.inc(1);
        progress::show_requests(bar, base);
        if pending.rows as usize >= opts.chunk {
            save(
                &mut file,
                path,
                &ckpt_path,
                &mut ckpt,
                &mut chunk,
                &mut pending,
            )?;
        }
        if opts.max_rows.is_some_and(|m| new_rows >= m) {
            save(
                &mut file,
                path,
                &ckpt_path,
                &mut ckpt,
                &mut chunk,
                &mut pending,
            )?;
            return Err(interrupted(&ckpt, path, "stopped at --max-rows"));
        }
    }
    save(
        &mut file,
        path,
        &ckpt_path,
        &mut ckpt,
        &mut chunk,
        &mut pending,
    )?;
    file.sync_all().map_err(|e| io_error(path, e))?;
    match std::fs::remove_file(&ckpt_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&ckpt_path, e)),
    }
    Ok(Summary {
        rows: ckpt.rows,
        new_rows,
        requests: progress::requests().saturating_sub(base),
    })
}

fn interrupted(ckpt: &Checkpoint, path: &Path, why: &str) -> CliError {
    CliError::Interrupted(format!(
        "{why} after {} rows; {} is saved: run the same command again to resume",
        ckpt.rows,
        sibling(path, ".checkpoint").display()
    ))
}

/// The request of `query`, starting after `last_id`.
fn resume_request(query: &Query, last_id: u64) -> CliResult<bitrix24::list::ListRequest> {
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

/// The row's numeric ID.
fn row_id(row: &Value) -> CliResult<u64> {
    let id = match row.get("ID") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    id.ok_or_else(|| CliError::Other("a row has no numeric ID; export needs it".into()))
}

/// CSV columns: the select (ID first when missing), else the first row's keys.
fn csv_columns(select: &[String], first: &Value) -> Vec<String> {
    let mut cols = crate::output::columns(select, Some(first));
    if !cols.iter().any(|c| c.eq_ignore_ascii_case("ID")) {
        cols.insert(0, "ID".into());
    }
    cols
}

fn write_csv(into: &mut Vec<u8>, cells: &[String]) -> CliResult {
    into.extend_from_slice(&csv_line(cells)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_formats() {
        assert_eq!(row_id(&serde_json::json!({"ID": "42"})).unwrap(), 42);
        assert_eq!(row_id(&serde_json::json!({"ID": 7})).unwrap(), 7);
        assert!(row_id(&serde_json::json!({"TITLE": "x"})).is_err());
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
        let shown = format!("{:?}", resume_request(&q, 100).unwrap());
        assert!(shown.contains("\">ID\": String(\"500\")"), "{shown}");
        let shown = format!("{:?}", resume_request(&q, 900).unwrap());
        assert!(shown.contains("\">ID\": String(\"900\")"), "{shown}");
        assert!(shown.contains("STATUS_ID"), "{shown}");
    }
}
