//! The request log pages: the list with filters (new requests appear by polling
//! `api/requests`), one request in full (parameters as a tree, a batch's commands with their
//! results, the answer), the whole answer as JSON, and the export as JSON lines.

use crate::inspector::html::{self, compact, cut, esc, pretty, tree, url, BASE};
use crate::inspector::log::Entry;
use crate::php::form;
use crate::state::Portal;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::fmt::Write;
use std::sync::Arc;

/// Characters of parameters and answers shown in a list row.
const ROW_PREVIEW: usize = 160;
/// Characters of the pretty answer shown on the detail page before it is cut.
const DETAIL_ANSWER: usize = 20_000;
/// Characters of one batch command's result shown on the detail page.
const COMMAND_RESULT: usize = 2_000;

/// The filters of the list, from its query string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Part of the method name (case-insensitive).
    pub method: String,
    /// `2xx`, `4xx`, `5xx`, `error` (any error answer) or an exact status.
    pub status: String,
    /// Text anywhere in the path, caller, parameters or answer (case-insensitive).
    pub text: String,
}

impl Filter {
    /// Reads `method`, `status` and `q` from a query string.
    pub fn from_query(query: Option<&str>) -> Self {
        let p = form::parse_str(query.unwrap_or(""));
        let get = |k: &str| {
            p.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .trim()
                .to_string()
        };
        Self {
            method: get("method"),
            status: get("status"),
            text: get("q"),
        }
    }

    /// The filters as a query string (empty ones left out).
    pub fn query(&self) -> String {
        [
            ("method", &self.method),
            ("status", &self.status),
            ("q", &self.text),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url(v)))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// Whether `e` passes every filter.
    pub fn matches(&self, e: &Entry) -> bool {
        if !self.method.is_empty() && !contains_ci(&e.method, &self.method) {
            return false;
        }
        let status_ok = match self.status.to_ascii_lowercase().as_str() {
            "" => true,
            "error" => e.status != 200 || e.error.is_some(),
            s if s.len() == 3 && s.ends_with("xx") => e.status.to_string().starts_with(&s[..1]),
            s => s == e.status.to_string(),
        };
        if !status_ok {
            return false;
        }
        if self.text.is_empty() {
            return true;
        }
        let haystacks = [
            e.method.clone(),
            e.path.clone(),
            e.who.to_string(),
            e.error.clone().unwrap_or_default(),
            e.params.as_ref().map(compact).unwrap_or_default(),
            e.answer.as_ref().map(compact).unwrap_or_default(),
            e.answer_text.clone().unwrap_or_default(),
        ];
        haystacks.iter().any(|h| contains_ci(h, &self.text))
    }
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

fn status_class(status: u16) -> &'static str {
    match status / 100 {
        2 => "s2",
        4 => "s4",
        5 => "s5",
        _ => "s0",
    }
}

fn seconds(v: Option<f64>) -> String {
    v.map(|s| format!("{s:.3} s")).unwrap_or_default()
}

/// One row of the list (also sent to the polling script, already escaped).
pub fn row(e: &Entry) -> String {
    let params = e.params.as_ref().map(compact).unwrap_or_default();
    let answer = match (&e.error, &e.answer, &e.answer_text) {
        (Some(_), answer, _) => format!(
            "<span class=\"err\">{}</span>",
            esc(&error_line(answer.as_ref()))
        ),
        (None, Some(a), _) => esc(&cut(&compact(a), ROW_PREVIEW)),
        (None, None, Some(t)) => esc(&cut(t, ROW_PREVIEW)),
        (None, None, None) => String::new(),
    };
    let status = if e.status == 0 {
        "dropped".to_string()
    } else {
        e.status.to_string()
    };
    format!(
        "<tr data-id=\"{id}\"><td>{time}</td><td>{http}</td>\
         <td><a href=\"{BASE}/requests/{id}\">{method}</a></td><td>{who}</td>\
         <td class=\"{class}\">{status}</td><td>{dur:.1} ms</td><td>{op}</td>\
         <td class=\"p\">{params}</td><td class=\"a\">{answer}</td></tr>",
        id = e.id,
        time = esc(&html::time(e.at)),
        http = esc(&e.http_method),
        method = esc(&e.method),
        who = esc(&e.who.to_string()),
        class = status_class(e.status),
        dur = e.duration_ms,
        op = esc(&seconds(e.operating)),
        params = esc(&cut(&params, ROW_PREVIEW)),
    )
}

