//! The admin API under `/_sandbox/` (a prefix no real method uses). It is off unless the
//! sandbox was started with an admin key, and every call must carry that key in the
//! `X-Sandbox-Key` header. It lets tests written in any language do what in-process Rust tests
//! do through [`crate::Sandbox`]: move or freeze the clock, inject faults, change limits,
//! register apps and webhooks, seed data and read counters.

use crate::auth::{apps, oauth};
use crate::config::Limits;
use crate::faults::FaultConfig;
use crate::fleet::{Fleet, RemoveError};
use crate::state::Portal;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// Admin routes, without the guard.
fn routes() -> Router<Arc<Portal>> {
    Router::new()
        .route("/_sandbox/clock", get(clock).post(set_clock))
        .route("/_sandbox/clock/advance", post(advance))
        .route(
            "/_sandbox/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .route("/_sandbox/limits", post(set_limits))
        .route("/_sandbox/apps", post(register_app))
        .route("/_sandbox/apps/{client_id}/tokens", post(issue_tokens))
        .route("/_sandbox/webhooks", post(create_webhook))
        .route("/_sandbox/seed/leads", post(seed_leads))
        .route("/_sandbox/stats", get(stats).delete(reset_stats))
        .route("/_sandbox/portals", get(list_portals).post(add_portal))
        .route("/_sandbox/portals/{key}", delete(remove_portal))
}

/// The admin routes with the key guard applied.
pub fn guarded(portal: Arc<Portal>) -> Router<Arc<Portal>> {
    routes().route_layer(middleware::from_fn_with_state(portal, guard))
}

/// Rejects admin calls when the admin API is off (404, as for any unknown path) or the key is
/// wrong (401).
pub async fn guard(State(portal): State<Arc<Portal>>, req: Request, next: Next) -> Response {
    let Some(expected) = portal.config.admin_key.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = req
        .headers()
        .get("x-sandbox-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "SANDBOX_ADMIN_KEY", "error_description":
                "Send the admin key given to --admin-key in the X-Sandbox-Key header"})),
        )
            .into_response();
    }
    next.run(req).await
}

/// Compares two byte strings in time that depends on their length only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A JSON body whose every fault (not JSON, wrong field types, numbers out of range for
/// their type) is a 400 `SANDBOX_BAD_REQUEST` saying what was wrong, like the handlers' own
/// checks, instead of axum's plain-text 415/422.
struct Body<T>(T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(bad(rejection_text(&e))),
        }
    }
}

fn rejection_text(e: &JsonRejection) -> String {
    match e {
        JsonRejection::MissingJsonContentType(_) => {
            "send a JSON body with Content-Type: application/json".into()
        }
        other => format!("the JSON body was not understood: {}", other.body_text()),
    }
}

/// The largest `count` of `/_sandbox/seed/leads`: ten million rows (a few GB of data file).
pub const MAX_SEED: usize = 10_000_000;

fn bad(msg: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "SANDBOX_BAD_REQUEST", "error_description": msg.into()})),
    )
        .into_response()
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "admin call failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({"error": "SANDBOX_INTERNAL", "error_description": e.to_string()})),
    )
        .into_response()
}

fn clock_state(p: &Portal) -> Json<Value> {
    Json(json!({
        "now": p.clock.now(),
        "offset_seconds": p.clock.offset(),
        "frozen": p.clock.is_frozen(),
    }))
}

async fn clock(State(p): State<Arc<Portal>>) -> Json<Value> {
    clock_state(&p)
}

#[derive(Deserialize)]
struct SetClock {
    frozen: bool,
}

/// Freezes the clock (`{"frozen": true}`: time passes only by `/_sandbox/clock/advance`) or
/// lets it run with real time again (`{"frozen": false}`).
async fn set_clock(State(p): State<Arc<Portal>>, Body(body): Body<SetClock>) -> Json<Value> {
    if body.frozen {
        p.clock.freeze();
    } else {
        p.clock.resume();
    }
    clock_state(&p)
}

#[derive(Deserialize)]
struct Advance {
    seconds: f64,
}

async fn advance(State(p): State<Arc<Portal>>, Body(body): Body<Advance>) -> Response {
    match p.clock.try_advance(body.seconds) {
        Ok(()) => clock_state(&p).into_response(),
        Err(e) => bad(e.to_string()),
    }
}

async fn get_faults(State(p): State<Arc<Portal>>) -> Json<FaultConfig> {
    Json(p.faults.get())
}

async fn set_faults(State(p): State<Arc<Portal>>, Body(body): Body<FaultConfig>) -> Response {
    if let Err(e) = body.check() {
        return bad(e);
    }
    p.faults.set(body);
    Json(p.faults.get()).into_response()
}

