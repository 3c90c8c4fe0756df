//! The export part of the demo: seed a few thousand leads, stream them all to a CSV file with
//! a progress bar, and compare the requests it took with page-by-page fetching.

use super::oauth::text;
use super::step;
use crate::exit::{CliError, CliResult};
use bitrix24::list::ListRequest;
use bitrix24::Client;
use bitrix24_sandbox::methods::crm::seed::seed_leads;
use bitrix24_sandbox::Sandbox;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::path::Path;
use std::time::Instant;

/// Rows per page of every classic list method; page-by-page fetching needs one request each.
const PAGE: u64 = 50;
/// Requests per second and burst of the standard plan.
const RATE: f64 = 2.0;
const BURST: u64 = 50;

const COLUMNS: [&str; 5] = ["ID", "NAME", "LAST_NAME", "STATUS_ID", "PHONE"];

/// Seeds `count` leads, exports every lead to `file` and narrates the request count.
pub(super) async fn run(
    sandbox: &Sandbox,
    client: &Client,
    count: usize,
    file: &Path,
) -> CliResult {
    {
        let portal = sandbox.portal();
        let db = portal.db();
        seed_leads(&db, count, portal.unix())
            .map_err(|e| CliError::Other(format!("cannot seed the sandbox: {e}")))?;
    }
    // The one lead of the earlier steps is exported too.
    let expected = count as u64 + 1;
    step(
        10,
        &format!(
            "Seeded {count} leads; exporting all {expected} to {}",
            file.display()
        ),
    );

    let bar = ProgressBar::new(expected);
    bar.set_style(
        ProgressStyle::with_template(
            "    {bar:32} {pos}/{len} rows  {per_sec}  {msg}  {elapsed_precise}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let before = sandbox.http_requests();
    let (rows, last_id) = write_csv(sandbox, client, file, &bar, before).await?;
    bar.finish_and_clear();
    let requests = sandbox.http_requests() - before;
    let pages = expected.div_ceil(PAGE);
    let wait = pages.saturating_sub(BURST) as f64 / RATE;
    println!(
        "    Exported {rows} leads (IDs ascending to {last_id}, none twice) in {requests} HTTP requests\n    \
         and {:.1} s: keyset paging chains 50 pages of 50 rows in each batch request.\n    \
         Page by page it would take {pages} requests: on a real portal, {wait:.0} s of waiting\n    \
         for the rate limit after the burst of {BURST}.",
        started.elapsed().as_secs_f64()
    );
    if rows != expected {
        return Err(CliError::Other(format!(
            "the export has {rows} rows, the portal {expected}"
        )));
    }
    Ok(())
}

/// Streams the leads into `file`; returns the row count and the last ID. Stops at an ID
/// that does not ascend, which would mean a duplicate or a lost row.
async fn write_csv(
    sandbox: &Sandbox,
    client: &Client,
    file: &Path,
    bar: &ProgressBar,
    before: u64,
) -> CliResult<(u64, u64)> {
    let mut out = csv::Writer::from_path(file)
        .map_err(|e| CliError::Other(format!("cannot write {}: {e}", file.display())))?;
    let csv_err = |e: csv::Error| CliError::Other(format!("cannot write {}: {e}", file.display()));
    out.write_record(COLUMNS).map_err(csv_err)?;
    let mut stream = ListRequest::new("crm.lead.list")
        .select(COLUMNS)
        .stream::<Value>(client);
    let (mut rows, mut last_id) = (0u64, 0u64);
    while let Some(row) = stream.next().await {
        let row = row?;
        let id: u64 = text(&row, "ID").parse().unwrap_or(0);
        if id <= last_id {
            return Err(CliError::Other(format!(
                "the export went from ID {last_id} to {id}"
            )));
        }
        last_id = id;
        let record = [
            text(&row, "ID"),
            text(&row, "NAME"),
            text(&row, "LAST_NAME"),
            text(&row, "STATUS_ID"),
            first_phone(&row),
        ];
        out.write_record(&record).map_err(csv_err)?;
        rows += 1;
        bar.inc(1);
        bar.set_message(format!("{} requests", sandbox.http_requests() - before));
    }
    out.flush()?;
    Ok((rows, last_id))
}

/// The first phone of a row: multifields come as `[{"VALUE": ..}, ..]`.
fn first_phone(row: &Value) -> String {
    row.get("PHONE")
        .and_then(Value::as_array)
        .and_then(|phones| phones.first())
        .map(|p| text(p, "VALUE"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_phone_reads_the_multifield() {
        let row = serde_json::json!({"PHONE": [{"ID": "1", "VALUE": "+7 903", "VALUE_TYPE": "WORK"},
            {"VALUE": "2"}]});
        assert_eq!(first_phone(&row), "+7 903");
        assert_eq!(first_phone(&serde_json::json!({"PHONE": []})), "");
        assert_eq!(first_phone(&serde_json::json!({"PHONE": "x"})), "");
        assert_eq!(first_phone(&serde_json::json!({})), "");
    }
}
