//! `filter` and `order` of `event.offline.get` / `event.offline.list`: only a few fields and
//! operators are allowed (`rest/lib/api/event.php`: ID, TIMESTAMP_X, EVENT_NAME, MESSAGE_ID;
//! the list adds PROCESS_ID and ERROR; operators '', `=`, `>`, `<`, `>=`, `<=`, `@`, `%`).
//! Anything else is `ERROR_ARGUMENT` "Filter field not allowed".

use crate::error::ApiError;
use crate::php::value::{as_string, elements, entries, intval, is_array};
use rusqlite::types::Value as Sql;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Fields `event.offline.get` filters and orders on.
pub const GET_FIELDS: &[&str] = &["ID", "TIMESTAMP_X", "EVENT_NAME", "MESSAGE_ID"];
/// Fields `event.offline.list` filters and orders on.
pub const LIST_FIELDS: &[&str] = &[
    "ID",
    "TIMESTAMP_X",
    "EVENT_NAME",
    "MESSAGE_ID",
    "PROCESS_ID",
    "ERROR",
];

/// SQL conditions (joined with AND) and their arguments.
#[derive(Debug, Default)]
pub struct Conditions {
    /// `column op ?` fragments.
    pub sql: Vec<String>,
    /// Arguments in order.
    pub args: Vec<Sql>,
}

/// Longest operators first, so `>=` is not read as `>`.
const OPERATORS: &[&str] = &[">=", "<=", "=", ">", "<", "@", "%"];

fn filter_error() -> ApiError {
    ApiError::argument("FILTER", "Filter field not allowed")
}

/// Parses `filter` against `allowed` fields.
pub fn filter(raw: Option<&Value>, allowed: &[&str]) -> Result<Conditions, ApiError> {
    let mut c = Conditions::default();
    let Some(raw) = raw else { return Ok(c) };
    if !is_array(raw) {
        return if as_string(raw).is_some_and(|s| s.is_empty()) {
            Ok(c)
        } else {
            Err(filter_error())
        };
    }
    for (key, value) in entries(raw) {
        let op = OPERATORS
            .iter()
            .find(|op| key.starts_with(**op))
            .copied()
            .unwrap_or("");
        let field = key[op.len()..].to_uppercase();
        if !allowed.contains(&field.as_str()) {
            return Err(filter_error());
        }
        let column = field.to_lowercase();
        match op {
            "@" => {
                let items: Vec<&Value> = if is_array(value) {
                    elements(value)
                } else {
                    vec![value]
                };
                if items.is_empty() {
                    c.sql.push("0".into());
                    continue;
                }
                let marks = vec!["?"; items.len()].join(", ");
                c.sql.push(format!("{column} IN ({marks})"));
                for item in items {
                    c.args.push(sql_value(&field, item)?);
                }
            }
            "%" => {
                let text = as_string(value).ok_or_else(filter_error)?;
                c.sql.push(format!("CAST({column} AS TEXT) LIKE ?"));
                c.args.push(Sql::Text(format!("%{text}%")));
            }
            _ => {
                let sql_op = if op.is_empty() { "=" } else { op };
                c.sql.push(format!("{column} {sql_op} ?"));
                c.args.push(sql_value(&field, value)?);
            }
        }
    }
    Ok(c)
}

/// A filter value in the column's storage form: ids and flags as integers, TIMESTAMP_X from
/// an ISO 8601 date (as the API prints it) or unix seconds, EVENT_NAME upper-cased.
fn sql_value(field: &str, v: &Value) -> Result<Sql, ApiError> {
    let text = as_string(v).ok_or_else(filter_error)?;
    Ok(match field {
        "ID" | "ERROR" => Sql::Integer(intval(v)),
        "TIMESTAMP_X" => match OffsetDateTime::parse(text.trim(), &Rfc3339) {
            Ok(t) => Sql::Integer(t.unix_timestamp()),
            Err(_) => Sql::Integer(intval(v)),
        },
        "EVENT_NAME" => Sql::Text(text.to_uppercase()),
        _ => Sql::Text(text),
    })
}

/// Parses `order` against `allowed` fields into an `ORDER BY` list; `default` when absent.
/// `ID` is always appended last so equal timestamps come out in a stable order.
pub fn order(raw: Option<&Value>, allowed: &[&str], default: &str) -> Result<String, ApiError> {
    let mut parts = Vec::new();
    if let Some(raw) = raw.filter(|v| is_array(v)) {
        for (key, dir) in entries(raw) {
            let field = key.to_uppercase();
            if !allowed.contains(&field.as_str()) {
                return Err(ApiError::argument("ORDER", "Order field not allowed"));
            }
            let desc = as_string(dir).is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            parts.push(format!(
                "{} {}",
                field.to_lowercase(),
                if desc { "DESC" } else { "ASC" }
            ));
        }
    }
    if parts.is_empty() {
        parts.push(default.to_string());
    }
    parts.push("id ASC".into());
    Ok(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operators_and_fields() {
        let c = filter(
            Some(&json!({">=ID": "3", "EVENT_NAME": "oncrmleadadd", "@MESSAGE_ID": {"0": "a", "1": "b"}})),
            GET_FIELDS,
        )
        .expect("valid filter");
        assert_eq!(c.sql, ["id >= ?", "event_name = ?", "message_id IN (?, ?)"]);
        assert_eq!(c.args[1], Sql::Text("ONCRMLEADADD".into()));
        let err = filter(Some(&json!({"PROCESS_ID": "x"})), GET_FIELDS).unwrap_err();
        assert_eq!(err.description, "Filter field not allowed");
        assert!(filter(Some(&json!({"!ID": 1})), GET_FIELDS).is_err());
        assert!(filter(Some(&json!({"PROCESS_ID": "x"})), LIST_FIELDS).is_ok());
    }

    #[test]
    fn order_is_checked_and_stable() {
        let o = order(Some(&json!({"ID": "desc"})), GET_FIELDS, "timestamp_x ASC").unwrap();
        assert_eq!(o, "id DESC, id ASC");
        assert_eq!(
            order(None, GET_FIELDS, "timestamp_x ASC").unwrap(),
            "timestamp_x ASC, id ASC"
        );
        assert!(order(Some(&json!({"APP_ID": "asc"})), GET_FIELDS, "id ASC").is_err());
    }
}
