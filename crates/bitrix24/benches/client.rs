//! Client figures (not a timed test): `cargo bench -p bitrix24`.
//!
//! Against the sandbox, the bench prints:
//! 1. limits off: HTTP requests and wall time to export 100,000 leads with the keyset-in-batch
//!    stream (goal: at most ceil(N/2500)+1 requests, under 5 s), and with 4 parallel ranges;
//! 2. limits off: peak RSS of this process while streaming 1,000,000 leads (goal: under 64 MB).
//!    The sandbox runs in a child process (this executable re-run with `B24_BENCH_SERVE`) so
//!    its SQLite cache is not counted;
//! 3. standard limits: time to add 10,000 leads through `batch_chunked` (goal: within 10% of the
//!    rate limit's floor of 75 s, with zero 503s).
//!
//! `BENCH_EXPORT`, `BENCH_STREAM` and `BENCH_ADD` change the row counts.

use bitrix24::batch::BatchCommand;
use bitrix24::list::ListRequest;
use bitrix24::{Client, RateLimits, RetryPolicy};
use bitrix24_sandbox::{Limits, Sandbox};
use futures::StreamExt;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if let Ok(rows) = std::env::var("B24_BENCH_SERVE") {
        runtime.block_on(serve(rows.parse().unwrap_or(0)));
        return;
    }
    runtime.block_on(async {
        // First, while this process is still small: peak RSS is a whole-life figure.
        stream_memory(count("BENCH_STREAM", 1_000_000)).await;
        export(count("BENCH_EXPORT", 100_000)).await;
        add_with_standard_limits(count("BENCH_ADD", 10_000)).await;
    });
}

async fn seeded(limits: Limits, rows: usize) -> Sandbox {
    let sandbox = Sandbox::builder()
        .limits(limits)
        .operating_limit(1e12)
        .start()
        .await
        .expect("sandbox starts");
    if rows > 0 {
        let portal = sandbox.portal();
        let db = portal.db();
        bitrix24_sandbox::methods::crm::seed::seed_leads(&db, rows, portal.unix()).expect("seed");
    }
    sandbox
}

fn client_for(sandbox: &Sandbox, limits: RateLimits) -> Client {
    Client::builder()
        .webhook(&sandbox.webhook_url())
        .limits(limits)
        .build()
        .expect("client")
}

async fn export(rows: usize) {
    let sandbox = seeded(Limits::Off, rows).await;
    let client = client_for(&sandbox, RateLimits::off());
    let select = [
        "ID",
        "TITLE",
        "NAME",
        "LAST_NAME",
        "STATUS_ID",
        "DATE_CREATE",
    ];
    for (label, parallel) in [
        ("keyset chained in batch", 1usize),
        ("4 parallel ID ranges", 4),
    ] {
        let before = sandbox.http_requests();
        let started = Instant::now();
        let request = ListRequest::new("crm.lead.list").select(select);
        let mut stream = if parallel > 1 {
            request.parallel::<Value>(&client, parallel)
        } else {
            request.stream::<Value>(&client)
        };
        let mut n = 0usize;
        while let Some(row) = stream.next().await {
            row.expect("row");
            n += 1;
        }
        let secs = started.elapsed().as_secs_f64();
        let requests = sandbox.http_requests() - before;
        assert_eq!(n, rows, "every row exported once");
        println!(
            "export {rows} leads ({label}): {requests} HTTP requests (goal: at most {}; page by \
             page would take {}), {secs:.2} s (goal: under 5 s)",
            rows.div_ceil(2500) + 1,
            rows.div_ceil(50) + 1,
        );
    }
    sandbox.shutdown().await;
}

/// The child: serves a seeded sandbox and prints its webhook URL.
async fn serve(rows: usize) {
    let sandbox = seeded(Limits::Off, rows).await;
    println!("{}", sandbox.webhook_url());
    // Serve until the parent closes our stdin.
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
    sandbox.shutdown().await;
}

fn spawn_server(rows: usize) -> (Child, String) {
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .env("B24_BENCH_SERVE", rows.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the sandbox process");
    let stdout = child.stdout.take().expect("stdout");
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url).expect("url");
    (child, url.trim().to_string())
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

async fn stream_memory(rows: usize) {
    let seeding = Instant::now();
    let (mut child, url) = spawn_server(rows);
    println!(
        "stream {rows} leads: sandbox child seeded in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let before = peak_rss_kb().unwrap_or(0);
    let client = Client::builder()
        .webhook(&url)
        .limits(RateLimits::off())
        .build()
        .expect("client");
    let started = Instant::now();
    let mut stream = ListRequest::new("crm.lead.list")
        .select(["ID", "TITLE", "NAME", "LAST_NAME", "PHONE", "EMAIL"])
        .stream::<Value>(&client);
    let mut n = 0usize;
    while let Some(row) = stream.next().await {
        row.expect("row");
        n += 1;
    }
    assert_eq!(n, rows);
    let peak = peak_rss_kb().unwrap_or(0);
    println!(
        "stream {rows} leads: {:.1} s, peak RSS of the client process {:.1} MB (before streaming \
         {:.1} MB; goal: under 64 MB)",
        started.elapsed().as_secs_f64(),
        peak as f64 / 1024.0,
        before as f64 / 1024.0,
    );
    drop(child.stdin.take());
    let _ = child.wait();
}

async fn add_with_standard_limits(rows: usize) {
    let sandbox = seeded(Limits::Standard, 0).await;
    let client = Client::builder()
        .webhook(&sandbox.webhook_url())
        .limits(RateLimits::standard())
        .retry(RetryPolicy::default())
        .build()
        .expect("client");
    let commands: Vec<BatchCommand> = (0..rows)
        .map(|i| {
            BatchCommand::new(
                "crm.lead.add",
                &json!({"fields": {"TITLE": format!("Bench {i}"), "NAME": "Иван",
                                   "PHONE": [{"VALUE": format!("+7 903 {:07}", i), "VALUE_TYPE": "WORK"}]}}),
            )
        })
        .collect();
    let started = Instant::now();
    let results: Vec<bitrix24::Result<u64>> =
        client.batch_chunked(commands).await.expect("batches");
    let secs = started.elapsed().as_secs_f64();
    let failed = results.iter().filter(|r| r.is_err()).count();
    let requests = rows.div_ceil(50);
    // A bucket of 50 lets the first 50 requests through at once; the rest drain at 2/s.
    let floor = requests.saturating_sub(50) as f64 / 2.0;
    let over = if floor > 0.0 {
        format!("{:+.1}% over it", (secs / floor - 1.0) * 100.0)
    } else {
        "within the burst".to_string()
    };
    println!(
        "add {rows} leads with standard limits: {secs:.1} s in {requests} batch requests \
         (floor {floor:.0} s, {over}; goal: within 10%), {} refused with 503 (goal: 0), \
         {failed} failed commands",
        sandbox.refused_by_rate_limit(),
    );
    sandbox.shutdown().await;
}
