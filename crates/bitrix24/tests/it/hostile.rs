//! Hostile answers against real client calls (issue 8): broken and huge bodies, cut
//! connections, redirect loops, numbers that are no numbers in every numeric field, deep
//! nesting, wrong types, batch answers that do not match the batch, hostile token answers.
//!
//! Each answer is served under its own webhook path (or by its own raw socket, or its own
//! OAuth server), each call runs in its own task so that a panic is caught and reported by
//! name, and every case states its outcome: a clean error of the kind that says what went
//! wrong, or, for the fields the client reads leniently (`time`, `total`, the batch's
//! `result_next`/`result_total`/`result_time`, token lifetimes), success with the bad value
//! dropped.

use bitrix24::auth::OAuthApp;
use bitrix24::batch::{Batch, Handle};
use bitrix24::{ApiErrorCode, Client, ErrorKind, RateLimits, RetryPolicy};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What `profile` returns on a real portal, typed as an app would.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read only through Debug
struct Profile {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "ADMIN")]
    admin: bool,
}

/// How a case's answer is served.
enum Serve {
    /// By wiremock, for every request under the case's own webhook path.
    Http(ResponseTemplate),
    /// By a raw socket that writes these bytes after the request head and closes.
    Raw(&'static [u8]),
    /// By a fresh wiremock as the OAuth server's `/oauth/token/`.
    Token(ResponseTemplate),
}

/// What a check gets: a client for the case's webhook, and the base URL it was served at.
struct Target {
    client: Client,
    url: String,
}

type Outcome = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

struct Case {
    name: &'static str,
    serve: Serve,
    check: fn(Target) -> Outcome,
}

fn case(name: &'static str, serve: Serve, check: fn(Target) -> Outcome) -> Case {
    Case { name, serve, check }
}

fn json(status: u16, body: impl Into<Vec<u8>>) -> Serve {
    Serve::Http(ResponseTemplate::new(status).set_body_raw(body.into(), "application/json"))
}

fn html(status: u16, body: impl Into<Vec<u8>>) -> Serve {
    Serve::Http(ResponseTemplate::new(status).set_body_raw(body.into(), "text/html"))
}

fn token(body: &str) -> Serve {
    Serve::Token(ResponseTemplate::new(200).set_body_raw(body.as_bytes(), "application/json"))
}

/// Checks that `got` failed cleanly with `kind` and a message of reasonable length.
fn failed<T: std::fmt::Debug>(
    got: bitrix24::Result<T>,
    kind: ErrorKind,
) -> Result<bitrix24::Error, String> {
    match got {
        Err(e) if e.kind() == kind => {
            let shown = e.to_string();
            if shown.chars().count() > 1_000 {
                return Err(format!("a {}-character message", shown.chars().count()));
            }
            Ok(e)
        }
        Err(e) => Err(format!("expected {kind:?}, got {:?}: {e}", e.kind())),
        Ok(v) => {
            let shown: String = format!("{v:?}").chars().take(300).collect();
            Err(format!("expected {kind:?}, got Ok({shown}…)"))
        }
    }
}

fn ensure(ok: bool, what: String) -> Result<(), String> {
    ok.then_some(()).ok_or(what)
}

/// `profile`, typed, must fail with `kind`.
macro_rules! profile_fails {
    ($kind:expr) => {
        |t: Target| -> Outcome {
            Box::pin(async move {
                failed(t.client.call::<Profile>("profile", &()).await, $kind).map(drop)
            })
        }
    };
}

/// `profile`, raw, succeeds; `$check` reads the answer's `time`, `next`, `total`.
macro_rules! profile_succeeds {
    (|$r:ident| $check:expr) => {
        |t: Target| -> Outcome {
            Box::pin(async move {
                let $r = t
                    .client
                    .call_raw("profile", &())
                    .await
                    .map_err(|e| format!("expected success, got {e}"))?;
                $check?;
                // The limiter saw the answer: a second call must neither panic nor wait.
                let again = tokio::time::timeout(
                    std::time::Duration::from_secs(10),
                    t.client.call_raw("profile", &()),
                )
                .await;
                ensure(
                    matches!(again, Ok(Ok(_))),
                    format!("second call: {again:?}"),
                )
            })
        }
    };
}

/// A `time` block with `bad` in every numeric field, beside an operating time close to the
/// cap: the shape of the confirmed panic.
fn hostile_time(bad: &str) -> String {
    format!(
        r#"{{"result":{{"ID":"1","ADMIN":true}},"time":{{"start":{bad},"finish":{bad},
        "duration":{bad},"processing":{bad},"operating":479.5,"operating_reset_at":{bad},
        "date_start":"2024-01-20T15:45:33+00:00"}}}}"#
    )
}

