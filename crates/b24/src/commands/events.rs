//! `b24 events listen` (receive event calls, print the verified ones as JSON lines) and
//! `b24 events pull` (read the offline queue at least once, print, then clear).

use super::events_checkpoint::StoreCheckpoint;
use crate::config::Paths;
use crate::exit::{CliError, CliResult};
use crate::profile_client::{client_for, secret, Source};
use bitrix24::events::bind::{bind, unbind, Binding};
use bitrix24::events::offline::{FileCheckpoint, OfflineConsumer, OfflineEvent};
use bitrix24::events::{listen, Event, Verifier};
use bitrix24::Client;
use serde_json::{json, Value};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// Arguments of `b24 events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {
    #[command(subcommand)]
    pub command: EventsCommand,
}

/// The `b24 events` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum EventsCommand {
    /// Receive event calls on a port and print each verified one as a JSON line.
    #[command(after_help = "Examples:\n  \
        B24_APPLICATION_TOKEN=… b24 events listen --port 8080 --event ONCRMLEADADD \\\n    \
        --handler-url https://tunnel.example.com/\n  \
        B24_APPLICATION_TOKEN=… b24 events listen --port 8080   # an outgoing webhook\n\n\
        Calls whose auth[application_token] differs get 401 and are not printed.")]
    Listen(ListenArgs),
    /// Read the offline queue: print each event as a JSON line, clear it once printed.
    #[command(
        after_help = "Example:\n  b24 events pull --limit 50 > events.jsonl\n\n\
        Needs an OAuth profile of an administrator and an offline binding (event.bind with \
        event_type=offline). A run killed before it clears leaves its batch reserved; the \
        next run prints that batch again first (at least once)."
    )]
    Pull(PullArgs),
}

/// Arguments of `b24 events listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// The port to listen on.
    #[arg(long)]
    pub port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Bind this event to the listener first (OAuth profiles only) and unbind it on Ctrl-C;
    /// repeat for more.
    #[arg(long = "event", value_name = "NAME")]
    pub events: Vec<String>,
    /// The URL the portal reaches the listener at (default http://HOST:PORT/).
    #[arg(long, value_name = "URL")]
    pub handler_url: Option<String>,
    /// The application token calls must carry (from ONAPPINSTALL, or the outgoing webhook's
    /// settings). Prefer the environment variable: arguments are visible to other users.
    #[arg(long, env = "B24_APPLICATION_TOKEN", hide_env_values = true)]
    pub application_token: Option<String>,
}

/// Arguments of `b24 events pull`.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// Events per batch.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Handle one batch only.
    #[arg(long)]
    pub once: bool,
    /// Read the events marked as errors instead of the pending ones.
    #[arg(long)]
    pub errors: bool,
    /// Also finish batches reserved by runs whose answer was lost (use only when no other
    /// pull of this app is running: its batch would be printed twice).
    #[arg(long)]
    pub recover: bool,
    /// Where the unfinished batch's process id is kept (default: beside the config, per
    /// profile; with a store: in the store, per portal and profile, found from any machine).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
}

/// Runs `b24 events`.
pub async fn run(args: EventsArgs, profile: Option<&str>) -> CliResult {
    match args.command {
        EventsCommand::Listen(a) => listen_cmd(a, profile).await,
        EventsCommand::Pull(a) => pull(a, profile).await,
    }
}

