//! Crash-safe file writes shared by export checkpoints and import journals.

use crate::exit::{CliError, CliResult};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `path` with `suffix` appended to its file name (`out.csv` + `.checkpoint`).
pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// Replaces `path` with `bytes` so that a reader (or a crash) sees the old or the new content,
/// never a mix: write a temporary file beside it, sync it, rename it over.
///
/// # Errors
/// [`CliError::Other`] naming the file.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> CliResult {
    let tmp = sibling(path, &format!(".{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable once the directory is synced.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok::<_, std::io::Error>(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_error(path, e)
    })
}

/// An I/O error with the file it happened on.
pub fn io_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Other(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sibling_appends_to_the_name() {
        assert_eq!(
            sibling(Path::new("/x/leads.csv"), ".checkpoint"),
            PathBuf::from("/x/leads.csv.checkpoint")
        );
        assert_eq!(sibling(Path::new("a"), ".b"), PathBuf::from("a.b"));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
