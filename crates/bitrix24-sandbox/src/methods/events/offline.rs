//! The offline event queue: `event.offline.get`, `.clear`, `.error`, `.list`
//! (protocol.md §7.3, server-behavior.md §8). Admin only, app auth only, and an app sees only
//! its own rows.
//!
//! Sandbox choices: `clear=0` works without the `rest_offline_extended` plan feature (the
//! real portal answers 403 `WRONG_LICENSE` on plans without it), and the 30-day purge of old
//! rows is not emulated.

use super::offline_query::{self, Conditions, GET_FIELDS, LIST_FIELDS};
use super::params;
use crate::auth::secret;
use crate::error::ApiError;
use crate::methods::{Call, Output};
use crate::php::value::{as_string, elements, is_array, truthy};
use rusqlite::params_from_iter;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value};

/// Rows per page of `event.offline.list`.
const PAGE: i64 = 50;

const COLUMNS: &str = "id, timestamp_x, event_name, event_data, event_additional, message_id,
                       process_id, connector_id, error";

/// `event.offline.get`: reserves up to `limit` pending rows under a new process id (or re-reads
/// the rows of `process_id`), returns them and, with `clear=1` (the default), deletes them.
pub fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let app_id = params::app_id(call)?;
    params::require_admin(call, "")?;
    let clear = params::get(call, "CLEAR").is_none_or(truthy);
    let error = params::get(call, "ERROR").is_some_and(truthy);
    let given = params::text(call, "PROCESS_ID");
    let limit = params::int(call, "LIMIT", 50);
    if limit <= 0 {
        return Err(ApiError::argument(
            "LIMIT",
            "Limit must be a positive number",
        ));
    }
    let filter = offline_query::filter(params::get(call, "FILTER"), GET_FIELDS)?;
    let order = offline_query::order(params::get(call, "ORDER"), GET_FIELDS, "timestamp_x ASC")?;
    let process_id = if given.is_empty() {
        let pid = secret::alnum(32);
        let (cond, mut args) = scoped(app_id, "", &filter);
        args.push(Sql::Integer(i64::from(error)));
        args.push(Sql::Integer(limit));
        call.db.execute(
            &format!(
                "UPDATE event_offline SET process_id = ?{n} WHERE id IN (
                     SELECT id FROM event_offline WHERE {cond} AND error = ?{e}
                     ORDER BY {order} LIMIT ?{l})",
                n = args.len() + 1,
                e = args.len() - 1,
                l = args.len(),
            ),
            params_from_iter(args.into_iter().chain([Sql::Text(pid.clone())])),
        )?;
        pid
    } else {
        given.clone()
    };
    let (cond, mut args) = scoped(app_id, &process_id, &filter);
    args.push(Sql::Integer(limit));
    let rows = select(
        call,
        &format!(
            "SELECT {COLUMNS} FROM event_offline WHERE {cond} ORDER BY {order} LIMIT ?{}",
            args.len()
        ),
        args,
    )?;
    if clear {
        let ids: Vec<Sql> = rows.iter().map(|r| Sql::Integer(r.id)).collect();
        delete_ids(call, &ids)?;
    }
    let events: Vec<Value> = rows.iter().map(|r| r.to_json(call, false)).collect();
    // `process_id` is returned only when the rows stay reserved or the caller named it.
    let pid = if clear && given.is_empty() {
        Value::Null
    } else {
        json!(process_id)
    };
    Ok(Output::new(json!({ "process_id": pid, "events": events })))
}

/// `event.offline.clear`: deletes the rows of `process_id`, or only those in `message_id[]`
/// (checked first, as the code does; the docs say `id` wins) or `id[]`. Returns `true`.
pub fn clear(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let app_id = params::app_id(call)?;
    params::require_admin(call, "")?;
    let process_id = params::required(call, "PROCESS_ID")?;
    let (column, values) = if let Some(v) = params::get(call, "MESSAGE_ID") {
        ("message_id", list_of(v, Sql::Text))
    } else if let Some(v) = params::get(call, "ID") {
        (
            "id",
            list_of(v, |s| Sql::Integer(crate::php::value::intval_str(&s))),
        )
    } else {
        ("", Vec::new())
    };
    let mut args = vec![Sql::Integer(app_id), Sql::Text(process_id)];
    let mut sql = "DELETE FROM event_offline WHERE app_id = ?1 AND process_id = ?2".to_string();
    if !column.is_empty() {
        let marks: Vec<String> = (0..values.len()).map(|i| format!("?{}", i + 3)).collect();
        sql.push_str(&format!(" AND {column} IN ({})", marks.join(", ")));
        args.extend(values);
    }
    call.db.execute(&sql, params_from_iter(args))?;
    Ok(Output::new(true))
}

