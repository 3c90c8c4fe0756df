//! One exported row as bytes: its ID, the CSV columns, and the line in either format.

use super::format::FileFormat;
use crate::exit::{CliError, CliResult};
use crate::output::{cell, csv_line};
use serde_json::Value;

/// The row's numeric ID.
pub(super) fn row_id(row: &Value) -> CliResult<u64> {
    let id = match row.get("ID") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    id.ok_or_else(|| CliError::Other("a row has no numeric ID; export needs it".into()))
}

/// CSV columns: the select (ID first when missing), else the first row's keys.
pub(super) fn csv_columns(select: &[String], first: &Value) -> Vec<String> {
    let mut cols = crate::output::columns(select, Some(first));
    if !cols.iter().any(|c| c.eq_ignore_ascii_case("ID")) {
        cols.insert(0, "ID".into());
    }
    cols
}

/// Appends one CSV line of `cells`.
pub(super) fn write_csv(into: &mut Vec<u8>, cells: &[String]) -> CliResult {
    into.extend_from_slice(&csv_line(cells)?);
    Ok(())
}

/// Appends `row` as one line of `format` (`columns` for CSV).
pub(super) fn write_row(
    into: &mut Vec<u8>,
    format: FileFormat,
    columns: &[String],
    row: &Value,
) -> CliResult {
    match format {
        FileFormat::Jsonl => {
            into.extend_from_slice(row.to_string().as_bytes());
            into.push(b'\n');
            Ok(())
        }
        FileFormat::Csv => {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| cell(row.get(c).unwrap_or(&Value::Null)))
                .collect();
            write_csv(into, &cells)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_columns_and_lines() {
        assert_eq!(row_id(&json!({"ID": "42"})).unwrap(), 42);
        assert_eq!(row_id(&json!({"ID": 7})).unwrap(), 7);
        assert!(row_id(&json!({"TITLE": "x"})).is_err());
        let row = json!({"TITLE": "a,b", "ID": "3"});
        assert_eq!(csv_columns(&["TITLE".into()], &row), ["ID", "TITLE"]);
        let mut out = Vec::new();
        write_row(
            &mut out,
            FileFormat::Csv,
            &["ID".into(), "TITLE".into()],
            &row,
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim_end(), "3,\"a,b\"");
        let mut out = Vec::new();
        write_row(&mut out, FileFormat::Jsonl, &[], &row).unwrap();
        assert_eq!(out.last(), Some(&b'\n'));
    }
}
