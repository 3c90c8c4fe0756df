//! `b24 export`: the whole table in few requests, and resumes after an interruption (the
//! debug stop, a half-written chunk, and a process killed mid-way) with exactly the same rows:
//! none twice, none missing.

use crate::cli_support::Cli;
use bitrix24_sandbox::{FaultConfig, Limits};
use std::collections::BTreeSet;
use std::io::Write;
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

fn assert_exactly(ids: &[u64], n: u64) {
    let expected: Vec<u64> = (1..=n).collect();
    assert_eq!(ids.len() as u64, n, "row count");
    assert_eq!(ids, expected.as_slice(), "every ID once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_every_row_and_removes_the_checkpoint() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    cli.seed(3000);
    let out = cli.path("leads.csv");
    let before = cli.sandbox.http_requests();
    let run = cli
        .run(&[
            "export",
            "lead",
            "-o",
            out.to_str().expect("utf8"),
            "--select",
            "ID,NAME,PHONE",
        ])
        .await
        .expect_code(0);
    let used = cli.sandbox.http_requests() - before;
    assert_exactly(&csv_ids(&out), 3000);
    assert!(!cli.path("leads.csv.checkpoint").exists());
    // One first page, then 2,500 rows per batch: 3 requests, where pages of 50 need 61.
    assert_eq!(used, 3, "{run:?}");
    assert!(
        run.stderr.contains("with 3 requests (page by page: 61)"),
        "{run:?}"
    );
    let header = std::fs::read_to_string(&out).expect("read");
    assert!(header.starts_with("ID,NAME,PHONE\n"), "{}", &header[..40]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_export_resumes_without_duplicates_or_gaps() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    cli.seed(2600);
    let out = cli.path("leads.jsonl");
    let path = out.to_str().expect("utf8");
    let stop = cli
        .run(&[
            "export",
            "lead",
            "-o",
            path,
            "--chunk",
            "100",
            "--max-rows",
            "1234",
            "--parallel",
            "1",
        ])
        .await
        .expect_code(130);
    assert!(
        stop.stderr.contains("run the same command again"),
        "{stop:?}"
    );
    let ckpt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cli.path("leads.jsonl.checkpoint")).expect("ckpt"))
            .expect("json");
    assert_eq!(ckpt["rows"], serde_json::json!(1234));
    assert_eq!(ckpt["last_id"], serde_json::json!(1234));
    // A crash after writing part of the next chunk, before its checkpoint.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&out)
        .and_then(|mut f| f.write_all(b"{\"ID\":\"1235\",\"TITLE\":\"half a ro"))
        .expect("append");
    // Other options would mix two exports in one file: refused, nothing touched.
    let other = cli
        .run(&["export", "lead", "-o", path, "--filter", "STATUS_ID=NEW"])
        .await
        .expect_code(2);
    assert!(
        other.stderr.contains("belongs to another export"),
        "{other:?}"
    );

    cli.run(&["export", "lead", "-o", path, "--parallel", "1"])
        .await
        .expect_code(0);
    let text = std::fs::read_to_string(&out).expect("read");
    let ids: Vec<u64> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("whole JSON line");
            v["ID"].as_str().and_then(|s| s.parse().ok()).expect("ID")
        })
        .collect();
    assert_exactly(&ids, 2600);
    assert!(!cli.path("leads.jsonl.checkpoint").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_export_resumes_under_standard_limits() {
    let cli = Cli::with_limits(Limits::Standard).await;
    cli.login_webhook().await;
    cli.seed(20_000);
    // Slow batches so the kill lands mid-way, whatever the machine's speed.
    cli.sandbox.set_faults(FaultConfig {
        latency_ms: 300,
        only_methods: Some(vec!["batch".into()]),
        ..FaultConfig::default()
    });
    let out = cli.path("big.csv");
    let path = out.to_str().expect("utf8").to_string();
    let ckpt = cli.path("big.csv.checkpoint");
    let mut child = cli
        .cmd()
        .args([
            "export", "lead", "-o", &path, "--select", "ID,TITLE", "--chunk", "500",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let killed_at = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            if let Ok(bytes) = std::fs::read(&ckpt) {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                    // Rows joined to the file plus those in the ranges' part files.
                    let parts: u64 = v["ranges"]
                        .as_array()
                        .map(|r| r.iter().filter_map(|r| r["rows"].as_u64()).sum())
                        .unwrap_or(0);
                    let rows = v["rows"].as_u64().unwrap_or(0) + parts;
                    if rows >= 2500 {
                        child.start_kill().expect("kill");
                        let _ = child.wait().await;
                        return rows;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the export got far enough to be killed");
    assert!(killed_at < 20_000, "killed before the end");
    assert!(ckpt.exists(), "a killed export leaves its checkpoint");
    cli.sandbox.clear_faults();
    cli.run(&[
        "export", "lead", "-o", &path, "--select", "ID,TITLE", "--chunk", "500",
    ])
    .await
    .expect_code(0);
    let ids = csv_ids(&out);
    let distinct: BTreeSet<u64> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "no duplicates");
    assert_exactly(&ids, 20_000);
    // The portal never had to refuse a request for the rate.
    assert_eq!(cli.sandbox.refused_by_rate_limit(), 0);
}

/// The IDs of a JSON-lines export, in file order.
fn jsonl_ids(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .expect("read")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("whole JSON line");
            v["ID"].as_str().and_then(|s| s.parse().ok()).expect("ID")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_export_stopped_mid_way_resumes_its_ranges_in_id_order() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    cli.seed(12_000);
    let out = cli.path("p.jsonl");
    let path = out.to_str().expect("utf8");
    let stop = cli
        .run(&[
            "export",
            "lead",
            "-o",
            path,
            "--parallel",
            "4",
            "--max-rows",
            "5000",
        ])
        .await
        .expect_code(130);
    assert!(
        stop.stderr.contains("run the same command again"),
        "{stop:?}"
    );
    let ckpt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cli.path("p.jsonl.checkpoint")).expect("ckpt"))
            .expect("json");
    let ranges = ckpt["ranges"].as_array().expect("ranges in the checkpoint");
    assert!(!ranges.is_empty(), "{ckpt}");
    // A crash in the middle of writing a part, after its checkpoint.
    let open = ranges
        .iter()
        .find(|r| r["rows"].as_u64() > Some(0))
        .expect("a started range");
    let part = cli.path(&format!("p.jsonl.part-{}", open["start"]));
    std::fs::OpenOptions::new()
        .append(true)
        .open(&part)
        .and_then(|mut f| f.write_all(b"{\"ID\":\"99999\",\"TITLE\":\"half"))
        .expect("append to the part");
    cli.run(&["export", "lead", "-o", path, "--parallel", "4"])
        .await
        .expect_code(0);
    assert_exactly(&jsonl_ids(&out), 12_000);
    assert!(!cli.path("p.jsonl.checkpoint").exists());
    assert!(!part.exists(), "parts are removed once joined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_export_over_holes_is_in_id_order_with_every_row_once() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    cli.seed(9_000);
    // Holes, as deletions leave: the first range ends early and the others are cut.
    let client = bitrix24::Client::builder()
        .webhook(&cli.sandbox.webhook_url())
        .limits(bitrix24::RateLimits::off())
        .build()
        .expect("client");
    let gone: Vec<u64> = (101..=4_000).collect();
    let deletes = gone.iter().map(|id| {
        bitrix24::batch::BatchCommand::new("crm.lead.delete", &serde_json::json!({ "id": id }))
    });
    for r in client
        .batch_chunked::<serde_json::Value>(deletes)
        .await
        .expect("delete")
    {
        r.expect("deleted");
    }
    let out = cli.path("holes.csv");
    cli.run(&[
        "export",
        "lead",
        "-o",
        out.to_str().expect("utf8"),
        "--select",
        "ID,TITLE",
    ])
    .await
    .expect_code(0);
    let expected: Vec<u64> = (1..=100).chain(4_001..=9_000).collect();
    assert_eq!(csv_ids(&out), expected);
}