/// `event.offline.error`: marks the rows `message_id[]` of `process_id` as errors and releases
/// them, so `event.offline.get` with `error=1` can fetch them again. Returns `true`.
pub fn error(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let app_id = params::app_id(call)?;
    params::require_admin(call, "")?;
    let process_id = params::required(call, "PROCESS_ID")?;
    let Some(raw) = params::get(call, "MESSAGE_ID") else {
        return Err(ApiError::argument_null("MESSAGE_ID"));
    };
    if !is_array(raw) {
        return Err(ApiError::argument(
            "MESSAGE_ID",
            "Argument 'MESSAGE_ID' must be an array",
        ));
    }
    let ids = list_of(raw, Sql::Text);
    if ids.is_empty() {
        return Err(ApiError::argument_null("MESSAGE_ID"));
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("?{}", i + 3)).collect();
    let mut args = vec![Sql::Integer(app_id), Sql::Text(process_id)];
    args.extend(ids);
    // OR REPLACE: an identical event queued meanwhile is the same message; keep one row.
    call.db.execute(
        &format!(
            "UPDATE OR REPLACE event_offline SET error = 1, process_id = ''
             WHERE app_id = ?1 AND process_id = ?2 AND message_id IN ({})",
            marks.join(", ")
        ),
        params_from_iter(args),
    )?;
    Ok(Output::new(true))
}

/// `event.offline.list`: read-only view of every row of the app (pending, reserved and
/// errors), exact `start` offsets, 50 per page, with `next` and `total`.
pub fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let app_id = params::app_id(call)?;
    params::require_admin(call, "")?;
    let filter = offline_query::filter(params::get(call, "FILTER"), LIST_FIELDS)?;
    let order = offline_query::order(params::get(call, "ORDER"), LIST_FIELDS, "id ASC")?;
    let mut cond = vec!["app_id = ?".to_string()];
    cond.extend(filter.sql.iter().cloned());
    let cond = numbered(&cond.join(" AND "));
    let mut args = vec![Sql::Integer(app_id)];
    args.extend(filter.args);
    let total: i64 = call.db.query_row(
        &format!("SELECT COUNT(*) FROM event_offline WHERE {cond}"),
        params_from_iter(args.clone()),
        |r| r.get(0),
    )?;
    let start = call.start.max(0);
    args.push(Sql::Integer(PAGE));
    args.push(Sql::Integer(start));
    let n = args.len();
    let rows = select(
        call,
        &format!(
            "SELECT {COLUMNS} FROM event_offline WHERE {cond} ORDER BY {order} LIMIT ?{} OFFSET ?{n}",
            n - 1
        ),
        args,
    )?;
    // `start` is the caller's number: past the end there is no next page, whatever its size.
    let next = start.checked_add(PAGE).filter(|n| *n < total);
    let items: Vec<Value> = rows.iter().map(|r| r.to_json(call, true)).collect();
    Ok(Output::page(Value::Array(items), next, Some(total)))
}

/// `app_id = ? AND process_id = ? AND <filter>` with numbered placeholders.
fn scoped(app_id: i64, process_id: &str, filter: &Conditions) -> (String, Vec<Sql>) {
    let mut cond = vec!["app_id = ?".to_string(), "process_id = ?".to_string()];
    cond.extend(filter.sql.iter().cloned());
    let mut args = vec![Sql::Integer(app_id), Sql::Text(process_id.to_string())];
    args.extend(filter.args.iter().cloned());
    (numbered(&cond.join(" AND ")), args)
}

/// Turns each bare `?` into `?1`, `?2`, ... so more arguments can follow by number.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        out.push(ch);
        if ch == '?' {
            n += 1;
            out.push_str(&n.to_string());
        }
    }
    out
}

fn list_of(v: &Value, make: impl Fn(String) -> Sql) -> Vec<Sql> {
    let items: Vec<&Value> = if is_array(v) { elements(v) } else { vec![v] };
    items.into_iter().filter_map(as_string).map(make).collect()
}

fn delete_ids(call: &Call<'_>, ids: &[Sql]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    call.db.execute(
        &format!("DELETE FROM event_offline WHERE id IN ({marks})"),
        params_from_iter(ids.iter().cloned()),
    )?;
    Ok(())
}

/// One stored row.
struct Row {
    id: i64,
    timestamp: i64,
    event_name: String,
    data: String,
    additional: String,
    message_id: String,
    process_id: String,
    connector_id: String,
    error: i64,
}

impl Row {
    /// The row as the API prints it: ids as strings, dates in ISO 8601, stored arrays decoded
    /// (`false` when empty, as PHP `unserialize` of nothing gives).
    fn to_json(&self, call: &Call<'_>, full: bool) -> Value {
        let decode = |s: &str| serde_json::from_str::<Value>(s).unwrap_or(Value::Bool(false));
        let mut v = json!({
            "ID": self.id.to_string(),
            "TIMESTAMP_X": call.iso(self.timestamp),
            "EVENT_NAME": self.event_name,
            "EVENT_DATA": decode(&self.data),
            "EVENT_ADDITIONAL": decode(&self.additional),
            "MESSAGE_ID": self.message_id,
        });
        if full {
            v["PROCESS_ID"] = json!(self.process_id);
            v["CONNECTOR_ID"] = json!(self.connector_id);
            v["ERROR"] = json!(self.error.to_string());
        }
        v
    }
}

fn select(call: &Call<'_>, sql: &str, args: Vec<Sql>) -> Result<Vec<Row>, ApiError> {
    let mut stmt = call.db.prepare(sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| {
        Ok(Row {
            id: r.get(0)?,
            timestamp: r.get(1)?,
            event_name: r.get(2)?,
            data: r.get(3)?,
            additional: r.get(4)?,
            message_id: r.get(5)?,
            process_id: r.get(6)?,
            connector_id: r.get(7)?,
            error: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
