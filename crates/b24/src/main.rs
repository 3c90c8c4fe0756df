//! `b24`: the command-line tool for the Bitrix24 REST API and its local sandbox.

mod commands;
mod config;
mod exit;

use clap::{CommandFactory, Parser, Subcommand};
use exit::{CliResult, EXIT_CODES_HELP};
use std::process::ExitCode;

/// Bitrix24 from the command line: authorize a portal, call methods, export and import, and
/// run a local sandbox portal.
#[derive(Debug, Parser)]
#[command(name = "b24", version, about, after_help = EXIT_CODES_HELP)]
struct Cli {
    /// Profile to use (default: $B24_PROFILE, then the default profile). $B24_WEBHOOK, when
    /// set, is used instead of any profile.
    #[arg(long, global = true)]
    profile: Option<String>,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| level.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.code()
        }
    }
}

async fn run(cli: Cli) -> CliResult {
    match cli.command {
        Command::Demo(args) => commands::demo::run(args).await,
        Command::Sandbox(args) => commands::sandbox::run(args).await,
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "b24", &mut std::io::stdout());
            Ok(())
        }
    }
}
