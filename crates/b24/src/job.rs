//! A resumable job (an export or an import) kept in the shared store: what identifies it, and
//! the lock that lets one `b24` process at a time run it.
//!
//! A job is named by the portal's host and a job name: `--job NAME`, by default the file's
//! name without its directory. A path is machine-local (another machine mounts the same
//! share elsewhere, another working directory spells it differently); the name is what a
//! person repeats when running the same command again, anywhere.
//!
//! The lock is a session-level advisory lock held on a connection of its own for the whole
//! run, and the job's writes go through that same connection: when the process dies (even
//! `kill -9`) or loses the server, the server ends the session and frees the job at once, and
//! a process that lost its lock cannot write any more.

use crate::exit::{CliError, CliResult};
use crate::shared::db_error;
use bitrix24::postgres::deadpool_postgres::Object;
use bitrix24::postgres::Database;
use std::path::Path;

/// The name of the job on `file` when `--job` names none: the file's name.
///
/// # Errors
/// [`CliError::Usage`] when the path has no file name (`..`, `/`).
pub fn default_name(file: &Path) -> CliResult<String> {
    file.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{} has no file name to name the job after; give --job NAME",
                file.display()
            ))
        })
}

/// A job this process holds in the shared store.
pub struct SharedJob {
    /// The connection holding the job's lock; `None` only while dropping.
    client: Option<Object>,
    /// The portal's host.
    pub portal: String,
    /// The job's name.
    pub name: String,
    kind: &'static str,
}

impl std::fmt::Debug for SharedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedJob")
            .field("kind", &self.kind)
            .field("portal", &self.portal)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SharedJob {
    /// Takes the `kind` job (`export`, `import`) `name` of `portal` for this process.
    ///
    /// # Errors
    /// [`CliError::Usage`] when another process runs it now; [`CliError::Other`] when the
    /// store cannot be reached.
    pub async fn claim(
        db: &Database,
        kind: &'static str,
        portal: &str,
        name: &str,
    ) -> CliResult<Self> {
        let client = db
            .pool()
            .get()
            .await
            .map_err(|e| db_error("cannot get a connection", e))?;
        let key = format!("b24 {kind} {portal} {name}");
        let held: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                &[&key],
            )
            .await
            .map_err(|e| db_error("cannot take the job's lock", e))?
            .get(0);
        let job = Self {
            client: Some(client),
            portal: portal.to_string(),
            name: name.to_string(),
            kind,
        };
        if !held {
            return Err(CliError::Usage(format!(
                "the {kind} job '{name}' of {portal} is running in another b24 process (on this \
                 or another machine sharing the store); wait for it to end, or give another \
                 --job NAME"
            )));
        }
        Ok(job)
    }

    /// The connection that holds the lock: every write of the job goes through it.
    pub fn client(&self) -> CliResult<&Object> {
        self.client
            .as_ref()
            .ok_or_else(|| CliError::Other("the job's connection is closed".into()))
    }

    /// "the import job 'leads.csv' of example.bitrix24.com in the store", for messages.
    pub fn describe(&self) -> String {
        format!(
            "the {} job '{}' of {} in the store",
            self.kind, self.name, self.portal
        )
    }
}

impl Drop for SharedJob {
    fn drop(&mut self) {
        // Taken out of the pool, the connection closes with this value and the server frees
        // the lock; back in the pool it would keep holding it.
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_is_the_file_name() {
        assert_eq!(
            default_name(Path::new("/a/b/leads.csv")).unwrap(),
            "leads.csv"
        );
        assert_eq!(default_name(Path::new("leads.csv")).unwrap(), "leads.csv");
        assert!(default_name(Path::new("/")).is_err());
    }
}
