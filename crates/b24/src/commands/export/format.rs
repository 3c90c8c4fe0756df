//! The file formats of an export, and which one a file name asks for.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// File formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// CSV with a header; multifields as values joined with `, `.
    Csv,
    /// One JSON object per line, as the portal sent it.
    Jsonl,
}

/// `csv` for a `.csv` file, else `jsonl`.
pub fn format_of(path: &Path) -> FileFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("csv") => FileFormat::Csv,
        _ => FileFormat::Jsonl,
    }
}
