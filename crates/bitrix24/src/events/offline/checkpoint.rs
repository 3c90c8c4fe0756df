//! Where the offline consumer keeps the `process_id` of the batch it is working on, so that a
//! process that died between `event.offline.get` and `event.offline.clear` finds its reserved
//! rows again instead of leaving them reserved (and unseen) for the portal's 30 days.

use crate::error::{Error, ErrorKind, Result};
use futures::future::BoxFuture;
use futures::FutureExt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Keeps one `process_id` (or none) durably. Object-safe; implement it to keep the id in
/// your own database.
pub trait Checkpoint: Send + Sync + std::fmt::Debug {
    /// The remembered `process_id`, if any.
    fn load(&self) -> BoxFuture<'_, Result<Option<String>>>;

    /// Remembers `process_id` (or forgets it, with `None`). When the future completes the
    /// value must survive a crash of this process.
    fn save<'a>(&'a self, process_id: Option<&'a str>) -> BoxFuture<'a, Result<()>>;
}

/// A checkpoint in memory: it survives a failed run, not a crash. Clones share the value.
#[derive(Debug, Clone, Default)]
pub struct MemoryCheckpoint {
    value: Arc<Mutex<Option<String>>>,
}

impl MemoryCheckpoint {
    /// An empty checkpoint.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Checkpoint for MemoryCheckpoint {
    fn load(&self) -> BoxFuture<'_, Result<Option<String>>> {
        let v = self.value.lock().unwrap_or_else(|p| p.into_inner()).clone();
        futures::future::ready(Ok(v)).boxed()
    }

    fn save<'a>(&'a self, process_id: Option<&'a str>) -> BoxFuture<'a, Result<()>> {
        *self.value.lock().unwrap_or_else(|p| p.into_inner()) = process_id.map(str::to_string);
        futures::future::ready(Ok(())).boxed()
    }
}

/// A checkpoint in a small file holding the `process_id`; no file means none. Written to a
/// temporary file, synced and renamed, so a crash leaves the old or the new value.
#[derive(Debug, Clone)]
pub struct FileCheckpoint {
    path: PathBuf,
}

impl FileCheckpoint {
    /// A checkpoint in `path` (its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Checkpoint for FileCheckpoint {
    fn load(&self) -> BoxFuture<'_, Result<Option<String>>> {
        let path = self.path.clone();
        blocking(move || read(&path)).boxed()
    }

    fn save<'a>(&'a self, process_id: Option<&'a str>) -> BoxFuture<'a, Result<()>> {
        let path = self.path.clone();
        let value = process_id.map(str::to_string);
        blocking(move || write(&path, value.as_deref())).boxed()
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        Error::new(ErrorKind::Event, "the checkpoint task did not finish").with_source(e)
    })?
}

fn read(path: &Path) -> Result<Option<String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("cannot read", path, e)),
    };
    let pid = text.trim();
    if pid.is_empty() {
        return Ok(None);
    }
    if !valid(pid) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "the checkpoint file {} does not hold a process id; delete it if it is not \
                 the consumer's",
                path.display()
            ),
        ));
    }
    Ok(Some(pid.to_string()))
}

fn write(path: &Path, value: Option<&str>) -> Result<()> {
    let Some(pid) = value else {
        return match std::fs::remove_file(path) {
            Ok(()) => sync_dir(path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("cannot remove", path, e)),
        };
    };
    if !valid(pid) {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "a process id is 1 to 128 letters, digits, '-' or '_'",
        ));
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(pid.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error("cannot write", path, e));
    }
    sync_dir(path)
}

/// Makes the rename or removal itself durable.
fn sync_dir(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error("cannot sync the directory of", path, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn valid(pid: &str) -> bool {
    (1..=128).contains(&pid.len())
        && pid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(
        ErrorKind::Event,
        format!("{what} the checkpoint file {}", path.display()),
    )
    .with_source(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_checkpoint_round_trips_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let c = FileCheckpoint::new(dir.path().join("pid"));
        assert_eq!(c.load().await.unwrap(), None);
        c.save(Some("abc123")).await.unwrap();
        assert_eq!(c.load().await.unwrap().as_deref(), Some("abc123"));
        c.save(None).await.unwrap();
        assert_eq!(c.load().await.unwrap(), None);
        assert!(!c.path().exists());
        c.save(None).await.unwrap();
        assert_eq!(
            c.save(Some("../x")).await.unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        std::fs::write(c.path(), "not a pid!").unwrap();
        assert_eq!(c.load().await.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
