//! `user.current` and `user.get` (orders-timeline.md §6): the portal's users, with the fields
//! the caller's scope allows — `user` everything, `user_basic` the contact fields, `user_brief`
//! names, position, dates and departments but no `EMAIL`.

use super::{Access, Call, Output, Registry};
use crate::error::ApiError;
use crate::php::value::{as_string, elements, entries, intval, is_array};
use rusqlite::types::Value as Sql;
use rusqlite::OptionalExtension;
use serde_json::{json, Map, Value};

/// Registers the user methods.
pub fn register(r: &mut Registry) {
    r.add("user.current", "user", Access::Read, user_current);
    r.add("user.get", "user", Access::Read, user_get);
}

/// A portal user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User id.
    pub id: i64,
    /// First name.
    pub name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail.
    pub email: String,
    /// Portal administrator.
    pub admin: bool,
    /// Active (not dismissed).
    pub active: bool,
    /// Time zone name, may be empty.
    pub time_zone: String,
    /// Registration time, unix seconds.
    pub registered: i64,
}

const COLUMNS: &str = "id, name, last_name, email, admin, active, time_zone, date_register";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        last_name: r.get(2)?,
        email: r.get(3)?,
        admin: r.get::<_, i64>(4)? != 0,
        active: r.get::<_, i64>(5)? != 0,
        time_zone: r.get(6)?,
        registered: r.get(7)?,
    })
}

/// The calling user; a token of a user that no longer exists is an auth failure.
pub fn current(call: &Call<'_>) -> Result<User, ApiError> {
    call.db
        .query_row(
            &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
            [call.caller.user_id],
            read,
        )
        .optional()?
        .ok_or_else(|| ApiError::auth("authorization_error", "Unable to authorize user"))
}

/// Which fields a scope shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Full,
    Basic,
    Brief,
}

fn level(call: &Call<'_>) -> Level {
    let has = |s: &str| call.caller.scopes.iter().any(|g| g == s);
    if has("user") {
        Level::Full
    } else if has("user_basic") {
        Level::Basic
    } else {
        Level::Brief
    }
}

/// Fields `user_brief` leaves out (`ALLOWED_USER_NAME_FIELDS` has no contact fields).
const NOT_BRIEF: [&str; 1] = ["EMAIL"];
/// Fields only `user` shows.
const FULL_ONLY: [&str; 5] = [
    "XML_ID",
    "LAST_LOGIN",
    "TIME_ZONE",
    "TIME_ZONE_OFFSET",
    "TIMESTAMP_X",
];

fn render(call: &Call<'_>, u: &User, level: Level) -> Value {
    let registered = call.iso(u.registered);
    // LAST_ACTIVITY_DATE is not ISO on the real portal either.
    let activity: String = call
        .iso(call.unix_now())
        .replace('T', " ")
        .chars()
        .take(19)
        .collect();
    let mut v = json!({
        "ID": u.id.to_string(),
        "XML_ID": "",
        "ACTIVE": u.active,
        "NAME": u.name,
        "LAST_NAME": u.last_name,
        "SECOND_NAME": "",
        "EMAIL": u.email,
        "LAST_LOGIN": call.iso(call.unix_now()),
        "DATE_REGISTER": registered,
        "IS_ONLINE": "Y",
        "TIME_ZONE": u.time_zone,
        "TIME_ZONE_OFFSET": call.portal.config.utc_offset.whole_seconds().to_string(),
        "TIMESTAMP_X": registered,
        "LAST_ACTIVITY_DATE": activity,
        "PERSONAL_GENDER": "",
        "PERSONAL_BIRTHDAY": "",
        "WORK_POSITION": if u.admin { "Administrator" } else { "Manager" },
        "UF_EMPLOYMENT_DATE": "",
        "UF_DEPARTMENT": [1],
        "USER_TYPE": "employee",
    });
    if let Value::Object(m) = &mut v {
        match level {
            Level::Full => {}
            Level::Basic => m.retain(|k, _| !FULL_ONLY.contains(&k.as_str())),
            Level::Brief => m.retain(|k, _| {
                !FULL_ONLY.contains(&k.as_str()) && !NOT_BRIEF.contains(&k.as_str())
            }),
        }
    }
    v
}

fn user_current(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let u = current(call)?;
    Ok(Output::new(render(call, &u, level(call))))
}

/// Filterable fields and their columns.
const FILTERABLE: [(&str, &str); 6] = [
    ("ID", "id"),
    ("NAME", "name"),
    ("LAST_NAME", "last_name"),
    ("EMAIL", "email"),
    ("ACTIVE", "active"),
    ("DATE_REGISTER", "date_register"),
];

fn sql_value(column: &str, v: &Value) -> Sql {
    match column {
        "id" | "date_register" => Sql::Integer(intval(v)),
        "active" => {
            let yes = match v {
                Value::Bool(b) => *b,
                other => as_string(other).is_some_and(|s| s.eq_ignore_ascii_case("Y") || s == "1"),
            };
            Sql::Integer(i64::from(yes))
        }
        _ => Sql::Text(as_string(v).unwrap_or_default()),
    }
}

