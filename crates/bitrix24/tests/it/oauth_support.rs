//! Shared steps of the OAuth tests: an app pointed at the sandbox, seeded tokens, and the
//! sandbox's count of used refresh tokens. The consent dance is the sandbox's own
//! (`Sandbox::consent`, `Sandbox::authorize`, feature `client`).
#![allow(dead_code)] // each test crate uses a different subset

use bitrix24::auth::OAuthApp;
use bitrix24::store::{TokenRecord, TokenStore};
use bitrix24_sandbox::Sandbox;
use secrecy::SecretString;
use std::time::{SystemTime, UNIX_EPOCH};

/// The sandbox's ready-made app, with the sandbox as both portal and OAuth server.
pub fn app(sb: &Sandbox) -> OAuthApp {
    app_with(sb.url(), &sb.app().client_id, &sb.app().client_secret)
}

pub fn app_with(url: &str, client_id: &str, secret: &str) -> OAuthApp {
    OAuthApp::new(client_id, SecretString::from(secret.to_string()), url)
        .and_then(|a| a.with_oauth_server(url))
        .expect("app")
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Issues a pair on the sandbox and stores it as generation 1; `expires_in` is how long the
/// client believes the access token lives.
pub async fn seed(sb: &Sandbox, store: &dyn TokenStore, expires_in: i64) -> TokenRecord {
    let pair = sb.issue_tokens(sb.app(), 1).expect("issue");
    let mut record = TokenRecord::new(
        sb.member_id(),
        SecretString::from(pair.access_token),
        SecretString::from(pair.refresh_token),
        now() + expires_in,
    );
    record.domain = sb.domain().to_string();
    record.scope = pair.scope;
    record.client_endpoint = sb.rest_url();
    record.server_endpoint = sb.rest_url();
    record.user_id = Some(1);
    store.save(&record).await.expect("seed the store");
    record
}

/// Refresh tokens the sandbox has consumed: one per successful refresh or code exchange
/// minus the codes (codes live in their own table).
pub fn used_refresh_tokens(sb: &Sandbox) -> i64 {
    sb.portal()
        .db()
        .query_row(
            "SELECT count(*) FROM refresh_tokens WHERE used = 1",
            [],
            |r| r.get(0),
        )
        .expect("count")
}

/// Calls `profile` with a bearer token; the HTTP status and the user id it answers.
pub async fn profile(endpoint: &url::Url, token: &SecretString) -> (u16, Option<String>) {
    use secrecy::ExposeSecret;
    let resp = reqwest::Client::new()
        .post(endpoint.join("profile").expect("url"))
        .bearer_auth(token.expose_secret())
        .send()
        .await
        .expect("profile");
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let id = match &body["result"]["ID"] {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    (status, id)
}
