//! Helpers of the event tests: a small axum receiver on 127.0.0.1 that records every POST,
//! and calls made with an app's OAuth token.

use crate::common::{post_form, Reply};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::any;
use axum::Router;
use bitrix24_sandbox::{App, AppRegistration, Sandbox};
use serde_json::{Map, Value};
use std::time::Duration;
use tokio::sync::mpsc;

/// One POST the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub content_type: String,
    /// The body decoded with PHP `parse_str` rules.
    pub form: Value,
}

impl Received {
    /// A nested form value as a string, e.g. `get(&["auth", "domain"])`.
    pub fn get(&self, path: &[&str]) -> Option<&str> {
        let mut v = &self.form;
        for p in path {
            v = v.get(p)?;
        }
        v.as_str()
    }
}

/// A running receiver.
pub struct Receiver {
    pub base: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl Receiver {
    /// URL of a handler path on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next POST, or `None` after `secs` seconds.
    pub async fn next(&mut self, secs: u64) -> Option<Received> {
        tokio::time::timeout(Duration::from_secs(secs), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// A POST already received, without waiting.
    pub fn try_next(&mut self) -> Option<Received> {
        self.rx.try_recv().ok()
    }
}

/// Starts a receiver answering every request with `status`.
pub async fn receiver(status: u16) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let code = StatusCode::from_u16(status).expect("status");
    let app = Router::new().fallback(any(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let tx = tx.clone();
        async move {
            let raw = String::from_utf8_lossy(&body).into_owned();
            let form: Map<String, Value> = bitrix24_sandbox::php::form::parse_str(&raw);
            let _ = tx.send(Received {
                path: uri.path().to_string(),
                content_type: headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string(),
                form: Value::Object(form),
            });
            code
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        base: format!("http://{addr}"),
        rx,
    }
}

/// An access token of `app` for `user`.
pub fn token(s: &Sandbox, app: &App, user: i64) -> String {
    s.issue_tokens(app, user).expect("tokens").access_token
}

/// Calls `method` with an access token passed as `auth`.
pub async fn call(s: &Sandbox, token: &str, method: &str, form: &[(&str, &str)]) -> Reply {
    let mut all = vec![("auth", token)];
    all.extend_from_slice(form);
    post_form(&s.rest_url(), method, &all).await
}

/// Installs a fresh app with the given scopes (no install handler).
pub async fn app_with(s: &Sandbox, scope: &str) -> App {
    s.install_app(&AppRegistration {
        scope: scope.into(),
        ..AppRegistration::default()
    })
    .await
    .expect("install")
}

/// Adds a lead through the ready-made webhook (user 1) and returns its id.
pub async fn add_lead(s: &Sandbox, title: &str) -> String {
    let r = post_form(
        &s.webhook_url(),
        "crm.lead.add",
        &[("fields[TITLE]", title)],
    )
    .await;
    r.result().to_string().trim_matches('"').to_string()
}
