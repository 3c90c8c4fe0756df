//! Event delivery: what the portal's queue and the central OAuth server do together
//! (server-behavior.md §8, protocol.md §7.2).
//!
//! After a call commits, every binding of a raised event by an *installed* app is served:
//! an offline binding gets a queue row (unless the app caused the event itself), an online
//! binding gets a form-encoded POST with fresh tokens minted for the handler's user. Rows and
//! tokens are written before the REST answer leaves; the POSTs run on spawned tasks with a
//! timeout and no retries, so a failed delivery is lost (and logged), as on the real portal.

pub mod form;
pub mod queue;
pub mod state;

use crate::auth::oauth;
use crate::methods::RaisedEvent;
use crate::state::Portal;
use rusqlite::Connection;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::Duration;

/// How long a handler may take to answer. The real value is not documented (protocol.md
/// §11); the docs only say "respond quickly".
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(10);

/// One POST to make.
#[derive(Clone)]
pub struct Delivery {
    /// The handler URL.
    pub url: String,
    /// The form-encoded body (holds tokens: never logged).
    pub body: String,
    /// The event name, for the log.
    pub event: String,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("url", &self.url)
            .field("event", &self.event)
            .finish_non_exhaustive()
    }
}

/// Where the portal says it lives, as event payloads print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `auth[domain]`: the portal's domain ([`crate::PortalConfig::domain`], by default the
    /// listening `host:port`), the same as in the OAuth redirect and the token answer.
    pub domain: String,
    /// `auth[client_endpoint]`: `{scheme}://{domain}/rest/`.
    pub client_endpoint: String,
    /// `auth[server_endpoint]`: the sandbox is its own OAuth server, so also
    /// `{scheme}://{domain}/rest/` (the real one is `https://oauth.bitrix.info/rest/`).
    pub server_endpoint: String,
}

/// The endpoints of `portal`.
pub fn endpoints(portal: &Portal) -> Endpoints {
    Endpoints {
        domain: portal.config.domain.clone(),
        client_endpoint: portal.config.client_endpoint(),
        server_endpoint: portal.config.client_endpoint(),
    }
}

/// The app columns an event payload needs.
#[derive(Debug, Clone)]
pub struct AppInfo {
    /// App row id.
    pub id: i64,
    /// Granted scopes.
    pub scope: String,
    /// `L`, `F`, `D`, `T` or `P`.
    pub status: String,
    /// The token handlers verify.
    pub application_token: String,
}

/// The `auth` block of an event for `app` acting as `user_id`: fresh tokens, the portal's
/// endpoints and the application token; `refresh_token` only when asked (ONAPPINSTALL and
/// ONOFFLINEEVENT carry it).
pub fn app_auth(
    conn: &Connection,
    portal: &Arc<Portal>,
    app: &AppInfo,
    user_id: i64,
    with_refresh: bool,
) -> rusqlite::Result<Value> {
    let now = portal.unix();
    let tokens = oauth::issue_tokens(conn, app.id, user_id, &app.scope, now)?;
    let ep = endpoints(portal);
    let mut auth = json!({
        "access_token": tokens.access_token,
        "expires": tokens.expires.to_string(),
        "expires_in": oauth::ACCESS_TTL.to_string(),
        "scope": app.scope,
        "domain": ep.domain,
        "server_endpoint": ep.server_endpoint,
        "status": app.status,
        "client_endpoint": ep.client_endpoint,
        "member_id": portal.config.member_id,
        "user_id": user_id.to_string(),
    });
    if with_refresh {
        auth["refresh_token"] = json!(tokens.refresh_token);
    }
    auth["application_token"] = json!(app.application_token);
    Ok(auth)
}

/// The full event body: `event`, `event_handler_id`, `data`, `ts`, `auth`, in the docs' order.
pub fn payload(event: &str, handler_id: Option<i64>, data: &Value, now: i64, auth: Value) -> Value {
    let mut m = Map::new();
    m.insert("event".into(), json!(event));
    if let Some(id) = handler_id {
        m.insert("event_handler_id".into(), json!(id.to_string()));
    }
    m.insert("data".into(), data.clone());
    m.insert("ts".into(), json!(now.to_string()));
    m.insert("auth".into(), auth);
    Value::Object(m)
}

/// Hands the events a committed call raised to delivery: offline rows are stored before the
/// REST answer leaves (so a following `event.offline.get` sees them), online handlers are
/// posted to from a spawned task.
pub fn after_commit(portal: &Arc<Portal>, events: Vec<RaisedEvent>) {
    if events.is_empty() {
        return;
    }
    dispatch(portal, events);
}

/// Serves the events of one committed call: queue rows and tokens now, POSTs later.
pub fn dispatch(portal: &Arc<Portal>, events: Vec<RaisedEvent>) {
    let plan = {
        let db = portal.db();
        match plan(&db, portal, &events) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "event delivery could not be prepared; events lost");
                return;
            }
        }
    };
    for d in plan {
        spawn(portal, d);
    }
}

