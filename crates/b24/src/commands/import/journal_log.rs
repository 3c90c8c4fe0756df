//! Where an import's journal lines live: `FILE.csv.b24import` without a store (appended and
//! synced), rows of `b24_import_journals` with one (each append one commit), keyed by the job
//! (see [`crate::job`]) so that a run on another machine, with its own copy of the file,
//! resumes it. An append returns only once its lines are durable: that is what lets the
//! journal say `send` before a batch leaves.

use crate::exit::CliResult;
use crate::files::{io_error, sibling};
use crate::job::{default_name, SharedJob};
use crate::shared::{db_error, shared_database};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The durable lines of one import's journal.
#[derive(Debug)]
pub enum JournalLog {
    /// `FILE.csv.b24import`.
    File {
        /// The journal file.
        path: PathBuf,
        /// It, open for appending.
        file: File,
    },
    /// The job's rows in the shared store.
    Shared(Box<SharedJob>),
}

impl JournalLog {
    /// The journal of the import of `input` into `portal`: the job `job` (default: the input's
    /// file name) in the shared store when one is set, taken for this process; else
    /// `FILE.csv.b24import`.
    ///
    /// # Errors
    /// A usage error when another process runs the job; I/O and store errors.
    pub async fn open(input: &Path, job: Option<&str>, portal: &str) -> CliResult<Self> {
        let Some(db) = shared_database().await? else {
            return Self::file(&sibling(input, ".b24import"));
        };
        let name = match job {
            Some(name) => name.to_string(),
            None => default_name(input)?,
        };
        let job = SharedJob::claim(&db, "import", portal, &name).await?;
        Ok(JournalLog::Shared(Box::new(job)))
    }

    /// The journal file at `path`.
    ///
    /// # Errors
    /// An error naming the file when it cannot be opened.
    pub fn file(path: &Path) -> CliResult<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| io_error(path, e))?;
        Ok(JournalLog::File {
            path: path.to_path_buf(),
            file,
        })
    }

    /// The complete lines written so far. A line cut by a crash mid-write (only a file can
    /// hold one) is cut off the file too, so that the next line does not continue it.
    ///
    /// # Errors
    /// I/O and store errors.
    pub async fn read(&mut self) -> CliResult<String> {
        match self {
            JournalLog::File { path, file } => {
                let text = match std::fs::read(&*path) {
                    Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                    Err(e) => return Err(io_error(path, e)),
                };
                let keep = text.rfind('\n').map_or(0, |end| end + 1);
                if keep < text.len() {
                    file.set_len(keep as u64).map_err(|e| io_error(path, e))?;
                }
                Ok(text.get(..keep).unwrap_or_default().to_string())
            }
            JournalLog::Shared(job) => {
                let rows = job
                    .client()?
                    .query(
                        "SELECT lines FROM b24_import_journals
                         WHERE portal = $1 AND job = $2 ORDER BY seq",
                        &[&job.portal, &job.name],
                    )
                    .await
                    .map_err(|e| db_error("cannot read the import journal", e))?;
                Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
            }
        }
    }

    /// Drops every line (a journal whose first line was cut is started again).
    ///
    /// # Errors
    /// I/O and store errors.
    pub async fn clear(&mut self) -> CliResult {
        match self {
            JournalLog::File { path, file } => file.set_len(0).map_err(|e| io_error(path, e)),
            JournalLog::Shared(job) => {
                job.client()?
                    .execute(
                        "DELETE FROM b24_import_journals WHERE portal = $1 AND job = $2",
                        &[&job.portal, &job.name],
                    )
                    .await
                    .map_err(|e| db_error("cannot start the import journal", e))?;
                Ok(())
            }
        }
    }

    /// Appends `lines` (whole lines) durably: synced to the file, or committed.
    ///
    /// # Errors
    /// I/O and store errors; then the lines may or may not be durable, and nothing that
    /// depends on them may happen.
    pub async fn append(&mut self, lines: &str) -> CliResult {
        match self {
            JournalLog::File { path, file } => file
                .write_all(lines.as_bytes())
                .and_then(|()| file.sync_data())
                .map_err(|e| io_error(path, e)),
            JournalLog::Shared(job) => {
                // One statement outside a transaction: it is durable when it returns.
                job.client()?
                    .execute(
                        "INSERT INTO b24_import_journals (portal, job, lines) VALUES ($1, $2, $3)",
                        &[&job.portal, &job.name, &lines],
                    )
                    .await
                    .map_err(|e| db_error("cannot write the import journal", e))?;
                Ok(())
            }
        }
    }

    /// What the journal is, for messages: the file, or the job in the store.
    pub fn describe(&self) -> String {
        match self {
            JournalLog::File { path, .. } => path.display().to_string(),
            JournalLog::Shared(job) => format!("the journal of {}", job.describe()),
        }
    }

    /// How to drop the journal and import from the start, for messages.
    pub fn forget_hint(&self) -> String {
        match self {
            JournalLog::File { path, .. } => format!("delete {}", path.display()),
            JournalLog::Shared(job) => format!(
                "delete it (DELETE FROM b24_import_journals WHERE portal = '{}' AND job = '{}')",
                job.portal, job.name
            ),
        }
    }
}
