//! Running one method call the way `CRestServer::processCall` does: auth-type and scope checks,
//! the operating-time limiter, `start` extraction, the method itself inside a savepoint, and
//! the `time` block of the answer.

use super::{AuthRule, Call, Effects, MethodSpec, Output};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::php::value::intval;
use crate::state::Portal;
use rusqlite::Connection;
use serde_json::{json, Map, Value};
use std::time::Instant;

/// A successful call: the method's output and the `time` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// What the method returned.
    pub output: Output,
    /// The `time` block.
    pub time: Value,
}

/// How a call is being made.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    /// True for a command inside `batch` (scope errors then have an empty description).
    pub in_batch: bool,
    /// Run time to add to the measured one (injected latency), seconds.
    pub extra_seconds: f64,
}

/// Runs `spec` for `caller` with `params`.
pub fn run(
    portal: &Portal,
    db: &Connection,
    caller: &Caller,
    spec: &MethodSpec,
    mut params: Map<String, Value>,
    effects: &mut Effects,
    mode: Mode,
) -> Result<Answer, ApiError> {
    if spec.auth == AuthRule::AppOnly && !caller.is_app() {
        return Err(ApiError::wrong_auth_type());
    }
    if !caller.has_scope(spec.scope) {
        let mut err = caller.insufficient_scope();
        if mode.in_batch {
            err.description.clear();
        }
        return Err(err);
    }
    let counted = spec.name != "batch";
    let key = format!("{}|{}", caller.limiter_key(), spec.name);
    let started_at = portal.clock.now();
    if counted {
        portal.operating.check(&key, started_at.floor() as i64)?;
    }
    let start = params.shift_remove("start").map_or(0, |v| intval(&v));

    db.execute_batch("SAVEPOINT method_call")?;
    let timer = Instant::now();
    let mut call = Call {
        portal,
        db,
        caller,
        method: spec.name,
        params,
        start,
        now: started_at,
        injected_seconds: mode.extra_seconds,
        effects,
    };
    let raised_before = call.effects.events.len();
    let result = (spec.handler)(&mut call);
    let processing = timer.elapsed().as_secs_f64() + mode.extra_seconds;
    match &result {
        Ok(_) => db.execute_batch("RELEASE method_call")?,
        Err(_) => {
            db.execute_batch("ROLLBACK TO method_call; RELEASE method_call")?;
            effects.events.truncate(raised_before);
        }
    }
    if counted {
        portal
            .operating
            .record(&key, started_at.floor() as i64, processing);
    }
    let output = result?;
    let finished_at = started_at + processing;
    Ok(Answer {
        output,
        time: time_block(portal, &key, started_at, finished_at, processing, counted),
    })
}

/// The `time` block, keys in the portal's order.
fn time_block(
    portal: &Portal,
    key: &str,
    start: f64,
    finish: f64,
    processing: f64,
    counted: bool,
) -> Value {
    let offset = portal.config.utc_offset;
    let mut t = json!({
        "start": round6(start),
        "finish": round6(finish),
        "duration": round6(finish - start),
        "processing": round6(processing),
        "date_start": crate::clock::iso(start.floor() as i64, offset),
        "date_finish": crate::clock::iso(finish.floor() as i64, offset),
    });
    if counted {
        let report = portal.operating.report(key, start.floor() as i64);
        if let Some(reset) = report.reset_at {
            t["operating_reset_at"] = json!(reset);
        }
        t["operating"] = json!(round6(report.used));
    }
    t
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
