//! `b24`: the command-line tool for the Bitrix24 REST API and its local sandbox.

mod commands;
mod config;
mod exit;
mod files;
mod job;
mod output;
mod profile_client;
mod profiles;
mod progress;
mod shared;

use clap::{CommandFactory, Parser, Subcommand};
use exit::{CliResult, EXIT_CODES_HELP};
use std::process::ExitCode;

/// Bitrix24 from the command line: authorize a portal, call methods, export and import, and
/// run a local sandbox portal.
#[derive(Debug, Parser)]
#[command(name = "b24", version, about, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Profile to use (default: $B24_PROFILE, then the default profile). $B24_WEBHOOK, when
    /// set, is used unless --profile is given.
    #[arg(long, global = true)]
    profile: Option<String>,
    /// The shared store: a postgres:// URL whose database keeps the profiles, OAuth tokens,
    /// rate and operating budgets, export checkpoints and import journals of every b24
    /// process naming it, on any machine (default: $B24_STORE; without either, all of it
    /// stays in the config directory and beside the files).
    #[arg(long, global = true, env = shared::STORE_ENV, hide_env_values = true, value_name = "URL")]
    store: Option<shared::StoreUrl>,
    /// More logging on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show everything the library does, on an embedded sandbox portal (no setup needed).
    #[command(after_help = "Example:\n  cargo run --release -p b24 -- demo")]
    Demo(commands::demo::DemoArgs),
    /// Run the local sandbox portal.
    Sandbox(commands::sandbox::SandboxArgs),
    /// Log in to a portal, and show, refresh or remove its credentials.
    Auth(commands::auth::AuthArgs),
    /// Call any REST method.
    Call(commands::call::CallArgs),
    /// Print every row of a list (streamed).
    List(commands::list::ListArgs),
    /// Write every row of a list to a file; resumable.
    Export(commands::export::ExportArgs),
    /// Add rows from a CSV file through batches; resumable, with a rejects file.
    Import(commands::import::ImportArgs),
    /// Find every lead, contact and company with a phone number, in any format.
    FindPhone(commands::find_phone::FindPhoneArgs),
    /// Receive event calls (listen) or read the offline queue (pull), as JSON lines.
    Events(commands::events::EventsArgs),
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  b24 completions bash > ~/.local/share/bash-completion/completions/b24"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    init_tracing(level);
    shared::configure(cli.store.clone());
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit::CliError::ClosedPipe) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.code()
        }
    }
}

/// Logs on stderr at `level` (or `$RUST_LOG`).
fn init_tracing(level: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into());
    // tokio-postgres logs every statement's parameters at debug level, and the parameters
    // are profiles (webhook URLs, client secrets) and tokens: never below warn, whatever
    // -v or $RUST_LOG say.
    let filter = match "tokio_postgres=warn".parse() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    };
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter);
    let _ = tracing_subscriber::registry().with(logs).try_init();
}

async fn run(cli: Cli) -> CliResult {
    let profile = cli.profile.as_deref();
    match cli.command {
        Command::Auth(args) => commands::auth::run(args, profile).await,
        Command::Call(args) => commands::call::run(args, profile).await,
        Command::List(args) => commands::list::run(args, profile).await,
        Command::Export(args) => commands::export::run(args, profile).await,
        Command::Import(args) => commands::import::run(args, profile).await,
        Command::FindPhone(args) => commands::find_phone::run(args, profile).await,
        Command::Events(args) => commands::events::run(args, profile).await,
        Command::Demo(args) => commands::demo::run(args).await,
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "b24", &mut std::io::stdout());
            Ok(())
        }
    }
}
