//! HTML building blocks of the inspector: escaping (every value shown is user input), the page
//! frame, and the renderings of JSON (a tree of parameters, pretty answers, cut previews).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::fmt::Write;

/// The URL prefix of the inspector.
pub const BASE: &str = "/_sandbox/ui";

/// `s` escaped for HTML text and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` percent-encoded for a URL query value.
pub fn url(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The first `max` characters of `s`, with an ellipsis when cut.
pub fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Compact JSON, text as text (no `\u` escapes).
pub fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Pretty JSON, text as text.
pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A JSON value as a nested list: keys in bold, scalars as text.
pub fn tree(v: &Value) -> String {
    let mut out = String::new();
    tree_into(&mut out, v);
    out
}

fn tree_into(out: &mut String, v: &Value) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("<ul class=\"tree\">");
            for (k, v) in map {
                let _ = write!(out, "<li><span class=\"k\">{}</span>", esc(k));
                if matches!(v, Value::Object(m) if !m.is_empty())
                    || matches!(v, Value::Array(a) if !a.is_empty())
                {
                    tree_into(out, v);
                } else {
                    out.push_str(" <span class=\"v\">");
                    scalar_into(out, v);
                    out.push_str("</span>");
                }
                out.push_str("</li>");
            }
            out.push_str("</ul>");
        }
        Value::Array(items) if !items.is_empty() => {
            let map = items
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect();
            tree_into(out, &Value::Object(map));
        }
        other => scalar_into(out, other),
    }
}

fn scalar_into(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => {
            let _ = write!(out, "{}", esc(s));
        }
        Value::Object(_) | Value::Array(_) => out.push_str("<i>empty</i>"),
        other => {
            let _ = write!(out, "<i>{}</i>", esc(&other.to_string()));
        }
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS.mmm` UTC.
pub fn time(unix: f64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos((unix * 1e9) as i128) else {
        return unix.to_string();
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Headers every inspector answer carries: nothing cached, no framing, no referrer, and a
/// content policy that allows only the inspector's own script and style.
pub fn secure(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
             img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// The inspector's sections, for the navigation bar.
const NAV: [(&str, &str); 4] = [
    ("requests", "Requests"),
    ("crm", "CRM"),
    ("events", "Events"),
    ("budgets", "Budgets"),
];

/// A full page: navigation with `section` highlighted, then `body` (already HTML).
pub fn page(status: StatusCode, title: &str, section: &str, body: &str) -> Response {
    let mut nav = String::new();
    for (id, name) in NAV {
        let class = if id == section { " class=\"on\"" } else { "" };
        let _ = write!(nav, "<a href=\"{BASE}/{id}\"{class}>{name}</a>");
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title} · Bitrix24 sandbox</title>\
         <link rel=\"stylesheet\" href=\"{BASE}/assets/style.css\">\
         <script src=\"{BASE}/assets/app.js\" defer></script></head>\
         <body><header><b>Bitrix24 sandbox</b><nav>{nav}</nav></header><main>{body}</main>\
         </body></html>",
        title = esc(title)
    );
    bare(status, html)
}

/// An HTML answer without the frame.
pub fn bare(status: StatusCode, html: String) -> Response {
    let mut resp = (status, html).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure(resp)
}

/// The "see other" redirect after a form or the key.
pub fn redirect(location: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    secure(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("<script>\"x\"&'y'</script>"),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn tree_shows_text_as_text() {
        let t = tree(&json!({"fields": {"TITLE": "Лид <b>"}}));
        assert!(t.contains("Лид &lt;b&gt;"), "{t}");
        assert!(t.contains(">TITLE<"), "{t}");
    }

    #[test]
    fn cut_counts_characters() {
        assert_eq!(cut("Привет", 3), "При…");
        assert_eq!(cut("ab", 3), "ab");
    }
}
