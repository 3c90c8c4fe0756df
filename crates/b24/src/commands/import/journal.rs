//! The import journal (`FILE.csv.b24import`, or the job's rows in the shared store: see
//! [`JournalLog`]) and the rejects file (`FILE.csv.rejects.csv`).
//!
//! The journal is append-only, one event per line, durable (synced, or committed) before the
//! next batch is sent:
//! - `b24import 1 <import id> <add method>`: the first line; the id marks what this import
//!   created, the method (absent in older journals) what it creates, so that a journal is
//!   never continued by an import into another entity;
//! - `at <unix ms>`: when the lines before it were written (this machine's clock; last in
//!   every commit, so the last one says when the process was last seen working);
//! - `send <row> <row> ...`: these rows are about to be sent (written before the request);
//! - `ok <row> <id>`: the portal created the row as `<id>`;
//! - `dup <row> <note>`: skipped as a duplicate of an existing entity;
//! - `rej <row>`: refused this time (tried again on the next run).
//!
//! A row that was sent without a result line is in doubt (the process died with the request
//! in flight); the importer asks the portal for it by its marker before sending it again, and
//! when the last run stopped moments ago, gives its requests time to finish first (a portal
//! goes on executing a request whose client died). Journals older than the `at` line are read
//! as stopped long ago.
//! A half-written last line (a crash mid-write) is ignored.

use super::journal_log::JournalLog;
use crate::exit::{CliError, CliResult};
use crate::files::io_error;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::PathBuf;

/// The journal of one import file.
#[derive(Debug)]
pub struct Journal {
    log: JournalLog,
    buffer: String,
    /// Marks the entities of this import (in `ORIGIN_ID`).
    pub import_id: String,
    /// The add method of this import (empty in journals older than the field).
    method: String,
    /// Rows created, with their ids.
    pub added: BTreeMap<u64, u64>,
    /// Rows skipped as duplicates.
    pub dups: BTreeMap<u64, String>,
    sent: BTreeSet<u64>,
    rejected: BTreeSet<u64>,
    /// When the journal was last written (unix ms), from the last `at` line.
    last_written_ms: Option<u64>,
}

impl Journal {
    /// Opens (or starts) the journal in `log` of an import through `add` (`crm.lead.add`).
    ///
    /// # Errors
    /// [`CliError::Usage`] when it is not a journal, or that of an import through another
    /// method; [`CliError::Other`] on I/O or store errors.
    pub async fn open(mut log: JournalLog, add: &str) -> CliResult<Self> {
        // Only complete lines count (see [`JournalLog::read`]).
        let complete = log.read().await?;
        let mut journal = Self {
            log,
            buffer: String::new(),
            import_id: String::new(),
            method: String::new(),
            added: BTreeMap::new(),
            dups: BTreeMap::new(),
            sent: BTreeSet::new(),
            rejected: BTreeSet::new(),
            last_written_ms: None,
        };
        for (i, line) in complete.lines().enumerate() {
            journal.apply(i, line)?;
        }
        if !journal.method.is_empty() && journal.method != add {
            return Err(CliError::Usage(format!(
                "{} is that of an import through {}, not {add}: {} (or give another --job NAME \
                 with a store) to import this file into another entity",
                journal.log.describe(),
                journal.method,
                journal.log.forget_hint()
            )));
        }
        if journal.import_id.is_empty() {
            let id = new_import_id();
            // A cut first line is rewritten whole.
            journal.log.clear().await?;
            journal.buffer = format!("b24import 1 {id} {add}\n");
            journal.import_id = id;
            journal.commit().await?;
        }
        Ok(journal)
    }