/// The WHERE clause of a `user.get` filter: allowed names with an optional one- or
/// two-character prefix; other keys are skipped (noted), as `prepareUserFilter` does.
fn compile(call: &mut Call<'_>, filter: &Map<String, Value>, params: &mut Vec<Sql>) -> String {
    let mut parts = vec!["1=1".to_string()];
    for (key, value) in filter {
        let upper = key.to_uppercase();
        if matches!(
            upper.as_str(),
            "SORT" | "ORDER" | "SELECT" | "IMAGE_RESIZE" | "ADMIN_MODE" | "FILTER"
        ) {
            continue;
        }
        let (op, name) = ["!=", ">=", "<=", "!%", "=", "!", ">", "<", "%", "@"]
            .into_iter()
            .find_map(|p| upper.strip_prefix(p).map(|n| (p, n)))
            .unwrap_or(("", upper.as_str()));
        if name == "USER_TYPE" {
            // Every sandbox user is an employee.
            let wants = as_string(value).unwrap_or_default();
            if wants != "employee" {
                parts.push("1=2".into());
            }
            continue;
        }
        if name == "NAME_SEARCH" || name == "FIND" {
            let text = format!("%{}%", as_string(value).unwrap_or_default());
            for _ in 0..3 {
                params.push(Sql::Text(text.clone()));
            }
            parts.push("(name LIKE ? OR last_name LIKE ? OR email LIKE ?)".into());
            continue;
        }
        if name == "UF_DEPARTMENT" {
            // Every sandbox user is in department 1.
            let ids: Vec<i64> = if is_array(value) {
                elements(value).into_iter().map(intval).collect()
            } else {
                vec![intval(value)]
            };
            if !ids.contains(&1) {
                parts.push("1=2".into());
            }
            continue;
        }
        let Some((_, column)) = FILTERABLE.iter().find(|(f, _)| *f == name) else {
            call.note(format!("user.get: filter key '{key}' skipped"));
            continue;
        };
        let negate = op.starts_with('!');
        let sql = if is_array(value) {
            let list: Vec<Sql> = elements(value)
                .into_iter()
                .map(|v| sql_value(column, v))
                .collect();
            if list.is_empty() {
                "1=2".to_string()
            } else {
                let marks = vec!["?"; list.len()].join(", ");
                params.extend(list);
                format!("{column} IN ({marks})")
            }
        } else if op.contains('%') {
            params.push(Sql::Text(format!(
                "%{}%",
                as_string(value).unwrap_or_default()
            )));
            format!("{column} LIKE ?")
        } else {
            params.push(sql_value(column, value));
            let cmp = match op.trim_start_matches('!') {
                ">=" => ">=",
                "<=" => "<=",
                ">" => ">",
                "<" => "<",
                _ => "=",
            };
            format!("{column} {cmp} ?")
        };
        parts.push(if negate { format!("NOT ({sql})") } else { sql });
    }
    parts.join(" AND ")
}

/// `user.get`: a bare array of 50 with `total` (none when empty), `ID` ascending by default.
/// `FILTER` (an array) is the filter; otherwise the top-level keys are, as the portal keeps for
/// compatibility.
fn user_get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let mut upper = Map::new();
    for (k, v) in &call.params {
        upper.insert(k.to_uppercase(), v.clone());
    }
    let sort = upper
        .get("SORT")
        .and_then(as_string)
        .map(|s| s.to_uppercase())
        .and_then(|s| FILTERABLE.iter().find(|(f, _)| *f == s).map(|(_, c)| *c))
        .unwrap_or("id");
    let desc = upper
        .get("ORDER")
        .and_then(as_string)
        .is_some_and(|o| o.eq_ignore_ascii_case("DESC"));
    let filter: Map<String, Value> = match upper.get("FILTER") {
        Some(f) if is_array(f) => entries(f)
            .into_iter()
            .map(|(k, v)| (k, v.clone()))
            .collect(),
        _ => upper.clone(),
    };
    let mut params = Vec::new();
    let where_sql = compile(call, &filter, &mut params);
    let offset = crate::methods::engine::offset(call.start, 50);
    let total: i64 = call
        .db
        .prepare(&format!("SELECT COUNT(*) FROM users WHERE {where_sql}"))?
        .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
    let users: Vec<User> = call
        .db
        .prepare(&format!(
            "SELECT {COLUMNS} FROM users WHERE {where_sql} ORDER BY {sort} {}, id ASC \
             LIMIT 50 OFFSET {offset}",
            if desc { "DESC" } else { "ASC" }
        ))?
        .query_map(rusqlite::params_from_iter(params.iter()), read)?
        .collect::<Result<_, _>>()?;
    let lvl = level(call);
    let rows: Vec<Value> = users.iter().map(|u| render(call, u, lvl)).collect();
    if rows.is_empty() {
        return Ok(Output::new(Value::Array(rows)));
    }
    let next = crate::methods::engine::next(offset, 50, total);
    Ok(Output::page(Value::Array(rows), next, Some(total)))
}
