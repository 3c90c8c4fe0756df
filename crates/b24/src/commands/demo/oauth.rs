//! The OAuth part of the demo: the browser dance played over HTTP, and the silent refresh of
//! an expired access token.

use super::step;
use crate::exit::{CliError, CliResult};
use bitrix24::auth::{parse_redirect, OAuthApp, OAuthSession, State};
use bitrix24::store::TokenStore;
use bitrix24::Client;
use bitrix24_sandbox::{AppRegistration, Sandbox};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// Where the registered app wants the browser sent. Nothing listens there: the demo reads the
/// redirect's `Location` header, which is what a browser would follow.
const REDIRECT_URI: &str = "http://127.0.0.1:8788/";

/// Registers an app, opens its consent page, presses Allow, checks the `state` of the
/// redirect, exchanges the code at once and stores the tokens in `store`.
pub(super) async fn dance(
    sandbox: &Sandbox,
    store: Arc<dyn TokenStore>,
    store_path: &Path,
) -> CliResult<OAuthSession> {
    let registered = sandbox
        .register_app(&AppRegistration {
            name: "b24 demo".into(),
            redirect_uri: REDIRECT_URI.into(),
            scope: "crm,user".into(),
            install_url: String::new(),
        })
        .map_err(|e| CliError::Other(format!("cannot register the demo app: {e}")))?;
    let app = OAuthApp::new(
        registered.client_id.clone(),
        registered.client_secret.clone().into(),
        sandbox.url(),
    )?
    .with_oauth_server(sandbox.url())?
    .with_redirect_uri(REDIRECT_URI);

    let state = State::new();
    // The sandbox plays the user's browser: the consent page, Allow as the admin (user 1).
    let location = sandbox.consent(&app, &state, 1).await?;
    // The state is checked before anything else in the redirect is trusted: a redirect that
    // does not carry ours could have been forged by another site.
    let redirect = parse_redirect(&location, &state)?;
    let session = OAuthSession::from_redirect(app, store.clone(), &redirect).await?;
    let record = store
        .load(session.member_id())
        .await?
        .ok_or_else(|| CliError::Other("the tokens were not saved".into()))?;
    let lifetime = record.expires_at - now();
    step(
        2,
        &format!(
            "OAuth without a person: registered the app {} (scopes crm,user),\n\
             opened {}oauth/authorize/ and pressed Allow;\n\
             the portal redirected to {REDIRECT_URI}?code=…&state=… (state checked),\n\
             and the code (valid 30 s, single use) was exchanged at once.\n\
             Tokens saved in the SQLite store {} (mode {:o}, removed at the end):\n\
             scopes {}, access token valid {} s, generation {}.",
            registered.client_id,
            app_portal(sandbox),
            store_path.display(),
            file_mode(store_path),
            record.scope,
            lifetime.max(0),
            record.generation,
        ),
    );
    Ok(session)
}

/// Moves the portal's clock past the access token's life and makes a call: the portal
/// answers `expired_token`, the client refreshes and repeats, and the caller sees a result.
pub(super) async fn silent_refresh(
    sandbox: &Sandbox,
    client: &Client,
    store: &dyn TokenStore,
    member_id: &str,
) -> CliResult {
    let before = generation(store, member_id).await?;
    // Only the portal's clock moves: the client still believes its token is good, which is
    // exactly the case of a token revoked or expired early on a real portal.
    sandbox.advance_clock(3700.0);
    let me = client.call_raw("profile", &()).await?.result;
    let after = generation(store, member_id).await?;
    let name = format!("{} {}", text(&me, "NAME"), text(&me, "LAST_NAME"));
    let how = if after > before {
        format!(
            "the portal answered expired_token, the client refreshed the pair\n\
             (token generation {before} -> {after}, the rotated refresh token saved first)\n\
             and sent the call again"
        )
    } else {
        "the client refreshed ahead of expiry".to_string()
    };
    step(
        9,
        &format!(
            "Moved the portal clock 1 h ahead: the access token expired.\n\
             Called profile: {how}.\n\
             The caller just got its answer: user #{} {}.",
            text(&me, "ID"),
            name.trim()
        ),
    );
    if after <= before {
        return Err(CliError::Other(
            "the token was not refreshed after it expired".into(),
        ));
    }
    Ok(())
}

async fn generation(store: &dyn TokenStore, member_id: &str) -> CliResult<u64> {
    Ok(store.load(member_id).await?.map_or(0, |r| r.generation))
}

/// A field of a JSON object as text, whether the portal sent it as a string or a number.
pub(super) fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn app_portal(sandbox: &Sandbox) -> String {
    format!("{}/", sandbox.url())
}

/// The permission bits of `path` (0 when unknown or not on Unix).
fn file_mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        0
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_strings_and_numbers() {
        let v = serde_json::json!({"ID": 1, "NAME": "Иван", "X": null});
        assert_eq!(text(&v, "ID"), "1");
        assert_eq!(text(&v, "NAME"), "Иван");
        assert_eq!(text(&v, "X"), "");
        assert_eq!(text(&v, "missing"), "");
    }
}