    fn apply(&mut self, i: usize, line: &str) -> CliResult {
        let mut parts = line.split_whitespace();
        let bad = || {
            CliError::Usage(format!(
                "{} line {} is not an import journal line; {} to import from the start (rows \
                 already added would be added again)",
                self.log.describe(),
                i + 1,
                self.log.forget_hint()
            ))
        };
        let row = |p: Option<&str>| p.and_then(|r| r.parse::<u64>().ok());
        match parts.next() {
            Some("b24import") if i == 0 => {
                self.import_id = parts.nth(1).unwrap_or_default().to_string();
                self.method = parts.next().unwrap_or_default().to_string();
            }
            _ if i == 0 => return Err(bad()),
            Some("at") => self.last_written_ms = Some(row(parts.next()).ok_or_else(bad)?),
            Some("send") => {
                for r in parts {
                    self.sent.insert(r.parse().map_err(|_| bad())?);
                }
            }
            Some("ok") => {
                let (r, id) = (row(parts.next()), row(parts.next()));
                let (Some(r), Some(id)) = (r, id) else {
                    return Err(bad());
                };
                self.added.insert(r, id);
                self.rejected.remove(&r);
            }
            Some("dup") => {
                let r = row(parts.next()).ok_or_else(bad)?;
                self.dups.insert(r, parts.collect::<Vec<_>>().join(" "));
            }
            Some("rej") => {
                self.rejected.insert(row(parts.next()).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
        Ok(())
    }

    /// True when the row needs no more work (added, or a duplicate).
    pub fn done(&self, row: u64) -> bool {
        self.added.contains_key(&row) || self.dups.contains_key(&row)
    }

    /// Rows sent without a result: the portal may or may not have created them.
    pub fn in_doubt(&self) -> Vec<u64> {
        self.sent
            .iter()
            .copied()
            .filter(|r| !self.done(*r) && !self.rejected.contains(r))
            .collect()
    }

    /// The marker stored in `ORIGIN_ID` of the entity created from `row`.
    pub fn marker(&self, row: u64) -> String {
        format!("b24import:{}:{row}", self.import_id)
    }

    /// Notes that `rows` are about to be sent; [`Journal::commit`] must succeed before they
    /// are (an error there means nothing may be sent).
    pub fn sending(&mut self, rows: &[u64]) {
        let list: Vec<String> = rows.iter().map(u64::to_string).collect();
        self.buffer.push_str(&format!("send {}\n", list.join(" ")));
        self.sent.extend(rows);
    }

    /// When the journal was last written, by this run or the one before (`None` in journals
    /// older than the `at` line). A batch can leave long after its `send` line (it waits for
    /// the rate limit), but not after its process stopped, and a working import writes every
    /// answer: so this is about when the last run stopped.
    pub fn last_written(&self) -> Option<std::time::SystemTime> {
        self.last_written_ms
            .map(|ms| std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
    }

    /// Notes that `row` was created as `id` (durable after [`Journal::commit`]).
    pub fn added(&mut self, row: u64, id: u64) {
        self.buffer.push_str(&format!("ok {row} {id}\n"));
        self.added.insert(row, id);
        self.rejected.remove(&row);
    }

    /// Notes that `row` duplicates an existing entity.
    pub fn duplicate(&mut self, row: u64, note: &str) {
        let note = note.replace(['\n', '\r'], " ");
        self.buffer.push_str(&format!("dup {row} {note}\n"));
        self.dups.insert(row, note);
    }

    /// Notes that the portal refused `row`.
    pub fn rejected(&mut self, row: u64) {
        self.buffer.push_str(&format!("rej {row}\n"));
        self.rejected.insert(row);
    }

    /// Makes the noted events durable (synced to the file, or committed to the store).
    ///
    /// # Errors
    /// [`CliError::Other`] on I/O or store errors.
    pub async fn commit(&mut self) -> CliResult {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let now = unix_ms(std::time::SystemTime::now());
        self.log
            .append(&format!("{}at {now}\n", self.buffer))
            .await?;
        self.buffer.clear();
        self.last_written_ms = Some(now);
        Ok(())
    }
}

fn unix_ms(at: std::time::SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn new_import_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:x}{:x}", nanos & 0xffff_ffff_ffff, std::process::id())
}

/// The rejects file: `row,error` and the row's cells, created at the first reject.
#[derive(Debug)]
pub struct Rejects {
    path: PathBuf,
    header: Vec<String>,
    writer: Option<csv::Writer<File>>,
    /// Rows written.
    pub count: u64,
}

impl Rejects {
    /// Rejects of this run go to `path`; a file left by an earlier run is removed.
    ///
    /// # Errors
    /// [`CliError::Other`] when the old file cannot be removed.
    pub fn new(path: PathBuf, header: &[String]) -> CliResult<Self> {
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&path, e)),
        }
        Ok(Self {
            path,
            header: header.to_vec(),
            writer: None,
            count: 0,
        })
    }

