//! `b24 auth`: log in (OAuth or webhook), show, refresh and remove a profile's credentials.
//! Tokens and secrets are never printed.

use super::auth_login::{self, LoginArgs};
use crate::config::{Paths, Profile};
use crate::exit::{CliError, CliResult};
use crate::profile_client::{open_store, portal_of, profile_client, session_of};
use crate::profiles::Profiles;
use bitrix24::auth::WebhookUrl;

/// Arguments of `b24 auth`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    b24 auth login --portal https://example.bitrix24.com --client-id ID --client-secret SECRET\n  \
    b24 auth webhook https://example.bitrix24.com/rest/1/secret/\n  \
    b24 auth status")]
pub struct AuthArgs {
    #[command(subcommand)]
    pub command: AuthCommand,
}

/// The `b24 auth` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Authorize an OAuth application in the browser and store its tokens.
    Login(LoginArgs),
    /// Save an incoming-webhook URL as a profile.
    #[command(after_help = "Example:\n  \
        b24 auth webhook https://example.bitrix24.com/rest/1/abc123secret/ --name hook")]
    Webhook {
        /// The webhook URL, `https://<portal>/rest/<user>/<secret>/`.
        url: String,
        /// The profile name to save.
        #[arg(long, default_value = "default")]
        name: String,
        /// Save without calling the portal to check the URL.
        #[arg(long)]
        no_check: bool,
    },
    /// Show the profile in use: portal, kind, scopes, expiry (never the tokens).
    #[command(after_help = "Example:\n  b24 auth status --profile work")]
    Status,
    /// Refresh the OAuth tokens of the profile now.
    #[command(after_help = "Example:\n  b24 auth refresh --profile work")]
    Refresh,
    /// Remove the profile and its stored tokens.
    #[command(after_help = "Example:\n  b24 auth logout --profile work")]
    Logout,
}

/// Runs `b24 auth`.
pub async fn run(args: AuthArgs, profile: Option<&str>) -> CliResult {
    match args.command {
        AuthCommand::Login(login) => auth_login::run(login).await,
        AuthCommand::Webhook {
            url,
            name,
            no_check,
        } => webhook(&url, &name, no_check).await,
        AuthCommand::Status => status(profile).await,
        AuthCommand::Refresh => refresh(profile).await,
        AuthCommand::Logout => logout(profile).await,
    }
}

async fn webhook(url: &str, name: &str, no_check: bool) -> CliResult {
    let paths = Paths::from_env()?;
    let parsed = WebhookUrl::parse(url.trim())?;
    let profile = Profile::Webhook {
        url: url.trim().to_string(),
    };
    if !no_check {
        // `profile` needs no scope: it proves the URL and the secret work.
        let client = profile_client(&paths, &profile).await?;
        client
            .call_raw("profile", &())
            .await
            .map_err(|e| CliError::from(e).with_note("The webhook was not saved."))?;
    }
    Profiles::open(&paths).await?.put(name, &profile).await?;
    println!(
        "Saved webhook profile '{name}' for {} (user {}).",
        parsed.portal_host(),
        parsed.user_id()
    );
    Ok(())
}

async fn status(profile: Option<&str>) -> CliResult {
    let paths = Paths::from_env()?;
    if profile.is_none() {
        if let Some(url) = std::env::var("B24_WEBHOOK").ok().filter(|u| !u.is_empty()) {
            let w = WebhookUrl::parse(&url)
                .map_err(|e| CliError::Usage(format!("$B24_WEBHOOK: {e}")))?;
            println!("Profile: $B24_WEBHOOK (webhook)");
            println!("Portal:  {}", w.portal_host());
            println!("User:    {}", w.user_id());
            return Ok(());
        }
    }
    let config = Profiles::open(&paths).await?.load().await?;
    let (name, p) = config.select(profile)?;
    let is_default = config.default.as_deref() == Some(name.as_str());
    println!(
        "Profile: {name}{}",
        if is_default { " (default)" } else { "" }
    );
    match &p {
        Profile::Webhook { url } => {
            println!("Kind:    webhook");
            println!("Portal:  {}", portal_of(&p));
            if let Ok(w) = WebhookUrl::parse(url) {
                println!("User:    {}", w.user_id());
            }
        }
        Profile::Oauth {
            portal,
            client_id,
            member_id,
            ..
        } => {
            println!("Kind:    OAuth application {client_id}");
            println!("Portal:  {portal}");
            println!("Member:  {member_id}");
            let store = open_store(&paths).await?;
            match store.load(member_id).await? {
                None => {
                    return Err(CliError::Auth(format!(
                        "no tokens are stored for profile '{name}'; run `b24 auth login` again"
                    )))
                }
                Some(r) => {
                    println!("Scopes:  {}", r.scope);
                    if let Some(user) = r.user_id {
                        println!("User:    {user}");
                    }
                    println!("Access:  {}", expiry(r.expires_at - now()));
                }
            }
        }
    }
    let others: Vec<&String> = config.profiles.keys().filter(|k| **k != name).collect();
    if !others.is_empty() {
        let list: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
        println!("Other profiles: {}", list.join(", "));
    }
    Ok(())
}

/// "expires in 59 min" / "expired 3 min ago (refreshed on the next call)".
fn expiry(left: i64) -> String {
    let human = |s: i64| {
        if s >= 120 {
            format!("{} min", s / 60)
        } else {
            format!("{s} s")
        }
    };
    if left > 0 {
        format!("expires in {}", human(left))
    } else {
        format!(
            "expired {} ago (refreshed on the next call)",
            human(left.saturating_neg())
        )
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

async fn refresh(profile: Option<&str>) -> CliResult {
    let paths = Paths::from_env()?;
    let config = Profiles::open(&paths).await?.load().await?;
    let (name, p) = config.select(profile)?;
    let Profile::Oauth { member_id, .. } = &p else {
        return Err(CliError::Usage(format!(
            "profile '{name}' is a webhook: it has no token to refresh"
        )));
    };
    let session = session_of(&paths, &p, member_id).await?;
    let current = session.access_token().await?;
    // The token in hand is reported as expired: that forces one refresh, the same path a
    // portal's `expired_token` answer takes, with the store's cross-process lock.
    let fresh = session.token_expired(&current).await?;
    println!(
        "Refreshed profile '{name}': the access token {}.",
        expiry(fresh.expires_at() - now())
    );
    Ok(())
}

async fn logout(profile: Option<&str>) -> CliResult {
    let paths = Paths::from_env()?;
    let profiles = Profiles::open(&paths).await?;
    let mut config = profiles.load().await?;
    let (name, p) = config.select(profile)?;
    config.profiles.remove(&name);
    if let Profile::Oauth { member_id, .. } = &p {
        let shared = config
            .profiles
            .values()
            .any(|o| matches!(o, Profile::Oauth { member_id: m, .. } if m == member_id));
        if !shared {
            open_store(&paths).await?.delete(member_id).await?;
        }
    }
    profiles.remove(&name).await?;
    println!("Logged out: profile '{name}' and its tokens are removed.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_reads_both_ways() {
        assert_eq!(expiry(3540), "expires in 59 min");
        assert_eq!(expiry(30), "expires in 30 s");
        assert_eq!(
            expiry(-180),
            "expired 3 min ago (refreshed on the next call)"
        );
    }
}