/// `GET /_sandbox/ui/requests`: the log, newest first.
pub async fn list(State(p): State<Arc<Portal>>, RawQuery(q): RawQuery) -> Response {
    let filter = Filter::from_query(q.as_deref());
    let all = p.requests.all();
    let last = all.last().map_or(0, |e| e.id);
    let shown: Vec<_> = all.iter().rev().filter(|e| filter.matches(e)).collect();
    let mut body = String::new();
    let _ = write!(
        body,
        "<form class=\"filters\" method=\"get\" action=\"{BASE}/requests\">\
         <label>Method <input name=\"method\" value=\"{m}\" placeholder=\"crm.lead\"></label>\
         <label>Status <input name=\"status\" value=\"{s}\" size=\"6\" placeholder=\"4xx, error\"></label>\
         <label>Text <input name=\"q\" value=\"{t}\" placeholder=\"anything\"></label>\
         <button>Filter</button> <a href=\"{BASE}/requests\">clear</a>\
         <span class=\"muted\">{n} of the last {cap} requests</span>\
         <a href=\"{BASE}/export.jsonl?{fq}\">export JSON lines</a></form>",
        m = esc(&filter.method),
        s = esc(&filter.status),
        t = esc(&filter.text),
        n = shown.len(),
        cap = p.requests.capacity(),
        fq = esc(&filter.query()),
    );
    let poll = format!("{BASE}/api/requests?{}", filter.query());
    let _ = write!(
        body,
        "<table id=\"log\" data-poll=\"{poll}\" data-last=\"{last}\"><thead><tr><th>Time \
         (sandbox clock, UTC)</th><th>HTTP</th><th>Method</th><th>Who</th><th>Status</th>\
         <th>Duration</th><th>Operating</th><th>Parameters</th><th>Answer</th></tr></thead><tbody>",
        poll = esc(&poll),
    );
    if shown.is_empty() {
        body.push_str(
            "<tr id=\"empty\"><td colspan=\"9\" class=\"muted\">No requests yet: call the \
             portal and they appear here.</td></tr>",
        );
    }
    for e in shown {
        body.push_str(&row(e));
    }
    body.push_str("</tbody></table>");
    html::page(StatusCode::OK, "Requests", "requests", &body)
}

/// `GET /_sandbox/ui/api/requests?after=ID&…`: rows newer than `after` that pass the filters,
/// newest first, rendered, and the newest id.
pub async fn poll(State(p): State<Arc<Portal>>, RawQuery(q): RawQuery) -> Response {
    let filter = Filter::from_query(q.as_deref());
    let after = form::parse_str(q.as_deref().unwrap_or(""))
        .get("after")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    let newer = p.requests.after(after);
    let last = newer.last().map_or(after, |e| e.id);
    let rows: String = newer
        .iter()
        .rev()
        .filter(|e| filter.matches(e))
        .map(|e| row(e))
        .collect();
    html::secure(axum::Json(json!({"last": last, "rows": rows})).into_response())
}

fn not_kept(id: &str) -> Response {
    html::page(
        StatusCode::NOT_FOUND,
        "Not kept",
        "requests",
        &format!(
            "<p>Request {} is not in the log (it holds the last requests only).</p>",
            esc(id)
        ),
    )
}

