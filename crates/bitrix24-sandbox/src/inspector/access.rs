//! Who may see the inspector: only a browser that knows the admin key. `?key=KEY` on any
//! inspector URL sets a cookie (HttpOnly, SameSite=Strict, holding a digest of the key, not the
//! key) and redirects to the same URL without the key; without the cookie every page is one
//! asking for the key and shows nothing else. Forms that change state are POSTs, which the
//! SameSite cookie already keeps from other sites; the `Origin` header is checked as well.

use super::html::{self, esc, BASE};
use crate::http::admin::constant_time_eq;
use crate::state::Portal;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use md5::{Digest, Md5};
use std::sync::Arc;

/// The cookie's name.
pub const COOKIE: &str = "b24_sandbox_inspector";

/// The cookie value for `key`: a digest, so the browser never stores the key itself.
pub fn cookie_value(key: &str) -> String {
    let mut h = Md5::new();
    h.update(b"bitrix24-sandbox inspector|");
    h.update(key.as_bytes());
    hex::encode(h.finalize())
}

/// The guard of every inspector route.
pub async fn guard(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
    let Some(key) = portal.config.admin_key.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Some(given) = key_param(req.uri().query()) {
        if !constant_time_eq(given.as_bytes(), key.as_bytes()) {
            return key_page(Some("That key is not the sandbox's admin key."));
        }
        let mut resp = html::redirect(&clean_url(req.uri().path(), req.uri().query()));
        let cookie = format!(
            "{COOKIE}={}; Path={BASE}/; HttpOnly; SameSite=Strict",
            cookie_value(key)
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            resp.headers_mut().insert(header::SET_COOKIE, v);
        }
        return resp;
    }
    let expected = cookie_value(key);
    let known = cookie(req.headers(), COOKIE)
        .is_some_and(|c| constant_time_eq(c.as_bytes(), expected.as_bytes()));
    if !known {
        return key_page(None);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD && !same_origin(req.headers()) {
        return html::page(
            StatusCode::FORBIDDEN,
            "Refused",
            "",
            "<p class=\"err\">This form was not sent from the inspector's own page (the Origin \
             header is missing or names another site).</p>",
        );
    }
    next.run(req).await
}

/// The guard of the assets: they hold no data, so they need no key, but like every inspector
/// URL they exist only when the sandbox has an admin key.
pub async fn only_with_key(
    State(portal): State<Arc<Portal>>,
    req: Request,
    next: Next,
) -> Response {
    if portal.config.admin_key.is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    next.run(req).await
}

/// The page shown without the key: a form asking for it, and nothing else.
fn key_page(problem: Option<&str>) -> Response {
    let problem = problem
        .map(|p| format!("<p class=\"err\">{}</p>", esc(p)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Sandbox inspector</h1>{problem}\
         <p>Enter the admin key the sandbox was started with (<code>--admin-key</code>), or open \
         this page with <code>?key=KEY</code>.</p>\
         <form method=\"get\"><input type=\"password\" name=\"key\" autofocus \
         autocomplete=\"off\"> <button>Open</button></form>"
    );
    html::page(StatusCode::UNAUTHORIZED, "Key needed", "", &body)
}

/// The `key` query parameter, decoded.
fn key_param(query: Option<&str>) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == "key").then(|| crate::php::form::url_decode(v))
    })
}

/// `path` with the query minus its `key` parameter.
fn clean_url(path: &str, query: Option<&str>) -> String {
    let rest: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && *p != "key" && !p.starts_with("key="))
        .collect();
    if rest.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", rest.join("&"))
    }
}

/// A cookie's value from the `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// True when the `Origin` header names the host the request was sent to.
fn same_origin(headers: &HeaderMap) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(o), Some(h)) => o
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(h)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_url_drops_only_the_key() {
        assert_eq!(clean_url("/x", Some("key=abc")), "/x");
        assert_eq!(clean_url("/x", Some("q=1&key=abc&s=2")), "/x?q=1&s=2");
        assert_eq!(clean_url("/x", None), "/x");
    }

    #[test]
    fn origin_must_match_the_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8024"));
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.test"));
        assert!(!same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8024"),
        );
        assert!(same_origin(&h));
    }
}
