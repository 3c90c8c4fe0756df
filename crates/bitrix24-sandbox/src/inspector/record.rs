//! Recording REST requests into the portal's [`super::log::RequestLog`]: a middleware around
//! `/rest/…` sees the request line, the headers, the status, the time taken and the answer; the
//! REST handler fills a [`Slot`] with what only it knows (the decoded parameters and the
//! authenticated caller). Everything is masked before the entry is stored.

use super::log::{Entry, Who};
use super::mask::{self, Secrets};
use crate::auth::{Caller, CallerKind};
use crate::http::request::rest_path;
use crate::http::response::dropped_connection;
use crate::state::Portal;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use rusqlite::Connection;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Answers larger than this are kept only as the start of their text (a note says so).
pub const MAX_KEPT_ANSWER: usize = 256 * 1024;
/// Non-JSON answers (HTML pages, XML) are kept up to this many bytes.
const MAX_KEPT_TEXT: usize = 64 * 1024;

/// What the REST handler found out about a request, for its log entry. Cheap to clone (a
/// shared cell); present in the request's extensions only while the log is on.
#[derive(Debug, Clone, Default)]
pub struct Slot(Arc<Mutex<Found>>);

#[derive(Debug, Default)]
struct Found {
    params: Option<Value>,
    secrets: Secrets,
    who: Option<Who>,
}

impl Slot {
    /// Records the decoded parameters (masked at once; the secrets they held are kept only to
    /// scrub the rest of the entry).
    pub fn params(&self, params: &Map<String, Value>) {
        let mut value = Value::Object(params.clone());
        let mut found = self.lock();
        found.secrets.collect(&value);
        mask::value(&mut value, &found.secrets);
        found.params = Some(value);
    }

    /// Records the authenticated caller (`db` is the call's connection, for the app's
    /// `client_id`).
    pub fn caller(&self, db: &Connection, caller: &Caller) {
        let who = match caller.kind {
            CallerKind::Webhook { id } => Who::Webhook {
                webhook_id: id,
                user_id: caller.user_id,
            },
            CallerKind::App { app_id } => Who::App {
                client_id: db
                    .query_row("SELECT client_id FROM apps WHERE id = ?1", [app_id], |r| {
                        r.get(0)
                    })
                    .unwrap_or_else(|_| format!("app #{app_id}")),
                user_id: caller.user_id,
            },
        };
        self.lock().who = Some(who);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Found> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The middleware of `/rest/…`: runs the request and logs it.
pub async fn middleware(
    State(portal): State<Arc<Portal>>,
    mut req: Request,
    next: Next,
) -> Response {
    if !portal.requests.enabled() {
        return next.run(req).await;
    }
    let started = Instant::now();
    let at = portal.clock.now();
    let http_method = req.method().to_string();
    let raw_path = req.uri().path().to_string();
    let mut secrets = Secrets::default();
    let route = raw_path.strip_prefix("/rest/").and_then(rest_path);
    if let Some((_, secret)) = route.as_ref().and_then(|r| r.webhook.as_ref()) {
        secrets.add(secret);
    }
    if let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        secrets.add(value);
        if let Some((_, token)) = value.split_once(' ') {
            secrets.add(token);
        }
    }
    let slot = Slot::default();
    req.extensions_mut().insert(slot.clone());

    let response = next.run(req).await;
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;

    let found = std::mem::take(&mut *slot.lock());
    secrets.extend(&found.secrets);
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    let (status, answer, answer_text) = match &bytes {
        Err(_) => (
            0,
            None,
            Some("connection dropped after the call committed (fault drop_after_commit)".into()),
        ),
        // A big answer (an export's 2,500-row batch is over a megabyte) is kept as the start
        // of its text: parsing and holding every one would cost the sandbox more CPU and
        // memory than answering it (a ring of 1,000 such entries is gigabytes).
        Ok(b) if b.len() > MAX_KEPT_ANSWER => {
            // Masked whole, then cut: a cut first could split a secret and leave its start.
            let mut text = mask::text(&String::from_utf8_lossy(b), &secrets);
            let mut end = MAX_KEPT_TEXT.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            (
                parts.status.as_u16(),
                None,
                Some(format!(
                    "{text}\n… answer of {} bytes cut at {MAX_KEPT_TEXT} (whole answers are kept \
                     up to {MAX_KEPT_ANSWER})",
                    b.len()
                )),
            )
        }
        Ok(b) => {
            let parsed = if is_json {
                serde_json::from_slice::<Value>(b).ok()
            } else {
                None
            };
            match parsed {
                Some(mut v) => {
                    mask::value(&mut v, &secrets);
                    (parts.status.as_u16(), Some(v), None)
                }
                None => {
                    let cut = &b[..b.len().min(MAX_KEPT_TEXT)];
                    let text = mask::text(&String::from_utf8_lossy(cut), &secrets);
                    (parts.status.as_u16(), None, Some(text))
                }
            }
        }
    };
    let mut params = found.params;
    if let Some(p) = params.as_mut() {
        // The path and header secrets may appear in the parameters too.
        mask::value(p, &secrets);
    }
    let time = answer.as_ref().and_then(|a| a.get("time"));
    let number = |key: &str| time.and_then(|t| t.get(key)).and_then(Value::as_f64);
    let entry = Entry {
        id: 0,
        at,
        http_method,
        path: mask::text(&mask::path(&raw_path), &secrets),
        method: route.map_or_else(|| "(no route)".to_string(), |r| r.method),
        who: found.who.unwrap_or(Who::Unknown),
        status,
        duration_ms,
        processing: number("processing"),
        operating: number("operating"),
        error: answer
            .as_ref()
            .and_then(|a| a.get("error"))
            .and_then(Value::as_str)
            .map(str::to_string),
        params,
        answer,
        answer_text,
    };
    portal.requests.push(entry);
    match bytes {
        Ok(b) => Response::from_parts(parts, Body::from(b)),
        Err(_) => dropped_connection(),
    }
}
