//! The OAuth endpoints: `/oauth/authorize/` (consent page) and `/oauth/token/`.
//!
//! On the real cloud these live on two hosts: the portal shows the consent page and
//! `oauth.bitrix.info` issues tokens. The sandbox is both, so `server_domain` in the redirect
//! is the sandbox's own `host:port` as the client addressed it (the `Host` header), and
//! `server_endpoint` is `{that}/rest/` (the real one is `https://oauth.bitrix.info/rest/`,
//! which serves the OAuth server's own methods). The portal itself is named the same way
//! everywhere: `domain` in the redirect, `domain` and `client_endpoint` in the token answer and
//! in event payloads all come from the portal's domain (by default its listening `host:port`),
//! so a client that builds `https://{domain}/rest/` from the redirect reaches the portal.

use super::{consent, request, response, Https};
use crate::auth::consent::{self as grant_page, Consent, ConsentError};
use crate::auth::oauth::{self, GrantError, Granted, TokenRequest};
use crate::fleet::Fleet;
use crate::php::value::as_string;
use crate::state::Portal;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// OAuth routes. Both endpoints answer with and without the trailing slash, and accept GET
/// (the documented form) as well as POST.
pub fn routes() -> Router<Arc<Portal>> {
    Router::new()
        .route(
            "/oauth/authorize/",
            get(authorize_page).post(authorize_answer),
        )
        .route(
            "/oauth/authorize",
            get(authorize_page).post(authorize_answer),
        )
        .route("/oauth/token/", get(token).post(token))
        .route("/oauth/token", get(token).post(token))
}

/// `GET /oauth/authorize/?client_id=…&state=…[&user_id=N]`: the consent page.
async fn authorize_page(State(portal): State<Arc<Portal>>, uri: Uri) -> Response {
    let params = request::params(uri.query(), None, &[]);
    let client_id = text(&params, "client_id");
    let state = text(&params, "state").unwrap_or_default();
    let user_id = text(&params, "user_id");
    let outcome = blocking(move || {
        let db = portal.db();
        let consent = grant_page::resolve(&db, client_id.as_deref(), user_id.as_deref())?;
        let token = grant_page::page_token(&db, &consent, &state, portal.unix())?;
        Ok(consent::page(&consent, &state, &token))
    })
    .await;
    match outcome {
        Ok(page) => html(page),
        Err(err) => html(consent::error(&err.0)),
    }
}

/// `POST /oauth/authorize/`: the answer of the consent form. Allow redirects to the app's
/// `redirect_uri` with the code; Deny and every failure show an error page and never
/// redirect, as the real portal does (protocol.md §1b).
async fn authorize_answer(
    State(portal): State<Arc<Portal>>,
    uri: Uri,
    headers: HeaderMap,
    https: Option<Extension<Https>>,
    body: Bytes,
) -> Response {
    let params = request::params(uri.query(), content_type(&headers).as_deref(), &body);
    if text(&params, "decision").as_deref() != Some("allow") {
        return html(consent::error("Access to the portal was denied."));
    }
    let client_id = text(&params, "client_id");
    let state = text(&params, "state").unwrap_or_default();
    let user_id = text(&params, "user_id");
    let page_token = text(&params, "token").unwrap_or_default();
    let member_id = portal.config.member_id.clone();
    let domain = portal.config.domain.clone();
    let host = own_host(&headers, &uri, &portal, https.is_some()).0;
    let outcome = blocking(move || {
        let db = portal.db();
        let consent = grant_page::resolve(&db, client_id.as_deref(), user_id.as_deref())?;
        let now = portal.unix();
        grant_page::check_token(&db, &consent, &state, &page_token, now)?;
        let code = oauth::in_transaction(&db, |conn| {
            grant_page::allow(conn, &consent, now).map_err(ConsentError::from)
        })?;
        Ok((consent, code))
    })
    .await;
    let (consent, code) = match outcome {
        Ok(v) => v,
        Err(err) => return html(consent::error(&err.0)),
    };
    if consent.redirect_uri.is_empty() {
        // An app without a redirect URI gets the code shown for copying (settings/oauth).
        return html(consent::code(&code));
    }
    // The keys and their order follow the docs' example redirect (protocol.md §1b); `domain`
    // is the portal (`config.domain`, what apps see everywhere), `server_domain` the OAuth
    // server, i.e. this sandbox.
    let state = text(&params, "state").unwrap_or_default();
    let query = [
        ("code", code.as_str()),
        ("state", state.as_str()),
        ("domain", domain.as_str()),
        ("member_id", member_id.as_str()),
        ("scope", consent.scope.as_str()),
        ("server_domain", host.as_str()),
    ];
    redirect(&consent, &query)
}

