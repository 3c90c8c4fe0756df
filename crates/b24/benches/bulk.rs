//! Bulk figures at the portal's limit (issue 13), not a timed test: `cargo bench -p b24`.
//!
//! The `b24` binary runs as a child process, as a user runs it, against an in-process sandbox
//! that adds 300 ms to every request (`latency_ms`), as a real portal answers a batch in
//! hundreds of milliseconds. Each figure is printed beside its rate floor:
//! 1. `b24 import lead` of 5,000 rows under standard limits (floor: 100 batches, 50 at once,
//!    then 2/s: 25 s) and enterprise limits (all 100 inside the burst of 250: one round trip);
//!    503s counted, every row checked exactly once with its fields;
//! 2. `b24 export lead` of 100,000 rows, limits off: wall time, requests, peak RSS of the
//!    `b24` process, file in ID order;
//! 3. `b24 export lead` of 1,000,000 rows under standard limits (floor: 401 requests, 50 at
//!    once, then 2/s: 175.5 s), 503s counted. Skipped unless `BENCH_BIG=1` (it takes 3 min);
//! 4. four `b24 import lead` processes at once, 1,250 rows each, standard limits, sharing the
//!    portal's budget through `$B24_STORE` (floor: 100 batches, 50 at once, then 2/s: 25 s),
//!    503s counted, every row checked exactly once. Needs a PostgreSQL database named by
//!    `BENCH_STORE=postgres://…` (b24 creates its tables there); skipped, saying so, without.
//!
//! The fastest peer, fast_bitrix24, runs the same import and the 100,000-row export in the same
//! run on its own sandbox of the same kind (`benches/peers/fast_bitrix24_bulk.py`; it needs
//! `python3` with `pip install fast_bitrix24`, and says so instead of a figure without it).
//!
//! `BENCH_IMPORT`, `BENCH_EXPORT`, `BENCH_BIG_ROWS` and `BENCH_LATENCY_MS` change the sizes
//! (`BENCH_IMPORT=0` skips the imports). `BENCH_READERS` sets the sandbox's read-only
//! connections (default: the builder's; 0 runs every request on the one writer connection, as
//! before the read path).

use bitrix24_sandbox::{FaultConfig, Limits, Sandbox};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    let latency = count("BENCH_LATENCY_MS", 300) as u64;
    let dir = tempfile::tempdir().expect("temp dir");
    runtime.block_on(async {
        println!(
            "bulk work against the sandbox with {latency} ms added to every request, {} \
             read-only connections",
            std::env::var("BENCH_READERS").unwrap_or_else(|_| format!(
                "{}",
                bitrix24_sandbox::builder::DEFAULT_READ_CONNECTIONS
            ))
        );
        let rows = count("BENCH_IMPORT", 5_000);
        if rows > 0 {
            import(dir.path(), rows, Limits::Standard, "standard", latency).await;
            import(dir.path(), rows, Limits::Enterprise, "enterprise", latency).await;
        }
        export(
            dir.path(),
            count("BENCH_EXPORT", 100_000),
            Limits::Off,
            "off",
            latency,
        )
        .await;
        match std::env::var("BENCH_STORE") {
            Ok(store) if !store.trim().is_empty() => {
                fleet_import(dir.path(), &store, latency).await;
            }
            _ => println!(
                "4 imports sharing a store: skipped (BENCH_STORE=postgres://… runs it; \
                 `eval \"$(.ci/postgres start)\"` then BENCH_STORE=$BITRIX24_TEST_POSTGRES)"
            ),
        }
        if std::env::var("BENCH_BIG").is_ok_and(|v| v == "1") {
            let big = count("BENCH_BIG_ROWS", 1_000_000);
            export(dir.path(), big, Limits::Standard, "standard", latency).await;
        } else {
            println!("export 1,000,000 under standard limits: skipped (BENCH_BIG=1 runs it)");
        }
    });
}

async fn sandbox(limits: Limits, latency: u64) -> Sandbox {
    let mut builder = Sandbox::builder().limits(limits).operating_limit(1e12);
    if let Ok(readers) = std::env::var("BENCH_READERS") {
        builder = builder.read_connections(readers.parse().expect("BENCH_READERS is a number"));
    }
    let sandbox = builder.start().await.expect("sandbox starts");
    sandbox.set_faults(FaultConfig {
        latency_ms: latency,
        ..FaultConfig::default()
    });
    sandbox
}

