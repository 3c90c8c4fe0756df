//! `crm.duplicate.findbycomm` and the normalised match codes behind it
//! (`CCrmDuplicateRestProxy`, `DuplicateCommunicationCriterion`; protocol.md §5.6,
//! server-behavior.md §5).
//!
//! Codes live in `crm_dp_comm_mcd` (the portal's `b_crm_dp_comm_mcd`), rebuilt from `crm_fm`
//! by [`reindex`] after every multifield write, so a search is one indexed equality lookup
//! per value however many entities the portal holds.

pub mod codes;

use crate::error::ApiError;
use crate::methods::{Access, Call, Output, Registry};
use crate::php::value::{as_string, elements, is_array};
use codes::CommType;
use rusqlite::{params, Connection};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Tables of the duplicate index.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS crm_dp_comm_mcd (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type_id INTEGER NOT NULL,
    entity_id INTEGER NOT NULL,
    type TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_dp_comm_mcd_lookup
    ON crm_dp_comm_mcd (type, value, entity_type_id, entity_id);
CREATE INDEX IF NOT EXISTS crm_dp_comm_mcd_entity
    ON crm_dp_comm_mcd (entity_type_id, entity_id);
"#;

/// Entities returned per searched value (`$criterion->find($entityTypeID, 20)`).
const PER_VALUE_LIMIT: i64 = 20;
/// Distinct values processed per call; the rest are ignored silently.
const MAX_VALUES: usize = 20;

/// Registers `crm.duplicate.findbycomm`.
pub fn register(r: &mut Registry) {
    r.add(
        "crm.duplicate.findbycomm",
        "crm",
        Access::Read,
        find_by_comm,
    );
}

/// Rebuilds the match codes of one entity from its multifields (`crm_fm`).
pub fn reindex(conn: &Connection, entity_type_id: i64, element_id: i64) -> rusqlite::Result<()> {
    forget(conn, entity_type_id, element_id)?;
    let mut select = conn.prepare_cached(
        "SELECT type_id, value FROM crm_fm
         WHERE entity_type_id = ?1 AND element_id = ?2 AND type_id IN ('PHONE', 'EMAIL')
         ORDER BY id",
    )?;
    let rows = select.query_map(params![entity_type_id, element_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    // `prepareCodes` ends with array_unique: one row per distinct code and type.
    let mut seen = BTreeSet::new();
    let mut insert = conn.prepare_cached(
        "INSERT INTO crm_dp_comm_mcd (entity_type_id, entity_id, type, value)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for row in rows {
        let (type_id, value) = row?;
        let Some(kind) = CommType::from_name(&type_id) else {
            continue;
        };
        if let Some(code) = codes::code(kind, &value) {
            if seen.insert((kind.name(), code.clone())) {
                insert.execute(params![entity_type_id, element_id, kind.name(), code])?;
            }
        }
    }
    Ok(())
}

/// Removes the match codes of a deleted entity.
pub fn forget(conn: &Connection, entity_type_id: i64, element_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM crm_dp_comm_mcd WHERE entity_type_id = ?1 AND entity_id = ?2",
    )?
    .execute(params![entity_type_id, element_id])?;
    Ok(())
}

/// What `entity_type` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Absent or unknown: every entity type.
    All,
    /// One owner type id.
    Only(i64),
}

fn find_by_comm(call: &mut Call<'_>) -> Result<Output, ApiError> {
    // The portal first requires read access to leads, contacts or companies ("Access denied.",
    // 400); the sandbox grants every user CRM read access, so the check cannot fail here.
    find(call.db, &call.params).map(Output::new)
}

/// The method body over plain parameters, so it can be checked without a running portal.
pub fn find(db: &Connection, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let kind = comm_type(params)?;
    let values = match lookup(params, &["values", "VALUES", "Values", "arValues"]) {
        Some(v) if is_array(v) && !elements(v).is_empty() => elements(v),
        _ => return Err(ApiError::crm("Communication values is not defined.")),
    };
    let scope = entity_scope(params)?;

    let mut found: Vec<(i64, i64)> = Vec::new();
    let mut criteria: Vec<String> = Vec::new();
    for value in values {
        let Some(value) = value.as_str().filter(|v| !v.is_empty()) else {
            continue;
        };
        // `DuplicateCommunicationCriterion::equals`: phones compare by code, e-mails by the raw
        // string, so `A@x.io` and `a@x.io` count as two of the 20 values (as on the portal).
        let identity = match kind {
            CommType::Phone => codes::phone_code(value),
            CommType::Email => value.to_string(),
        };
        if criteria.contains(&identity) {
            continue;
        }
        criteria.push(identity);
        found.extend(search(db, kind, value, scope)?);
        if criteria.len() >= MAX_VALUES {
            break;
        }
    }
    Ok(Value::Object(group_by_type(&found)))
}

/// One criterion's matches: up to 20 `(entity type, id)` pairs, type then id ascending.
fn search(
    db: &Connection,
    kind: CommType,
    value: &str,
    scope: Scope,
) -> rusqlite::Result<Vec<(i64, i64)>> {
    let code = codes::lookup_value(kind, value);
    let (sql, type_filter) = match scope {
        Scope::All => (
            "SELECT entity_type_id, entity_id FROM crm_dp_comm_mcd
             WHERE type = ?1 AND value = ?2 AND ?3 = 0
             ORDER BY entity_type_id, entity_id LIMIT ?4",
            0,
        ),
        Scope::Only(t) => (
            "SELECT entity_type_id, entity_id FROM crm_dp_comm_mcd
             WHERE type = ?1 AND value = ?2 AND entity_type_id = ?3
             ORDER BY entity_type_id, entity_id LIMIT ?4",
            t,
        ),
    };
    let mut stmt = db.prepare_cached(sql)?;
    let rows = stmt.query_map(
        params![kind.name(), code, type_filter, PER_VALUE_LIMIT],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
    )?;
    rows.collect()
}

/// `{"LEAD": [ids], "CONTACT": [...]}` with keys in the order first found and no repeated id.
fn group_by_type(found: &[(i64, i64)]) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for &(type_id, id) in found {
        let Some(name) = owner_type_name(type_id) else {
            continue;
        };
        let ids = out.entry(name).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = ids {
            if !list.iter().any(|v| v.as_i64() == Some(id)) {
                list.push(Value::from(id));
            }
        }
    }
    out
}

