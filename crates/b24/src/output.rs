//! Printing results: JSON (pretty on a terminal, compact in a pipe), JSON lines, CSV and a
//! plain-text table; and how a field's value reads in one cell.

use crate::exit::{CliError, CliResult};
use serde_json::Value;
use std::io::{IsTerminal, Write};

/// Output formats of list-like commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header.
    Csv,
}

impl Format {
    /// The format used when none is given: a table for a person, JSON lines for a pipe.
    pub fn default_for_stdout() -> Self {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        }
    }
}

/// Prints `value` as JSON: indented on a terminal, one line otherwise.
///
/// # Errors
/// [`CliError::Other`] when stdout is closed.
pub fn print_json(value: &Value) -> CliResult {
    let text = if std::io::stdout().is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .map_err(|e| CliError::Other(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(write_error)
}

/// Turns a failed write to stdout into an error (a closed pipe ends the command quietly).
pub fn write_error(e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return CliError::ClosedPipe;
    }
    CliError::Other(format!("cannot write the output: {e}"))
}

/// A field value as one cell of text: strings as they are, multifields (`PHONE`, `EMAIL`...)
/// as their values joined with `, `, other lists and objects as JSON.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) if items.iter().all(is_multifield) => items
            .iter()
            .filter_map(|i| i.get("VALUE").map(cell))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// One CSV record (quoted as needed, ending with a newline).
///
/// # Errors
/// [`CliError::Other`] if the CSV writer fails (it writes to memory).
pub fn csv_line(cells: &[String]) -> CliResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cells)
        .map_err(|e| CliError::Other(format!("cannot write CSV: {e}")))?;
    w.into_inner()
        .map_err(|e| CliError::Other(format!("cannot write CSV: {e}")))
}

fn is_multifield(v: &Value) -> bool {
    v.get("VALUE").is_some()
}

/// The columns of rows: `select` when given (without `*`), else the keys of the first row.
pub fn columns(select: &[String], first: Option<&Value>) -> Vec<String> {
    let explicit: Vec<String> = select
        .iter()
        .filter(|s| !s.contains('*'))
        .cloned()
        .collect();
    if !explicit.is_empty() && explicit.len() == select.len() {
        return explicit;
    }
    match first {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => explicit,
    }
}

/// A text table printed in blocks: column widths come from the first block, later cells are
/// cut to fit, so a list of any length streams.
pub struct Table {
    columns: Vec<String>,
    widths: Vec<usize>,
}

/// The widest a table column gets.
const MAX_WIDTH: usize = 40;

impl Table {
    /// A table for `columns` sized to fit `sample`.
    pub fn new(columns: Vec<String>, sample: &[Value]) -> Self {
        let widths = columns
            .iter()
            .map(|c| {
                let data = sample
                    .iter()
                    .map(|r| width(&cell(r.get(c).unwrap_or(&Value::Null))))
                    .max()
                    .unwrap_or(0);
                data.max(width(c)).min(MAX_WIDTH)
            })
            .collect();
        Self { columns, widths }
    }

    /// The header line.
    pub fn header(&self) -> String {
        let names: Vec<String> = self.columns.clone();
        self.line(&names)
    }

    /// One row's line.
    pub fn row(&self, row: &Value) -> String {
        let cells: Vec<String> = self
            .columns
            .iter()
            .map(|c| cell(row.get(c).unwrap_or(&Value::Null)))
            .collect();
        self.line(&cells)
    }

    fn line(&self, cells: &[String]) -> String {
        let mut out = String::new();
        for (i, (text, w)) in cells.iter().zip(&self.widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let flat = text.replace(['\n', '\r', '\t'], " ");
            let shown = fit(&flat, *w);
            let pad = w.saturating_sub(width(&shown));
            out.push_str(&shown);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(pad));
            }
        }
        out
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `w` characters, with `…` when cut.
fn fit(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_read_like_the_portal_shows_them() {
        assert_eq!(cell(&json!("Иван")), "Иван");
        assert_eq!(cell(&json!(null)), "");
        assert_eq!(
            cell(
                &json!([{"ID": "1", "VALUE": "+7 903", "VALUE_TYPE": "WORK"},
                         {"VALUE": "8 800"}])
            ),
            "+7 903, 8 800"
        );
        assert_eq!(cell(&json!(["a", 1])), "[\"a\",1]");
    }

    #[test]
    fn table_columns_align_and_cut_long_cells() {
        let rows = vec![json!({"ID": "7", "NAME": "Мария"}), json!({"ID": "12345"})];
        let t = Table::new(vec!["ID".into(), "NAME".into()], &rows);
        assert_eq!(t.header(), "ID     NAME");
        assert_eq!(t.row(&rows[0]), "7      Мария");
        let long = json!({"ID": "1", "NAME": "x".repeat(100)});
        let line = Table::new(
            vec!["ID".into(), "NAME".into()],
            std::slice::from_ref(&long),
        )
        .row(&long);
        assert!(
            line.ends_with('…') && line.chars().count() == 2 + 2 + MAX_WIDTH,
            "{line}"
        );
    }

    #[test]
    fn columns_follow_select_or_the_first_row() {
        let first = json!({"ID": 1, "TITLE": "t"});
        assert_eq!(columns(&["NAME".into()], Some(&first)), ["NAME"]);
        assert_eq!(columns(&[], Some(&first)), ["ID", "TITLE"]);
        assert_eq!(columns(&["*".into()], Some(&first)), ["ID", "TITLE"]);
    }
}
