//! Admission cost of the shared request-rate budget (not a timed test):
//! `cargo bench -p bitrix24 --features postgres --bench budget`, with `BITRIX24_TEST_POSTGRES`
//! naming a server (`eval "$(.ci/postgres start)"` starts a throwaway one).
//!
//! Prints the latency of one admission (one round trip to PostgreSQL, no wait: the limits are
//! far above the rate offered) as median, p90 and p99: alone, and with 12 tasks of 12 pools
//! admitting on the same key at once (the row lock serialises them); the in-process budget
//! for comparison. Target: at most 2 ms median against a local server.
//!
//! `BENCH_ADMISSIONS` changes the count per run (default 2,000).

use bitrix24::postgres::Database;
use bitrix24::{LocalRateBudget, PostgresRateBudget, RateBudget, RateLimits};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let url = std::env::var("BITRIX24_TEST_POSTGRES").unwrap_or_else(|_| {
        eprintln!(
            "BITRIX24_TEST_POSTGRES is not set: start a server with \
             `eval \"$(.ci/postgres start)\"` at the workspace root"
        );
        std::process::exit(2)
    });
    let n: usize = std::env::var("BENCH_ADMISSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    // Far above the offered rate: every admission is a round trip and no wait.
    let limits = RateLimits::custom(1_000_000.0, 1_000_000);
    let key = format!("bench-{}", std::process::id());

    let budget = PostgresRateBudget::connect(&url).await.expect("connect");
    for _ in 0..50 {
        budget.admit(&key, limits).await.expect("warm up");
    }
    let mut alone = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        budget.admit(&key, limits).await.expect("admit");
        alone.push(t.elapsed());
    }
    report("PostgreSQL, 1 caller", &mut alone);

    let mut tasks = Vec::new();
    for _ in 0..12 {
        let db = Database::connect_with_pool_size(&url, 2)
            .await
            .expect("connect");
        let budget = PostgresRateBudget::new(db);
        budget.admit(&key, limits).await.expect("warm up");
        let key = key.clone();
        let per = n / 12;
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(per);
            for _ in 0..per {
                let t = Instant::now();
                budget.admit(&key, limits).await.expect("admit");
                times.push(t.elapsed());
            }
            times
        }));
    }
    let started = Instant::now();
    let mut together = Vec::new();
    for t in tasks {
        together.extend(t.await.expect("join"));
    }
    let wall = started.elapsed();
    report("PostgreSQL, 12 pools on one key", &mut together);
    println!(
        "    {} admissions in {:.2} s: {:.0} admissions/s",
        together.len(),
        wall.as_secs_f64(),
        together.len() as f64 / wall.as_secs_f64()
    );

    let local = Arc::new(LocalRateBudget::new());
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        local.admit(&key, limits).await.expect("admit");
        times.push(t.elapsed());
    }
    report("in-process", &mut times);
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!(
        "admission cost, {what}: median {:.3} ms, p90 {:.3} ms, p99 {:.3} ms ({} admissions)",
        ms(at(0.5)),
        ms(at(0.9)),
        ms(at(0.99)),
        times.len()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
