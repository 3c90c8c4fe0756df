//! End to end: the sandbox portal posts events to an axum app built with
//! `bitrix24::events::axum`, which verifies them before the user's function sees them.

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use bitrix24::events::{self, Event, EventKind, Verifier};
use bitrix24_sandbox::{AppRegistration, Limits, Sandbox};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

type Tokens = Arc<Mutex<HashMap<String, String>>>;

/// The app under test: `/install` stores the application token per portal on ONAPPINSTALL
/// (trust on first use, as the docs advise), `/events` verifies against it.
struct TestApp {
    base: String,
    events: mpsc::UnboundedReceiver<Event>,
    calls: Arc<AtomicUsize>,
}

async fn start_app() -> TestApp {
    let tokens: Tokens = Arc::default();
    let (tx, rx) = mpsc::unbounded_channel();
    let calls = Arc::new(AtomicUsize::new(0));
    let store = tokens.clone();
    let install = post(move |body: Bytes| {
        let store = store.clone();
        async move {
            let Ok(e) = events::parse_event(&body) else {
                return axum::http::StatusCode::BAD_REQUEST;
            };
            if let (Some(member), Some(token)) = (e.auth.member_id, e.auth.application_token) {
                let mut map = store.lock().unwrap();
                map.insert(member, token.expose_secret().to_string());
            }
            axum::http::StatusCode::OK
        }
    });
    let lookup = tokens.clone();
    let verifier = Verifier::by_portal(move |member| {
        let map = lookup.lock().unwrap();
        map.get(member).map(|t| SecretString::from(t.clone()))
    });
    let counter = calls.clone();
    let app = Router::new().route("/install", install).route(
        "/events",
        events::axum::handler(verifier, move |e: Event| {
            let (tx, counter) = (tx.clone(), counter.clone());
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = tx.send(e);
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    TestApp {
        base: format!("http://{addr}"),
        events: rx,
        calls,
    }
}

async fn rest(s: &Sandbox, token: &str, method: &str, form: &[(&str, &str)]) -> serde_json::Value {
    let mut all = vec![("auth", token)];
    all.extend_from_slice(form);
    let resp = reqwest::Client::new()
        .post(format!("{}{method}", s.rest_url()))
        .form(&all)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{method}");
    resp.json().await.unwrap()
}

/// protocol.md §1d + §7.2: install stores the token, the sandbox posts ONCRMLEADADD after a
/// lead is added, the handler sees the verified typed event; a forged body with a wrong
/// token gets 401 and reaches no handler; a malformed one 400.
#[tokio::test]
async fn sandbox_event_reaches_the_verified_handler_and_forgeries_do_not() {
    let s = Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .unwrap();
    let mut app = start_app().await;
    let installed = s
        .install_app(&AppRegistration {
            scope: "crm".into(),
            install_url: format!("{}/install", app.base),
            ..AppRegistration::default()
        })
        .await
        .unwrap();
    let token = s.issue_tokens(&installed, 1).unwrap().access_token;
    let handler = format!("{}/events", app.base);
    rest(
        &s,
        &token,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &handler)],
    )
    .await;

    let added: serde_json::Value = reqwest::Client::new()
        .post(format!("{}crm.lead.add", s.webhook_url()))
        .form(&[("fields[TITLE]", "From the sandbox")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let lead_id = added["result"].as_u64().unwrap();
    let event = tokio::time::timeout(Duration::from_secs(5), app.events.recv())
        .await
        .expect("event in time")
        .expect("event");
    assert!(matches!(event.kind, EventKind::LeadAdd(id) if id.get() == lead_id));
    assert_eq!(event.auth.member_id.as_deref(), Some(s.member_id()));
    assert!(event.auth.tokens.is_some());
    assert!(s.wait_for_deliveries(Duration::from_secs(5)).await);
    assert_eq!(s.events_delivered(), 1, "the handler answered 2xx");

    let forged = format!(
        "event=ONCRMLEADADD&data%5BFIELDS%5D%5BID%5D=1&auth%5Bmember_id%5D={}\
         &auth%5Bapplication_token%5D=ffffffffffffffffffffffffffffffff",
        s.member_id()
    );
    let http = reqwest::Client::new();
    let post = |body: String| {
        http.post(&handler)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(post(forged).await.unwrap().status(), 401);
    let unknown_portal = "event=ONCRMLEADADD&data%5BFIELDS%5D%5BID%5D=1&auth%5Bmember_id%5D=nope\
                          &auth%5Bapplication_token%5D=x";
    assert_eq!(post(unknown_portal.into()).await.unwrap().status(), 401);
    assert_eq!(post("garbage".into()).await.unwrap().status(), 400);
    assert_eq!(
        app.calls.load(Ordering::SeqCst),
        1,
        "no forged call was handled"
    );
    assert!(app.events.try_recv().is_err());
}

/// The answer comes only after the user's function returned (the portal never retries, so
/// 200 must mean "handled").
#[tokio::test]
async fn answers_after_the_handler_finished() {
    let done = Arc::new(AtomicBool::new(false));
    let flag = done.clone();
    let verifier = Verifier::single(SecretString::from("t0k"));
    let app = events::axum::router(verifier, move |_e: Event| {
        let flag = flag.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            flag.store(true, Ordering::SeqCst);
            Ok::<(), std::io::Error>(())
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/"))
        .body("event=ONAPPTEST&auth%5Bapplication_token%5D=t0k")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(done.load(Ordering::SeqCst));
}

/// A failing user function gives 500, so the failure is visible in the portal's logs.
#[tokio::test]
async fn handler_errors_are_500() {
    let verifier = Verifier::single(SecretString::from("t0k"));
    let app = events::axum::router(verifier, |_e: Event| async {
        Err::<(), _>("database down")
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let resp = reqwest::Client::new()
        .post(format!("http://{addr}/"))
        .body("event=ONAPPTEST&auth%5Bapplication_token%5D=t0k")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 500);
}
