//! No token, webhook secret, client secret or refresh token ever shows in an error's
//! `Display`/`Debug` (source chain included), in a client's `Debug`, or in the crate's logs.

use crate::client_support;
use bitrix24::auth::{OAuthApp, OAuthSession};
use bitrix24::store::TokenRecord;
use bitrix24::store::{MemoryStore, TokenStore};
use bitrix24::{Client, Error, ErrorKind, RateLimits, RetryPolicy};
use secrecy::SecretString;
use std::io::Write;
use std::sync::{Arc, Mutex};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const WEBHOOK_SECRET: &str = "whsecretq7x9k2";
const ACCESS: &str = "accesstokenZZ81Q";
const REFRESH: &str = "refreshtokenYY42W";
const CLIENT_SECRET: &str = "clientsecretXX13E";
const SECRETS: &[&str] = &[WEBHOOK_SECRET, ACCESS, REFRESH, CLIENT_SECRET];

/// Everything an error can show: Display, alternate Display, Debug, pretty Debug, each source.
fn everything(e: &Error) -> String {
    let mut out = format!("{e}\n{e:#}\n{e:?}\n{e:#?}\n");
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        out.push_str(&format!("{s}\n{s:?}\n"));
        src = s.source();
    }
    out
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks {s}: {text}");
    }
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn no_retry(b: bitrix24::ClientBuilder) -> Client {
    b.limits(RateLimits::off())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn connect_errors_hide_the_webhook_secret() {
    let url = format!(
        "http://127.0.0.1:{}/rest/1/{WEBHOOK_SECRET}/",
        closed_port()
    );
    let c = no_retry(Client::builder().webhook(&url));
    let e = c
        .call_raw(
            "crm.lead.add",
            &serde_json::json!({"fields": {"TITLE": "x"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_clean("transport error", &everything(&e));
    assert_clean("client debug", &format!("{c:?}"));
}

#[tokio::test]
async fn api_decode_and_html_errors_hide_the_webhook_secret() {
    let sb = client_support::sandbox().await;
    let wrong = format!("{}/rest/1/{WEBHOOK_SECRET}/", sb.url());
    let e = no_retry(Client::builder().webhook(&wrong))
        .call_raw("profile", &())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.status(), Some(401));
    assert_clean("auth error", &everything(&e));

    let server = MockServer::start().await;
    Mock::given(path(format!("/rest/1/{WEBHOOK_SECRET}/profile")))
        .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
        .mount(&server)
        .await;
    Mock::given(path(format!("/rest/1/{WEBHOOK_SECRET}/server.time")))
        .respond_with(ResponseTemplate::new(500).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let c =
        no_retry(Client::builder().webhook(&format!("{}/rest/1/{WEBHOOK_SECRET}/", server.uri())));
    let e = c.call_raw("profile", &()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert_clean("decode error", &everything(&e));
    let e = c.call_raw("server.time", &()).await.unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_clean("html error", &everything(&e));
    let e = c.call::<u64>("crm.lead.get", &()).await.unwrap_err();
    assert_clean("another error", &everything(&e));
}

async fn oauth_client(endpoint: &str) -> Client {
    let store = Arc::new(MemoryStore::new());
    let record = {
        let mut r = TokenRecord::new(
            "m1",
            SecretString::from(ACCESS),
            SecretString::from(REFRESH),
            i64::MAX / 2,
        );
        r.domain = "portal.example".into();
        r.scope = "crm".into();
        r.client_endpoint = endpoint.to_string();
        r.server_endpoint = "http://127.0.0.1:9/rest/".into();
        r.user_id = Some(1);
        r.generation = 1;
        r
    };
    store.save(&record).await.unwrap();
    let app = OAuthApp::new(
        "app.1",
        SecretString::from(CLIENT_SECRET),
        "https://portal.example",
    )
    .unwrap();
    let session = OAuthSession::new(app, store, "m1");
    no_retry(Client::builder().oauth(session))
}

#[tokio::test]
async fn oauth_errors_hide_tokens_and_the_client_secret() {
    let c = oauth_client(&format!("http://127.0.0.1:{}/rest/", closed_port())).await;
    assert_clean("oauth client debug", &format!("{c:?}"));
    let e = c.call_raw("profile", &()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_clean("oauth transport error", &everything(&e));

    // The token goes as a bearer header; a 401 answer must not echo it into the error.
    let server = MockServer::start().await;
    Mock::given(path("/rest/profile"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            serde_json::json!({"error": "invalid_token", "error_description": "The access token provided is invalid"}),
        ))
        .mount(&server)
        .await;
    let c = oauth_client(&format!("{}/rest/", server.uri())).await;
    let e = c.call_raw("profile", &()).await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_clean("oauth api error", &everything(&e));
    let sent = server.received_requests().await.unwrap();
    let auth = sent[0]
        .headers
        .get("authorization")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        auth,
        format!("Bearer {ACCESS}"),
        "the token is sent, as a header"
    );
    assert!(!sent[0].url.as_str().contains(ACCESS), "never in the URL");
}

/// The captured log; `None` once read, so the global subscriber stops collecting the logs
/// of the other tests in this binary.
#[derive(Clone)]
struct Buf(Arc<Mutex<Option<Vec<u8>>>>);

impl Default for Buf {
    fn default() -> Self {
        Buf(Arc::new(Mutex::new(Some(Vec::new()))))
    }
}

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if let Some(log) = self.0.lock().unwrap().as_mut() {
            log.extend_from_slice(b);
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_and_spans_never_carry_secrets() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("bitrix24=trace")
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    // Global, not scoped: callsites first hit on other test threads would otherwise cache
    // "no interest". The other tests of this binary then log here too until it is read,
    // which is fine: none of them may leak a secret either.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let sb = client_support::sandbox().await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/{WEBHOOK_SECRET}/", sb.url()))
        .limits(RateLimits::off())
        .retry(RetryPolicy::default().max_attempts(2))
        .build()
        .unwrap();
    let _ = c.call_raw("profile", &()).await;
    let good = client_support::client(&sb);
    good.call_raw("profile", &()).await.unwrap();
    let o = oauth_client(&format!("http://127.0.0.1:{}/rest/", closed_port())).await;
    let _ = o.call_raw("profile", &()).await;
    let captured = buf.0.lock().unwrap().take().expect("read once");
    let logs = String::from_utf8_lossy(&captured).into_owned();
    assert!(
        logs.contains("bitrix24.call") && logs.contains("profile"),
        "{logs}"
    );
    for field in [
        "status=200",
        "status=401",
        "attempts=1",
        "duration_ms=",
        "operating=",
    ] {
        assert!(logs.contains(field), "the span records {field}: {logs}");
    }
    assert_clean("logs", &logs);
    assert!(
        !logs.contains(&sb.webhook().secret),
        "the sandbox webhook secret leaked: {logs}"
    );
}
