//! Shared steps of the lifecycle and registry tests: an axum app built on `Portals` (install,
//! uninstall and events at `/app`; the axum event handler with `Portals::verifier` at
//! `/events`), an app pointed at a sandbox, and form bodies of portal calls.
#![allow(dead_code)] // each test crate uses a different subset

use axum::body::Bytes;
use axum::http::{StatusCode, Uri};
use axum::routing::post;
use axum::Router;
use bitrix24::auth::OAuthApp;
use bitrix24::events::{self, Event};
use bitrix24::portals::{Portals, Received};
use bitrix24::{ErrorKind, SecretString};
use bitrix24_sandbox::{App, AppRegistration, Limits, Sandbox};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// What the app saw, in order.
#[derive(Debug)]
pub enum Got {
    /// `/app` handled a call.
    App(Received),
    /// `/events` handed a verified event to the user's function.
    Event(Box<Event>),
}

/// A running app.
pub struct Receiver {
    pub base: String,
    rx: mpsc::UnboundedReceiver<Got>,
    refused: Arc<AtomicUsize>,
}

impl Receiver {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The next thing the app handled, or `None` after 5 s.
    pub async fn next(&mut self) -> Option<Got> {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// Nothing handled so far that was not taken with `next`.
    pub fn is_idle(&mut self) -> bool {
        self.rx.try_recv().is_err()
    }

    /// Calls `/app` refused (401).
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }

    /// POSTs a form body to `path`; returns the status.
    pub async fn post(&self, path: &str, body: String) -> u16 {
        reqwest::Client::new()
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("post")
            .status()
            .as_u16()
    }
}

/// Starts the app over `portals`.
pub async fn receiver(portals: Portals) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let refused = Arc::new(AtomicUsize::new(0));
    let (app_tx, count) = (tx.clone(), refused.clone());
    let verifier = portals.verifier();
    let app_route = post(move |uri: Uri, body: Bytes| {
        let (portals, tx, count) = (portals.clone(), app_tx.clone(), count.clone());
        async move {
            match portals.receive(uri.query().unwrap_or(""), &body).await {
                Ok(r) => {
                    let _ = tx.send(Got::App(r));
                    StatusCode::OK
                }
                Err(e) if e.kind() == ErrorKind::Event => {
                    count.fetch_add(1, Ordering::SeqCst);
                    StatusCode::UNAUTHORIZED
                }
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
            }
        }
    });
    let events_route = events::axum::handler(verifier, move |e: Event| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(Got::Event(Box::new(e)));
        }
    });
    let router = Router::new()
        .route("/app", app_route)
        .route("/events", events_route);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Receiver {
        base: format!("http://{addr}"),
        rx,
        refused,
    }
}

pub async fn sandbox(member_id: &str) -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .member_id(member_id)
        .start()
        .await
        .expect("sandbox")
}

/// Installs a new app on `sb` whose install URL is the receiver's `/app`.
pub async fn install(sb: &Sandbox, rx: &Receiver) -> App {
    sb.install_app(&AppRegistration {
        scope: "crm".into(),
        install_url: rx.url("/app"),
        ..AppRegistration::default()
    })
    .await
    .expect("install")
}

/// The OAuth app `installed`, with `sb` as its OAuth server.
pub fn oauth_app(sb: &Sandbox, installed: &App) -> OAuthApp {
    OAuthApp::new(
        installed.client_id.clone(),
        SecretString::from(installed.client_secret.clone()),
        sb.url(),
    )
    .and_then(|a| a.with_oauth_server(sb.url()))
    .expect("app")
}

/// An app whose credentials are not known yet (the receiver must exist before the install
/// that tells them); it only uses the tokens the install call delivered.
pub fn placeholder_app(sb: &Sandbox) -> OAuthApp {
    OAuthApp::new(
        "not.yet.known",
        SecretString::from("x".to_string()),
        sb.url(),
    )
    .and_then(|a| a.with_oauth_server(sb.url()))
    .expect("app")
}

/// A form body of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// An event call of `member_id` with `application_token`.
pub fn event_body(name: &str, member_id: &str, token: &str, data: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("event", name),
        ("auth[member_id]", member_id),
        ("auth[application_token]", token),
    ];
    pairs.extend_from_slice(data);
    form(&pairs)
}

/// The `member_id` of an `Installed` or `Uninstalled` call; panics on anything else.
pub fn lifecycle(got: Option<Got>) -> (bool, String) {
    match got {
        Some(Got::App(Received::Installed(m))) => (true, m),
        Some(Got::App(Received::Uninstalled(m))) => (false, m),
        other => panic!("expected an install or uninstall, got {other:?}"),
    }
}
