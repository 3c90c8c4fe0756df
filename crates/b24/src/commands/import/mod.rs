//! `b24 import ENTITY FILE.csv`: adds the rows of a CSV file through batches of 50, within
//! the rate limit, resumable without adding a row twice.
//!
//! Every entity created gets `ORIGIN_ID = b24import:<import id>:<row>` (unless the file has
//! its own `ORIGIN_ID` column), so rows whose batch was in flight when the process died can
//! be found on the portal on the next run instead of being added again. See
//! [`journal`] for the journal.

mod answer;
mod columns;
pub mod csv;
pub mod dedupe;
pub mod journal;
pub mod journal_log;

use crate::config::Paths;
use crate::exit::{CliError, CliResult};
use crate::files::sibling;
use crate::profile_client::client_for;
use crate::progress;
use answer::id_of;
use bitrix24::batch::{Batch, Ticket};
use bitrix24::Client;
use csv::Row;
use dedupe::{duplicates, recover};
use futures::FutureExt;
use journal::{Journal, Rejects};
use journal_log::JournalLog;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;

/// Arguments of `b24 import`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    b24 import lead leads.csv --dry-run\n  \
    b24 import contact people.csv --dedupe phone,email\n\n\
    The header names the fields: TITLE,NAME,LAST_NAME,PHONE,EMAIL,... (PHONE_MOBILE sets the \
    value type). Refused rows go to FILE.rejects.csv with the row number and the portal's \
    error; FILE.b24import (with --store: the job's journal in the store, found from any \
    directory or machine) remembers what was added, so running the command again after a \
    crash or a fix adds only what is missing.")]
pub struct ImportArgs {
    /// lead, contact, company or deal.
    pub entity: String,
    /// The CSV file (UTF-8, comma-separated, header row first).
    pub file: PathBuf,
    /// Check the file and the fields, and count what would be added; add nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Skip rows whose phone or email already exists on the portal (or earlier in the file).
    #[arg(long, value_delimiter = ',', value_enum)]
    pub dedupe: Vec<dedupe::Dedupe>,
    /// With a shared store: the name its journal is kept under (default: the file's name), so
    /// that a run from another directory or machine, with its own copy of the file, resumes it.
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Seconds after the last run stopped during which rows it left in flight, not yet on
    /// the portal, are waited for before they are sent again (at least 5 s, and 5 s more
    /// after each one that appears): a portal finishes a request whose client died, so
    /// sending them at once could add them twice.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub in_doubt_wait: u64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Rows added by this run (or that would be, in a dry run).
    pub added: u64,
    /// Rows added by earlier runs (from the journal or found on the portal).
    pub already: u64,
    /// Rows skipped as duplicates.
    pub duplicates: u64,
    /// Rows refused (broken or refused by the portal).
    pub rejected: u64,
}

/// Runs `b24 import`.
pub async fn run(args: ImportArgs, profile: Option<&str>) -> CliResult {
    let paths = Paths::from_env()?;
    let (client, source) = client_for(&paths, profile).await?;
    let report = import(&client, &args, &source.portal).await?;
    let rejects = sibling(&args.file, ".rejects.csv");
    let verb = if args.dry_run {
        "Dry run: would add"
    } else {
        "Added"
    };
    let text = format!(
        "{verb} {}, already imported {}, duplicates {}, rejected {}.",
        report.added, report.already, report.duplicates, report.rejected
    );
    if report.rejected > 0 {
        return Err(CliError::Partial(format!(
            "{text}\nRejected rows are in {} with the reason; fix them and run the same \
             command again (rows already added are skipped).",
            rejects.display()
        )));
    }
    println!("{text}");
    Ok(())
}

/// The methods of an entity: add, fields, list, and its duplicate-search type.
fn methods(entity: &str) -> CliResult<(&'static str, &'static str, &'static str, &'static str)> {
    match entity.trim().to_ascii_lowercase().as_str() {
        "lead" | "leads" => Ok(("crm.lead.add", "crm.lead.fields", "crm.lead.list", "LEAD")),
        "contact" | "contacts" => Ok((
            "crm.contact.add",
            "crm.contact.fields",
            "crm.contact.list",
            "CONTACT",
        )),
        "company" | "companies" => Ok((
            "crm.company.add",
            "crm.company.fields",
            "crm.company.list",
            "COMPANY",
        )),
        "deal" | "deals" => Ok(("crm.deal.add", "crm.deal.fields", "crm.deal.list", "")),
        _ => Err(CliError::Usage(format!(
            "cannot import into {entity:?}: use lead, contact, company or deal"
        ))),
    }
}

