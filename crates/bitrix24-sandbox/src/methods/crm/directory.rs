//! Directories: `crm.status.list` (protocol.md §5.4) and the deal pipelines
//! (`crm.dealcategory.*`, `crm.category.list`; §5.5, in [`category`]).
//!
//! Statuses live in `crm_status` (the portal's `b_crm_status`), pipelines in
//! `crm_deal_category`; both are seeded with a fresh portal's defaults plus one custom pipeline,
//! "Wholesale" (id 1) with its `DEAL_STAGE_1` stages `C1:…`.

#[macro_use]
mod seed;
pub mod category;
pub mod query;

use crate::error::ApiError;
use crate::methods::{Access, Call, Output, Registry};
use query::Column;
use rusqlite::{Connection, OptionalExtension, Row};
use serde_json::{json, Map, Value};

/// Tables of the directories, and their seed rows.
pub const SCHEMA: &str = concat!(
    r#"
CREATE TABLE IF NOT EXISTS crm_status (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id TEXT NOT NULL,
    status_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_init TEXT NOT NULL DEFAULT '',
    sort INTEGER NOT NULL DEFAULT 10,
    system TEXT NOT NULL DEFAULT 'N',
    category_id INTEGER,
    color TEXT,
    semantics TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS crm_status_entity ON crm_status (entity_id, status_id);
CREATE TABLE IF NOT EXISTS crm_deal_category (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_date INTEGER NOT NULL,
    name TEXT NOT NULL,
    sort INTEGER NOT NULL DEFAULT 500,
    is_locked TEXT NOT NULL DEFAULT 'N',
    origin_id TEXT NOT NULL DEFAULT '',
    originator_id TEXT NOT NULL DEFAULT ''
);
"#,
    directory_seed!()
);

/// Registers the directory methods.
pub fn register(r: &mut Registry) {
    r.add("crm.status.list", "crm", Access::Read, status_list);
    category::register(r);
}

/// Filterable and sortable fields of `crm.status.list` (`CCrmStatus::GetFieldsInfo`).
const STATUS_COLUMNS: [Column; 10] = [
    Column {
        field: "ID",
        sql: "id",
        int: true,
    },
    Column {
        field: "ENTITY_ID",
        sql: "entity_id",
        int: false,
    },
    Column {
        field: "STATUS_ID",
        sql: "status_id",
        int: false,
    },
    Column {
        field: "NAME",
        sql: "name",
        int: false,
    },
    Column {
        field: "NAME_INIT",
        sql: "name_init",
        int: false,
    },
    Column {
        field: "SORT",
        sql: "sort",
        int: true,
    },
    Column {
        field: "SYSTEM",
        sql: "system",
        int: false,
    },
    Column {
        field: "CATEGORY_ID",
        sql: "category_id",
        int: true,
    },
    Column {
        field: "COLOR",
        sql: "color",
        int: false,
    },
    Column {
        field: "SEMANTICS",
        sql: "semantics",
        int: false,
    },
];

const STATUS_SELECT: &str = "SELECT id, entity_id, status_id, name, name_init, sort, system,
    category_id, color, semantics FROM crm_status WHERE 1 = 1";

/// The `crm_status` entity of a deal pipeline's stages: `DEAL_STAGE` or `DEAL_STAGE_{N}`.
pub fn stage_entity(category_id: i64) -> String {
    if category_id > 0 {
        format!("DEAL_STAGE_{category_id}")
    } else {
        "DEAL_STAGE".to_string()
    }
}

/// `STATUS_SEMANTIC_ID` / `STAGE_SEMANTIC_ID` of a status: `P` (in progress), `S` or `F`;
/// `None` when the directory has no such status.
pub fn semantic_id(
    conn: &Connection,
    entity_id: &str,
    status_id: &str,
) -> rusqlite::Result<Option<&'static str>> {
    let semantics: Option<Option<String>> = conn
        .prepare_cached("SELECT semantics FROM crm_status WHERE entity_id = ?1 AND status_id = ?2")?
        .query_row([entity_id, status_id], |r| r.get(0))
        .optional()?;
    Ok(semantics.map(|s| match s.as_deref() {
        Some("S") => "S",
        Some("F") => "F",
        _ => "P",
    }))
}