async fn listen_cmd(args: ListenArgs, profile: Option<&str>) -> CliResult {
    let Some(token) = args.application_token.filter(|t| !t.trim().is_empty()) else {
        return Err(CliError::Usage(
            "set B24_APPLICATION_TOKEN (or --application-token) to the token the portal's calls \
             carry: without it a forged call could not be told apart"
                .into(),
        ));
    };
    let verifier = Verifier::single(secret(token.trim())?);
    let addr = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr()?;
    let handler_url = match args.handler_url {
        Some(u) => u,
        None if args.host.is_unspecified() && !args.events.is_empty() => {
            return Err(CliError::Usage(
                "--host is a wildcard address: give --handler-url, the URL the portal reaches \
                 this listener at"
                    .into(),
            ))
        }
        None => format!("http://{local}/"),
    };
    let bound = if args.events.is_empty() {
        None
    } else {
        let paths = Paths::from_env()?;
        let (client, _) = client_for(&paths, profile).await?;
        bind_all(&client, &args.events, &handler_url).await?;
        Some((client, args.events))
    };
    eprintln!("listening on http://{local}/ (handler URL {handler_url}); Ctrl-C to stop");
    let served = listen::serve(listener, verifier, print_event, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    if let Some((client, events)) = bound {
        unbind_all(&client, &events, &handler_url).await;
    }
    served.map_err(|e| CliError::Other(format!("the listener failed: {e}")))
}

/// Binds each event; on a failure unbinds those already bound.
async fn bind_all(client: &Client, events: &[String], url: &str) -> CliResult {
    for (n, event) in events.iter().enumerate() {
        if let Err(e) = bind(client, &Binding::online(event.as_str(), url)).await {
            let wrong_auth = e.is_code(&bitrix24::ApiErrorCode::WrongAuthType);
            unbind_all(client, events.get(..n).unwrap_or_default(), url).await;
            let err = CliError::from(e);
            return Err(if wrong_auth {
                err.with_note(
                    "A webhook cannot bind events: create an outgoing webhook in the portal \
                     and run without --event.",
                )
            } else {
                err
            });
        }
        eprintln!("bound {event} to {url}");
    }
    Ok(())
}

async fn unbind_all(client: &Client, events: &[String], url: &str) {
    for event in events {
        match unbind(client, &Binding::online(event.as_str(), url)).await {
            Ok(_) => eprintln!("unbound {event}"),
            Err(e) => eprintln!("warning: could not unbind {event}: {e}"),
        }
    }
}

/// One verified call as a JSON line; the tokens of `auth` are left out.
async fn print_event(e: Event) -> Result<(), String> {
    let line = json!({
        "event": e.name,
        "handler_id": e.handler_id,
        "ts": e.ts,
        "member_id": e.auth.member_id,
        "domain": e.auth.domain,
        "user_id": e.auth.tokens.as_ref().and_then(|t| t.user_id),
        "data": e.data,
    });
    write_line(&line)
}

async fn pull(args: PullArgs, profile: Option<&str>) -> CliResult {
    let paths = Paths::from_env()?;
    let (client, source) = client_for(&paths, profile).await?;
    let consumer = OfflineConsumer::new(client)
        .limit(args.limit)
        .errors(args.errors)
        // A failed print is the output's fault, not the event's: keep it for the next run.
        .keep_failed(true);
    // An explicit --checkpoint file wins; else the store's row, else the config's file.
    let in_store = match &args.checkpoint {
        Some(_) => None,
        None => StoreCheckpoint::open(&source.portal, &source.name).await?,
    };
    let consumer = match (in_store, args.checkpoint) {
        (Some(store), _) => consumer.checkpoint(store),
        (None, Some(file)) => consumer.checkpoint(FileCheckpoint::new(&file)),
        (None, None) => {
            std::fs::create_dir_all(paths.dir())?;
            consumer.checkpoint(FileCheckpoint::new(
                paths.dir().join(checkpoint_name(&source)),
            ))
        }
    };
    let handler = |e: OfflineEvent| async move { print_offline(&e) };
    let mut stats = if args.once {
        consumer.run_once(handler).await?
    } else {
        consumer.drain(handler).await?
    };
    if args.recover && stats.failed == 0 {
        for pid in consumer.orphans().await? {
            consumer.adopt(&pid).await?;
            let s = consumer.run_once(handler).await?;
            eprintln!("recovered a lost batch of {} events", s.received);
            stats.handled += s.handled;
            stats.failed += s.failed;
            if s.failed > 0 {
                break;
            }
        }
    }
    if stats.resumed {
        eprintln!("finished a batch an earlier run had left");
    }
    eprintln!("{} events printed and cleared", stats.handled);
    if stats.failed > 0 {
        return Err(CliError::Other(format!(
            "{} events could not be printed; they stay reserved for the next run",
            stats.failed
        )));
    }
    Ok(())
}

fn print_offline(e: &OfflineEvent) -> Result<(), String> {
    write_line(&json!({
        "id": e.id,
        "message_id": e.message_id,
        "event": e.name,
        "timestamp": e.timestamp,
        "data": e.data,
        "additional": e.additional,
    }))
}

/// Writes one line and flushes it: "printed" must mean it left the process.
fn write_line(line: &Value) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write the output: {e}"))
}

/// `offline-<profile>.pid`, the profile name reduced to safe file-name characters.
fn checkpoint_name(source: &Source) -> String {
    let safe: String = source
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("offline-{safe}.pid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_names_are_safe() {
        let s = |name: &str| Source {
            name: name.into(),
            portal: String::new(),
        };
        assert_eq!(checkpoint_name(&s("work")), "offline-work.pid");
        assert_eq!(
            checkpoint_name(&s("$B24_WEBHOOK")),
            "offline-_B24_WEBHOOK.pid"
        );
        assert_eq!(checkpoint_name(&s("../x")), "offline-___x.pid");
    }
}
