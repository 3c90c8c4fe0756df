//! `batch`: up to 50 commands in one request (`CRestProvider::methodsBatch`,
//! `CRestUtil::processBatchElement`; protocol.md §6, server-behavior.md §3).
//!
//! - `cmd` and `halt` are found case-insensitively; `cmd` maps keys to `method?query` strings
//!   (a JSON list gives keys 0..n-1); non-string commands are skipped silently.
//! - `halt` is PHP truthiness, so the form value `"false"` halts.
//! - Commands from the 51st on are not run and get `ERROR_BATCH_LENGTH_EXCEEDED`.
//! - `batch`, `download`, `upload` inside a batch get `ERROR_BATCH_METHOD_NOT_ALLOWED`.
//! - The caller's credentials apply to every command; only the scope is checked again, and a
//!   missing scope gives `insufficient_scope` with an empty description.
//! - The answer is always HTTP 200; empty parts print as `[]`.
//! - Injected latency on the batch is the time its commands took, as on a slow server: each
//!   command is charged an equal share (and, like any call, counted by the operating limit
//!   only when it took over 0.1 s).

use super::dispatch::{self, Mode};
use super::{Access, Call, Output, Registry};
use crate::error::ApiError;
use crate::php::{form, value};
use serde_json::{json, Map, Value};

mod references;

/// The most commands one batch runs (`CRestUtil::BATCH_MAX_LENGTH`).
pub const MAX_COMMANDS: usize = 50;

/// Registers `batch`.
pub fn register(r: &mut Registry) {
    r.add("batch", "basic", Access::Write, batch);
}

/// The accumulated answers of the commands run so far, by command key.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub(crate) result: Map<String, Value>,
    pub(crate) error: Map<String, Value>,
    pub(crate) total: Map<String, Value>,
    pub(crate) next: Map<String, Value>,
    pub(crate) time: Map<String, Value>,
}

/// Reads one command (`method?query`): the method name, lower-case, and its parameters with
/// the auth keys dropped (the caller's credentials were already checked) and the references
/// to `earlier` commands replaced.
pub(crate) fn prepare(command: &str, earlier: &Collected) -> (String, Map<String, Value>) {
    let (path, query) = command.split_once('?').unwrap_or((command, ""));
    let method = path.trim().to_lowercase();
    let mut params = form::parse_str(query);
    for k in ["auth", "access_token", "auth_connector"] {
        params.shift_remove(k);
    }
    (method, references::substitute(params, earlier))
}

/// True when every command `batch` would run with `params` is a read ([`super::Access`]): the
/// batch then runs on a read-only connection. Commands that would not run (past the 50th,
/// not strings, refused or unknown methods) write nothing and do not count.
pub fn only_reads(params: &Map<String, Value>) -> bool {
    let Some(cmd) = find_ci(params, "cmd") else {
        return true;
    };
    value::entries(cmd)
        .iter()
        .take(MAX_COMMANDS)
        .filter_map(|(_, c)| c.as_str())
        .all(|command| {
            let path = command.split_once('?').map_or(command, |(p, _)| p);
            let method = path.trim().to_lowercase();
            if matches!(method.as_str(), "batch" | "download" | "upload") {
                return true;
            }
            super::registry()
                .get(&method)
                .is_none_or(|spec| spec.read_only())
        })
}

fn batch(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let cmd = find_ci(&call.params, "cmd").cloned().unwrap_or(Value::Null);
    let halt = find_ci(&call.params, "halt").is_some_and(value::truthy);
    let mut out = Collected::default();
    let entries = value::entries(&cmd);
    let runnable = entries
        .iter()
        .take(MAX_COMMANDS)
        .filter(|(_, c)| c.is_string())
        .count();
    let latency_share = call.injected_seconds / runnable.max(1) as f64;
    for (index, (key, command)) in entries.into_iter().enumerate() {
        let Value::String(command) = command else {
            continue;
        };
        let failed = if index >= MAX_COMMANDS {
            let err = ApiError::new(
                400,
                "ERROR_BATCH_LENGTH_EXCEEDED",
                "Max batch length exceeded",
            );
            out.error.insert(key, err.body());
            true
        } else {
            run_command(call, &key, command, latency_share, &mut out)
        };
        if failed && halt {
            break;
        }
    }
    Ok(Output::new(json!({
        "result": Value::Object(out.result),
        "result_error": Value::Object(out.error),
        "result_total": Value::Object(out.total),
        "result_next": Value::Object(out.next),
        "result_time": Value::Object(out.time),
    })))
}

/// Runs one command charged with `latency` seconds of injected latency; returns true when it
/// failed.
fn run_command(
    call: &mut Call<'_>,
    key: &str,
    command: &str,
    latency: f64,
    out: &mut Collected,
) -> bool {
    let (method, params) = prepare(command, out);
    let refused = if matches!(method.as_str(), "batch" | "download" | "upload") {
        Some(ApiError::new(
            405,
            "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "Method is not allowed for batch usage",
        ))
    } else {
        None
    };
    let spec = match (refused, super::registry().get(&method)) {
        (None, Some(spec)) => *spec,
        (refused, _) => {
            let err = refused.unwrap_or_else(ApiError::method_not_found);
            out.error.insert(key.to_string(), err.body());
            return true;
        }
    };
    match dispatch::run(
        call.portal,
        call.db,
        call.caller,
        &spec,
        params,
        call.effects,
        Mode {
            in_batch: true,
            extra_seconds: latency,
        },
    ) {
        Ok(answer) => {
            out.result.insert(key.to_string(), answer.output.result);
            if let Some(next) = answer.output.next {
                out.next.insert(key.to_string(), json!(next));
            }
            if let Some(total) = answer.output.total {
                out.total.insert(key.to_string(), json!(total));
            }
            out.time.insert(key.to_string(), answer.time);
            false
        }
        Err(err) => {
            out.error.insert(key.to_string(), err.body());
            true
        }
    }
}

/// A top-level parameter by case-insensitive name (`cmd`/`CMD`, `halt`/`HALT`).
fn find_ci<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}
