//! Classic list parameters of the directory methods: `order` and `filter` under their
//! `resolveArrayParam` spellings, turned into SQL over a whitelist of columns.
//!
//! Only whitelisted column names ever reach the SQL text; every value is a bound parameter.

use crate::error::ApiError;
use crate::php::value::{as_string, elements, entries, intval, is_array};
use rusqlite::types::Value as SqlValue;
use serde_json::{Map, Value};

/// A field a directory list can filter and sort by.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The REST field name, e.g. `STATUS_ID`.
    pub field: &'static str,
    /// The SQL column.
    pub sql: &'static str,
    /// Whether values compare as integers.
    pub int: bool,
}

/// `CCrmRestHelper::resolveArrayParam`: the name as given, UPPER, lower, Capitalized, `ar`+Cap.
/// A value that is present but not an array is "Parameter 'x' must be array.".
pub fn array_param<'a>(
    params: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a Value>, ApiError> {
    let lower = name.to_lowercase();
    let capitalized = capitalize(&lower);
    let names = [
        name.to_string(),
        name.to_uppercase(),
        lower.clone(),
        capitalized.clone(),
        format!("ar{capitalized}"),
    ];
    let found = names
        .iter()
        .find_map(|n| params.get(n.as_str()).filter(|v| !v.is_null()));
    match found {
        Some(v) if !is_array(v) => {
            Err(ApiError::crm(format!("Parameter '{lower}' must be array.")))
        }
        other => Ok(other),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Builds ` AND cond AND cond…` for the filter; keys naming unknown fields are dropped (as the
/// portal drops them), and their names are returned for the sandbox log.
pub fn where_sql(
    filter: Option<&Value>,
    columns: &[Column],
    sql: &mut String,
    args: &mut Vec<SqlValue>,
) -> Vec<String> {
    let mut dropped = Vec::new();
    for (key, value) in filter.map(entries).unwrap_or_default() {
        let (negate, op, field) = split_operator(&key);
        let Some(col) = columns.iter().find(|c| c.field == field) else {
            dropped.push(key);
            continue;
        };
        let bind = |v: &Value| -> SqlValue {
            if col.int {
                SqlValue::Integer(intval(v))
            } else {
                SqlValue::Text(as_string(v).unwrap_or_default())
            }
        };
        let cond = match op {
            "@" => {
                let items = elements(value);
                if items.is_empty() {
                    "1 = 2".to_string()
                } else {
                    let marks = vec!["?"; items.len()].join(", ");
                    args.extend(items.into_iter().map(bind));
                    format!("{} IN ({marks})", col.sql)
                }
            }
            "%" => {
                let text = as_string(value).unwrap_or_default();
                args.push(SqlValue::Text(format!("%{}%", escape_like(&text))));
                format!("{} LIKE ? ESCAPE '\\'", col.sql)
            }
            _ => {
                args.push(bind(value));
                format!("{} {} ?", col.sql, op)
            }
        };
        if negate {
            sql.push_str(&format!(" AND ({} IS NULL OR NOT ({cond}))", col.sql));
        } else {
            sql.push_str(&format!(" AND {cond}"));
        }
    }
    dropped
}

/// `CSqlUtil::GetFilterOperation`, reduced to the operators the directories support.
fn split_operator(key: &str) -> (bool, &'static str, &str) {
    let (negate, rest) = match key.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, key),
    };
    for (prefix, op) in [
        (">=", ">="),
        ("<=", "<="),
        (">", ">"),
        ("<", "<"),
        ("@", "@"),
        ("%", "%"),
        ("=", "="),
    ] {
        if let Some(field) = rest.strip_prefix(prefix) {
            return (negate, op, field);
        }
    }
    (negate, "=", rest)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `ORDER BY …`: keys are upper-cased, unknown ones ignored, and any direction other than
/// `ASC` (any case) is `DESC`. `ID` breaks ties so the answer is stable.
pub fn order_sql(order: &[(String, String)], columns: &[Column]) -> String {
    let mut parts: Vec<String> = order
        .iter()
        .filter_map(|(field, dir)| {
            let col = columns.iter().find(|c| c.field == field.to_uppercase())?;
            let dir = if dir.eq_ignore_ascii_case("asc") {
                "ASC"
            } else {
                "DESC"
            };
            Some(format!("{} {dir}", col.sql))
        })
        .collect();
    parts.push("id ASC".to_string());
    format!(" ORDER BY {}", parts.join(", "))
}

/// The `order` array as `(field, direction)` pairs.
pub fn order_pairs(order: Option<&Value>) -> Vec<(String, String)> {
    order
        .map(entries)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, as_string(v).unwrap_or_default()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLS: [Column; 2] = [
        Column {
            field: "NAME",
            sql: "name",
            int: false,
        },
        Column {
            field: "SORT",
            sql: "sort",
            int: true,
        },
    ];

    #[test]
    fn filter_operators_become_bound_sql() {
        let filter = json!({"NAME": "a", ">=SORT": "10x", "!@NAME": {"0": "b", "1": "c"}, "%NAME": "5%", "BOGUS": 1});
        let mut sql = String::new();
        let mut args = Vec::new();
        let dropped = where_sql(Some(&filter), &COLS, &mut sql, &mut args);
        assert_eq!(dropped, ["BOGUS"]);
        assert_eq!(
            sql,
            " AND name = ? AND sort >= ? AND (name IS NULL OR NOT (name IN (?, ?))) AND name LIKE ? ESCAPE '\\'"
        );
        assert_eq!(args[1], SqlValue::Integer(10));
        assert_eq!(args[4], SqlValue::Text("%5\\%%".into()));
    }

    #[test]
    fn order_defaults_unknown_directions_to_desc() {
        let order = order_pairs(Some(&json!({"sort": "asc", "name": "up", "x": "asc"})));
        assert_eq!(
            order_sql(&order, &COLS),
            " ORDER BY sort ASC, name DESC, id ASC"
        );
    }

    #[test]
    fn array_params_resolve_spellings_and_reject_scalars() {
        let params = json!({"arFilter": {"A": 1}, "ORDER": "x"});
        let Value::Object(params) = params else {
            unreachable!()
        };
        assert!(array_param(&params, "filter").expect("ok").is_some());
        let err = array_param(&params, "order").expect_err("scalar order");
        assert_eq!(err.description, "Parameter 'order' must be array.");
        assert!(array_param(&params, "select").expect("ok").is_none());
    }
}
