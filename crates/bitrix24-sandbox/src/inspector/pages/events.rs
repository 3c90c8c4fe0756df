//! The events page: the bindings (`event.bind`), every delivery to a handler with its status,
//! latency and error, and the offline queue.

use crate::events::state;
use crate::inspector::html::{self, compact, cut, esc};
use crate::inspector::mask::{self, Secrets};
use crate::state::Portal;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rusqlite::Connection;
use serde_json::Value;
use std::fmt::Write;
use std::sync::Arc;

/// Offline queue rows shown (the newest first).
const QUEUE_ROWS: usize = 500;

/// `GET /_sandbox/ui/events`.
pub async fn page(State(p): State<Arc<Portal>>) -> Response {
    let mut body = String::new();
    let tables = {
        let db = p.db();
        bindings(&p, &db).and_then(|b| Ok((b, queue(&p, &db)?)))
    };
    let (bindings, queue) = match tables {
        Ok(t) => t,
        Err(e) => {
            return html::page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Events",
                "events",
                &format!(
                    "<p class=\"err\">The sandbox database failed: {}</p>",
                    esc(&e.to_string())
                ),
            )
        }
    };
    body.push_str("<section><h2>Bindings</h2>");
    body.push_str(&bindings);
    body.push_str("</section><section><h2>Deliveries</h2>");
    body.push_str(&deliveries(&p));
    body.push_str("</section><section><h2>Offline queue</h2>");
    body.push_str(&queue);
    body.push_str("</section>");
    html::page(StatusCode::OK, "Events", "events", &body)
}

fn bindings(p: &Portal, db: &Connection) -> rusqlite::Result<String> {
    let mut stmt = db.prepare(
        "SELECT h.id, h.event_name, h.handler, h.user_id, h.offline, a.client_id, h.date_create
         FROM event_handlers h LEFT JOIN apps a ON a.id = h.app_id ORDER BY h.id",
    )?;
    let mut out = String::from(
        "<table id=\"bindings\"><thead><tr><th>ID</th><th>Event</th><th>Handler</th>\
         <th>Runs as</th><th>App</th><th>Bound</th></tr></thead><tbody>",
    );
    let mut rows = stmt.query([])?;
    let mut any = false;
    while let Some(r) = rows.next()? {
        any = true;
        let offline = r.get::<_, i64>(4)? != 0;
        let handler: String = r.get(2)?;
        let user: i64 = r.get(3)?;
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.get::<_, i64>(0)?,
            esc(&r.get::<_, String>(1)?),
            if offline {
                "<i>offline</i>".to_string()
            } else {
                esc(&handler)
            },
            if user > 0 {
                format!("user {user}")
            } else {
                "the user who caused it".into()
            },
            esc(&r.get::<_, Option<String>>(5)?.unwrap_or_default()),
            esc(&crate::clock::iso(r.get(6)?, p.config.utc_offset)),
        );
    }
    if !any {
        out.push_str("<tr><td colspan=\"6\" class=\"muted\">No bindings.</td></tr>");
    }
    out.push_str("</tbody></table>");
    Ok(out)
}

fn deliveries(p: &Arc<Portal>) -> String {
    let st = state::of(p);
    let mut out = format!(
        "<p class=\"muted\">{} delivered, {} failed, {} in flight; the portal never retries.</p>\
         <table id=\"deliveries\"><thead><tr><th>Time (sandbox clock, UTC)</th><th>Event</th>\
         <th>Handler URL</th><th>Status</th><th>Latency</th><th>Error</th></tr></thead><tbody>",
        st.delivered(),
        st.failed(),
        st.in_flight()
    );
    let list = st.deliveries();
    if list.is_empty() {
        out.push_str("<tr><td colspan=\"6\" class=\"muted\">No deliveries yet.</td></tr>");
    }
    for d in list.iter().rev() {
        let status = d
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "—".into());
        let class = match d.status {
            Some(s) if (200..300).contains(&s) => "s2",
            _ => "s5",
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{:.1} ms</td>\
             <td class=\"err\">{}</td></tr>",
            esc(&html::time(d.at)),
            esc(&d.event),
            esc(&d.url),
            esc(&status),
            d.latency_ms,
            esc(d.error.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table>");
    out
}

fn queue(p: &Portal, db: &Connection) -> rusqlite::Result<String> {
    let mut stmt = db.prepare(&format!(
        "SELECT q.id, q.timestamp_x, q.event_name, q.event_data, q.process_id, q.error, a.client_id
         FROM event_offline q LEFT JOIN apps a ON a.id = q.app_id ORDER BY q.id DESC LIMIT {QUEUE_ROWS}"
    ))?;
    let mut out = String::from(
        "<table id=\"queue\"><thead><tr><th>ID</th><th>Time</th><th>Event</th><th>App</th>\
         <th>Data</th><th>Reserved by</th><th>Error mark</th></tr></thead><tbody>",
    );
    let mut rows = stmt.query([])?;
    let mut any = false;
    while let Some(r) = rows.next()? {
        any = true;
        let raw: String = r.get(3)?;
        let data = match serde_json::from_str::<Value>(&raw) {
            Ok(mut v) => {
                mask::value(&mut v, &Secrets::default());
                compact(&v)
            }
            Err(_) => raw,
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"p\">{}</td><td>{}</td>\
             <td>{}</td></tr>",
            r.get::<_, i64>(0)?,
            esc(&crate::clock::iso(r.get(1)?, p.config.utc_offset)),
            esc(&r.get::<_, String>(2)?),
            esc(&r.get::<_, Option<String>>(6)?.unwrap_or_default()),
            esc(&cut(&data, 200)),
            esc(&r.get::<_, String>(4)?),
            if r.get::<_, i64>(5)? != 0 { "yes" } else { "" },
        );
    }
    if !any {
        out.push_str("<tr><td colspan=\"7\" class=\"muted\">The queue is empty.</td></tr>");
    }
    out.push_str("</tbody></table>");
    Ok(out)
}