/// `GET /_sandbox/ui/requests/{id}`: one request in full.
pub async fn detail(State(p): State<Arc<Portal>>, Path(id): Path<String>) -> Response {
    let Some(e) = id.parse::<u64>().ok().and_then(|n| p.requests.get(n)) else {
        return not_kept(&id);
    };
    let mut body = format!(
        "<h1>{} <span class=\"muted\">#{}</span></h1>",
        esc(&e.method),
        e.id
    );
    let status = if e.status == 0 {
        "connection dropped".to_string()
    } else {
        e.status.to_string()
    };
    let _ = write!(
        body,
        "<section><table>\
         <tr><th>Time (sandbox clock, UTC)</th><td>{time}</td></tr>\
         <tr><th>Request</th><td>{http} {path}</td></tr>\
         <tr><th>Who</th><td>{who}</td></tr>\
         <tr><th>Status</th><td class=\"{class}\">{status}</td></tr>\
         <tr><th>Error</th><td class=\"err\">{error}</td></tr>\
         <tr><th>Duration</th><td>{dur:.1} ms</td></tr>\
         <tr><th>Processing</th><td>{proc}</td></tr>\
         <tr><th>Operating (this caller and method, last 10 min)</th><td>{op}</td></tr>\
         </table></section>",
        time = esc(&html::time(e.at)),
        http = esc(&e.http_method),
        path = esc(&e.path),
        who = esc(&e.who.to_string()),
        class = status_class(e.status),
        error = esc(&error_line(e.answer.as_ref())),
        dur = e.duration_ms,
        proc = esc(&seconds(e.processing)),
        op = esc(&seconds(e.operating)),
    );
    body.push_str("<section><h2>Parameters</h2>");
    match &e.params {
        Some(v) => body.push_str(&tree(v)),
        None => body.push_str(
            "<p class=\"muted\">Not read: the request was refused before its body was read.</p>",
        ),
    }
    body.push_str("</section>");
    if e.is_batch() {
        body.push_str(&batch_commands(&e));
    }
    body.push_str("<section><h2>Answer</h2>");
    if let Some(a) = &e.answer {
        let text = pretty(a);
        if text.chars().count() > DETAIL_ANSWER {
            let _ = write!(
                body,
                "<p>Cut at {DETAIL_ANSWER} characters: <a href=\"{BASE}/requests/{}/answer.json\">\
                 the whole answer</a>.</p>",
                e.id
            );
        }
        let _ = write!(body, "<pre>{}</pre>", esc(&cut(&text, DETAIL_ANSWER)));
    }
    if let Some(t) = &e.answer_text {
        let _ = write!(body, "<pre>{}</pre>", esc(t));
    }
    body.push_str("</section>");
    html::page(StatusCode::OK, &e.method, "requests", &body)
}

fn error_line(answer: Option<&Value>) -> String {
    let Some(a) = answer else {
        return String::new();
    };
    match (
        a.get("error").and_then(Value::as_str),
        a.get("error_description").and_then(Value::as_str),
    ) {
        (Some(""), Some(d)) => format!("(empty error code): {d}"),
        (Some(code), Some(d)) if !d.is_empty() => format!("{code}: {d}"),
        (Some(code), _) => code.to_string(),
        _ => String::new(),
    }
}

/// A batch's commands, each with its decoded parameters and its result or error.
fn batch_commands(e: &Entry) -> String {
    let cmd = e
        .params
        .as_ref()
        .and_then(|p| {
            p.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("cmd"))
                .map(|(_, v)| v.clone())
        })
        .unwrap_or(Value::Null);
    let result = e.answer.as_ref().and_then(|a| a.get("result"));
    let part = |name: &str, key: &str| result.and_then(|r| r.get(name)).and_then(|m| m.get(key));
    let mut out = String::from(
        "<section><h2>Batch commands</h2><table><thead><tr><th>Key</th><th>Method</th>\
         <th>Parameters</th><th>Result or error</th></tr></thead><tbody>",
    );
    for (key, command) in crate::php::value::entries(&cmd) {
        let Some(command) = command.as_str() else {
            continue;
        };
        let (method, query) = command.split_once('?').unwrap_or((command, ""));
        let params = Value::Object(form::parse_str(query));
        let outcome = match (part("result_error", &key), part("result", &key)) {
            (Some(err), _) => format!("<span class=\"err\">{}</span>", esc(&error_line(Some(err)))),
            (None, Some(r)) => format!("<pre>{}</pre>", esc(&cut(&pretty(r), COMMAND_RESULT))),
            (None, None) => "<span class=\"muted\">not run</span>".into(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{outcome}</td></tr>",
            esc(&key),
            esc(method.trim()),
            tree(&params),
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

/// `GET /_sandbox/ui/requests/{id}/answer.json`: the whole (masked) answer.
pub async fn answer(State(p): State<Arc<Portal>>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>().ok().and_then(|n| p.requests.get(n)) {
        Some(e) => {
            let v = e
                .answer
                .clone()
                .unwrap_or_else(|| json!({"text": e.answer_text}));
            html::secure(axum::Json(v).into_response())
        }
        None => not_kept(&id),
    }
}

/// `GET /_sandbox/ui/export.jsonl`: the log (filtered as the list) as JSON lines, oldest
/// first, for a bug report.
pub async fn export(State(p): State<Arc<Portal>>, RawQuery(q): RawQuery) -> Response {
    let filter = Filter::from_query(q.as_deref());
    let mut out = String::new();
    for e in p.requests.all().iter().filter(|e| filter.matches(e)) {
        if let Ok(line) = serde_json::to_string(&**e) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"sandbox-requests.jsonl\""),
    );
    html::secure(resp)
}
