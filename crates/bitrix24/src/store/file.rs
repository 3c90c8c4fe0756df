//! A token store in one JSON file, shared safely by any number of processes.
//!
//! Writes replace the file atomically (temp file in the same directory, write, fsync, rename,
//! fsync the directory), so a reader or a crash never sees half a file. The exclusive section
//! is an OS lock (`File::lock`) on `<file>.lock`, released by the OS when a process dies.

use super::{
    check_locked, check_record, join_error, store_error, LockedPortal, TokenRecord, TokenStore,
};
use crate::error::{Error, ErrorKind, Result};
use futures::future::BoxFuture;
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind as IoKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::OwnedMutexGuard;

const FORMAT_VERSION: u32 = 1;

/// Tokens of all portals in one JSON file (created with mode 0600). Clones share the
/// in-process part of the lock; other processes are kept out by the lock file.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    lock_path: PathBuf,
    // Waiters in this process queue here instead of each blocking a thread on the OS lock.
    section: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Serialize, Deserialize, Default)]
struct Contents {
    version: u32,
    portals: BTreeMap<String, TokenRecord>,
}

impl FileStore {
    /// A store in the file `path` (created on the first save; its directory must exist).
    /// The lock file is `path` with `.lock` appended.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when `path` has no file name.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let Some(name) = path.file_name() else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the token file path {} has no file name", path.display()),
            ));
        };
        let mut lock_name = name.to_os_string();
        lock_name.push(".lock");
        let lock_path = path.with_file_name(lock_name);
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                lock_path,
                section: Arc::default(),
            }),
        })
    }

    /// The token file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn enter(&self) -> Result<Section> {
        let in_process = self.inner.section.clone().lock_owned().await;
        let lock_path = self.inner.lock_path.clone();
        let file = tokio::task::spawn_blocking(move || acquire(&lock_path))
            .await
            .map_err(join_error)??;
        Ok(Section {
            _in_process: in_process,
            _file: file,
            path: self.inner.path.clone(),
        })
    }

    /// Read-modify-write of the whole file inside the exclusive section.
    async fn update(&self, change: impl FnOnce(&mut Contents) + Send + 'static) -> Result<()> {
        let section = self.enter().await?;
        let path = section.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut contents = read(&path)?;
            change(&mut contents);
            write(&path, &contents)
        })
        .await
        .map_err(join_error)??;
        drop(section);
        Ok(())
    }
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Option<TokenRecord>>> {
        let path = self.inner.path.clone();
        let member_id = member_id.to_string();
        async move {
            tokio::task::spawn_blocking(move || Ok(read(&path)?.portals.remove(&member_id)))
                .await
                .map_err(join_error)?
        }
        .boxed()
    }

    fn save<'a>(&'a self, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>> {
        async move {
            check_record(record)?;
            let record = record.clone();
            self.update(move |c| {
                c.portals.insert(record.member_id.clone(), record);
            })
            .await
        }
        .boxed()
    }

    fn delete<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<()>> {
        let member_id = member_id.to_string();
        async move {
            self.update(move |c| {
                c.portals.remove(&member_id);
            })
            .await
        }
        .boxed()
    }

    fn portals(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        let path = self.inner.path.clone();
        async move {
            tokio::task::spawn_blocking(move || Ok(read(&path)?.portals.into_keys().collect()))
                .await
                .map_err(join_error)?
        }
        .boxed()
    }

    fn lock<'a>(&'a self, member_id: &'a str) -> BoxFuture<'a, Result<Box<dyn LockedPortal>>> {
        async move {
            let section = self.enter().await?;
            let locked: Box<dyn LockedPortal> = Box::new(FileLocked {
                section,
                member_id: member_id.to_string(),
            });
            Ok(locked)
        }
        .boxed()
    }
}

/// Both halves of the exclusive section; dropping it closes the lock file, which unlocks.
struct Section {
    _in_process: OwnedMutexGuard<()>,
    _file: File,
    path: PathBuf,
}

struct FileLocked {
    section: Section,
    member_id: String,
}

impl LockedPortal for FileLocked {
    fn load(&mut self) -> BoxFuture<'_, Result<Option<TokenRecord>>> {
        let path = self.section.path.clone();
        let member_id = self.member_id.clone();
        async move {
            tokio::task::spawn_blocking(move || Ok(read(&path)?.portals.remove(&member_id)))
                .await
                .map_err(join_error)?
        }
        .boxed()
    }

    fn save_and_unlock<'a>(self: Box<Self>, record: &'a TokenRecord) -> BoxFuture<'a, Result<()>> {
        async move {
            check_locked(record, &self.member_id)?;
            let path = self.section.path.clone();
            let record = record.clone();
            tokio::task::spawn_blocking(move || {
                let mut contents = read(&path)?;
                contents.portals.insert(record.member_id.clone(), record);
                write(&path, &contents)
            })
            .await
            .map_err(join_error)??;
            drop(self);
            Ok(())
        }
        .boxed()
    }
}

/// Opens (creating with mode 0600) and locks the lock file; blocks until the lock is free.
fn acquire(lock_path: &Path) -> Result<File> {
    let file = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path)
        .map_err(|e| {
            store_error(
                format!("cannot open the lock file {}", lock_path.display()),
                e,
            )
        })?;
    file.lock()
        .map_err(|e| store_error(format!("cannot lock {}", lock_path.display()), e))?;
    Ok(file)
}

fn read(path: &Path) -> Result<Contents> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut f) => f.read_to_string(&mut text).map_err(|e| {
            store_error(format!("cannot read the token file {}", path.display()), e)
        })?,
        Err(e) if e.kind() == IoKind::NotFound => return Ok(Contents::default()),
        Err(e) => {
            return Err(store_error(
                format!("cannot open the token file {}", path.display()),
                e,
            ))
        }
    };
    let contents: Contents = serde_json::from_str(&text).map_err(|e| {
        // Position only: serde's message may quote a token.
        Error::new(
            ErrorKind::TokenStore,
            format!(
                "the token file {} is damaged ({:?} error at line {}, column {}); \
                 fix or remove it and authorize the app again",
                path.display(),
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })?;
    if contents.version > FORMAT_VERSION {
        return Err(Error::new(
            ErrorKind::TokenStore,
            format!(
                "the token file {} was written by a newer version of this crate (format {})",
                path.display(),
                contents.version
            ),
        ));
    }
    Ok(contents)
}

/// Replaces `path` atomically with `contents`.
fn write(path: &Path, contents: &Contents) -> Result<()> {
    let body = serde_json::to_vec_pretty(&Contents {
        version: FORMAT_VERSION,
        portals: contents.portals.clone(),
    })
    .map_err(|e| store_error("cannot encode the token file", e))?;
    write_atomic(path, &body)
        .map_err(|e| store_error(format!("cannot write the token file {}", path.display()), e))
}

fn write_atomic(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let result = (|| {
        let mut f = private_options().write(true).create_new(true).open(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(&dir)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    // The rename is only durable once the directory entry is on disk.
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Open options that create files readable by the owner only.
fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}
