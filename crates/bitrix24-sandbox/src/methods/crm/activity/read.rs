//! `crm.activity.get`, `crm.activity.list` and `crm.activity.delete`: the classic proxy
//! (UPPER_CASE rows with string values, `""` errors), over the activities the sandbox creates.

use crate::error::ApiError;
use crate::methods::crm::params::{array_param, entity_id};
use crate::methods::crm::values;
use crate::methods::{Call, Output};
use crate::php::value::{as_string, elements, entries, intval, is_array};
use rusqlite::types::Value as Sql;
use rusqlite::OptionalExtension;
use serde_json::{json, Map, Value};

/// How a column is printed and filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Int,
    Text,
    Time,
}

const COLUMNS: [(&str, Col); 23] = [
    ("ID", Col::Int),
    ("OWNER_ID", Col::Int),
    ("OWNER_TYPE_ID", Col::Int),
    ("TYPE_ID", Col::Int),
    ("PROVIDER_ID", Col::Text),
    ("PROVIDER_TYPE_ID", Col::Text),
    ("SUBJECT", Col::Text),
    ("CREATED", Col::Time),
    ("LAST_UPDATED", Col::Time),
    ("START_TIME", Col::Time),
    ("END_TIME", Col::Time),
    ("DEADLINE", Col::Time),
    ("COMPLETED", Col::Text),
    ("STATUS", Col::Int),
    ("RESPONSIBLE_ID", Col::Int),
    ("PRIORITY", Col::Int),
    ("DESCRIPTION", Col::Text),
    ("DESCRIPTION_TYPE", Col::Int),
    ("DIRECTION", Col::Int),
    ("AUTHOR_ID", Col::Int),
    ("EDITOR_ID", Col::Int),
    ("PARENT_ID", Col::Int),
    ("SETTINGS", Col::Text),
];

fn column(name: &str) -> Option<(&'static str, Col)> {
    COLUMNS.iter().copied().find(|(n, _)| *n == name)
}

fn select_sql() -> String {
    COLUMNS
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row as the proxy prints it: every value a string, times ISO 8601.
fn render(call: &Call<'_>, r: &rusqlite::Row<'_>) -> rusqlite::Result<Map<String, Value>> {
    let mut out = Map::new();
    for (i, (name, col)) in COLUMNS.iter().enumerate() {
        let v = match col {
            Col::Int => Value::String(r.get::<_, i64>(i)?.to_string()),
            Col::Text if *name == "SETTINGS" => {
                let text: String = r.get(i)?;
                serde_json::from_str(&text).unwrap_or(Value::Object(Map::new()))
            }
            Col::Text => Value::String(r.get(i)?),
            Col::Time => match r.get::<_, Option<i64>>(i)? {
                Some(t) => Value::String(call.iso(t)),
                None => Value::String(String::new()),
            },
        };
        out.insert((*name).to_string(), v);
    }
    Ok(out)
}

/// `crm.activity.get`.
pub fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = entity_id(call)?;
    let row = call
        .db
        .prepare(&format!(
            "SELECT {} FROM crm_activity WHERE ID = ?1",
            select_sql()
        ))?
        .query_row([id], |r| render(call, r))
        .optional()?
        .ok_or_else(|| ApiError::crm("Not found"))?;
    Ok(Output::new(Value::Object(row)))
}

/// `crm.activity.delete`: `true`, `ONCRMACTIVITYDELETE`.
pub fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = entity_id(call)?;
    if call
        .db
        .execute("DELETE FROM crm_activity WHERE ID = ?1", [id])?
        == 0
    {
        return Err(ApiError::crm("Not found"));
    }
    call.raise(
        "ONCRMACTIVITYDELETE",
        json!({"FIELDS": {"ID": id.to_string()}}),
    );
    Ok(Output::new(true))
}

fn sql_value(col: Col, v: &Value, offset: time::UtcOffset) -> Option<Sql> {
    let text = as_string(v).unwrap_or_default();
    Some(match col {
        Col::Int => Sql::Integer(intval(v)),
        Col::Text => Sql::Text(text),
        Col::Time => Sql::Integer(values::parse_datetime(&text, offset)?),
    })
}

