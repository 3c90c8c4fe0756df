//! Four `b24 import lead` processes at once, 1,250 rows each, under standard limits, sharing
//! the portal's budget through one `$B24_STORE=postgres://…`: the portal refuses none of
//! their requests and every row lands exactly once. Needs the server named by
//! `BITRIX24_TEST_POSTGRES` (`eval "$(.ci/postgres start)"`); without it the test fails and
//! says so.
//!
//! The run's wall time is printed beside the rate floor, never asserted (timing figures are
//! benchmarks' business): 4 × 25 batches against a bucket of 50 draining at 2/s is
//! (100 − 50) / 2 = 25 s.

use crate::cli_postgres::{fresh_database, login_into};
use crate::cli_support::Cli;
use bitrix24_sandbox::{FaultConfig, Limits};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

const IMPORTS: usize = 4;
const ROWS: usize = 1_250;
/// Added to every request, as a real portal takes a few hundred ms to answer a batch (the
/// bulk benchmark's figure).
const LATENCY_MS: u64 = 300;

/// Writes import `n`'s CSV: every row's title is its marker, `fleet {n}-{row}`.
fn write_csv(cli: &Cli, n: usize) -> String {
    let path = cli.path(&format!("fleet-{n}.csv"));
    let mut csv = std::io::BufWriter::new(std::fs::File::create(&path).expect("csv"));
    writeln!(csv, "TITLE,NAME,PHONE").expect("write");
    for row in 0..ROWS {
        writeln!(csv, "fleet {n}-{row},Иван {row},+7 904 {n:03} {row:04}").expect("write");
    }
    csv.flush().expect("flush");
    path.to_str().expect("utf8").to_string()
}

/// Leads per title, by the sandbox's own database.
fn titles(cli: &Cli) -> BTreeMap<String, i64> {
    let portal = cli.sandbox.portal();
    let db = portal.db();
    let mut stmt = db
        .prepare("SELECT title, count(*) FROM crm_lead GROUP BY title")
        .expect("query");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_imports_sharing_a_store_get_no_503_and_add_every_row_once() {
    let cli = Cli::with_limits(Limits::Standard).await;
    let store = fresh_database().await;
    login_into(&cli, &store).await;
    let files: Vec<String> = (0..IMPORTS).map(|n| write_csv(&cli, n)).collect();
    cli.sandbox.set_faults(FaultConfig {
        latency_ms: LATENCY_MS,
        ..FaultConfig::default()
    });
    let started = Instant::now();
    let imports = files.iter().map(|file| {
        let mut cmd = cli.cmd();
        cmd.env("B24_STORE", &store)
            .env("B24_LIMITS", "standard")
            .args(["import", "lead", file]);
        async move { cmd.output().await.expect("run b24 import") }
    });
    let outputs = futures::future::join_all(imports).await;
    let wall = started.elapsed().as_secs_f64();
    cli.sandbox.clear_faults();
    for out in &outputs {
        assert!(
            out.status.success(),
            "b24 import failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let refused = cli.sandbox.refused_by_rate_limit();
    let batches = IMPORTS * ROWS.div_ceil(50);
    let floor = (batches - 50) as f64 / 2.0;
    println!(
        "{IMPORTS} b24 imports x {ROWS} leads on one B24_STORE, standard limits, \
         {LATENCY_MS} ms latency: {wall:.1} s (rate floor {floor:.1} s, {batches} batches, \
         {:+.1} %), {refused} responses 503",
        (wall / floor - 1.0) * 100.0
    );
    assert_eq!(refused, 0, "responses 503");
    let titles = titles(&cli);
    let twice: Vec<_> = titles.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "rows added more than once: {twice:?}");
    let missing: Vec<String> = (0..IMPORTS)
        .flat_map(|n| (0..ROWS).map(move |row| format!("fleet {n}-{row}")))
        .filter(|t| !titles.contains_key(t))
        .collect();
    assert!(
        missing.is_empty(),
        "{} rows missing, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert_eq!(titles.len(), IMPORTS * ROWS, "no lead other than the rows");
}