    /// Writes one rejected row and flushes it.
    ///
    /// # Errors
    /// [`CliError::Other`] on I/O errors.
    pub fn push(&mut self, row: u64, error: &str, cells: &[String]) -> CliResult {
        let err = |e: csv::Error| CliError::Other(format!("{}: {e}", self.path.display()));
        if self.writer.is_none() {
            let mut w = csv::Writer::from_path(&self.path).map_err(err)?;
            let mut head = vec!["row".to_string(), "error".to_string()];
            head.extend(self.header.iter().cloned());
            w.write_record(&head).map_err(err)?;
            self.writer = Some(w);
        }
        if let Some(w) = &mut self.writer {
            // A short broken row is padded so every record has the header's width.
            let mut rec = vec![row.to_string(), error.to_string()];
            rec.extend(cells.iter().cloned());
            rec.resize(self.header.len().max(cells.len()) + 2, String::new());
            w.write_record(&rec).map_err(err)?;
            w.flush().map_err(|e| io_error(&self.path, e))?;
        }
        self.count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn open(p: &std::path::Path) -> CliResult<Journal> {
        Journal::open(JournalLog::file(p)?, "crm.lead.add").await
    }

    #[tokio::test]
    async fn journal_survives_reopen_and_a_cut_last_line() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv.b24import");
        let mut j = open(&p).await.unwrap();
        let id = j.import_id.clone();
        j.sending(&[2, 3, 4, 5]);
        j.added(2, 100);
        j.duplicate(3, "lead 7");
        j.rejected(4);
        j.commit().await.unwrap();
        drop(j);
        let mut f = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"ok 5 1").unwrap();
        let mut j = open(&p).await.unwrap();
        assert_eq!(j.import_id, id);
        j.sending(&[6]);
        j.commit().await.unwrap();
        let j = open(&p).await.unwrap();
        assert_eq!(j.in_doubt(), [5, 6]);
        let ago = std::time::SystemTime::now()
            .duration_since(j.last_written().expect("the last write's time"))
            .expect("in the past");
        assert!(ago < std::time::Duration::from_secs(60), "{ago:?}");
        assert!(j.done(2) && j.done(3) && !j.done(4) && !j.done(5));
        assert_eq!(j.marker(5), format!("b24import:{id}:5"));
    }

    #[tokio::test]
    async fn a_journal_is_not_continued_into_another_entity() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv.b24import");
        drop(open(&p).await.unwrap());
        let other = Journal::open(JournalLog::file(&p).unwrap(), "crm.contact.add").await;
        let err = other.unwrap_err().to_string();
        assert!(
            err.contains("through crm.lead.add, not crm.contact.add"),
            "{err}"
        );
        // A journal from before the method was recorded is continued.
        std::fs::write(&p, "b24import 1 abc\nsend 2\n").unwrap();
        let old = Journal::open(JournalLog::file(&p).unwrap(), "crm.contact.add").await;
        let old = old.unwrap();
        assert_eq!(old.in_doubt(), [2]);
        assert_eq!(old.last_written(), None, "written at an unknown time");
    }

    #[tokio::test]
    async fn a_foreign_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, "hello\nworld\n").unwrap();
        assert!(matches!(open(&p).await, Err(CliError::Usage(_))));
    }
}
