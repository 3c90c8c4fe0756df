//! Finding what an import must not add: rows a crashed run already added (by their
//! `ORIGIN_ID` marker) and duplicates by phone or e-mail (`crm.duplicate.findbycomm`, and
//! earlier rows of the same file).

use super::answer::id_of;
use super::csv::{values_of, Row};
use super::journal::Journal;
use crate::exit::CliResult;
use bitrix24::batch::Batch;
use bitrix24::crm::phone::normalize_for_search;
use bitrix24::Client;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Communication types to find duplicates by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dedupe {
    /// Phone numbers, compared the way the portal normalises them.
    Phone,
    /// E-mail addresses, case-insensitively.
    Email,
}

impl Dedupe {
    fn field(self) -> &'static str {
        match self {
            Dedupe::Phone => "PHONE",
            Dedupe::Email => "EMAIL",
        }
    }

    fn code(self, value: &str) -> String {
        match self {
            Dedupe::Phone => normalize_for_search(value),
            Dedupe::Email => value.trim().to_lowercase(),
        }
    }
}

/// Finds rows sent by a run that died before writing their result, by their `ORIGIN_ID`.
pub(super) async fn recover(
    client: &Client,
    list: &str,
    journal: &mut Journal,
    rows: &HashMap<u64, &Row>,
) -> CliResult {
    let doubt = journal.in_doubt();
    for chunk in doubt.chunks(bitrix24::batch::MAX_COMMANDS) {
        let mut batch = Batch::new();
        for row in chunk {
            let own = rows
                .get(row)
                .and_then(|r| r.fields.as_ref().ok())
                .and_then(|f| f.get("ORIGIN_ID").cloned());
            let marker = own.unwrap_or_else(|| Value::String(journal.marker(*row)));
            let params = json!({"filter": {"ORIGIN_ID": marker}, "select": ["ID"]});
            batch.push_call::<Value>(&format!("r{row}"), list, &params);
        }
        let results = client.batch(batch).await?;
        for row in chunk {
            let first = results
                .get_raw(&format!("r{row}"))
                .ok()
                .and_then(|v| v.get(0).and_then(|r| r.get("ID")).and_then(id_of));
            if let Some(id) = first {
                journal.added(*row, id);
            }
        }
        journal.commit().await?;
    }
    Ok(())
}

/// For each row, `Some(why)` when it duplicates an entity on the portal or an earlier row.
pub(super) async fn duplicates(
    client: &Client,
    chunk: &[(u64, Map<String, Value>)],
    kinds: &[Dedupe],
    entity_type: &str,
    seen: &mut HashMap<String, u64>,
) -> CliResult<Vec<Option<String>>> {
    let mut out = vec![None; chunk.len()];
    if kinds.is_empty() {
        return Ok(out);
    }
    let mut batch = Batch::new();
    for (i, (_, fields)) in chunk.iter().enumerate() {
        for kind in kinds {
            let values: Vec<String> = values_of(fields, kind.field())
                .into_iter()
                .take(20)
                .collect();
            if !values.is_empty() {
                let params =
                    json!({"type": kind.field(), "values": values, "entity_type": entity_type});
                batch.push_call::<Value>(
                    &format!("d{i}{kind:?}"),
                    "crm.duplicate.findbycomm",
                    &params,
                );
            }
        }
    }
    let results = client.batch(batch).await?;
    for (i, ((row, fields), verdict)) in chunk.iter().zip(out.iter_mut()).enumerate() {
        for kind in kinds {
            let found = results
                .get_raw(&format!("d{i}{kind:?}"))
                .ok()
                .and_then(|v| v.get(entity_type))
                .and_then(|ids| ids.get(0))
                .and_then(id_of);
            if let (Some(id), None) = (found, verdict.as_ref()) {
                *verdict = Some(format!(
                    "{} {id} has the same {}",
                    entity_type.to_lowercase(),
                    kind.field().to_lowercase()
                ));
            }
            // A value without a search code (no digits) matches nothing.
            for v in values_of(fields, kind.field())
                .iter()
                .filter(|v| !kind.code(v).is_empty())
            {
                let code = format!("{kind:?}:{}", kind.code(v));
                match seen.get(&code) {
                    Some(earlier) if verdict.is_none() && earlier != row => {
                        *verdict = Some(format!(
                            "same {} as row {earlier}",
                            kind.field().to_lowercase()
                        ));
                    }
                    _ => {}
                }
            }
        }
        if verdict.is_none() {
            for kind in kinds {
                for v in values_of(fields, kind.field()) {
                    if kind.code(&v).is_empty() {
                        continue;
                    }
                    seen.entry(format!("{kind:?}:{}", kind.code(&v)))
                        .or_insert(*row);
                }
            }
        }
    }
    Ok(out)
}
