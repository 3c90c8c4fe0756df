//! Reading an import CSV and turning its rows into `fields` of `crm.*.add`.
//!
//! The header names the fields (`TITLE`, `NAME`, `LAST_NAME`, `OPPORTUNITY`...). `PHONE`,
//! `EMAIL`, `WEB` and `IM` become multifields (several values split on `,` or `;`), with the
//! value type from a suffix: `PHONE_MOBILE`, `EMAIL_HOME` (default `WORK`). Empty cells are
//! not sent. A row's number is the line it starts on (the header is line 1), as an editor
//! shows it; blank lines are skipped but still counted.

use crate::exit::{CliError, CliResult};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// Multifield types and their default value type.
const MULTIFIELDS: [&str; 4] = ["PHONE", "EMAIL", "WEB", "IM"];

/// One data row of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The line the row starts on (the header is line 1).
    pub number: u64,
    /// The raw cells, for the rejects file.
    pub cells: Vec<String>,
    /// The cells mapped to fields, or why the row cannot be read.
    pub fields: Result<Map<String, Value>, String>,
}

/// The whole file: the header and every row.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// The header cells as written.
    pub header: Vec<String>,
    /// The data rows.
    pub rows: Vec<Row>,
}

/// Reads `path`.
///
/// # Errors
/// [`CliError::Usage`] when the file cannot be read, has no header, or a header cell is
/// empty or repeated. Broken data rows are not errors: they come back with `fields: Err`.
pub fn read(path: &Path) -> CliResult<Sheet> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_path(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
    let mut records = reader.byte_records();
    let header = match records.next() {
        Some(Ok(h)) => h
            .iter()
            .map(|c| {
                String::from_utf8_lossy(c)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_string()
            })
            .collect::<Vec<_>>(),
        Some(Err(e)) => {
            return Err(CliError::Usage(format!(
                "{}: the header cannot be read: {e}",
                path.display()
            )))
        }
        None => {
            return Err(CliError::Usage(format!(
                "{} is empty: it needs a header row naming the fields (e.g. TITLE,NAME,PHONE)",
                path.display()
            )))
        }
    };
    check_header(&header).map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    let mut rows = Vec::new();
    let mut number = 1u64;
    for record in records {
        let line = match &record {
            Ok(r) => r.position().map(|p| p.line()),
            Err(e) => e.position().map(|p| p.line()),
        };
        number = line.unwrap_or(number + 1).max(number + 1);
        let row = match record {
            Err(e) => Row {
                number,
                cells: Vec::new(),
                fields: Err(format!("the CSV row cannot be read: {e}")),
            },
            Ok(r) => {
                let decoded: Result<Vec<String>, _> =
                    r.iter().map(|c| String::from_utf8(c.to_vec())).collect();
                match decoded {
                    Err(_) => Row {
                        number,
                        cells: r
                            .iter()
                            .map(|c| String::from_utf8_lossy(c).into())
                            .collect(),
                        fields: Err("the row is not valid UTF-8".into()),
                    },
                    Ok(cells) if cells.iter().all(|c| c.trim().is_empty()) => continue,
                    Ok(cells) => {
                        let fields = map_row(&header, &cells);
                        Row {
                            number,
                            cells,
                            fields,
                        }
                    }
                }
            }
        };
        rows.push(row);
    }
    Ok(Sheet { header, rows })
}

fn check_header(header: &[String]) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for (i, h) in header.iter().enumerate() {
        if h.is_empty() {
            return Err(format!("header column {} is empty", i + 1));
        }
        if !seen.insert(h.to_ascii_uppercase()) {
            return Err(format!("header column {h:?} appears twice"));
        }
    }
    Ok(())
}

/// The field a header cell names, and for multifields the value type.
pub fn field_of(header: &str) -> (String, Option<String>) {
    let name = header.trim().to_ascii_uppercase();
    for mf in MULTIFIELDS {
        if name == mf {
            return (name, Some("WORK".into()));
        }
        if let Some(kind) = name.strip_prefix(mf).and_then(|r| r.strip_prefix('_')) {
            if !kind.is_empty() {
                return (mf.to_string(), Some(kind.to_string()));
            }
        }
    }
    (name, None)
}

/// The `fields` of one row.
fn map_row(header: &[String], cells: &[String]) -> Result<Map<String, Value>, String> {
    if cells.len() != header.len() {
        return Err(format!(
            "the row has {} cells, the header has {}",
            cells.len(),
            header.len()
        ));
    }
    let mut fields = Map::new();
    for (h, c) in header.iter().zip(cells) {
        let c = c.trim();
        if c.is_empty() {
            continue;
        }
        match field_of(h) {
            (name, Some(value_type)) => {
                let list = fields
                    .entry(name)
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    for v in c.split([',', ';']).map(str::trim).filter(|v| !v.is_empty()) {
                        items.push(json!({"VALUE": v, "VALUE_TYPE": value_type}));
                    }
                }
            }
            (name, None) => {
                fields.insert(name, Value::String(c.to_string()));
            }
        }
    }
    if fields.is_empty() {
        return Err("the row has no values".into());
    }
    Ok(fields)
}

/// The values of multifield `kind` (`PHONE`, `EMAIL`) in `fields`.
pub fn values_of(fields: &Map<String, Value>, kind: &str) -> Vec<String> {
    match fields.get(kind) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("VALUE").and_then(Value::as_str))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("in.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn maps_plain_and_multifield_columns() {
        let (_d, p) = write(
            "TITLE,name,PHONE,PHONE_MOBILE,EMAIL\n\
             Shop,Иван,\"+7 903 227-88-74; 8 800 100\",,a@b.c\n"
                .as_bytes(),
        );
        let sheet = read(&p).unwrap();
        let row = &sheet.rows[0];
        assert_eq!(row.number, 2);
        let f = row.fields.as_ref().unwrap();
        assert_eq!(f["TITLE"], json!("Shop"));
        assert_eq!(f["NAME"], json!("Иван"));
        assert_eq!(
            f["PHONE"],
            json!([{"VALUE": "+7 903 227-88-74", "VALUE_TYPE": "WORK"},
                   {"VALUE": "8 800 100", "VALUE_TYPE": "WORK"}])
        );
        assert_eq!(values_of(f, "EMAIL"), ["a@b.c"]);
        assert_eq!(
            field_of("PHONE_MOBILE"),
            ("PHONE".into(), Some("MOBILE".into()))
        );
    }

    #[test]
    fn broken_rows_are_kept_with_the_reason() {
        let mut text = b"TITLE,NAME\nok,1\nonly-one\n\n,\n".to_vec();
        text.extend_from_slice(b"bad\xff,x\nlast,2\n");
        let (_d, p) = write(&text);
        let sheet = read(&p).unwrap();
        let got: Vec<(u64, bool)> = sheet
            .rows
            .iter()
            .map(|r| (r.number, r.fields.is_ok()))
            .collect();
        assert_eq!(got, [(2, true), (3, false), (6, false), (7, true)]);
        assert!(sheet.rows[1]
            .fields
            .as_ref()
            .unwrap_err()
            .contains("1 cells"));
        assert!(sheet.rows[2].fields.as_ref().unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn bad_headers_are_usage_errors() {
        for text in ["", "TITLE,,NAME\n", "TITLE,title\n"] {
            let (_d, p) = write(text.as_bytes());
            assert!(matches!(read(&p), Err(CliError::Usage(_))), "{text:?}");
        }
    }
}