/// `/oauth/token/`: `authorization_code` and `refresh_token` grants.
async fn token(
    State(portal): State<Arc<Portal>>,
    uri: Uri,
    headers: HeaderMap,
    https: Option<Extension<Https>>,
    fleet: Option<Extension<Arc<Fleet>>>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Response {
    let fleet = fleet.map(|Extension(f)| f);
    // As in the REST limiter: a router served without connect info counts as 0.0.0.0.
    let source = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |Extension(c)| c.0.ip());
    // Injected latency (fault `only_methods: ["oauth.token"]`) is waited out BEFORE anything is
    // processed: a client that drops the connection meanwhile cancels this handler, so a
    // refresh killed in flight rotates nothing (what the client's crash test relies on).
    // Every attempt counts, including the ones that fail or are cancelled.
    portal.stats.count_token_request(source);
    let (_, latency) = portal.faults.decide("oauth.token");
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let params = request::params(uri.query(), content_type(&headers).as_deref(), &body);
    let (_, base) = own_host(&headers, &uri, &portal, https.is_some());
    let worker = portal.clone();
    let others = fleet.map(|f| f.others(&portal)).unwrap_or_default();
    let outcome = tokio::task::spawn_blocking(move || {
        let req = TokenRequest::from_params(&params)?;
        match grant_on(&worker, &req) {
            // The fleet shares one OAuth server: a code or refresh token this portal does not
            // know may be another portal's (nothing was written here: the grant rolled back).
            Err(own) if own.error == "invalid_client" || own.error == "invalid_grant" => {
                let mut best = own;
                for other in others {
                    match grant_on(&other, &req) {
                        Ok(granted) => return Ok((granted, other)),
                        // The OAuth server knows every portal's apps: a portal that knows the
                        // client tells better what is wrong with the grant.
                        Err(e) if best.error == "invalid_client" => best = e,
                        Err(_) => {}
                    }
                }
                Err(best)
            }
            result => result.map(|g| (g, worker)),
        }
    })
    .await
    .unwrap_or_else(|join| {
        tracing::error!(error = %join, "token task failed");
        Err(GrantError::server_error())
    });
    let (status, body) = match outcome {
        Ok((granted, owner)) => (200, token_body(&granted, &owner, &base)),
        Err(err) => (
            err.status,
            json!({"error": err.error, "error_description": err.description}),
        ),
    };
    let mut resp = response::body(status, &body, false);
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

/// Runs one grant on `portal`'s data.
fn grant_on(portal: &Portal, req: &TokenRequest) -> Result<Granted, GrantError> {
    let db = portal.db();
    // One write transaction per grant: the portal lock and BEGIN IMMEDIATE serialise
    // concurrent refreshes of one token, so only the first can consume it.
    oauth::in_transaction(&db, |conn| oauth::exchange(conn, req, portal.unix()))
}

/// The token answer, fields in the order of the docs' example (protocol.md §1b).
fn token_body(granted: &Granted, portal: &Portal, base: &str) -> Value {
    let t = &granted.tokens;
    json!({
        "access_token": t.access_token,
        "expires": t.expires,
        "expires_in": oauth::ACCESS_TTL,
        "scope": t.scope,
        "domain": portal.config.domain,
        "server_endpoint": format!("{base}/rest/"),
        "status": granted.status,
        "client_endpoint": portal.config.client_endpoint(),
        "member_id": portal.config.member_id,
        "user_id": t.user_id,
        "refresh_token": t.refresh_token,
    })
}

/// 302 to the app's redirect URI (from the app row, never from the request) plus `query`.
fn redirect(consent: &Consent, query: &[(&str, &str)]) -> Response {
    let (target, fragment) = match consent.redirect_uri.split_once('#') {
        Some((t, f)) => (t, Some(f)),
        None => (consent.redirect_uri.as_str(), None),
    };
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    let sep = if target.contains('?') { '&' } else { '?' };
    let mut location = format!("{target}{sep}{}", pairs.join("&"));
    if let Some(f) = fragment {
        location.push('#');
        location.push_str(f);
    }
    match HeaderValue::from_str(&location) {
        Ok(value) => {
            let mut resp = StatusCode::FOUND.into_response();
            resp.headers_mut().insert(header::LOCATION, value);
            resp
        }
        Err(_) => html(consent::error(
            "The application's redirect_uri is not a valid URL.",
        )),
    }
}

/// PHP `urlencode`: everything but letters, digits and `-_.` is escaped (space as `%20` is
/// equivalent for every query parser and avoids the `+` ambiguity).
fn urlencode(value: &str) -> String {
    const SET: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');
    utf8_percent_encode(value, SET).to_string()
}

/// `(host:port, scheme://host:port)` of the sandbox as the client addressed it.
fn own_host(headers: &HeaderMap, uri: &Uri, portal: &Portal, https: bool) -> (String, String) {
    let valid = |h: &str| {
        !h.is_empty()
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| valid(h))
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| portal.config.domain.clone());
    let scheme = if https { "https" } else { "http" };
    let base = format!("{scheme}://{host}");
    (host, base)
}

fn text(params: &Map<String, Value>, key: &str) -> Option<String> {
    params.get(key).and_then(as_string)
}

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Runs database work off the async threads; a failed task becomes an error page.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ConsentError> + Send + 'static,
) -> Result<T, ConsentError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|join| {
        tracing::error!(error = %join, "consent task failed");
        Err(ConsentError("Internal error of the sandbox.".into()))
    })
}

fn html(page: String) -> Response {
    let mut resp = (StatusCode::OK, page).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}
