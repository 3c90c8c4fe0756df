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
use std::time::{Duration, SystemTime};

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
    in_doubt_wait: Duration,
) -> CliResult {
    // Before this run writes anything: when the last run was last seen working.
    let stopped = journal.last_written();
    let mut missing = look_up(client, list, journal, rows, &journal.in_doubt()).await?;
    if missing.is_empty() {
        return Ok(());
    }
    // A portal goes on executing a request whose client died: rows the last run sent just
    // before it stopped may still be created. Sending them now could add them twice, so they
    // get until `in_doubt_wait` after it stopped to appear (a journal without times is old),
    // and longer while they are still appearing: a busy portal works off the dead run's
    // batches one after another, and the run may have waited long for their answers before
    // it stopped, so its last write says little of the portal's backlog. Whatever the last
    // write, they are looked for until none has appeared for IN_DOUBT_QUIET.
    let Some(stopped) = stopped else {
        return Ok(());
    };
    let mut deadline = (stopped + in_doubt_wait).max(SystemTime::now() + IN_DOUBT_QUIET);
    let mut told = false;
    loop {
        let now = SystemTime::now();
        let Ok(left) = deadline.duration_since(now) else {
            return Ok(());
        };
        if !told {
            eprintln!(
                "{} rows were in flight when the last run stopped and are not on the portal \
                 yet; waiting up to {:.0} s for the portal to finish those requests before \
                 sending the rows again (--in-doubt-wait)",
                missing.len(),
                left.as_secs_f64().ceil()
            );
            told = true;
        }
        tokio::time::sleep(left.min(IN_DOUBT_POLL)).await;
        let before = missing.len();
        missing = look_up(client, list, journal, rows, &missing).await?;
        if missing.is_empty() {
            return Ok(());
        }
        if missing.len() < before {
            deadline = deadline.max(SystemTime::now() + IN_DOUBT_QUIET);
        }
    }
}

/// How often rows in doubt are looked for while they are waited for.
const IN_DOUBT_POLL: Duration = Duration::from_secs(2);
/// How long rows in doubt are looked for after the first look, and after each appears.
const IN_DOUBT_QUIET: Duration = Duration::from_secs(5);

/// Asks the portal for `doubt` by marker and journals those it has; returns the others.
async fn look_up(
    client: &Client,
    list: &str,
    journal: &mut Journal,
    rows: &HashMap<u64, &Row>,
    doubt: &[u64],
) -> CliResult<Vec<u64>> {
    let mut missing = Vec::new();
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
            match first {
                Some(id) => journal.added(*row, id),
                None => missing.push(*row),
            }
        }
        journal.commit().await?;
    }
    Ok(missing)
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
