//! `b24 sandbox`: run the local sandbox portal.

use crate::exit::{CliError, CliResult};
use bitrix24_sandbox::serve::{self, ServeOptions};
use bitrix24_sandbox::Limits;
use std::path::PathBuf;

/// Arguments of `b24 sandbox`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  b24 sandbox --port 8024 --data sandbox.db --limits standard")]
pub struct SandboxArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8024)]
    pub port: u16,
    /// SQLite file to keep the portal's data in (default: memory).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Request-rate limits: standard (2/s, bucket 50), enterprise (5/s, 250) or off.
    #[arg(long, default_value = "standard")]
    pub limits: Limits,
    /// Serve HTTPS with a self-signed certificate written to --tls-cert.
    #[arg(long)]
    pub tls: bool,
    /// Where to write the certificate when --tls is given.
    #[arg(long, default_value = "sandbox-cert.pem")]
    pub tls_cert: PathBuf,
    /// Turn on the /_sandbox/ admin API with this key (header X-Sandbox-Key).
    #[arg(long)]
    pub admin_key: Option<String>,
    /// Seed this many leads when the data is new.
    #[arg(long, default_value_t = 0)]
    pub seed_leads: usize,
}

/// Runs the sandbox until Ctrl-C.
pub async fn run(args: SandboxArgs) -> CliResult {
    let opts = ServeOptions {
        port: args.port,
        data: args.data,
        limits: args.limits,
        tls_cert: args.tls.then_some(args.tls_cert),
        admin_key: args.admin_key,
        seed_leads: args.seed_leads,
        ..ServeOptions::default()
    };
    serve::run(opts)
        .await
        .map_err(|e| CliError::Other(e.to_string()))
}
