//! Building a [`bitrix24::Client`] from what the user selected: `$B24_WEBHOOK`, else the
//! profile named by `--profile`, `$B24_PROFILE` or the default (from [`Profiles`]: the config
//! directory, or the shared store when one is set).
//!
//! Reusable by any command (and the demo): [`client_for`] is the one entry point.

use crate::config::{Paths, Profile};
use crate::exit::{CliError, CliResult};
use crate::profiles::Profiles;
use crate::shared::shared_database;
use bitrix24::auth::{OAuthApp, OAuthSession};
use bitrix24::store::{PostgresStore, SqliteStore, TokenStore};
use bitrix24::{Client, PostgresOperatingBudget, PostgresRateBudget};
use std::sync::Arc;

/// What a client was built from, for messages (never holds a secret).
#[derive(Debug, Clone)]
pub struct Source {
    /// The profile name, or `$B24_WEBHOOK`.
    pub name: String,
    /// The portal host.
    pub portal: String,
}

/// The client for the selected profile (see the module docs).
///
/// # Errors
/// [`CliError::Auth`] when nothing is configured, [`CliError::Usage`] for an unknown profile or
/// a malformed webhook URL, [`CliError::Other`] when the token database cannot be opened.
pub async fn client_for(paths: &Paths, profile: Option<&str>) -> CliResult<(Client, Source)> {
    // An explicit --profile wins over the environment's webhook: the user asked for it.
    if profile.is_none() {
        if let Some(url) = std::env::var("B24_WEBHOOK").ok().filter(|u| !u.is_empty()) {
            let client = webhook_client(&url)
                .await
                .map_err(|e| CliError::Usage(format!("$B24_WEBHOOK: {e}")))?;
            let portal = bitrix24::auth::WebhookUrl::parse(&url)
                .map(|w| w.portal_host())
                .unwrap_or_default();
            let name = "$B24_WEBHOOK".to_string();
            tracing::info!(portal = %portal, "using $B24_WEBHOOK");
            return Ok((client, Source { name, portal }));
        }
    }
    let config = Profiles::open(paths).await?.load().await?;
    let (name, profile) = config.select(profile)?;
    let client = profile_client(paths, &profile).await?;
    let portal = portal_of(&profile);
    let source = Source { name, portal };
    tracing::info!(profile = %source.name, portal = %source.portal, "using profile");
    Ok((client, source))
}

/// The client of one profile.
///
/// # Errors
/// As [`client_for`].
pub async fn profile_client(paths: &Paths, profile: &Profile) -> CliResult<Client> {
    match profile {
        Profile::Webhook { url } => webhook_client(url).await,
        Profile::Oauth { member_id, .. } => {
            let session = session_of(paths, profile, member_id).await?;
            Ok(builder().await?.oauth(session).build()?)
        }
    }
}

/// The OAuth session of an OAuth profile (tokens in the profile directory's SQLite store).
///
/// # Errors
/// [`CliError::Usage`] for a webhook profile or bad app settings; [`CliError::Other`] when
/// the token database cannot be opened.
pub async fn session_of(
    paths: &Paths,
    profile: &Profile,
    member_id: &str,
) -> CliResult<OAuthSession> {
    let Profile::Oauth {
        portal,
        oauth_server,
        client_id,
        client_secret,
        ..
    } = profile
    else {
        return Err(CliError::Usage(
            "this profile is a webhook, not an OAuth app".into(),
        ));
    };
    let app = oauth_app(portal, oauth_server, client_id, client_secret)?;
    let store = open_store(paths).await?;
    Ok(OAuthSession::new(app, store, member_id))
}

/// The app of an OAuth profile.
///
/// # Errors
/// [`CliError::Usage`] when the client id is empty or a URL is not http(s).
pub fn oauth_app(
    portal: &str,
    oauth_server: &str,
    client_id: &str,
    client_secret: &str,
) -> CliResult<OAuthApp> {
    Ok(
        OAuthApp::new(client_id, secret(client_secret)?, portal)?
            .with_oauth_server(oauth_server)?,
    )
}