/// The first status of a directory by sort: the default for new entities.
pub fn first_status(conn: &Connection, entity_id: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT status_id FROM crm_status WHERE entity_id = ?1 ORDER BY sort, id LIMIT 1",
    )?
    .query_row([entity_id], |r| r.get(0))
    .optional()
}

fn status_list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let order = query::array_param(&call.params, "order")?;
    let filter = query::array_param(&call.params, "filter")?;
    // `CCrmStatusRestProxy::innerGetList`: these fields must be filtered by one string.
    for field in ["ENTITY_ID", "STATUS_ID", "SORT", "SEMANTICS"] {
        if filter
            .and_then(|f| f.get(field))
            .is_some_and(crate::php::value::is_array)
        {
            return Err(ApiError::crm(format!("Filter by {field} must be a string")));
        }
    }
    let rows = statuses(call.db, filter, &query::order_pairs(order), &mut |key| {
        call.effects.notes.push(format!(
            "crm.status.list: unknown filter key {key:?} dropped"
        ));
    })?;
    let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    // No paging: the proxy returns a plain array, so every row comes back with its count.
    Ok(Output::page(rows, None, Some(total)))
}

/// Status rows matching a classic filter, in `order` (default `sort asc`).
pub fn statuses(
    db: &Connection,
    filter: Option<&Value>,
    order: &[(String, String)],
    dropped: &mut dyn FnMut(&str),
) -> Result<Vec<Value>, ApiError> {
    let mut sql = STATUS_SELECT.to_string();
    let mut args = Vec::new();
    for key in query::where_sql(filter, &STATUS_COLUMNS, &mut sql, &mut args) {
        dropped(&key);
    }
    let default_order = [("sort".to_string(), "asc".to_string())];
    let order = if order.is_empty() {
        &default_order[..]
    } else {
        order
    };
    sql.push_str(&query::order_sql(order, &STATUS_COLUMNS));
    let mut stmt = db.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), status_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<Value>>>()?)
}

/// One status as the portal prints it: every column a string (or null), plus `EXTRA` for the
/// directories that have semantics (`CCrmStatusRestProxy::prepareExtra`).
fn status_row(r: &Row<'_>) -> rusqlite::Result<Value> {
    let entity_id: String = r.get(1)?;
    let status_id: String = r.get(2)?;
    let color: Option<String> = r.get(8)?;
    let semantics: Option<String> = r.get(9)?;
    let mut row = Map::new();
    row.insert("ID".into(), json!(r.get::<_, i64>(0)?.to_string()));
    row.insert("ENTITY_ID".into(), json!(entity_id));
    row.insert("STATUS_ID".into(), json!(status_id));
    row.insert("NAME".into(), json!(r.get::<_, String>(3)?));
    row.insert("NAME_INIT".into(), json!(r.get::<_, String>(4)?));
    row.insert("SORT".into(), json!(r.get::<_, i64>(5)?.to_string()));
    row.insert("SYSTEM".into(), json!(r.get::<_, String>(6)?));
    let category: Option<i64> = r.get(7)?;
    row.insert("CATEGORY_ID".into(), json!(category.map(|c| c.to_string())));
    row.insert("COLOR".into(), json!(color));
    row.insert("SEMANTICS".into(), json!(semantics));
    if has_semantics(&entity_id) {
        let extra = match semantics.as_deref() {
            Some("S") => "success",
            // The main failure stage is "failure"; other failure stages are "apology".
            Some("F") if is_main_failure(&status_id) => "failure",
            Some("F") => "apology",
            _ => "process",
        };
        row.insert(
            "EXTRA".into(),
            json!({"SEMANTICS": extra, "COLOR": color.unwrap_or_default()}),
        );
    }
    Ok(Value::Object(row))
}

fn has_semantics(entity_id: &str) -> bool {
    matches!(entity_id, "STATUS" | "QUOTE_STATUS" | "DEAL_STAGE")
        || entity_id
            .strip_prefix("DEAL_STAGE_")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_main_failure(status_id: &str) -> bool {
    let bare = status_id.rsplit(':').next().unwrap_or(status_id);
    matches!(bare, "LOSE" | "JUNK" | "DECLAINED")
}

#[cfg(test)]
mod tests;