async fn clear_faults(State(p): State<Arc<Portal>>) -> Json<FaultConfig> {
    p.faults.clear();
    Json(p.faults.get())
}

#[derive(Deserialize)]
struct SetLimits {
    limits: Option<String>,
    operating_limit: Option<f64>,
}

async fn set_limits(State(p): State<Arc<Portal>>, Body(body): Body<SetLimits>) -> Response {
    // Check everything before changing anything: a refused call changes nothing.
    let limits = match body.limits.as_deref().map(str::parse::<Limits>) {
        Some(Err(e)) => return bad(e),
        Some(Ok(l)) => Some(l),
        None => None,
    };
    if let Some(s) = body.operating_limit {
        if !(s.is_finite() && s >= 0.0) {
            return bad(format!(
                "operating_limit must be a finite number of seconds, 0 or more, got {s}"
            ));
        }
    }
    if let Some(limits) = limits {
        p.rate.set_limits(limits);
    }
    if let Some(s) = body.operating_limit {
        p.operating.set_limit(s);
    }
    Json(
        json!({"limits": format!("{:?}", p.rate.limits()), "operating_limit": p.operating.limit()}),
    )
    .into_response()
}

#[derive(Deserialize)]
struct NewApp {
    name: Option<String>,
    redirect_uri: String,
    scope: Option<String>,
    install_url: Option<String>,
}

