//! `b24 auth login`: the OAuth authorization-code flow from a terminal.
//!
//! A one-shot HTTP listener on a loopback port receives the portal's redirect (the app's
//! redirect URI must point at it), the `state` is checked, the code is exchanged at once (it
//! lives 30 s), the tokens go to the token store and the profile to the profile store (the
//! config directory, or the shared store when one is set).

use crate::config::{Paths, Profile};
use crate::exit::{CliError, CliResult};
use crate::profile_client::{oauth_app, open_store};
use crate::profiles::Profiles;
use bitrix24::auth::{parse_redirect, OAuthSession, Redirect, State};
use bitrix24::{ApiErrorCode, ErrorKind};
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Arguments of `b24 auth login`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:\n  \
    b24 auth login --portal https://example.bitrix24.com --client-id local.abc.123 \\\n    \
    --client-secret \"$SECRET\" --name work\n\n\
    Register the app (Developer resources > Other > Local application) with the redirect URI\n\
    http://127.0.0.1:8788/ (or the address given with --listen).")]
pub struct LoginArgs {
    /// The portal, e.g. `https://example.bitrix24.com`.
    #[arg(long)]
    pub portal: String,
    /// The application's client_id.
    #[arg(long)]
    pub client_id: String,
    /// The application's client_secret (or $B24_CLIENT_SECRET, which stays out of `ps`).
    #[arg(long, env = "B24_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: String,
    /// The OAuth server that issues tokens.
    #[arg(long, default_value = "https://oauth.bitrix.info")]
    pub oauth_server: String,
    /// Where the one-shot redirect listener binds; the app's redirect URI must point here.
    #[arg(long, default_value = "127.0.0.1:8788")]
    pub listen: SocketAddr,
    /// Do not open a browser: print `Open this URL: <url>` and wait.
    #[arg(long)]
    pub no_browser: bool,
    /// The profile name to save.
    #[arg(long, default_value = "default")]
    pub name: String,
    /// Seconds to wait for the redirect.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

/// Runs `b24 auth login`.
pub async fn run(args: LoginArgs) -> CliResult {
    let paths = Paths::from_env()?;
    let app = oauth_app(
        &args.portal,
        &args.oauth_server,
        &args.client_id,
        &args.client_secret,
    )?
    .with_redirect_uri(format!("http://{}/", args.listen));
    let listener = TcpListener::bind(args.listen).await.map_err(|e| {
        CliError::Usage(format!(
            "cannot listen on {} for the redirect ({e}); pick another --listen address and \
             set the app's redirect URI to match",
            args.listen
        ))
    })?;
    let state = State::new();
    let url = app.authorize_url(&state);
    show_url(&url, args.no_browser);
    eprintln!(
        "Waiting for the portal's redirect on http://{}/ (up to {} s)...",
        args.listen, args.timeout
    );
    let wait = Duration::from_secs(args.timeout);
    let (redirect, stream) = tokio::time::timeout(wait, catch(&listener, &state))
        .await
        .map_err(|_| {
            CliError::Auth(format!(
                "no redirect arrived within {} s; run `b24 auth login` again (is the app's \
                 redirect URI http://{}/ ?)",
                args.timeout, args.listen
            ))
        })??;
    let Some(mut stream) = stream else {
        // `catch` only returns without a connection for a refused redirect.
        return Err(CliError::Auth("the redirect was refused".into()));
    };
    let store = open_store(&paths).await?;
    let session = match OAuthSession::from_redirect(app, store, &redirect).await {
        Ok(s) => s,
        Err(e) => {
            let err = exchange_error(e);
            answer(&mut stream, false, &err.to_string()).await;
            return Err(err);
        }
    };
    let profile = Profile::Oauth {
        portal: args.portal.trim().to_string(),
        oauth_server: args.oauth_server.trim().to_string(),
        client_id: args.client_id.clone(),
        client_secret: args.client_secret.clone(),
        member_id: session.member_id().to_string(),
    };
    Profiles::open(&paths)
        .await?
        .put(&args.name, &profile)
        .await?;
    answer(&mut stream, true, "").await;
    println!(
        "Logged in to {} as profile '{}' (scopes: {}).",
        args.portal.trim(),
        args.name,
        if redirect.scope.is_empty() {
            "as granted"
        } else {
            &redirect.scope
        }
    );
    Ok(())
}

/// Prints the authorize URL, and opens it in a browser unless told not to.
fn show_url(url: &str, no_browser: bool) {
    if !no_browser && open_browser(url) {
        eprintln!("Opened the browser. If nothing happened, open this URL:\n  {url}");
        return;
    }
    println!("Open this URL: {url}");
    let _ = std::io::stdout().flush();
}

/// Tries the desktop's URL opener; false when there is none or it failed.
fn open_browser(url: &str) -> bool {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Accepts connections until one carries the redirect; answers the others with 404.
async fn catch(listener: &TcpListener, state: &State) -> CliResult<(Redirect, Option<TcpStream>)> {
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| CliError::Other(format!("the redirect listener failed: {e}")))?;
        let Some(target) = read_target(&mut stream).await else {
            continue;
        };
        let query = target.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let has = |key: &str| url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == key);
        if !(has("code") || has("state") || has("error")) {
            respond(
                &mut stream,
                404,
                "Not found",
                "This is the b24 login listener.",
            )
            .await;
            continue;
        }
        if has("error") && !has("code") {
            let msg = "the portal did not authorize the app (access denied in the browser?); \
                       run `b24 auth login` again";
            answer(&mut stream, false, msg).await;
            return Err(CliError::Auth(msg.into()));
        }
        return match parse_redirect(query, state) {
            Ok(r) => Ok((r, Some(stream))),
            Err(e) => {
                let err = CliError::Auth(format!("{e}; nothing was saved"));
                answer(&mut stream, false, &e.to_string()).await;
                Err(err)
            }
        };
    }
}

/// The request target of an HTTP request (`/path?query`), reading at most 16 KiB of head.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(chunk.get(..n)?);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .ok()??;
    let head = String::from_utf8_lossy(&buf);
    let line = head.lines().next()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?, parts.next()?);
    (method == "GET").then(|| target.to_string())
}

/// The page the browser shows after the redirect.
async fn answer(stream: &mut TcpStream, ok: bool, why: &str) {
    if ok {
        respond(
            stream,
            200,
            "b24: logged in",
            "Logged in. You can close this tab and return to the terminal.",
        )
        .await;
    } else {
        let text = format!(
            "Login failed: {}. You can close this tab; the terminal says more.",
            escape(why)
        );
        respond(stream, 400, "b24: login failed", &text).await;
    }
}

async fn respond(stream: &mut TcpStream, status: u16, title: &str, text: &str) {
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><p id=\"b24-result\">{text}</p>\
         </body></html>"
    );
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
        body.len()
    );
    // The browser may be gone already; the terminal has the outcome either way.
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A failed code exchange, explained.
fn exchange_error(e: bitrix24::Error) -> CliError {
    if e.kind() == ErrorKind::ReauthorizationRequired {
        return CliError::Auth(
            "the portal refused the authorization code (it works once and expires after 30 \
             seconds; invalid_grant); run `b24 auth login` again"
                .into(),
        );
    }
    if e.code() == Some(&ApiErrorCode::InvalidClient) {
        return CliError::Auth(format!(
            "the OAuth server refused the app's credentials ({e}); check --client-id and \
             --client-secret"
        ));
    }
    CliError::from(e).with_note("Nothing was saved; run `b24 auth login` again.")
}