fn plan(
    conn: &Connection,
    portal: &Arc<Portal>,
    events: &[RaisedEvent],
) -> rusqlite::Result<Vec<Delivery>> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = plan_in_tx(conn, portal, events);
    match &result {
        Ok(_) => conn.execute_batch("COMMIT")?,
        Err(_) => {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    result
}

struct Binding {
    id: i64,
    handler: String,
    user_id: i64,
    offline: bool,
    app: AppInfo,
}

fn plan_in_tx(
    conn: &Connection,
    portal: &Arc<Portal>,
    events: &[RaisedEvent],
) -> rusqlite::Result<Vec<Delivery>> {
    let now = portal.unix();
    let mut out = Vec::new();
    let mut queued_apps = BTreeSet::new();
    for e in events {
        for b in bindings(conn, &e.name)? {
            // ONAPPTEST goes only to the app that called `event.test`.
            if e.name == "ONAPPTEST" && e.app_id != Some(b.app.id) {
                continue;
            }
            if b.offline {
                // `ProviderOffline::finalize`: the listening app's own changes are not queued.
                if e.app_id == Some(b.app.id) {
                    continue;
                }
                queue::store(conn, b.app.id, &e.name, &e.data, e.user_id, now)?;
                queued_apps.insert(b.app.id);
                continue;
            }
            let user = if b.user_id > 0 { b.user_id } else { e.user_id };
            let auth = app_auth(conn, portal, &b.app, user, false)?;
            let body = payload(&e.name, Some(b.id), &e.data, now, auth);
            out.push(Delivery {
                url: b.handler,
                body: form::build_query(&body),
                event: e.name.clone(),
            });
        }
    }
    for app_id in queued_apps {
        out.extend(offline_notices(conn, portal, app_id, now)?);
    }
    Ok(out)
}

/// `ONOFFLINEEVENT` to the app's online handlers of it, at most once per `minTimeout`.
fn offline_notices(
    conn: &Connection,
    portal: &Arc<Portal>,
    app_id: i64,
    now: i64,
) -> rusqlite::Result<Vec<Delivery>> {
    let mut out = Vec::new();
    for b in bindings(conn, "ONOFFLINEEVENT")? {
        if b.offline || b.app.id != app_id {
            continue;
        }
        let due: bool = conn.query_row(
            "SELECT last_sent + min_timeout <= ?2 FROM event_handlers WHERE id = ?1",
            [b.id, now],
            |r| r.get(0),
        )?;
        if !due {
            continue;
        }
        conn.execute(
            "UPDATE event_handlers SET last_sent = ?2 WHERE id = ?1",
            [b.id, now],
        )?;
        let user = if b.user_id > 0 { b.user_id } else { 1 };
        let auth = app_auth(conn, portal, &b.app, user, true)?;
        let body = payload("ONOFFLINEEVENT", Some(b.id), &json!({}), now, auth);
        out.push(Delivery {
            url: b.handler,
            body: form::build_query(&body),
            event: "ONOFFLINEEVENT".into(),
        });
    }
    Ok(out)
}

fn bindings(conn: &Connection, event: &str) -> rusqlite::Result<Vec<Binding>> {
    let mut stmt = conn.prepare_cached(
        "SELECT h.id, h.handler, h.user_id, h.offline, a.id, a.scope, a.status,
                a.application_token
         FROM event_handlers h JOIN apps a ON a.id = h.app_id
         WHERE h.event_name = ?1 AND a.installed = 1
         ORDER BY h.id",
    )?;
    let rows = stmt.query_map([event], |r| {
        Ok(Binding {
            id: r.get(0)?,
            handler: r.get(1)?,
            user_id: r.get(2)?,
            offline: r.get::<_, i64>(3)? != 0,
            app: AppInfo {
                id: r.get(4)?,
                scope: r.get(5)?,
                status: r.get(6)?,
                application_token: r.get(7)?,
            },
        })
    })?;
    rows.collect()
}

/// The HTTP client of deliveries: no proxy (handlers are usually on loopback in tests).
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(HANDLER_TIMEOUT)
            .no_proxy()
            .build()
            .unwrap_or_default()
    })
}

fn spawn(portal: &Arc<Portal>, d: Delivery) {
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(event = %d.event, "no async runtime: event not delivered");
        return;
    };
    let st = state::of(portal);
    st.start();
    let portal = portal.clone();
    rt.spawn(async move {
        let ok = deliver(&portal, &d).await;
        st.finish(ok);
    });
}

/// Posts one delivery, waits for the answer and records it for the inspector; true on a 2xx.
pub async fn deliver(portal: &Arc<Portal>, d: &Delivery) -> bool {
    let at = portal.clock.now();
    let started = std::time::Instant::now();
    let outcome = send(d).await;
    let ok = matches!(outcome, Ok(status) if (200..300).contains(&status));
    state::of(portal).record(state::DeliveryRecord {
        at,
        event: d.event.clone(),
        url: d.url.clone(),
        status: outcome.as_ref().ok().copied(),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        error: outcome.err(),
    });
    ok
}

/// Posts one delivery and waits for the answer; true on a 2xx. Failures are logged and
/// dropped: the portal never retries.
pub async fn post(d: &Delivery) -> bool {
    matches!(send(d).await, Ok(status) if (200..300).contains(&status))
}

/// Posts one delivery: the handler's status, or why no answer came (the error names neither
/// the URL nor the body, which holds tokens).
async fn send(d: &Delivery) -> Result<u16, String> {
    let sent = client()
        .post(&d.url)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(d.body.clone())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => {
            tracing::debug!(event = %d.event, url = %d.url, "event delivered");
            Ok(resp.status().as_u16())
        }
        Ok(resp) => {
            tracing::warn!(event = %d.event, url = %d.url, status = %resp.status(),
                "event handler answered with an error; event lost (no retries)");
            Ok(resp.status().as_u16())
        }
        Err(e) => {
            let e = e.without_url();
            tracing::warn!(event = %d.event, url = %d.url, error = %e,
                "event delivery failed; event lost (no retries)");
            Err(e.to_string())
        }
    }
}
