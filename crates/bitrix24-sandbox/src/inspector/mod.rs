//! The sandbox inspector: a web page served by the sandbox itself at `/_sandbox/ui/` when it
//! runs with an admin key. It shows every REST request as the server saw it (parameters
//! decoded, answers, batch commands), the CRM records, the event bindings, deliveries and
//! offline queue, and the budgets (rate bucket, operating time, clock, faults) with controls
//! to move the clock and set faults.
//!
//! Server-rendered HTML with one small script (polling for new requests) and one style sheet,
//! both served from here: nothing is fetched from elsewhere. Every value shown is escaped, and
//! secrets are masked before they reach the log ([`mask`]).

pub mod access;
pub mod html;
pub mod log;
pub mod mask;
pub mod pages;
pub mod record;

use crate::state::Portal;
use axum::http::{header, HeaderValue};
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use html::BASE;
use std::sync::Arc;

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/app.js");

/// The inspector's routes: the assets (no data in them) are open, every page is behind the
/// key ([`access::guard`]); all of it answers 404 when the sandbox has no admin key.
pub fn routes(portal: Arc<Portal>) -> Router<Arc<Portal>> {
    let guarded = Router::new()
        .route(&format!("{BASE}/"), get(pages::requests::list))
        .route(&format!("{BASE}/requests"), get(pages::requests::list))
        .route(
            &format!("{BASE}/requests/{{id}}"),
            get(pages::requests::detail),
        )
        .route(
            &format!("{BASE}/requests/{{id}}/answer.json"),
            get(pages::requests::answer),
        )
        .route(&format!("{BASE}/api/requests"), get(pages::requests::poll))
        .route(
            &format!("{BASE}/export.jsonl"),
            get(pages::requests::export),
        )
        .route(&format!("{BASE}/crm"), get(pages::crm::index))
        .route(&format!("{BASE}/crm/{{entity}}"), get(pages::crm::list))
        .route(
            &format!("{BASE}/crm/{{entity}}/{{id}}"),
            get(pages::crm::record),
        )
        .route(&format!("{BASE}/events"), get(pages::events::page))
        .route(&format!("{BASE}/budgets"), get(pages::budgets::page))
        .route(
            &format!("{BASE}/budgets/clock"),
            post(pages::budgets::clock),
        )
        .route(
            &format!("{BASE}/budgets/faults"),
            post(pages::budgets::faults),
        )
        .route_layer(middleware::from_fn_with_state(
            portal.clone(),
            access::guard,
        ));
    let open = Router::new()
        .route(
            BASE,
            get(|| async { Redirect::permanent(&format!("{BASE}/")) }),
        )
        .route(
            &format!("{BASE}/assets/style.css"),
            get(|| async { asset(STYLE, "text/css") }),
        )
        .route(
            &format!("{BASE}/assets/app.js"),
            get(|| async { asset(SCRIPT, "text/javascript") }),
        )
        .route_layer(middleware::from_fn_with_state(
            portal,
            access::only_with_key,
        ));
    guarded.merge(open)
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    html::secure(resp)
}
