//! Deal pipelines: the legacy `crm.dealcategory.{list,status,stage.list}` (custom pipelines
//! only) and the universal `crm.category.list` (which includes the default pipeline 0).
//! `crm.deal.category.list` does not exist on the portal and is deliberately not registered.

use super::query::{self, Column};
use crate::error::ApiError;
use crate::methods::{Access, Call, Output, Registry};
use crate::php::value::{as_string, elements, intval};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Map, Value};

/// Registers the pipeline methods.
pub fn register(r: &mut Registry) {
    r.add(
        "crm.dealcategory.list",
        "crm",
        Access::Read,
        dealcategory_list,
    );
    r.add(
        "crm.dealcategory.status",
        "crm",
        Access::Read,
        dealcategory_status,
    );
    r.add(
        "crm.dealcategory.stage.list",
        "crm",
        Access::Read,
        dealcategory_stage_list,
    );
    r.add("crm.category.list", "crm", Access::Read, category_list);
}

/// Fields of a legacy pipeline row (`DealCategory::getFieldsInfo`).
const COLUMNS: [Column; 5] = [
    Column {
        field: "ID",
        sql: "id",
        int: true,
    },
    Column {
        field: "CREATED_DATE",
        sql: "created_date",
        int: true,
    },
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
    Column {
        field: "IS_LOCKED",
        sql: "is_locked",
        int: false,
    },
];

/// Whether a custom deal pipeline exists (pipeline 0 always does).
pub fn exists(conn: &Connection, category_id: i64) -> rusqlite::Result<bool> {
    if category_id == 0 {
        return Ok(true);
    }
    Ok(conn
        .prepare_cached("SELECT 1 FROM crm_deal_category WHERE id = ?1")?
        .query_row([category_id], |_| Ok(()))
        .optional()?
        .is_some())
}

fn dealcategory_list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let order = query::order_pairs(query::array_param(&call.params, "order")?);
    let filter = query::array_param(&call.params, "filter")?;
    let select: Vec<String> = query::array_param(&call.params, "select")?
        .map(elements)
        .unwrap_or_default()
        .into_iter()
        .filter_map(as_string)
        .map(|s| s.to_uppercase())
        .collect();
    let mut sql =
        "SELECT id, created_date, name, sort, is_locked FROM crm_deal_category WHERE 1 = 1"
            .to_string();
    let mut args = Vec::new();
    for key in query::where_sql(filter, &COLUMNS, &mut sql, &mut args) {
        call.note(format!(
            "crm.dealcategory.list: unknown filter key {key:?} dropped"
        ));
    }
    sql.push_str(&query::order_sql(&order, &COLUMNS));
    let mut stmt = call.db.prepare(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let all = select.is_empty() || select.iter().any(|s| s == "*");
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(id, created, name, sort, locked)| {
            let full = [
                ("ID", json!(id.to_string())),
                ("CREATED_DATE", json!(call.iso(created))),
                ("NAME", json!(name)),
                ("SORT", json!(sort.to_string())),
                ("IS_LOCKED", json!(locked)),
            ];
            let row: Map<String, Value> = full
                .into_iter()
                // `ID` is always selected, as in every classic list.
                .filter(|(k, _)| all || *k == "ID" || select.iter().any(|s| s == k))
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            Value::Object(row)
        })
        .collect();
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    Ok(Output::page(items, None, Some(total)))
}

/// `id` / `ID` of the legacy pipeline methods; absent or empty means pipeline 0.
fn category_param(call: &Call<'_>) -> i64 {
    call.param_any(&["ID", "id"]).map_or(0, intval)
}

fn dealcategory_status(call: &mut Call<'_>) -> Result<Output, ApiError> {
    Ok(Output::new(super::stage_entity(category_param(call))))
}

/// Same rows as `crm.status.list` with `ENTITY_ID` set to the pipeline's stage directory; a
/// pipeline that does not exist has no stages and answers `[]`.
fn dealcategory_stage_list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = category_param(call);
    if !exists(call.db, id)? {
        return Ok(Output::new(Value::Array(Vec::new())));
    }
    let filter = json!({ "ENTITY_ID": super::stage_entity(id) });
    let rows = super::statuses(call.db, Some(&filter), &[], &mut |_| {})?;
    Ok(Output::new(rows))
}

/// `crm.category.list`: `{"categories": [...]}` sorted by `sort`, plus `total`.
fn category_list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let entity_type_id = match call.param("entityTypeId") {
        Some(v) => intval(v),
        None => {
            return Err(ApiError::argument(
                "entityTypeId",
                "Could not find value for parameter {entityTypeId}",
            ))
        }
    };
    let mut categories: Vec<(i64, Value)> = match entity_type_id {
        2 => deal_categories(call.db)?,
        // Client categories: the sandbox portal has only the default one for each.
        3 => vec![(300, default_category(3, "Contacts"))],
        4 => vec![(300, default_category(4, "Companies"))],
        1 => {
            return Err(ApiError::bad_request(
                "ENTITY_TYPE_NOT_SUPPORTED",
                "Entity type LEAD is not supported",
            ))
        }
        _ => {
            return Err(ApiError::bad_request(
                "NOT_FOUND",
                "Smart process not found",
            ))
        }
    };
    categories.sort_by_key(|(sort, _)| *sort);
    let total = i64::try_from(categories.len()).unwrap_or(i64::MAX);
    let list: Vec<Value> = categories.into_iter().map(|(_, c)| c).collect();
    Ok(Output::page(
        json!({ "categories": list }),
        None,
        Some(total),
    ))
}

fn deal_categories(db: &Connection) -> rusqlite::Result<Vec<(i64, Value)>> {
    let mut stmt = db.prepare_cached(
        "SELECT id, name, sort, origin_id, originator_id FROM crm_deal_category ORDER BY sort, id",
    )?;
    let mut out = stmt
        .query_map([], |r| {
            let sort: i64 = r.get(2)?;
            Ok((
                sort,
                json!({
                    "id": r.get::<_, i64>(0)?,
                    "name": r.get::<_, String>(1)?,
                    "sort": sort,
                    "entityTypeId": 2,
                    "isDefault": "N",
                    "originId": r.get::<_, String>(3)?,
                    "originatorId": r.get::<_, String>(4)?,
                }),
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    out.push((300, default_category(2, "General")));
    Ok(out)
}

/// The default category: id 0, no origin keys (as in the documented answer).
fn default_category(entity_type_id: i64, name: &str) -> Value {
    json!({"id": 0, "name": name, "sort": 300, "entityTypeId": entity_type_id, "isDefault": "Y"})
}
