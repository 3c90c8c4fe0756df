//! The sandbox's OAuth server over real HTTP: the consent page, the redirect, and the token
//! endpoint (protocol.md §1b, server-behavior.md §10). Shared steps live here; the facts are
//! checked in `oauth/consent.rs` and `oauth/token.rs`.

mod consent;
mod token;

use crate::common::Reply;
use bitrix24_sandbox::{App, Sandbox};
use reqwest::redirect::Policy;
use reqwest::Url;
use std::collections::HashMap;

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// The value of a hidden form field of the consent page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field on the page") + marker.len();
    let len = html[start..].find('"').expect("closing quote");
    html[start..start + len].to_string()
}

/// GETs the consent page with `query` (pairs are encoded by reqwest).
pub async fn page(sb: &Sandbox, query: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .get(format!("{}/oauth/authorize/", sb.url()))
        .query(query)
        .send()
        .await
        .expect("page")
}

/// Submits the consent form of `html` with the given decision.
pub async fn decide(sb: &Sandbox, html: &str, decision: &str) -> reqwest::Response {
    let fields = ["client_id", "state", "user_id", "token"].map(|n| (n, hidden(html, n)));
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    form.push(("decision", decision));
    browser()
        .post(format!("{}/oauth/authorize/", sb.url()))
        .form(&form)
        .send()
        .await
        .expect("answer")
}

/// Runs the browser part for `app` and returns the redirect's query.
pub async fn authorize(sb: &Sandbox, app: &App, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut query = vec![("client_id", app.client_id.as_str()), ("state", "st-42")];
    query.extend_from_slice(extra);
    let html = page(sb, &query).await.text().await.expect("html");
    let resp = decide(sb, &html, "allow").await;
    assert_eq!(resp.status().as_u16(), 302, "Allow redirects");
    let location = resp.headers()["location"].to_str().expect("ascii");
    let url = Url::parse(location).expect("absolute URL");
    let expected = Url::parse(&app.redirect_uri).expect("app URI");
    assert_eq!(url.origin(), expected.origin());
    assert_eq!(url.path(), expected.path());
    url.query_pairs().into_owned().collect()
}

/// GETs `/oauth/token/` with the parameters in the query, as the docs show.
pub async fn token_get(sb: &Sandbox, query: &[(&str, &str)]) -> Reply {
    let resp = browser()
        .get(format!("{}/oauth/token/", sb.url()))
        .query(query)
        .send()
        .await
        .expect("token");
    Reply::from(resp).await
}

/// POSTs `/oauth/token/` with a form body.
pub async fn token_post(sb: &Sandbox, form: &[(&str, &str)]) -> Reply {
    let resp = browser()
        .post(format!("{}/oauth/token/", sb.url()))
        .form(form)
        .send()
        .await
        .expect("token");
    Reply::from(resp).await
}

pub async fn exchange(sb: &Sandbox, app: &App, code: &str) -> Reply {
    token_get(
        sb,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &app.client_id),
            ("client_secret", &app.client_secret),
            ("code", code),
        ],
    )
    .await
}

pub async fn refresh(sb: &Sandbox, app: &App, refresh_token: &str) -> Reply {
    token_post(
        sb,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &app.client_id),
            ("client_secret", &app.client_secret),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

pub fn field<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.body[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {}", reply.text))
}

/// A fresh code for `app` and user 1, through the consent page.
pub async fn code_for(sb: &Sandbox, app: &App) -> String {
    authorize(sb, app, &[]).await["code"].clone()
}

/// A fresh token answer for `app` and user 1, through the whole dance.
pub async fn tokens_for(sb: &Sandbox, app: &App) -> Reply {
    let code = code_for(sb, app).await;
    let reply = exchange(sb, app, &code).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply
}