/// Wraps a secret in the library's secret type.
///
/// `secrecy` is not a dependency of this crate and `bitrix24` does not re-export it; its
/// `SecretString` deserializes from a JSON string, and the parameter type is inferred, so this
/// needs no name for it.
pub fn secret<T: serde::de::DeserializeOwned>(value: &str) -> CliResult<T> {
    serde_json::from_value(serde_json::Value::String(value.to_string()))
        .map_err(|_| CliError::Other("cannot hold the secret".into()))
}

/// The token store: the shared store's PostgreSQL database when one is set, else the SQLite
/// database beside the config, created 0600.
///
/// # Errors
/// [`CliError::Other`] when it cannot be created, opened or reached.
pub async fn open_store(paths: &Paths) -> CliResult<Arc<dyn TokenStore>> {
    if let Some(db) = shared_database().await? {
        return Ok(Arc::new(PostgresStore::new(db)));
    }
    std::fs::create_dir_all(paths.dir())
        .map_err(|e| CliError::Other(format!("cannot create {}: {e}", paths.dir().display())))?;
    let store = SqliteStore::open(paths.token_db())
        .await
        .map_err(|e| CliError::Other(e.to_string()))?;
    Ok(Arc::new(store))
}

async fn webhook_client(url: &str) -> CliResult<Client> {
    Ok(builder().await?.webhook(url).build()?)
}

/// The settings of every client; with a shared store, its budgets are shared through it.
async fn builder() -> CliResult<bitrix24::ClientBuilder> {
    let mut builder = Client::builder()
        .user_agent(concat!("b24/", env!("CARGO_PKG_VERSION")))
        .limits(limits()?);
    let source = source_address()?;
    if let Some(ip) = source {
        builder = builder.local_address(ip);
    }
    Ok(match shared_database().await? {
        Some(db) => {
            let builder = builder
                .rate_budget(Arc::new(PostgresRateBudget::new(db.clone())))
                .operating_budget(Arc::new(PostgresOperatingBudget::new(db)));
            // The portal keeps a bucket per source IP: processes sending from another
            // address share that address's bucket, not the others'.
            match source {
                Some(ip) => builder.egress_group(ip.to_string()),
                None => builder,
            }
        }
        None => builder,
    })
}

/// `$B24_SOURCE_ADDRESS`: the local IP address every request leaves from (a host with several
/// addresses acts as several hosts; the portal counts its budget per source IP).
fn source_address() -> CliResult<Option<std::net::IpAddr>> {
    match std::env::var("B24_SOURCE_ADDRESS")
        .ok()
        .as_deref()
        .map(str::trim)
    {
        None | Some("") => Ok(None),
        Some(text) => text.parse().map(Some).map_err(|_| {
            CliError::Usage(format!(
                "$B24_SOURCE_ADDRESS is {text:?}: give a local IP address (127.0.0.2, \
                 192.0.2.10, ::1)"
            ))
        }),
    }
}

/// The portal's request-rate plan from `$B24_LIMITS`: `standard` (the default: 2/s after a
/// burst of 50), `enterprise` (5/s after 250) or `off` (something else paces the calls).
fn limits() -> CliResult<bitrix24::RateLimits> {
    match std::env::var("B24_LIMITS").ok().as_deref().map(str::trim) {
        None | Some("") | Some("standard") => Ok(bitrix24::RateLimits::standard()),
        Some("enterprise") => Ok(bitrix24::RateLimits::enterprise()),
        Some("off") => Ok(bitrix24::RateLimits::off()),
        Some(other) => Err(CliError::Usage(format!(
            "$B24_LIMITS is {other:?}: use standard (2 requests/s after 50), enterprise \
             (5/s after 250) or off"
        ))),
    }
}

/// The portal of a profile, for messages.
pub fn portal_of(profile: &Profile) -> String {
    match profile {
        Profile::Webhook { url } => bitrix24::auth::WebhookUrl::parse(url)
            .map(|w| w.portal_host())
            .unwrap_or_else(|_| "(invalid webhook URL)".into()),
        Profile::Oauth { portal, .. } => portal.clone(),
    }
}
