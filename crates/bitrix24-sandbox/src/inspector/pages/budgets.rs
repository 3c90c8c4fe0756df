//! The budgets page: the rate buckets per source address, the operating time per caller and
//! method with its reset time, the portal clock and the faults in force, with forms to move the
//! clock and set faults (POSTs behind the same key, see [`crate::inspector::access`]), and the
//! other portals of the fleet, each a link to its own inspector.

use crate::faults::FaultConfig;
use crate::fleet::{Fleet, FleetPortal};
use crate::inspector::html::{self, esc, BASE};
use crate::php::form;
use crate::state::Portal;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use serde_json::{Map, Value};
use std::fmt::Write;
use std::sync::Arc;

/// The fleet's portals, for the portal list.
type FleetExt = Option<Extension<Arc<Fleet>>>;

fn portals_of(fleet: &FleetExt) -> Vec<FleetPortal> {
    fleet
        .as_ref()
        .map(|Extension(f)| f.list())
        .unwrap_or_default()
}

/// `GET /_sandbox/ui/budgets`.
pub async fn page(State(p): State<Arc<Portal>>, fleet: FleetExt) -> Response {
    render(&p, &portals_of(&fleet), StatusCode::OK, None)
}

fn render(
    p: &Portal,
    portals: &[FleetPortal],
    status: StatusCode,
    problem: Option<&str>,
) -> Response {
    let now = p.clock.now();
    let mut body = String::new();
    if let Some(problem) = problem {
        let _ = write!(body, "<p class=\"err\">{}</p>", esc(problem));
    }
    let limits = p.rate.limits();
    let bucket = match limits.params() {
        Some((rate, burst)) => format!("{:.1} of {burst} (drains {rate}/s)", p.rate.level(now)),
        None => "off".into(),
    };
    let _ = write!(
        body,
        "<section><h2>Rate bucket</h2><table id=\"bucket\">\
         <tr><th>Limits</th><td>{limits}</td></tr><tr><th>Level</th><td>{bucket}</td></tr>\
         <tr><th>Refused with 503 so far</th><td>{refused}</td></tr></table>\
         <p class=\"muted\">One bucket per source address, whatever the app, webhook or \
         token; the level above is the fullest one's.</p>",
        limits = esc(&format!("{limits:?}")),
        bucket = esc(&bucket),
        refused = p.rate.refused(),
    );
    let levels = p.rate.levels(now);
    if !levels.is_empty() {
        body.push_str(
            "<table id=\"buckets\"><thead><tr><th>Source</th><th>Level</th></tr></thead><tbody>",
        );
        for (ip, level) in levels {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{level:.1}</td></tr>",
                esc(&ip.to_string())
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("</section>");
    if portals.len() > 1 {
        body.push_str(
            "<section><h2>Portals of this sandbox</h2><table id=\"portals\"><thead><tr>\
             <th>Domain</th><th>member_id</th></tr></thead><tbody>",
        );
        for other in portals {
            let name = if other.member_id == p.config.member_id {
                format!("<b>{}</b> (this one)", esc(&other.domain))
            } else {
                format!(
                    "<a href=\"{}{BASE}/budgets\">{}</a>",
                    esc(&other.url),
                    esc(&other.domain)
                )
            };
            let _ = write!(
                body,
                "<tr><td>{name}</td><td>{}</td></tr>",
                esc(&other.member_id)
            );
        }
        body.push_str("</tbody></table></section>");
    }
    let limit = p.operating.limit();
    let _ = write!(
        body,
        "<section><h2>Operating time</h2><p class=\"muted\">Limit {limit} s per caller and \
         method in ten minutes; calls of 0.1 s or less are not counted.</p>\
         <table id=\"operating\"><thead><tr><th>Caller</th><th>Method</th><th>Used</th>\
         <th>Resets at</th></tr></thead><tbody>"
    );
    let snapshot = p.operating.snapshot(now.floor() as i64);
    if snapshot.is_empty() {
        body.push_str("<tr><td colspan=\"4\" class=\"muted\">Nothing counted.</td></tr>");
    }
    for (key, op) in snapshot {
        let mut parts = key.splitn(3, '|');
        let caller = match (parts.next(), parts.next()) {
            (Some("apauth"), Some(id)) => format!("webhook #{id}"),
            (Some("oauth"), Some(id)) => format!("app #{id}"),
            (a, b) => format!("{}|{}", a.unwrap_or(""), b.unwrap_or("")),
        };
        let method = parts.next().unwrap_or("");
        let reset = op
            .reset_at
            .map(|t| crate::clock::iso(t, p.config.utc_offset))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{:.3} s</td><td>{}</td></tr>",
            esc(&caller),
            esc(method),
            op.used,
            esc(&reset)
        );
    }
    body.push_str("</tbody></table></section>");
    let _ = write!(
        body,
        "<section><h2>Clock</h2><table id=\"clock\"><tr><th>Now (portal time)</th><td>{iso}</td></tr>\
         <tr><th>Ahead of real time</th><td>{offset:.1} s</td></tr>\
         <tr><th>Frozen</th><td>{frozen}</td></tr></table>\
         <form method=\"post\" action=\"{BASE}/budgets/clock\">\
         <input name=\"seconds\" value=\"3600\" size=\"8\"> seconds \
         <button name=\"action\" value=\"advance\">Advance</button> \
         <button name=\"action\" value=\"freeze\">Freeze</button> \
         <button name=\"action\" value=\"resume\">Follow real time</button></form></section>",
        iso = esc(&crate::clock::iso(now.floor() as i64, p.config.utc_offset)),
        offset = p.clock.offset(),
        frozen = if p.clock.is_frozen() { "yes" } else { "no" },
    );
    let f = p.faults.get();
    let _ = write!(
        body,
        "<section><h2>Faults</h2><pre id=\"faults\">{current}</pre>\
         <form method=\"post\" action=\"{BASE}/budgets/faults\">\
         <label>Latency ms <input name=\"latency_ms\" value=\"{lat}\" size=\"6\"></label> \
         <label>503 share <input name=\"query_limit_share\" value=\"{q}\" size=\"4\"></label> \
         <label>HTML 500 share <input name=\"html_500_share\" value=\"{h}\" size=\"4\"></label> \
         <label>Drop after commit <input name=\"drop_after_commit\" value=\"{drop}\" \
         placeholder=\"crm.lead.add, …\"></label> \
         <label>Only methods <input name=\"only_methods\" value=\"{only}\" placeholder=\"all\"></label> \
         <button name=\"action\" value=\"set\">Set faults</button> \
         <button name=\"action\" value=\"clear\">Clear</button></form></section>",
        current = esc(&serde_json::to_string_pretty(&f).unwrap_or_default()),
        lat = f.latency_ms,
        q = f.query_limit_share,
        h = f.html_500_share,
        drop = esc(&f.drop_after_commit.join(", ")),
        only = esc(&f.only_methods.clone().unwrap_or_default().join(", ")),
    );
    html::page(status, "Budgets", "budgets", &body)
}

fn field(form: &Map<String, Value>, name: &str) -> String {
    form.get(name)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string()
}

/// `POST /_sandbox/ui/budgets/clock`: `action` = `advance` (with `seconds`), `freeze` or
/// `resume`.
pub async fn clock(State(p): State<Arc<Portal>>, fleet: FleetExt, body: Bytes) -> Response {
    let portals = portals_of(&fleet);
    let form = form::parse_str(&String::from_utf8_lossy(&body));
    match field(&form, "action").as_str() {
        "advance" => {
            let Ok(seconds) = field(&form, "seconds").parse::<f64>() else {
                return render(
                    &p,
                    &portals,
                    StatusCode::BAD_REQUEST,
                    Some("seconds must be a number"),
                );
            };
            if let Err(e) = p.clock.try_advance(seconds) {
                return render(&p, &portals, StatusCode::BAD_REQUEST, Some(&e.to_string()));
            }
        }
        "freeze" => p.clock.freeze(),
        "resume" => p.clock.resume(),
        other => {
            let msg = format!("unknown clock action {other:?}: use advance, freeze or resume");
            return render(&p, &portals, StatusCode::BAD_REQUEST, Some(&msg));
        }
    }
    html::redirect(&format!("{BASE}/budgets"))
}

/// `POST /_sandbox/ui/budgets/faults`: `action` = `set` (with the fault fields) or `clear`.
pub async fn faults(State(p): State<Arc<Portal>>, fleet: FleetExt, body: Bytes) -> Response {
    let portals = portals_of(&fleet);
    let form = form::parse_str(&String::from_utf8_lossy(&body));
    match field(&form, "action").as_str() {
        "clear" => p.faults.clear(),
        "set" => match fault_config(&form) {
            Ok(config) => p.faults.set(config),
            Err(e) => return render(&p, &portals, StatusCode::BAD_REQUEST, Some(&e)),
        },
        other => {
            let msg = format!("unknown faults action {other:?}: use set or clear");
            return render(&p, &portals, StatusCode::BAD_REQUEST, Some(&msg));
        }
    }
    html::redirect(&format!("{BASE}/budgets"))
}

fn fault_config(form: &Map<String, Value>) -> Result<FaultConfig, String> {
    let number = |name: &str| -> Result<f64, String> {
        let v = field(form, name);
        if v.is_empty() {
            return Ok(0.0);
        }
        v.parse::<f64>()
            .map_err(|_| format!("{name} must be a number, got {v:?}"))
    };
    let list = |name: &str| -> Vec<String> {
        field(form, name)
            .split([',', ' '])
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let latency = field(form, "latency_ms");
    let latency_ms = if latency.is_empty() {
        0
    } else {
        latency.parse::<u64>().map_err(|_| {
            format!("latency_ms must be a whole number of milliseconds, got {latency:?}")
        })?
    };
    let only = list("only_methods");
    let config = FaultConfig {
        latency_ms,
        query_limit_share: number("query_limit_share")?,
        html_500_share: number("html_500_share")?,
        drop_after_commit: list("drop_after_commit"),
        only_methods: (!only.is_empty()).then_some(only),
    };
    config.check()?;
    Ok(config)
}