async fn register_app(State(p): State<Arc<Portal>>, Body(body): Body<NewApp>) -> Response {
    let defaults = apps::AppRegistration::default();
    let reg = apps::AppRegistration {
        name: body.name.clone().unwrap_or(defaults.name),
        redirect_uri: body.redirect_uri.clone(),
        scope: body.scope.clone().unwrap_or(defaults.scope),
        install_url: body.install_url.clone().unwrap_or_default(),
    };
    // With an install URL the portal posts ONAPPINSTALL there before answering, exactly as
    // the in-process `Sandbox::install_app` does.
    let result = crate::install::install_app(&p, &reg).await;
    match result {
        Ok(app) => Json(json!({
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "application_token": app.application_token,
            "redirect_uri": app.redirect_uri,
            "scope": app.scope,
        }))
        .into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct IssueTokens {
    user_id: Option<i64>,
}

async fn issue_tokens(
    State(p): State<Arc<Portal>>,
    axum::extract::Path(client_id): axum::extract::Path<String>,
    Body(body): Body<IssueTokens>,
) -> Response {
    let db = p.db();
    let user_id = body.user_id.unwrap_or(1);
    match apps::user_exists(&db, user_id) {
        Ok(true) => {}
        Ok(false) => return bad(no_user(user_id)),
        Err(e) => return internal(e),
    }
    let app = match apps::app_by_client_id(&db, &client_id) {
        Ok(Some(app)) => app,
        Ok(None) => return bad(format!("no app with client_id {client_id}")),
        Err(e) => return internal(e),
    };
    match oauth::issue_tokens(&db, app.id, user_id, &app.scope, p.unix()) {
        Ok(t) => Json(json!({
            "access_token": t.access_token,
            "refresh_token": t.refresh_token,
            "expires": t.expires,
            "scope": t.scope,
            "user_id": t.user_id,
            "member_id": p.config.member_id,
        }))
        .into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct NewWebhook {
    user_id: Option<i64>,
    scope: Option<String>,
}

fn no_user(user_id: i64) -> String {
    format!("no user with id {user_id}: the sandbox has users 1 (administrator) and 2")
}

async fn create_webhook(State(p): State<Arc<Portal>>, Body(body): Body<NewWebhook>) -> Response {
    let scope = body
        .scope
        .clone()
        .unwrap_or_else(|| apps::DEFAULT_WEBHOOK_SCOPE.to_string());
    let user_id = body.user_id.unwrap_or(1);
    let db = p.db();
    match apps::user_exists(&db, user_id) {
        Ok(true) => {}
        Ok(false) => return bad(no_user(user_id)),
        Err(e) => return internal(e),
    }
    let result = apps::create_webhook(&db, user_id, &scope);
    match result {
        Ok(w) => Json(json!({
            "id": w.id,
            "user_id": w.user_id,
            "path": format!("/rest/{}/{}/", w.user_id, w.secret),
            "scope": w.scope,
        }))
        .into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize)]
struct Seed {
    count: usize,
}

async fn seed_leads(State(p): State<Arc<Portal>>, Body(body): Body<Seed>) -> Response {
    let count = body.count;
    if count > MAX_SEED {
        return bad(format!("count must be from 0 to {MAX_SEED}, got {count}"));
    }
    let task = tokio::task::spawn_blocking(move || {
        let db = p.db();
        crate::methods::crm::seed::seed_leads(&db, count, p.unix())
    });
    match task.await {
        Ok(Ok(())) => Json(json!({"seeded": count})).into_response(),
        Ok(Err(e)) => internal(e),
        Err(e) => internal(e),
    }
}

async fn stats(State(p): State<Arc<Portal>>) -> Json<Value> {
    let now = p.clock.now();
    let buckets: serde_json::Map<String, Value> = p
        .rate
        .levels(now)
        .into_iter()
        .map(|(ip, level)| (ip.to_string(), json!(level)))
        .collect();
    Json(json!({
        "http_requests": p.stats.http_requests(),
        "by_method": p.stats.by_method(),
        "refused_by_rate_limit": p.rate.refused(),
        "rate_buckets": buckets,
    }))
}

/// `GET /_sandbox/portals`: every running portal of this one's fleet, in start order.
async fn list_portals(fleet: Option<Extension<Arc<Fleet>>>) -> Json<Value> {
    let portals: Vec<Value> = fleet
        .map(|Extension(f)| f.list())
        .unwrap_or_default()
        .into_iter()
        .map(|p| json!({"url": p.url, "domain": p.domain, "member_id": p.member_id}))
        .collect();
    Json(json!({ "portals": portals }))
}

#[derive(Deserialize, Default)]
struct NewPortal {
    limits: Option<String>,
}

/// `POST /_sandbox/portals` (body optional, `{"limits": "standard"}`): starts another portal
/// in this fleet, on its own port, with this portal's settings (address, admin key, TLS) and
/// its own data, domain, member id, webhook and app. It runs until the fleet's first portal
/// stops or `DELETE /_sandbox/portals/{member_id}` removes it.
async fn add_portal(fleet: Option<Extension<Arc<Fleet>>>, body: axum::body::Bytes) -> Response {
    let Some(Extension(fleet)) = fleet else {
        return bad("this sandbox was started without a fleet; start it with the builder");
    };
    let req: NewPortal = if body.iter().all(u8::is_ascii_whitespace) {
        NewPortal::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return bad(format!("the JSON body was not understood: {e}")),
        }
    };
    let limits = match req.limits.as_deref().map(str::parse::<Limits>) {
        Some(Err(e)) => return bad(e),
        Some(Ok(l)) => Some(l),
        None => None,
    };
    let (portal, webhook_url, app) = match fleet.start_portal(limits).await {
        None => return bad("this portal cannot start others: ask the first portal of the sandbox"),
        Some(Err(e)) => return internal(e),
        Some(Ok(started)) => started,
    };
    let answer = json!({
        "url": portal.url,
        "domain": portal.domain,
        "member_id": portal.member_id,
        "webhook_url": webhook_url,
        "app": {
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "application_token": app.application_token,
            "redirect_uri": app.redirect_uri,
            "scope": app.scope,
        },
    });
    Json(answer).into_response()
}

/// `DELETE /_sandbox/portals/{member_id or domain}`: stops a portal `POST /_sandbox/portals`
/// started and frees its data; 404 for a portal the fleet does not have, 409 for one the
/// admin API may not stop (the primary, one started in-process, the portal asked).
async fn remove_portal(
    State(p): State<Arc<Portal>>,
    fleet: Option<Extension<Arc<Fleet>>>,
    Path(key): Path<String>,
) -> Response {
    let Some(Extension(fleet)) = fleet else {
        return bad("this sandbox was started without a fleet; start it with the builder");
    };
    match fleet.remove_portal(&key, &p).await {
        Ok(gone) => Json(json!({
            "deleted": {"url": gone.url, "domain": gone.domain, "member_id": gone.member_id},
        }))
        .into_response(),
        Err(e) => {
            let (status, code) = match e {
                RemoveError::Unknown(_) => (StatusCode::NOT_FOUND, "SANDBOX_NOT_FOUND"),
                RemoveError::Primary(_) | RemoveError::Answering(_) | RemoveError::NotOwned(_) => {
                    (StatusCode::CONFLICT, "SANDBOX_CONFLICT")
                }
            };
            (
                status,
                Json(json!({"error": code, "error_description": e.to_string()})),
            )
                .into_response()
        }
    }
}

async fn reset_stats(State(p): State<Arc<Portal>>) -> Json<Value> {
    p.stats.reset();
    Json(json!({"http_requests": 0}))
}