/// Imports `args.file` into `portal` (see the module docs); reusable without the command line.
///
/// # Errors
/// [`CliError::Usage`] for a bad file, entity or column; the client's errors (the journal
/// keeps what was done, so running again resumes).
pub async fn import(client: &Client, args: &ImportArgs, portal: &str) -> CliResult<Report> {
    let (add, fields_method, list, entity_type) = methods(&args.entity)?;
    if entity_type.is_empty() && !args.dedupe.is_empty() {
        return Err(CliError::Usage(
            "--dedupe works for leads, contacts and companies: deals have no phone or email".into(),
        ));
    }
    let sheet = csv::read(&args.file)?;
    columns::check(client, fields_method, &sheet.header, &args.entity).await?;
    let mut rejects = Rejects::new(sibling(&args.file, ".rejects.csv"), &sheet.header)?;
    let mut journal = if args.dry_run {
        None
    } else {
        let log = JournalLog::open(&args.file, args.job.as_deref(), portal).await?;
        Some(Journal::open(log, add).await?)
    };
    let mut report = Report::default();
    let by_row: HashMap<u64, &Row> = sheet.rows.iter().map(|r| (r.number, r)).collect();
    if let Some(j) = journal.as_mut() {
        let wait = std::time::Duration::from_secs(args.in_doubt_wait);
        recover(client, list, j, &by_row, wait).await?;
    }
    let bar = progress::bar("rows", Some(sheet.rows.len() as u64));
    let base = client.stats();
    let mut todo: Vec<(u64, Map<String, Value>)> = Vec::new();
    for row in &sheet.rows {
        match &row.fields {
            Err(why) => {
                rejects.push(row.number, why, &row.cells)?;
                report.rejected += 1;
                bar.inc(1);
            }
            Ok(_) if journal.as_ref().is_some_and(|j| j.done(row.number)) => {
                report.already += 1;
                bar.inc(1);
            }
            Ok(fields) => todo.push((row.number, fields.clone())),
        }
    }
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut chunks = todo.chunks(bitrix24::batch::MAX_COMMANDS);
    // Several batches in flight (within the rate limit); each is journaled as `send` before
    // it leaves and with its outcome as soon as it is answered, in whatever order they finish.
    let mut pipeline = client.pipeline();
    let mut in_flight: HashMap<Ticket, (Vec<u64>, usize)> = HashMap::new();
    let mut failure: Option<CliError> = None;
    loop {
        // The batches that go out now are journaled together: one sync for all of them
        // before the first leaves (a sync costs milliseconds, 50 of them in a row were a
        // visible part of an import at the portal's burst).
        let mut ready: Vec<(Batch, Vec<u64>, usize)> = Vec::new();
        while failure.is_none() && pipeline.len() + ready.len() <= pipeline.window() {
            let Some(chunk) = chunks.next() else {
                break;
            };
            let dups = duplicates(client, chunk, &args.dedupe, entity_type, &mut seen).await?;
            let mut batch = Batch::new();
            let mut sent = Vec::new();
            for ((row, fields), dup) in chunk.iter().zip(dups) {
                if let Some(note) = dup {
                    report.duplicates += 1;
                    if let Some(j) = journal.as_mut() {
                        j.duplicate(*row, &note);
                    }
                    continue;
                }
                let mut fields = fields.clone();
                if let Some(j) = &journal {
                    fields
                        .entry("ORIGIN_ID")
                        .or_insert_with(|| Value::String(j.marker(*row)));
                }
                batch.push_call::<Value>(&format!("r{row}"), add, &json!({ "fields": fields }));
                sent.push(*row);
            }
            let Some(j) = journal.as_mut() else {
                report.added += sent.len() as u64;
                bar.inc(chunk.len() as u64);
                continue;
            };
            j.sending(&sent);
            if batch.is_empty() {
                bar.inc(chunk.len() as u64);
                continue;
            }
            ready.push((batch, sent, chunk.len()));
        }
        if let Some(j) = journal.as_mut() {
            j.commit().await?;
        }
        for (batch, sent, rows_in_chunk) in ready {
            in_flight.insert(pipeline.submit(batch), (sent, rows_in_chunk));
        }
        // Outcomes are synced when nothing else is ready (with the next sends at the latest):
        // an outcome lost to a crash only leaves its rows in doubt, and the next run finds
        // them by their marker.
        let next = match pipeline.next().now_or_never() {
            Some(next) => next,
            None => {
                if let Some(j) = journal.as_mut() {
                    j.commit().await?;
                }
                pipeline.next().await
            }
        };
        let Some((ticket, answer)) = next else {
            break;
        };
        let (sent, rows_in_chunk) = in_flight.remove(&ticket).unwrap_or_default();
        let Some(j) = journal.as_mut() else {
            continue;
        };
        let results = match answer {
            Ok(results) => results,
            Err(e) => {
                // The rows of this batch stay `send` without an outcome: the next run asks
                // the portal for them by their marker. The batches still in flight finish and
                // are journaled before the command stops.
                failure.get_or_insert_with(|| {
                    CliError::from(e).with_note(
                        "The rows sent so far are recorded; run the same command again to resume.",
                    )
                });
                continue;
            }
        };
        for row in &sent {
            match results.get_raw(&format!("r{row}")).map(id_of) {
                Ok(Some(id)) => {
                    j.added(*row, id);
                    report.added += 1;
                }
                Ok(None) => {
                    j.rejected(*row);
                    reject(
                        &mut rejects,
                        &by_row,
                        *row,
                        "the portal answered without an ID",
                    )?;
                    report.rejected += 1;
                }
                Err(e) => {
                    j.rejected(*row);
                    let why = e.description().filter(|d| !d.is_empty()).map_or_else(
                        || e.to_string(),
                        |d| {
                            format!(
                                "{}: {}",
                                e.code().map_or(String::new(), |c| c.to_string()),
                                d
                            )
                        },
                    );
                    reject(&mut rejects, &by_row, *row, &why)?;
                    report.rejected += 1;
                }
            }
        }
        bar.inc(rows_in_chunk as u64);
        progress::show_requests(&bar, client, &base);
    }
    if let Some(failure) = failure {
        bar.finish_and_clear();
        return Err(failure);
    }
    bar.finish_and_clear();
    Ok(report)
}

fn reject(rejects: &mut Rejects, rows: &HashMap<u64, &Row>, row: u64, why: &str) -> CliResult {
    let cells = rows.get(&row).map(|r| r.cells.clone()).unwrap_or_default();
    rejects.push(row, &why.replace("<br />", "; "), &cells)
}
