//! Sandbox figures (not a timed test): `cargo bench -p bitrix24-sandbox`.
//!
//! Prints, with limits off, on a file database of `BENCH_LEADS` leads (default 1,000,000):
//! - requests/s of `crm.lead.get` over keep-alive connections;
//! - server time (`time.processing`) of a `start=-1` keyset page of 50;
//! - server time of a `filter[PHONE]` prefix search;
//! - server time of a 50-command `crm.lead.add` batch.
//!
//! `BENCH_READERS` sets the sandbox's read-only connections (default: the builder's; 0 runs
//! every request on the one writer, as before the read path).

use bitrix24_sandbox::{Limits, Sandbox};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let leads: usize = std::env::var("BENCH_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("b24-sandbox-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut builder = Sandbox::builder()
        .limits(Limits::Off)
        .operating_limit(1e12)
        .data_file(dir.join("bench.db"));
    if let Some(readers) = std::env::var("BENCH_READERS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        builder = builder.read_connections(readers);
    }
    let sandbox = builder.start().await.expect("sandbox starts");
    let seeded = Instant::now();
    {
        let portal = sandbox.portal();
        let db = portal.db();
        bitrix24_sandbox::methods::crm::seed::seed_leads(&db, leads, portal.unix()).expect("seed");
    }
    println!(
        "seeded {leads} leads in {:.1} s; {} read-only connections",
        seeded.elapsed().as_secs_f64(),
        sandbox.portal().read_connections()
    );
    let base = sandbox.webhook_url();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");

    lead_get_throughput(&http, &base, leads).await;
    keyset_page(&http, &base, leads).await;
    phone_prefix(&http, &base).await;
    batch_add(&http, &base).await;

    sandbox.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn post(http: &reqwest::Client, url: &str, body: &Value) -> Value {
    let resp = http.post(url).json(body).send().await.expect("request");
    let v: Value = resp.json().await.expect("json");
    assert!(v.get("error").is_none(), "bench call failed: {v}");
    v
}

fn processing(v: &Value) -> f64 {
    v["time"]["processing"].as_f64().unwrap_or(f64::NAN)
}

fn report(name: &str, samples: &mut [f64], goal_ms: f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize] * 1000.0;
    println!(
        "{name}: median {:.2} ms, p95 {:.2} ms over {} runs (goal: under {goal_ms} ms)",
        pct(0.5),
        pct(0.95),
        samples.len()
    );
}

async fn lead_get_throughput(http: &reqwest::Client, base: &str, leads: usize) {
    let url = format!("{base}crm.lead.get");
    let workers = 16;
    let window = Duration::from_secs(5);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let http = http.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            let mut id = 1 + w * 7919;
            while started.elapsed() < window {
                let resp = http
                    .post(&url)
                    .form(&[("id", (id % leads + 1).to_string())])
                    .send()
                    .await
                    .expect("request");
                assert!(resp.status().is_success());
                let _ = resp.bytes().await;
                n += 1;
                id += 104_729;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("worker");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "crm.lead.get: {:.0} requests/s over keep-alive ({workers} connections, {total} requests; goal: at least 3000/s)",
        total as f64 / secs
    );
}

async fn keyset_page(http: &reqwest::Client, base: &str, leads: usize) {
    let url = format!("{base}crm.lead.list");
    let mut samples = Vec::new();
    for i in 0..200usize {
        let after = (i * 4999) % leads;
        let v = post(
            http,
            &url,
            &json!({"order": {"ID": "ASC"}, "filter": {">ID": after}, "select": ["ID", "TITLE", "NAME"], "start": -1}),
        )
        .await;
        samples.push(processing(&v));
    }
    report("keyset page of 50 (start=-1)", &mut samples, 5.0);
}

async fn phone_prefix(http: &reqwest::Client, base: &str) {
    let url = format!("{base}crm.lead.list");
    let prefixes = ["+7 903", "8 (916)", "7925", "+7 (999) 1", "8 903 2"];
    let mut samples = Vec::new();
    for i in 0..100 {
        let v = post(
            http,
            &url,
            &json!({"filter": {"PHONE": prefixes[i % prefixes.len()]}, "select": ["ID"], "start": -1}),
        )
        .await;
        samples.push(processing(&v));
    }
    report("filter[PHONE] prefix search", &mut samples, 20.0);
}

async fn batch_add(http: &reqwest::Client, base: &str) {
    let url = format!("{base}batch");
    let mut samples = Vec::new();
    for run in 0..20 {
        let cmd: Vec<String> = (0..50)
            .map(|i| {
                format!(
                    "crm.lead.add?fields[TITLE]=Bench%20{run}-{i}&fields[NAME]=%D0%98%D0%B2%D0%B0%D0%BD\
                     &fields[PHONE][0][VALUE]=%2B7%20903%20{:03}%2011%2022",
                    i
                )
            })
            .collect();
        let v = post(http, &url, &json!({"cmd": cmd})).await;
        assert_eq!(v["result"]["result_error"], json!([]), "batch errors: {v}");
        samples.push(processing(&v));
    }
    report("50-command crm.lead.add batch", &mut samples, 50.0);
}
