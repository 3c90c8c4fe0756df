//! `/rest/{method}` and `/rest/{user}/{secret}/{method}`: the order of checks decides which
//! error a client sees first, and follows the cloud: the rate limiter and proxy faults in front
//! of PHP, then the method lookup (404 before auth), then auth, then the method.

use super::request::{self, RestPath};
use super::response;
use super::Https;
use crate::auth::{self, Credentials, WebhookPath};
use crate::error::ApiError;
use crate::faults::{Injected, HTML_500};
use crate::inspector::record::Slot;
use crate::limits::bucket::query_limit_exceeded;
use crate::methods::dispatch::{self, Answer, Mode};
use crate::methods::{Effects, MethodSpec};
use crate::state::{Portal, ReadDb};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, Extensions, HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// Handles one REST request.
pub async fn handle(
    State(portal): State<Arc<Portal>>,
    Path(path): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    extensions: Extensions,
    body: Body,
) -> Response {
    let Some(route) = request::rest_path(&path) else {
        portal.stats.count("(no route)");
        return response::error(&ApiError::method_not_found(), false);
    };
    portal.stats.count(&route.method);
    if let Err(err) = portal
        .rate
        .admit(source_ip(&extensions), portal.clock.now())
    {
        return response::error(&err, route.xml);
    }
    let (injected, latency) = portal.faults.decide(&route.method);
    match injected {
        Injected::QueryLimit => return response::error(&query_limit_exceeded(), route.xml),
        Injected::Html500 => {
            return response::html(StatusCode::INTERNAL_SERVER_ERROR, HTML_500);
        }
        Injected::None => {}
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let bytes = if method == Method::POST || method == Method::PUT {
        match axum::body::to_bytes(body, portal.config.max_body_bytes).await {
            Ok(b) => b,
            Err(_) => {
                return response::html(StatusCode::PAYLOAD_TOO_LARGE, response::HTML_413);
            }
        }
    } else {
        Default::default()
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let creds = Credentials {
        webhook: route
            .webhook
            .clone()
            .map(|(user, secret)| WebhookPath { user, secret }),
        bearer: bearer(&headers),
        https: extensions.get::<Https>().is_some(),
    };
    let query = uri.query().map(str::to_string);
    let xml = route.xml;
    let method_name = route.method.clone();
    let extra_seconds = latency.as_secs_f64();
    let worker = portal.clone();
    // Present while the inspector's request log is on.
    let slot = extensions.get::<Slot>().cloned();
    let outcome = tokio::task::spawn_blocking(move || {
        let params = request::params(query.as_deref(), content_type.as_deref(), &bytes);
        if let Some(s) = &slot {
            s.params(&params);
        }
        execute(&worker, &route, creds, params, extra_seconds, slot.as_ref())
    })
    .await;
    let (result, effects) = match outcome {
        Ok(v) => v,
        Err(join) => {
            tracing::error!(error = %join, "method task failed");
            let err = ApiError::new(500, "INTERNAL_SERVER_ERROR", "Internal server error");
            return response::error(&err, xml);
        }
    };
    for note in &effects.notes {
        tracing::info!(method = %method_name, "{note}");
    }
    crate::events::after_commit(&portal, effects.events);
    match result {
        Ok(answer) => {
            if portal.faults.drops_after_commit(&method_name) {
                tracing::info!(method = %method_name, "fault: committed, dropping the connection");
                return response::dropped_connection();
            }
            response::body(200, &response::envelope(answer), xml)
        }
        Err(err) => response::error(&err, xml),
    }
}

/// Runs the method inside one transaction; returns its answer and what it left behind. A
/// request of reads only ([`is_read`]) runs on a read-only connection in a deferred
/// transaction, so it neither waits for the writer nor holds it up; everything else takes the
/// writer with `BEGIN IMMEDIATE`. Authentication only reads, so it runs on either.
fn execute(
    portal: &Portal,
    route: &RestPath,
    creds: Credentials,
    mut params: serde_json::Map<String, serde_json::Value>,
    extra_seconds: f64,
    slot: Option<&Slot>,
) -> (Result<Answer, ApiError>, Effects) {
    let mut effects = Effects::default();
    let Some(spec) = crate::methods::registry().get(&route.method).copied() else {
        return (Err(ApiError::method_not_found()), effects);
    };
    let read = is_read(&spec, &params);
    let db = if read {
        portal.read_db()
    } else {
        ReadDb::Writer(portal.db())
    };
    let begin = if db.is_writer() {
        "BEGIN IMMEDIATE"
    } else {
        "BEGIN"
    };
    if let Err(e) = db.execute_batch(begin) {
        return (Err(e.into()), effects);
    }
    let result = auth::authenticate(
        &db,
        &creds,
        &mut params,
        portal.unix(),
        portal.config.allow_http_webhooks,
    )
    .and_then(|caller| {
        if let Some(s) = slot {
            s.caller(&db, &caller);
        }
        dispatch::run(
            portal,
            &db,
            &caller,
            &spec,
            params,
            &mut effects,
            Mode {
                in_batch: false,
                extra_seconds,
            },
        )
    });
    if let Err(e) = db.execute_batch("COMMIT") {
        let _ = db.execute_batch("ROLLBACK");
        effects.events.clear();
        return (Err(e.into()), effects);
    }
    (result, effects)
}

/// True when the request only reads: a read-only method, or a batch of them.
fn is_read(spec: &MethodSpec, params: &serde_json::Map<String, serde_json::Value>) -> bool {
    if spec.name == "batch" {
        crate::methods::batch::only_reads(params)
    } else {
        spec.read_only()
    }
}

/// The caller's address: the TCP peer, as the cloud's limiter sees it. A router served
/// without connect info (a test calling it directly) counts as one host, 0.0.0.0.
fn source_ip(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}