/// The `b24` binary for `sandbox`, with its own config directory and rate plan.
fn b24(dir: &Path, sandbox: &Sandbox, plan: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_b24"));
    c.env("B24_CONFIG_DIR", dir.join("config"))
        .env("B24_WEBHOOK", sandbox.webhook_url())
        .env("B24_LIMITS", plan)
        .env_remove("B24_PROFILE")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// The rate floor of `requests` against a bucket of `burst` draining at `rate`/s.
fn floor(requests: usize, limits: Limits) -> f64 {
    match limits.params() {
        Some((rate, burst)) => requests.saturating_sub(burst as usize) as f64 / rate,
        None => 0.0,
    }
}

async fn import(dir: &Path, rows: usize, limits: Limits, plan: &str, latency: u64) {
    let peer_portal = sandbox(limits, latency).await;
    let peer = fast_bitrix24(&peer_portal, "import", rows, limits).await;
    peer_portal.shutdown().await;
    let sandbox = sandbox(limits, latency).await;
    let file = dir.join(format!("import-{plan}.csv"));
    let mut csv = std::fs::File::create(&file).expect("csv");
    writeln!(csv, "TITLE,NAME,PHONE,COMMENTS").expect("write");
    for i in 0..rows {
        writeln!(
            csv,
            "\"Signup {i}\",Иван {i},+7 903 {:03} {:04},\"a & b + \"\"q\"\"\"",
            i / 10_000,
            i % 10_000
        )
        .expect("write");
    }
    drop(csv);
    let started = Instant::now();
    let out = b24(dir, &sandbox, plan)
        .args(["import", "lead"])
        .arg(&file)
        .output()
        .expect("run b24 import");
    let wall = started.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let titles: BTreeMap<String, i64> = {
        let portal = sandbox.portal();
        let db = portal.db();
        let mut stmt = db
            .prepare("SELECT title, count(*) FROM crm_lead GROUP BY title")
            .expect("query");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect::<BTreeMap<String, i64>>()
    };
    let exact = titles.len() == rows
        && titles.values().all(|n| *n == 1)
        && (0..rows).all(|i| titles.contains_key(&format!("Signup {i}")));
    let batches = rows.div_ceil(50);
    println!(
        "import {rows} leads, {plan} limits: {wall:.1} s (rate floor {:.1} s, {batches} batches), \
         {} 503s, every row exactly once: {exact}",
        floor(batches, limits),
        sandbox.refused_by_rate_limit()
    );
    println!("  fast_bitrix24 in the same run: {peer}");
    sandbox.shutdown().await;
}

/// Four `b24 import lead` processes at once, 1,250 rows each, one `$B24_STORE`.
async fn fleet_import(dir: &Path, store: &str, latency: u64) {
    const IMPORTS: usize = 4;
    const ROWS: usize = 1_250;
    let sandbox = sandbox(Limits::Standard, latency).await;
    let files: Vec<_> = (0..IMPORTS)
        .map(|n| {
            let file = dir.join(format!("fleet-{n}.csv"));
            let mut csv = std::io::BufWriter::new(std::fs::File::create(&file).expect("csv"));
            writeln!(csv, "TITLE,NAME,PHONE").expect("write");
            for row in 0..ROWS {
                writeln!(csv, "fleet {n}-{row},Иван {row},+7 904 {n:03} {row:04}").expect("write");
            }
            csv.flush().expect("flush");
            file
        })
        .collect();
    let started = Instant::now();
    let children: Vec<_> = files
        .iter()
        .map(|file| {
            b24(dir, &sandbox, "standard")
                .env("B24_STORE", store)
                .args(["import", "lead"])
                .arg(file)
                .spawn()
                .expect("run b24 import")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("b24 import ends");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let wall = started.elapsed().as_secs_f64();
    let titles: BTreeMap<String, i64> = {
        let portal = sandbox.portal();
        let db = portal.db();
        let mut stmt = db
            .prepare("SELECT title, count(*) FROM crm_lead GROUP BY title")
            .expect("query");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    };
    let exact = titles.len() == IMPORTS * ROWS
        && titles.values().all(|n| *n == 1)
        && (0..IMPORTS)
            .all(|n| (0..ROWS).all(|row| titles.contains_key(&format!("fleet {n}-{row}"))));
    let batches = IMPORTS * ROWS.div_ceil(50);
    let floor = floor(batches, Limits::Standard);
    println!(
        "{IMPORTS} imports x {ROWS} leads at once, one B24_STORE, standard limits: {wall:.1} s \
         (rate floor {floor:.1} s, {batches} batches, {:+.1} %), {} 503s, every row exactly \
         once: {exact}",
        (wall / floor - 1.0) * 100.0,
        sandbox.refused_by_rate_limit()
    );
    sandbox.shutdown().await;
}

/// Runs fast_bitrix24's side of `job` (import or export) against `sandbox` and says how it went.
async fn fast_bitrix24(sandbox: &Sandbox, job: &str, rows: usize, limits: Limits) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/fast_bitrix24_bulk.py");
    let (rate, burst) = limits.params().unwrap_or((1000.0, 50));
    let before = sandbox.refused_by_rate_limit();
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .args([job, &sandbox.webhook_url()])
        .args([rows.to_string(), rate.to_string(), burst.to_string()])
        .output()
        .await;
    let out = match out {
        Ok(out) if out.status.success() => out,
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("no output");
            if err.contains("ModuleNotFoundError") {
                return format!("not run ({last}; `pip install fast_bitrix24` installs it)");
            }
            return format!(
                "failed: {last} ({} 503s)",
                sandbox.refused_by_rate_limit() - before
            );
        }
        Err(e) => return format!("not run (python3: {e})"),
    };
    let v: serde_json::Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => return format!("unreadable answer ({e})"),
    };
    format!(
        "{:.1} s, {} rows, {} 503s",
        v["seconds"].as_f64().unwrap_or(f64::NAN),
        v["rows"],
        sandbox.refused_by_rate_limit() - before
    )
}