/// `type` / `TYPE` / `Type`, upper-cased, must be `EMAIL` or `PHONE`.
fn comm_type(params: &Map<String, Value>) -> Result<CommType, ApiError> {
    // A non-scalar `type` would be a PHP TypeError in strtoupper(); it is answered as absent.
    let name = lookup(params, &["type", "TYPE", "Type"])
        .and_then(as_string)
        .unwrap_or_default()
        .to_uppercase();
    if name.is_empty() {
        return Err(ApiError::crm("Communication type is not defined."));
    }
    CommType::from_name(&name).ok_or_else(|| {
        ApiError::crm(format!(
            "Communication type '{name}' is not supported in current context."
        ))
    })
}

/// `entity_type` under its four spellings, resolved like `CCrmOwnerType::ResolveID`.
fn entity_scope(params: &Map<String, Value>) -> Result<Scope, ApiError> {
    let raw = lookup(
        params,
        &["ENTITY_TYPE", "entity_type", "EntityType", "arEntityType"],
    )
    .and_then(as_string)
    .unwrap_or_default();
    let id = match raw.trim().to_uppercase().as_str() {
        "LEAD" | "L" => 1,
        "DEAL" | "D" => return Err(ApiError::crm("Deal is not supported in current context.")),
        "CONTACT" | "C" => 3,
        "COMPANY" | "CO" => 4,
        // Other owner types resolve to a defined id and so filter to nothing.
        "INVOICE" | "I" => 5,
        "ACTIVITY" => 6,
        "QUOTE" | "Q" => 7,
        "REQUISITE" => 8,
        "ORDER" | "O" => 14,
        "SMART_INVOICE" | "SI" => 31,
        _ => return Ok(Scope::All),
    };
    Ok(Scope::Only(id))
}

/// `CCrmOwnerType::ResolveName` for the types that carry multifields.
fn owner_type_name(type_id: i64) -> Option<String> {
    let name = match type_id {
        1 => "LEAD",
        2 => "DEAL",
        3 => "CONTACT",
        4 => "COMPANY",
        _ => return None,
    };
    Some(name.to_string())
}

/// PHP `isset` lookup over several spellings: a `null` value counts as absent.
fn lookup<'a>(params: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| params.get(*n).filter(|v| !v.is_null()))
}

#[cfg(test)]
mod tests;
