//! `b24 import`: rows added through batches, broken rows and rows the portal refuses in the
//! rejects file with their row number and reason, re-runs that add nothing twice (also after
//! a crash with a batch in flight), dedupe by phone, dry runs and bad files.

use crate::cli_support::Cli;

const GOOD_AND_BAD: &str = "TITLE,NAME,PHONE,EMAIL\n\
    Заявка 1,Иван,8 903 227-88-74,ivan@example.com\n\
    Заявка 2,Мария,+7 903 111 22 33,not-an-email\n\
    broken row with one cell\n\
    Заявка 4,Пётр,+7 903 444 55 66,petr@example.com\n";

fn rejects(cli: &Cli, name: &str) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(cli.path(name)).expect("rejects file");
    let mut rows: Vec<(String, String)> = r
        .records()
        .map(|rec| {
            let rec = rec.expect("record");
            (rec[0].to_string(), rec[1].to_string())
        })
        .collect();
    rows.sort_by_key(|(n, _)| n.parse::<u64>().unwrap_or(0));
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_are_added_rejects_explained_and_a_rerun_adds_nothing_twice() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    let file = cli.path("leads.csv");
    std::fs::write(&file, GOOD_AND_BAD).expect("write");
    let path = file.to_str().expect("utf8");
    let run = cli.run(&["import", "lead", path]).await.expect_code(6);
    assert!(
        run.stderr
            .contains("Added 2, already imported 0, duplicates 0, rejected 2"),
        "{run:?}"
    );
    assert_eq!(cli.lead_count(), 2);
    let rej = rejects(&cli, "leads.csv.rejects.csv");
    assert_eq!(rej.len(), 2, "{rej:?}");
    assert_eq!(rej[0].0, "3");
    assert!(rej[0].1.contains("invalid address"), "{rej:?}");
    assert_eq!(rej[1].0, "4");
    assert!(rej[1].1.contains("1 cells"), "{rej:?}");

    // The lead is there with its multifields, Cyrillic intact.
    let got = cli
        .call(
            "crm.lead.list",
            &[
                ("filter[NAME]", "Иван"),
                ("select[]", "PHONE"),
                ("select[]", "TITLE"),
            ],
        )
        .await;
    assert_eq!(got["result"][0]["TITLE"], serde_json::json!("Заявка 1"));
    assert_eq!(
        got["result"][0]["PHONE"][0]["VALUE"],
        serde_json::json!("8 903 227-88-74")
    );

    // Fix the file and run again: only the fixed rows are added.
    let fixed = GOOD_AND_BAD
        .replace("not-an-email", "maria@example.com")
        .replace("broken row with one cell", "Заявка 3,Олег,,");
    std::fs::write(&file, fixed).expect("write");
    let run = cli.run(&["import", "lead", path]).await.expect_code(0);
    assert!(
        run.stdout
            .contains("Added 2, already imported 2, duplicates 0, rejected 0"),
        "{run:?}"
    );
    assert_eq!(cli.lead_count(), 4);
    assert!(!cli.path("leads.csv.rejects.csv").exists());
    let run = cli.run(&["import", "lead", path]).await.expect_code(0);
    assert!(
        run.stdout.contains("Added 0, already imported 4"),
        "{run:?}"
    );
    assert_eq!(cli.lead_count(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_in_flight_at_a_crash_is_found_not_added_again() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    let mut text = String::from("TITLE,PHONE\n");
    for i in 0..120 {
        text.push_str(&format!("Lead {i},+7 900 000 {i:04}\n"));
    }
    let file = cli.path("many.csv");
    std::fs::write(&file, &text).expect("write");
    let path = file.to_str().expect("utf8");
    cli.run(&["import", "lead", path]).await.expect_code(0);
    assert_eq!(cli.lead_count(), 120);
    // Make it look as if the process died after sending the last batch, before writing its
    // answer: drop every `ok` line of rows 102.. (the last batch) from the journal.
    let journal = cli.path("many.csv.b24import");
    let kept: String = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .filter(|l| {
            let row = l.strip_prefix("ok ").and_then(|r| r.split(' ').next());
            row.and_then(|r| r.parse::<u64>().ok())
                .is_none_or(|r| r < 102)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&journal, kept).expect("rewrite");
    let run = cli.run(&["import", "lead", path]).await.expect_code(0);
    assert!(
        run.stdout.contains("Added 0, already imported 120"),
        "{run:?}"
    );
    assert_eq!(cli.lead_count(), 120, "no row added twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dedupe_skips_numbers_already_on_the_portal_or_earlier_in_the_file() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    cli.call(
        "crm.lead.add",
        &[("fields[PHONE][0][VALUE]", "+7 (903) 227-88-74")],
    )
    .await;
    let file = cli.path("d.csv");
    std::fs::write(
        &file,
        "TITLE,PHONE\nsame as portal,8 903 227 88 74\nnew,+7 903 555 00 01\nsame as row 3,89035550001\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf8");
    let dry = cli
        .run(&["import", "lead", path, "--dedupe", "phone", "--dry-run"])
        .await
        .expect_code(0);
    assert!(
        dry.stdout
            .contains("Dry run: would add 1, already imported 0, duplicates 2"),
        "{dry:?}"
    );
    assert_eq!(cli.lead_count(), 1, "a dry run adds nothing");
    assert!(!cli.path("d.csv.b24import").exists());
    let run = cli
        .run(&["import", "lead", path, "--dedupe", "phone"])
        .await
        .expect_code(0);
    assert!(
        run.stdout
            .contains("Added 1, already imported 0, duplicates 2"),
        "{run:?}"
    );
    assert_eq!(cli.lead_count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_and_columns_are_usage_errors() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    let file = cli.path("x.csv");
    let path = file.to_str().expect("utf8");
    let run = cli.run(&["import", "lead", path]).await.expect_code(2);
    assert!(run.stderr.contains("cannot read"), "{run:?}");
    std::fs::write(&file, "TITLE,NOT_A_FIELD\na,b\n").expect("write");
    let run = cli.run(&["import", "lead", path]).await.expect_code(2);
    assert!(
        run.stderr
            .contains("\"NOT_A_FIELD\" is not a field of lead"),
        "{run:?}"
    );
    std::fs::write(&file, "ID,TITLE\n5,a\n").expect("write");
    let run = cli.run(&["import", "lead", path]).await.expect_code(2);
    assert!(run.stderr.contains("read-only"), "{run:?}");
    std::fs::write(&file, "").expect("write");
    let run = cli.run(&["import", "lead", path]).await.expect_code(2);
    assert!(run.stderr.contains("needs a header row"), "{run:?}");
    let run = cli
        .run(&["import", "deal", path, "--dedupe", "phone"])
        .await
        .expect_code(2);
    assert!(run.stderr.contains("deals have no phone"), "{run:?}");
    assert_eq!(cli.lead_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_with_batches_in_flight_adds_every_row_exactly_once_on_the_rerun() {
    use bitrix24_sandbox::{FaultConfig, Limits};
    use std::time::Duration;
    let cli = Cli::with_limits(Limits::Standard).await;
    cli.login_webhook().await;
    let rows = 3_000;
    let mut text = String::from("TITLE,NAME\n");
    for i in 0..rows {
        text.push_str(&format!("Row {i},Иван {i}\n"));
    }
    let file = cli.path("killed.csv");
    std::fs::write(&file, &text).expect("write");
    let path = file.to_str().expect("utf8").to_string();
    let journal = cli.path("killed.csv.b24import");
    // Slow batches, so that answers trickle in while many batches are still in flight.
    cli.sandbox.set_faults(FaultConfig {
        latency_ms: 400,
        only_methods: Some(vec!["batch".into()]),
        ..FaultConfig::default()
    });
    let mut child = cli
        .cmd()
        .args(["import", "lead", &path])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Killed once some batches are journaled as answered while at least two others are
    // journaled as sent without an answer: rows the portal may or may not have created.
    let (answered, in_doubt) = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let (sent, answered) = journal_counts(&journal);
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
    // Killed before every answer was journaled, with rows in doubt (whether the portal had
    // created them or not when the process died is up to the race, and both must end exact).
    assert!(answered < rows && in_doubt >= 100, "killed before the end");
    // The pipelined run kept to the bucket. (The re-run starts with a fresh limiter while the
    // portal's bucket still holds the first run's burst, so it may meet 503s and retry them:
    // separate processes share a budget only through a shared store.)
    assert_eq!(cli.sandbox.refused_by_rate_limit(), 0);
    cli.sandbox.clear_faults();
    // At once: the portal is still executing the dead run's last batches, and the re-run
    // must wait for the rows they create instead of sending them again (--in-doubt-wait 10,
    // and as long as rows in doubt keep appearing).
    cli.run(&["import", "lead", &path, "--in-doubt-wait", "10"])
        .await
        .expect_code(0);
    let titles: Vec<String> = {
        let portal = cli.sandbox.portal();
        let db = portal.db();
        let mut stmt = db.prepare("SELECT title FROM crm_lead").expect("query");
        stmt.query_map([], |r| r.get(0))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    };
    let distinct: std::collections::BTreeSet<&String> = titles.iter().collect();
    assert_eq!(distinct.len(), titles.len(), "no row added twice");
    assert_eq!(titles.len(), rows, "every row added");
    assert!((0..rows).all(|i| distinct.contains(&format!("Row {i}"))));
}

/// Waits until the portal has finished the batches a killed run left in flight: a portal goes
/// on executing a request whose client died (the sandbox too: it sleeps the injected latency,
/// then executes), and a re-run that looked up its rows in doubt before the portal created
/// them would send them again. Done when the lead count has not moved for a second (no new
/// request comes from a dead process, so the count only moves while old ones finish).
pub(crate) async fn portal_done_with_the_dead_run(cli: &Cli) {
    let mut last = cli.lead_count();
    let mut still = 0;
    while still < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let now = cli.lead_count();
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
}

/// Rows a journal file records as sent and as answered (added, refused or duplicate).
fn journal_counts(journal: &std::path::Path) -> (usize, usize) {
    let text = std::fs::read_to_string(journal).unwrap_or_default();
    // Only whole lines: the process may be writing the last one.
    count_journal_lines(text.split_inclusive('\n').filter(|l| l.ends_with('\n')))
}

/// Rows these journal lines record as sent and as answered (added, refused or duplicate).
pub(crate) fn count_journal_lines<'a>(lines: impl Iterator<Item = &'a str>) -> (usize, usize) {
    let mut sent = 0;
    let mut answered = 0;
    for line in lines {
        match line.split(' ').next() {
            Some("send") => sent += line.split_whitespace().count() - 1,
            Some("ok" | "rej" | "dup") => answered += 1,
            _ => {}
        }
    }
    (sent, answered)
}
