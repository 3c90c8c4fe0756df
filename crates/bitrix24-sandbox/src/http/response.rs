//! Building the portal's answers: the JSON (or XML) envelope, error bodies, the proxy's HTML
//! pages, and the dropped connection.

use crate::error::ApiError;
use crate::methods::dispatch::Answer;
use crate::php::json;
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// The success envelope: `result`, then `next` and `total` when set, then `time`.
pub fn envelope(answer: Answer) -> Value {
    let mut m = Map::new();
    // Moved, not cloned: an export's batch answer is a tree of thousands of rows.
    m.insert("result".into(), answer.output.result);
    if let Some(next) = answer.output.next {
        m.insert("next".into(), Value::from(next));
    }
    if let Some(total) = answer.output.total {
        m.insert("total".into(), Value::from(total));
    }
    m.insert("time".into(), answer.time);
    Value::Object(m)
}

/// A JSON (or XML) response with the portal's headers.
pub fn body(status: u16, value: &Value, xml: bool) -> Response {
    let (text, ctype) = if xml {
        (crate::http::response::xml(value), "text/xml; charset=utf-8")
    } else {
        (json::encode(value), "application/json; charset=utf-8")
    };
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        text,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "X-Content-Type-Options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// An error answer.
pub fn error(err: &ApiError, xml: bool) -> Response {
    body(err.status, &err.body(), xml)
}

/// An HTML page as nginx sends it, e.g. for 500 or 413.
pub fn html(status: StatusCode, page: &'static str) -> Response {
    let mut resp = (status, page).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    resp
}

/// nginx's page for a body over the size limit.
pub const HTML_413: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n\
<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";

/// A response whose body fails before the first byte: hyper closes the connection without
/// sending a status line, so the client sees the connection drop after the write committed.
pub fn dropped_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "sandbox fault: connection dropped after commit",
        ))
    });
    Response::new(Body::from_stream(stream))
}

/// The XML transport: `<response>` mirrors the JSON structure, integer keys become `<item>`.
pub fn xml(value: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><response>");
    xml_children(&mut out, value);
    out.push_str("</response>");
    out
}

fn xml_children(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let tag = if k.parse::<i64>().is_ok() || k.is_empty() {
                    "item".to_string()
                } else {
                    k.chars()
                        .map(|c| {
                            if c.is_alphanumeric() || c == '_' {
                                c
                            } else {
                                '_'
                            }
                        })
                        .collect()
                };
                out.push('<');
                out.push_str(&tag);
                out.push('>');
                xml_children(out, v);
                out.push_str("</");
                out.push_str(&tag);
                out.push('>');
            }
        }
        Value::Array(items) => {
            for v in items {
                out.push_str("<item>");
                xml_children(out, v);
                out.push_str("</item>");
            }
        }
        Value::String(s) => escape_into(out, s),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) | Value::Null => {}
        Value::Number(n) => out.push_str(&n.to_string()),
    }
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}
