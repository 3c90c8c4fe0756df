//! Shared steps of the OAuth tests: an app pointed at the sandbox, the consent dance, seeded
//! tokens, and the sandbox's count of used refresh tokens.
#![allow(dead_code)] // each test crate uses a different subset

use bitrix24::auth::{OAuthApp, State};
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

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser")
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field on the page") + marker.len();
    let len = html[start..].find('"').expect("closing quote");
    html[start..start + len].to_string()
}

/// Plays the user: opens `app.authorize_url(state)`, presses Allow, returns the redirect's
/// `Location`.
pub async fn consent(app: &OAuthApp, state: &State) -> String {
    let browser = browser();
    let page = browser
        .get(app.authorize_url(state))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let fields = ["client_id", "state", "user_id", "token"].map(|n| (n, hidden(&page, n)));
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    form.push(("decision", "allow"));
    let resp = browser
        .post(app.portal().join("oauth/authorize/").expect("url"))
        .form(&form)
        .send()
        .await
        .expect("allow");
    assert_eq!(resp.status().as_u16(), 302, "Allow redirects");
    resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string()
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