/// Every numeric field of `time` dropped; only the operating time (valid) and the date stay.
fn time_dropped(r: &bitrix24::Response<Value>) -> Result<(), String> {
    let t = r.time.as_ref().ok_or("no time block")?;
    let numbers = (
        t.start,
        t.finish,
        t.duration,
        t.processing,
        t.operating_reset_at,
    );
    ensure(
        numbers == (None, None, None, None, None) && t.operating == Some(479.5),
        format!("{t:?}"),
    )
}

/// A batch of one `profile` under key `me`, sent to the case's webhook, and its handle.
async fn batch_of_one(
    c: &Client,
) -> bitrix24::Result<(bitrix24::batch::BatchResults, Handle<Value>)> {
    let mut b = Batch::new();
    let me = b.push_call::<Value>("me", "profile", &());
    Ok((c.batch(b).await?, me))
}

fn cases() -> Vec<Case> {
    let deep_body = "[".repeat(100_000);
    let deep_result = format!(
        r#"{{"result":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let huge_html = format!("<html>{}</html>", "x".repeat(32 << 20));
    let huge_string = format!(
        r#"{{"result":{{"ID":"{}","ADMIN":1}}}}"#,
        "9".repeat(32 << 20)
    );
    vec![
        // Bodies that are no answer.
        case("broken_json", json(200, r#"{"result": {"ID": "1", "ADMIN": tr"#), profile_fails!(ErrorKind::Decode)),
        case("empty_body_200", json(200, ""), profile_fails!(ErrorKind::Decode)),
        case("empty_body_204", Serve::Http(ResponseTemplate::new(204)), profile_fails!(ErrorKind::Decode)),
        case("not_utf8", json(200, vec![0xff, 0xfe, b'{', 0x80]), profile_fails!(ErrorKind::Decode)),
        case("top_level_array", json(200, "[1,2,3]"), profile_fails!(ErrorKind::Decode)),
        case("top_level_string", json(200, r#""result""#), profile_fails!(ErrorKind::Decode)),
        case("no_result", json(200, r#"{"time":{"start":1}}"#), profile_fails!(ErrorKind::Decode)),
        case("html_200", html(200, "<html><body>Welcome</body></html>"), profile_fails!(ErrorKind::Decode)),
        case("html_404", html(404, "<html><body>Not Found</body></html>"), profile_fails!(ErrorKind::Decode)),
        case("html_500", html(500, "<html><body><h1>500 Internal Server Error</h1></body></html>"), |t| {
            Box::pin(async move {
                let e = failed(t.client.call::<Profile>("profile", &()).await, ErrorKind::Api)?;
                ensure(
                    e.code() == Some(&ApiErrorCode::InternalServerError) && e.status() == Some(500),
                    format!("{e}"),
                )
            })
        }),
        case("empty_body_502", json(502, ""), profile_fails!(ErrorKind::Api)),
        case("huge_html_page", html(200, huge_html), profile_fails!(ErrorKind::Decode)),
        case("huge_value_of_a_wrong_type", json(200, huge_string), profile_fails!(ErrorKind::Decode)),
        case("deep_nesting_body", json(200, deep_body), profile_fails!(ErrorKind::Decode)),
        case("deep_nesting_result", json(200, deep_result), profile_fails!(ErrorKind::Decode)),
        // Connections that break.
        case("closed_without_answer", Serve::Raw(b""), profile_fails!(ErrorKind::Transport)),
        case(
            "cut_mid_body",
            Serve::Raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"result\":"),
            profile_fails!(ErrorKind::Transport),
        ),
        case(
            "broken_chunking",
            Serve::Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n{}\r\n"),
            profile_fails!(ErrorKind::Transport),
        ),
        case("not_http", Serve::Raw(b"SSH-2.0-OpenSSH_9.2\r\n\r\n"), profile_fails!(ErrorKind::Transport)),
        case(
            "redirect_loop_302",
            Serve::Http(ResponseTemplate::new(302).insert_header("Location", "/rest/1/redirect_loop_302/profile")),
            // Never followed, so never a loop: one answer, reported as a redirect.
            profile_fails!(ErrorKind::InvalidInput),
        ),
        case(
            "redirect_loop_307",
            Serve::Http(ResponseTemplate::new(307).insert_header("Location", "/rest/1/redirect_loop_307/profile")),
            // Never followed, so never a loop: one answer, reported as a redirect.
            profile_fails!(ErrorKind::InvalidInput),
        ),
        // Numbers that are no numbers: `time` is read leniently (fields dropped)...
        case("time_nan_strings", json(200, hostile_time(r#""NaN""#)), profile_succeeds!(|r| time_dropped(&r))),
        case("time_inf_strings", json(200, hostile_time(r#""inf""#)), profile_succeeds!(|r| time_dropped(&r))),
        case("time_1e999_strings", json(200, hostile_time(r#""1e999""#)), profile_succeeds!(|r| time_dropped(&r))),
        case("time_negative", json(200, hostile_time("-1")), profile_succeeds!(|r| time_dropped(&r))),
        case("time_wrong_types", json(200, hostile_time("[{}]")), profile_succeeds!(|r| time_dropped(&r))),
        // ... but a bare 1e999 is not JSON a portal can send (PHP cannot encode INF).
        case("time_1e999_number", json(200, hostile_time("1e999")), profile_fails!(ErrorKind::Decode)),
        case(
            "time_not_an_object",
            json(200, r#"{"result":{"ID":"1","ADMIN":true},"time":"soon"}"#),
            profile_succeeds!(|r| ensure(r.time.is_none(), format!("{:?}", r.time))),
        ),
        case(
            "operating_nan",
            json(200, r#"{"result":1,"time":{"finish":1705765533,"operating":"NaN","operating_reset_at":1705765600}}"#),
            profile_succeeds!(|r| ensure(r.time.as_ref().is_some_and(|t| t.operating.is_none()), format!("{:?}", r.time))),
        ),
        // `total` informs: dropped. `next` drives paging: an error, never "no more pages".
        case(
            "total_nan",
            json(200, r#"{"result":[],"total":"NaN"}"#),
            profile_succeeds!(|r| ensure(r.total.is_none(), format!("{:?}", r.total))),
        ),
        case("total_minus_one", json(200, r#"{"result":[],"total":-1}"#), profile_succeeds!(|r| ensure(r.total.is_none(), format!("{:?}", r.total)))),
        case("next_nan", json(200, r#"{"result":[],"next":"NaN"}"#), profile_fails!(ErrorKind::Decode)),
        case("next_inf", json(200, r#"{"result":[],"next":"inf"}"#), profile_fails!(ErrorKind::Decode)),
        case("next_minus_one", json(200, r#"{"result":[],"next":-1}"#), profile_fails!(ErrorKind::Decode)),
        case("next_1e999", json(200, r#"{"result":[],"next":1e999}"#), profile_fails!(ErrorKind::Decode)),
        case("next_fraction", json(200, r#"{"result":[],"next":50.5}"#), profile_fails!(ErrorKind::Decode)),
        case("next_huge", json(200, r#"{"result":[],"next":1e300}"#), profile_fails!(ErrorKind::Decode)),
        case("next_object", json(200, r#"{"result":[],"next":{}}"#), profile_fails!(ErrorKind::Decode)),
        // Wrong types where the client reads a shape.
        case(
            "result_of_wrong_types",
            json(200, r#"{"result":{"ID":5,"ADMIN":"yes"}}"#),
            |t| Box::pin(async move {
                let e = failed(t.client.call::<Profile>("profile", &()).await, ErrorKind::Decode)?;
                ensure(e.to_string().contains("result.ID"), format!("names no path: {e}"))
            }),
        ),
        case(
            "error_of_wrong_types",
            json(400, r#"{"error":5,"error_description":["x"]}"#),
            |t| Box::pin(async move {
                let e = failed(t.client.call::<Profile>("profile", &()).await, ErrorKind::Api)?;
                ensure(e.code() == Some(&ApiErrorCode::Unknown("5".into())), format!("{:?}", e.code()))
            }),
        ),
        // `"error": null` is no error (JSON-RPC style servers and proxies send it).
        case(
            "error_null_with_result",
            json(200, r#"{"error":null,"result":1}"#),
            profile_succeeds!(|r| ensure(r.result == 1, format!("{:?}", r.result))),
        ),
        // Batch answers that do not match the batch.
        case(
            "batch_mismatched_keys",
            json(200, r#"{"result":{"result":{"somebody_else":{"ID":"1"}},"result_error":[],"result_total":[],"result_next":[],"result_time":[]}}"#),
            |t| Box::pin(async move {
                let (results, me) = batch_of_one(&t.client).await.map_err(|e| e.to_string())?;
                failed(results.get(&me), ErrorKind::Decode).map(drop)
            }),
        ),
        case("batch_result_not_an_object", json(200, r#"{"result":5}"#), |t| {
            Box::pin(async move { failed(batch_of_one(&t.client).await.map(drop), ErrorKind::Decode).map(drop) })
        }),
        case(
            "batch_hostile_numbers",
            json(200, r#"{"result":{"result":{"me":{"ID":"1"}},"result_error":{"me":5},"result_total":{"me":"NaN"},"result_next":{"me":-1},"result_time":{"me":{"start":"inf","finish":"NaN","operating":-5}}}}"#),
            |t| Box::pin(async move {
                let (results, me) = batch_of_one(&t.client).await.map_err(|e| e.to_string())?;
                let time = results.time(&me).ok_or("the time block is gone")?;
                let dropped = (results.total(&me), results.next(&me), time.start, time.finish, time.operating);
                ensure(dropped == (None, None, None, None, None), format!("{dropped:?}"))?;
                ensure(results.get(&me).is_ok(), "the result is still readable".into())
            }),
        ),
        // Hostile token answers (the OAuth server is the case's own wiremock).
        case(
            "token_hostile_numbers",
            token(r#"{"access_token":"a","refresh_token":"r","expires_in":"NaN","expires":-1,"user_id":"inf","member_id":"m"}"#),
            |t| Box::pin(async move {
                let r = oauth_app(&t.url).exchange_code(&SecretString::from("code")).await.map_err(|e| e.to_string())?;
                ensure((r.expires_in, r.expires, r.user_id) == (None, None, None), format!("{r:?}"))
            }),
        ),
        case("token_not_json", token("<html>login</html>"), |t| Box::pin(async move {
            failed(oauth_app(&t.url).exchange_code(&SecretString::from("code")).await, ErrorKind::Decode).map(drop)
        })),
        case("token_wrong_types", token(r#"{"access_token":5,"refresh_token":[]}"#), |t| Box::pin(async move {
            failed(oauth_app(&t.url).exchange_code(&SecretString::from("code")).await, ErrorKind::Decode).map(drop)
        })),
        // A valid token answer, but 8 MB long: refused before it is read to the end.
        case(
            "token_huge_body",
            token(&format!(r#"{{"access_token":"a","refresh_token":"r","scope":"{}"}}"#, "crm,".repeat(2 << 20))),
            |t| Box::pin(async move {
                let e = failed(oauth_app(&t.url).exchange_code(&SecretString::from("code")).await, ErrorKind::Decode)?;
                ensure(e.to_string().contains("longer than"), format!("{e}"))
            }),
        ),
        case(
            "token_redirect",
            Serve::Token(ResponseTemplate::new(302).insert_header("Location", "https://elsewhere.example/steal")),
            |t| Box::pin(async move {
                failed(oauth_app(&t.url).exchange_code(&SecretString::from("code")).await, ErrorKind::Decode).map(drop)
            }),
        ),
    ]
}

fn oauth_app(server: &str) -> OAuthApp {
    OAuthApp::new("app.id", SecretString::from("app-secret"), server)
        .and_then(|a| a.with_oauth_server(server))
        .expect("app")
}

/// A raw socket that answers every connection with `bytes` after the request head, then
/// closes: what an HTTP server library cannot send (cut bodies, broken framing, no answer).
async fn raw_server(bytes: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = socket.write_all(bytes).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn webhook_client(base: &str, case: &str) -> Client {
    Client::builder()
        .webhook(&format!("{base}/rest/1/{case}/"))
        .limits(RateLimits::off())
        .retry(RetryPolicy::none())
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_answer_gets_a_clean_outcome() {
    let server = Arc::new(MockServer::start().await);
    let cases = cases();
    assert!(
        cases.len() >= 27,
        "the issue's 27 hostile answers, at least"
    );
    let mut failures = Vec::new();
    let mut oauth_servers = Vec::new();
    for Case { name, serve, check } in cases {
        let url = match serve {
            Serve::Http(template) => {
                Mock::given(path_regex(format!("^/rest/1/{name}/")))
                    .respond_with(template)
                    .mount(&server)
                    .await;
                server.uri()
            }
            Serve::Raw(bytes) => raw_server(bytes).await,
            Serve::Token(template) => {
                let own = MockServer::start().await;
                Mock::given(path("/oauth/token/"))
                    .respond_with(template)
                    .mount(&own)
                    .await;
                let url = own.uri();
                oauth_servers.push(own);
                url
            }
        };
        let target = Target {
            client: webhook_client(&url, name),
            url,
        };
        match tokio::spawn(check(target)).await {
            Ok(Ok(())) => {}
            Ok(Err(why)) => failures.push(format!("{name}: {why}")),
            Err(join) if join.is_panic() => failures.push(format!("{name}: PANICKED")),
            Err(join) => failures.push(format!("{name}: {join}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
