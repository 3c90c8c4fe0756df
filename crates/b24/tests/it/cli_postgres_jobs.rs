//! `b24 export` and `b24 import` with a shared store: the checkpoint and the journal live in
//! PostgreSQL under the job's name, a process killed with SIGKILL at a random moment leaves
//! them exact, and another process — its own (empty) config directory, its own working
//! directory, as on another machine — resumes the job with every row exactly once. A second
//! process cannot run a job while one runs it. Needs `BITRIX24_TEST_POSTGRES` (fails without).

use crate::cli_import::{count_journal_lines, portal_done_with_the_dead_run};
use crate::cli_postgres::{connect, fresh_database, login_into};
use crate::cli_support::{command, Cli};
use bitrix24_sandbox::{FaultConfig, Limits};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// The IDs of a CSV export (first column), in file order.
fn csv_ids(path: &Path) -> Vec<u64> {
    let mut r = csv::Reader::from_path(path).expect("csv");
    r.records()
        .map(|rec| {
            let rec = rec.expect("a whole record");
            rec.get(0).and_then(|s| s.parse().ok()).expect("numeric ID")
        })
        .collect()
}

/// Rows of the checkpoint of export job `job` (joined plus in the parts), if it has one.
async fn checkpoint_rows(
    db: &bitrix24::postgres::tokio_postgres::Client,
    job: &str,
) -> Option<u64> {
    let row = db
        .query_opt(
            "SELECT checkpoint FROM b24_export_checkpoints WHERE job = $1",
            &[&job],
        )
        .await
        .expect("checkpoint query")?;
    let v: serde_json::Value = serde_json::from_str(&row.get::<_, String>(0)).expect("JSON");
    let parts: u64 = v["ranges"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["rows"].as_u64()).sum())
        .unwrap_or(0);
    Some(v["rows"].as_u64().unwrap_or(0) + parts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_export_is_resumed_by_another_process_from_elsewhere() {
    let cli = Cli::with_limits(Limits::Standard).await;
    let store = fresh_database().await;
    login_into(&cli, &store).await;
    cli.seed(20_000);
    // Slow batches so the kill lands mid-way, whatever the machine's speed.
    cli.sandbox.set_faults(FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["batch".into()]),
        ..FaultConfig::default()
    });
    // The output directory is the one both "machines" see; the first run names the file
    // relative to it, the second by an absolute path from another working directory.
    let shared_dir = tempfile::tempdir().expect("output dir");
    let args = ["export", "lead", "--select", "ID,TITLE", "--chunk", "500"];
    let mut child = cli
        .cmd()
        .current_dir(shared_dir.path())
        .env("B24_STORE", &store)
        .args(args)
        .args(["-o", "big.csv"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let db = connect(&store).await;
    let killed_at = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Some(rows) = checkpoint_rows(&db, "big.csv").await {
                if rows >= 2500 {
                    // The job is held: a second process is refused, and touches nothing.
                    let second = cli
                        .cmd()
                        .env("B24_STORE", &store)
                        .args(args)
                        .args(["-o"])
                        .arg(shared_dir.path().join("big.csv"))
                        .output()
                        .await
                        .expect("run b24");
                    child.start_kill().expect("kill");
                    let _ = child.wait().await;
                    return (rows, second);
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the export got far enough to be killed");
    let (rows, second) = killed_at;
    assert_eq!(second.status.code(), Some(2), "{second:?}");
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("running in another b24 process"),
        "{second:?}"
    );
    assert!(rows < 20_000, "killed before the end");
    assert!(
        checkpoint_rows(&db, "big.csv").await.is_some(),
        "the checkpoint stays"
    );
    assert!(
        !shared_dir.path().join("big.csv.checkpoint").exists(),
        "no checkpoint file beside the output"
    );
    cli.sandbox.clear_faults();
    // Another config directory (empty: the profile comes from the store) and another
    // working directory.
    let config = tempfile::tempdir().expect("config dir");
    let cwd = tempfile::tempdir().expect("working dir");
    let out = command(config.path())
        .current_dir(cwd.path())
        .env("B24_STORE", &store)
        .args(args)
        .args(["-o"])
        .arg(shared_dir.path().join("big.csv"))
        .output()
        .await
        .expect("run b24");
    assert!(out.status.success(), "{out:?}");
    let ids = csv_ids(&shared_dir.path().join("big.csv"));
    let distinct: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "no duplicates");
    let expected: Vec<u64> = (1..=20_000).collect();
    assert_eq!(ids, expected, "every ID once, in order");
    assert_eq!(
        checkpoint_rows(&db, "big.csv").await,
        None,
        "removed when done"
    );
    assert_eq!(cli.sandbox.refused_by_rate_limit(), 0);
}

/// Rows the journal of import job `job` records as sent and as answered.
async fn journal_counts(
    db: &bitrix24::postgres::tokio_postgres::Client,
    job: &str,
) -> (usize, usize) {
    let rows = db
        .query(
            "SELECT lines FROM b24_import_journals WHERE job = $1 ORDER BY seq",
            &[&job],
        )
        .await
        .expect("journal query");
    let text: Vec<String> = rows.iter().map(|row| row.get(0)).collect();
    count_journal_lines(text.iter().flat_map(|lines| lines.lines()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_import_is_finished_by_another_process_with_every_row_once() {
    let cli = Cli::with_limits(Limits::Standard).await;
    let store = fresh_database().await;
    login_into(&cli, &store).await;
    let rows = 3_000;
    let mut text = String::from("TITLE,NAME\n");
    for i in 0..rows {
        text.push_str(&format!("Row {i},Иван {i}\n"));
    }
    let first_machine = tempfile::tempdir().expect("dir");
    std::fs::write(first_machine.path().join("killed.csv"), &text).expect("write");
    // Slow batches, so that answers trickle in while many batches are still in flight.
    cli.sandbox.set_faults(FaultConfig {
        latency_ms: 400,
        only_methods: Some(vec!["batch".into()]),
        ..FaultConfig::default()
    });
    let mut child = cli
        .cmd()
        .current_dir(first_machine.path())
        .env("B24_STORE", &store)
        .args(["import", "lead", "killed.csv"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let db = connect(&store).await;
    // Killed once some batches are journaled as answered while at least two others are
    // journaled as sent without an answer: rows the portal may or may not have created.
    let (answered, in_doubt) = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let (sent, answered) = journal_counts(&db, "killed.csv").await;
            if answered >= 50 && sent >= answered + 100 {
                child.start_kill().expect("kill");
                let _ = child.wait().await;
                return (answered, sent - answered);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the import got far enough to be killed");
    assert!(answered < rows && in_doubt >= 100, "killed before the end");
    assert!(
        !first_machine.path().join("killed.csv.b24import").exists(),
        "no journal file beside the input"
    );
    cli.sandbox.clear_faults();
    portal_done_with_the_dead_run(&cli).await;
    // "Another machine": its own copy of the file under the same name, its own empty config
    // directory, its own working directory.
    let second_machine = tempfile::tempdir().expect("dir");
    std::fs::write(second_machine.path().join("killed.csv"), &text).expect("copy");
    let config = tempfile::tempdir().expect("config dir");
    let out = command(config.path())
        .current_dir(second_machine.path())
        .env("B24_STORE", &store)
        .args(["import", "lead", "killed.csv"])
        .output()
        .await
        .expect("run b24");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("already imported"), "{stdout}");
    let titles: Vec<String> = {
        let portal = cli.sandbox.portal();
        let db = portal.db();
        let mut stmt = db.prepare("SELECT title FROM crm_lead").expect("query");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    };
    let distinct: BTreeSet<&String> = titles.iter().collect();
    assert_eq!(distinct.len(), titles.len(), "no row added twice");
    assert_eq!(titles.len(), rows, "every row added");
    assert!((0..rows).all(|i| distinct.contains(&format!("Row {i}"))));
    // The journal says so too: every row answered, and a third run adds nothing.
    let (sent, answered) = journal_counts(&db, "killed.csv").await;
    assert!(
        answered >= rows && sent >= rows,
        "{sent} sent, {answered} answered"
    );
    let again = command(config.path())
        .current_dir(second_machine.path())
        .env("B24_STORE", &store)
        .args(["import", "lead", "killed.csv"])
        .output()
        .await
        .expect("run b24");
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("Added 0, already imported 3000"),
        "{again:?}"
    );
}

/// `b24 events pull` with a store keeps the reserved batch's `process_id` there: a pull from
/// another, empty config directory finishes the batch a killed pull left (first, then the
/// rest), and clears the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_elsewhere_finishes_the_batch_a_dead_pull_reserved() {
    use crate::cli_auth::{deliver, finish, start_login_with};
    use crate::cli_support::allow;
    let cli = Cli::new().await;
    let store = fresh_database().await;
    let (child, url) = start_login_with(&cli, None, &[("B24_STORE", &store)]).await;
    let (status, page) = deliver(&allow(&url).await).await;
    assert_eq!(status, 200, "{page}");
    let (code, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    let elsewhere = tempfile::tempdir().expect("another config dir");
    let b24 = |args: Vec<String>| {
        let out = command(elsewhere.path())
            .env("B24_STORE", &store)
            .args(args)
            .output();
        async move {
            let out = out.await.expect("run b24");
            assert!(out.status.success(), "{out:?}");
            (
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    b24(args(&[
        "call",
        "event.bind",
        "event=ONCRMLEADADD",
        "event_type=offline",
    ]))
    .await;
    let cli = &cli;
    let add = |title: &'static str| async move {
        cli.call("crm.lead.add", &[("fields[TITLE]", title)]).await
    };
    let a = add("a").await["result"].as_u64().expect("id");
    let b = add("b").await["result"].as_u64().expect("id");
    // A pull that died after reserving these two: its checkpoint row holds their process_id.
    let (reserved, _) = b24(args(&["call", "event.offline.get", "clear=0"])).await;
    let reserved: serde_json::Value = serde_json::from_str(&reserved).expect("JSON");
    let pid = reserved["process_id"]
        .as_str()
        .expect("process_id")
        .to_string();
    let db = connect(&store).await;
    db.execute(
        "INSERT INTO b24_offline_checkpoints (portal, job, process_id) VALUES ($1, $2, $3)",
        &[&cli.sandbox.url(), &"offline work", &pid],
    )
    .await
    .expect("seed the checkpoint");
    let c = add("c").await["result"].as_u64().expect("id");
    let (out, err) = b24(args(&["events", "pull", "--limit", "10"])).await;
    let ids: Vec<u64> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            let id = &v["data"]["FIELDS"]["ID"];
            id.as_u64()
                .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
                .expect("lead ID")
        })
        .collect();
    assert_eq!(
        ids,
        vec![a, b, c],
        "the reserved batch first, then the rest"
    );
    assert!(err.contains("earlier run"), "{err}");
    let left: i64 = db
        .query_one("SELECT count(*) FROM b24_offline_checkpoints", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(left, 0, "the finished batch is forgotten");
    let files: Vec<_> = std::fs::read_dir(elsewhere.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(
        files.is_empty(),
        "nothing in the config directory: {files:?}"
    );
}
