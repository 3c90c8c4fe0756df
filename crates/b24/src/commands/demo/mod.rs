//! `b24 demo`: the main job of the library, shown on an embedded sandbox portal.
//!
//! Every step goes over real HTTP to a sandbox started in this process with the standard
//! rate limits (2 requests/s, burst 50), so what the narration says is what the wire did:
//! the OAuth dance, a lead with a Cyrillic name, phone search in another format, why
//! `filter[PHONE]` misses it, a deal in one batch, a shop order (the deal, its product rows
//! and a timeline comment in one batch, the amount the portal computed from the rows), a list
//! with `select`, a silent refresh of an expired token and a fast export with its request
//! count.

mod crm;
mod export;
mod oauth;
mod order;

use crate::exit::{CliError, CliResult};
use bitrix24::store::{SqliteStore, TokenStore};
use bitrix24::{Client, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Arguments of `b24 demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many leads to seed for the export part.
    #[arg(long, default_value_t = 5000)]
    pub leads: usize,
    /// Keep the export in this CSV file (default: a temporary file, removed at the end).
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

/// The most leads the demo seeds: beyond that the export waits for the rate limit and the
/// demo stops being a demo.
const MAX_LEADS: usize = 100_000;

/// Runs the demo.
pub async fn run(args: DemoArgs) -> CliResult {
    if args.leads > MAX_LEADS {
        return Err(CliError::Usage(format!(
            "--leads {} is more than the demo handles (at most {MAX_LEADS})",
            args.leads
        )));
    }
    let started = Instant::now();
    let work = WorkDir::create()?;
    println!("b24 demo: the bitrix24 client against a sandbox portal started in this process\n");

    let sandbox = Sandbox::builder()
        .limits(Limits::Standard)
        .start()
        .await
        .map_err(|e| CliError::Other(format!("cannot start the sandbox: {e}")))?;
    step(
        1,
        &format!(
            "Sandbox portal running at {} (standard limits: 2 requests/s, burst 50).",
            sandbox.url()
        ),
    );

    let store_path = work.path().join("tokens.db");
    let store: Arc<dyn TokenStore> = Arc::new(SqliteStore::open(&store_path).await?);
    let session = oauth::dance(&sandbox, store.clone(), &store_path).await?;
    let member_id = session.member_id().to_string();
    // One client for the whole demo: its rate limiter is what keeps the portal from
    // answering 503, and it is per client.
    let client = Client::builder()
        .oauth(session)
        .limits(RateLimits::standard())
        .build()?;

    let lead = crm::create_lead(&client).await?;
    crm::find_by_phone(&client, lead).await?;
    crm::filter_by_phone(&client).await?;
    let customer = crm::create_deal(&client, lead).await?;
    order::record(&client, customer).await?;
    crm::list_leads(&client).await?;
    oauth::silent_refresh(&sandbox, &client, store.as_ref(), &member_id).await?;
    let export_file = args
        .export
        .clone()
        .unwrap_or_else(|| work.path().join("leads.csv"));
    export::run(&sandbox, &client, args.leads, &export_file).await?;

    let refused = sandbox.refused_by_rate_limit();
    println!(
        "\nDone in {:.1} s: {} REST requests in all, {} refused by the rate limit.",
        started.elapsed().as_secs_f64(),
        sandbox.http_requests(),
        refused
    );
    sandbox.shutdown().await;
    Ok(())
}

/// Prints a numbered step; continuation lines are indented under the text.
pub(crate) fn step(n: u32, text: &str) {
    let mut lines = text.lines();
    if let Some(first) = lines.next() {
        println!("{n:>2}. {first}");
    }
    for line in lines {
        println!("    {line}");
    }
}

/// A private temporary directory for the token database and the export, removed at the end
/// (also when a step fails), so the demo leaves nothing behind.
struct WorkDir(PathBuf);

impl WorkDir {
    fn create() -> CliResult<Self> {
        let base = std::env::temp_dir();
        // The pid and the time make the name unique enough for a throwaway directory; it is
        // created with `create_dir`, so a clash fails instead of sharing someone's files.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = base.join(format!("b24-demo-{}-{nanos}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(|e| {
            CliError::Other(format!(
                "cannot create a directory in {}: {e}",
                base.display()
            ))
        })?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