/// The WHERE clause of a list filter. Unknown keys are dropped (noted), as classic lists do.
fn compile(call: &mut Call<'_>, filter: &Value, params: &mut Vec<Sql>) -> String {
    let offset = call.portal.config.utc_offset;
    let mut parts = Vec::new();
    for (key, value) in entries(filter) {
        if key.eq_ignore_ascii_case("BINDINGS") {
            let mut any = Vec::new();
            for b in elements(value) {
                let t = b.get("OWNER_TYPE_ID").map_or(0, intval);
                let id = b.get("OWNER_ID").map_or(0, intval);
                params.push(Sql::Integer(t));
                params.push(Sql::Integer(id));
                any.push("(OWNER_TYPE_ID = ? AND OWNER_ID = ?)".to_string());
            }
            parts.push(if any.is_empty() {
                "1=2".to_string()
            } else {
                format!("({})", any.join(" OR "))
            });
            continue;
        }
        let (negate, rest) = match key.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, key.as_str()),
        };
        let (op, name) = [">=", "<=", ">", "<", "@", "%", "="]
            .into_iter()
            .find_map(|p| rest.strip_prefix(p).map(|n| (p, n)))
            .unwrap_or(("=", rest));
        let Some((name, col)) = column(&name.to_uppercase()) else {
            call.note(format!(
                "crm.activity.list: unknown filter key '{key}' dropped"
            ));
            continue;
        };
        let sql = if op == "@" || (op == "=" && is_array(value)) {
            let list: Vec<Sql> = elements(value)
                .into_iter()
                .filter_map(|v| sql_value(col, v, offset))
                .collect();
            if list.is_empty() {
                "1=2".to_string()
            } else {
                let marks = vec!["?"; list.len()].join(", ");
                params.extend(list);
                format!("{name} IN ({marks})")
            }
        } else if op == "%" {
            params.push(Sql::Text(format!(
                "%{}%",
                as_string(value).unwrap_or_default()
            )));
            format!("{name} LIKE ?")
        } else {
            let Some(v) = sql_value(col, value, offset) else {
                call.note(format!(
                    "crm.activity.list: filter key '{key}': unreadable date dropped"
                ));
                continue;
            };
            params.push(v);
            format!("{name} {op} ?")
        };
        parts.push(if negate { format!("NOT ({sql})") } else { sql });
    }
    if parts.is_empty() {
        "1=1".into()
    } else {
        parts.join(" AND ")
    }
}

/// `crm.activity.list`: a bare array of 50 with `total`/`next`, `START_TIME` ascending by
/// default; `select` picks columns (`ID` always).
pub fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let filter = array_param(call, "filter")
        .filter(|f| is_array(f))
        .cloned()
        .unwrap_or(json!({}));
    let order = array_param(call, "order").filter(|o| is_array(o)).cloned();
    let select: Vec<String> = array_param(call, "select")
        .map(elements)
        .unwrap_or_default()
        .into_iter()
        .filter_map(as_string)
        .map(|s| s.to_uppercase())
        .collect();
    let mut params = Vec::new();
    let where_sql = compile(call, &filter, &mut params);
    let mut terms: Vec<String> = Vec::new();
    for (key, dir) in order.as_ref().map(entries).unwrap_or_default() {
        if let Some((name, _)) = column(&key.to_uppercase()) {
            let desc = as_string(dir)
                .unwrap_or_default()
                .eq_ignore_ascii_case("DESC");
            terms.push(format!("{name} {}", if desc { "DESC" } else { "ASC" }));
        }
    }
    if terms.is_empty() {
        terms.push("START_TIME ASC".into());
    }
    terms.push("ID ASC".into());
    let total: i64 = call
        .db
        .prepare(&format!(
            "SELECT COUNT(*) FROM crm_activity WHERE {where_sql}"
        ))?
        .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
    let offset = crate::methods::engine::offset(call.start, 50);
    let mut stmt = call.db.prepare(&format!(
        "SELECT {} FROM crm_activity WHERE {where_sql} ORDER BY {} LIMIT 50 OFFSET {offset}",
        select_sql(),
        terms.join(", ")
    ))?;
    let rows: Vec<Map<String, Value>> = stmt
        .query_map(rusqlite::params_from_iter(params.iter()), |r| {
            render(call, r)
        })?
        .collect::<Result<_, _>>()?;
    drop(stmt);
    let out: Vec<Value> = rows
        .into_iter()
        .map(|mut row| {
            if !select.is_empty() && !select.iter().any(|s| s == "*") {
                row.retain(|k, _| k == "ID" || select.contains(k));
            }
            Value::Object(row)
        })
        .collect();
    let next = crate::methods::engine::next(offset, 50, total);
    Ok(Output::page(Value::Array(out), next, Some(total)))
}
