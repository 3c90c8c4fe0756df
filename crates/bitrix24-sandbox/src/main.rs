//! `bitrix24-sandbox`: run a local Bitrix24-compatible portal.

use bitrix24_sandbox::serve::{self, ServeOptions};
use bitrix24_sandbox::Limits;
use clap::{Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// A local Bitrix24-compatible portal for integration tests: REST, OAuth, limits, quirks.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sandbox portal until Ctrl-C.
    ///
    /// Example: bitrix24-sandbox serve --port 8024 --data sandbox.db --limits standard
    Serve {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8024)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// SQLite file to keep the portal's data in (default: memory).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Request-rate limits: standard (2/s, bucket 50), enterprise (5/s, 250) or off.
        #[arg(long, default_value = "standard")]
        limits: Limits,
        /// Serve HTTPS with a self-signed certificate.
        #[arg(long)]
        tls: bool,
        /// Where to write the certificate when --tls is given.
        #[arg(long, default_value = "sandbox-cert.pem")]
        tls_cert: PathBuf,
        /// Turn on the /_sandbox/ admin API with this key (header X-Sandbox-Key).
        #[arg(long, env = "SANDBOX_ADMIN_KEY")]
        admin_key: Option<String>,
        /// Seed this many leads when the data is new.
        #[arg(long, default_value_t = 0)]
        seed_leads: usize,
        /// How many REST requests the inspector (/_sandbox/ui/) keeps; 0 turns the log off.
        #[arg(long, default_value_t = bitrix24_sandbox::inspector::log::DEFAULT_CAPACITY)]
        request_log: usize,
        /// How many portals to serve, each on its own port (the others on free ports, in
        /// memory); the summary prints each one's URL, webhook and app.
        #[arg(long, default_value_t = 1)]
        portals: usize,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "bitrix24_sandbox=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let Command::Serve {
        port,
        bind,
        data,
        limits,
        tls,
        tls_cert,
        admin_key,
        seed_leads,
        request_log,
        portals,
    } = Cli::parse().command;
    let opts = ServeOptions {
        bind,
        port,
        data,
        limits,
        tls_cert: tls.then_some(tls_cert),
        admin_key,
        seed_leads,
        request_log,
        portals,
    };
    match serve::run(opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
