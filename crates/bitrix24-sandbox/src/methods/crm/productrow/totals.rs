//! What a row write does to its owner (orders-timeline.md §1.6, §7): the owner is saved
//! through its update operation, so OPPORTUNITY is recomputed from the rows (Σ price ×
//! quantity; the deal's TAX_VALUE too) unless `IS_MANUAL_OPPORTUNITY = Y`, the modification
//! stamp moves, and `ONCRM{DEAL,LEAD}UPDATE` is raised.

use super::owner::Owner;
use super::prices::round;
use super::store;
use crate::methods::crm::store::{self as crm_store, Kind};
use crate::methods::Call;
use rusqlite::Connection;
use serde_json::{json, Map, Value};

/// Saves the owner after its rows changed. `had_rows` says whether it had rows before the
/// write: an owner that never had rows keeps its amount (`Opportunity::processAfterSave`).
pub fn owner_saved(call: &mut Call<'_>, owner: Owner, had_rows: bool) -> rusqlite::Result<()> {
    let mut cols = amounts(call.db, owner, had_rows)?;
    cols.insert("MODIFY_BY_ID".into(), Value::from(call.caller.user_id));
    cols.insert("DATE_MODIFY".into(), Value::from(call.unix_now()));
    crm_store::update(call.db, owner.kind, owner.id, &cols)?;
    call.raise(
        &format!("ONCRM{}UPDATE", owner.kind.upper()),
        json!({"FIELDS": {"ID": owner.id}}),
    );
    Ok(())
}

/// After a lead or deal was saved by `crm.{deal,lead}.update` or `crm.item.update`: with rows
/// and not in manual mode, an amount typed in is replaced by the rows' total again
/// (orders-timeline.md §1.6). Other kinds are left alone.
pub fn owner_updated(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<()> {
    if !matches!(kind, Kind::Lead | Kind::Deal) {
        return Ok(());
    }
    let owner = Owner { kind, id };
    let cols = amounts(conn, owner, false)?;
    if !cols.is_empty() {
        crm_store::update(conn, kind, id, &cols)?;
    }
    Ok(())
}

/// OPPORTUNITY (and a deal's TAX_VALUE) from the rows, unless the owner is in manual mode or
/// never had rows; empty when nothing is to be written.
fn amounts(
    conn: &Connection,
    owner: Owner,
    had_rows: bool,
) -> rusqlite::Result<Map<String, Value>> {
    let rows = store::of_owner(conn, owner.code(), owner.id)?;
    let mut cols = Map::new();
    let manual = match owner.kind.field("IS_MANUAL_OPPORTUNITY") {
        Some(field) => crm_store::read_columns(conn, owner.kind, owner.id, &[field])?
            .and_then(|m| m.get("IS_MANUAL_OPPORTUNITY").cloned())
            .is_some_and(|v| v == json!("Y")),
        None => false,
    };
    if !manual && (had_rows || !rows.is_empty()) {
        let total: f64 = rows.iter().map(|r| r.price * r.quantity).sum();
        cols.insert("OPPORTUNITY".into(), json!(round(total, 2)));
        if owner.kind == Kind::Deal {
            let tax: f64 = rows
                .iter()
                .map(|r| (r.price - r.price_exclusive) * r.quantity)
                .sum();
            cols.insert("TAX_VALUE".into(), json!(round(tax, 2)));
        }
    }
    Ok(cols)
}

/// True when the owner has rows now.
pub fn has_rows(call: &Call<'_>, owner: Owner) -> rusqlite::Result<bool> {
    Ok(!store::of_owner(call.db, owner.code(), owner.id)?.is_empty())
}