/// Peak resident memory of process `pid` so far (`VmHWM`), in kB.
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn export(dir: &Path, rows: usize, limits: Limits, plan: &str, latency: u64) {
    let sandbox = sandbox(limits, 0).await;
    {
        let portal = sandbox.portal();
        bitrix24_sandbox::methods::crm::seed::seed_leads(&portal.db(), rows, portal.unix())
            .expect("seed");
    }
    sandbox.set_faults(FaultConfig {
        latency_ms: latency,
        ..FaultConfig::default()
    });
    let file = dir.join(format!("export-{plan}-{rows}.jsonl"));
    let before = sandbox.http_requests();
    let started = Instant::now();
    let mut child = b24(dir, &sandbox, plan)
        .args(["export", "lead", "-o"])
        .arg(&file)
        .spawn()
        .expect("run b24 export");
    // VmHWM only grows: the last reading before the exit is the peak.
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = peak_rss_kb(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let wall = started.elapsed().as_secs_f64();
    assert!(status.success(), "b24 export failed");
    let requests = sandbox.http_requests() - before;
    let text = std::fs::read_to_string(&file).expect("read the export");
    let mut last = 0u64;
    let mut ordered = true;
    let mut lines = 0usize;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let id: u64 = v["ID"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("an ID");
        ordered &= id > last;
        last = id;
        lines += 1;
    }
    println!(
        "export {rows} leads, {plan} limits: {wall:.1} s (rate floor {:.1} s), {requests} \
         requests, {} 503s, peak RSS {:.1} MB, {lines} rows in ascending ID order: {}",
        floor(requests as usize, limits),
        sandbox.refused_by_rate_limit(),
        peak as f64 / 1024.0,
        ordered && lines == rows
    );
    if limits == Limits::Off {
        let peer = fast_bitrix24(&sandbox, "export", rows, limits).await;
        println!("  fast_bitrix24 in the same run: {peer}");
    }
    let _ = std::fs::remove_file(&file);
    sandbox.shutdown().await;
}
