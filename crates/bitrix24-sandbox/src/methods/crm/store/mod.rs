//! SQL storage of the classic CRM entities: the Rust API both the classic methods and
//! `crm.item.*` are built on.
//!
//! Field names are the classic upper-case ones (`TITLE`, `ASSIGNED_BY_ID`); values are in the
//! stored form described in [`super::values`] (ints and unix seconds as JSON integers, money
//! as floats, dates `YYYY-MM-DD`, flags `Y`/`N`). Convert with [`super::values::internalize`]
//! on the way in and [`super::values::externalize`] (classic) or your own formatting out.
//!
//! A full write of an entity is [`insert`]/[`update`] for the columns, then
//! [`super::multifield::merge`] for PHONE/EMAIL/... (which refreshes HAS_PHONE etc. and the
//! duplicate index) and [`super::userfield::write`] for `UF_*` values. [`delete`] removes all
//! three. Nothing here checks permissions or raises events.

mod listing;

pub use super::entity::Kind;
pub use listing::{list, Order, Page, Paging, Query, Select, UfSelect, PAGE_SIZE};

use super::entity::Field;
use super::values;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::{Map, Value};

/// Entity type id of leads.
pub const LEAD: i64 = 1;
/// Entity type id of deals.
pub const DEAL: i64 = 2;
/// Entity type id of contacts.
pub const CONTACT: i64 = 3;
/// Entity type id of companies.
pub const COMPANY: i64 = 4;

/// One multifield value (a row of `crm_fm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiValue {
    /// Row id.
    pub id: i64,
    /// `PHONE`, `EMAIL`, `WEB`, `IM` or `LINK`.
    pub type_id: String,
    /// `WORK`, `MOBILE`, ...
    pub value_type: String,
    /// The value exactly as written (trimmed).
    pub value: String,
}

/// An entity as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The entity id.
    pub id: i64,
    /// Standard fields in stored form, in the portal's field order (only the selected ones
    /// for lists; `ID` always).
    pub fields: Map<String, Value>,
    /// Multifield values in id order (only the selected types for lists).
    pub multi: Vec<MultiValue>,
    /// User-field values: name → list of stored values (fields without values are absent).
    pub uf: Map<String, Value>,
}

/// True when the entity exists.
pub fn exists(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<bool> {
    let sql = format!("SELECT 1 FROM {} WHERE ID = ?1", kind.table());
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// One entity with every standard field, every multifield and every user-field value.
pub fn get(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<Option<Record>> {
    let cols: Vec<&'static Field> = kind
        .fields()
        .iter()
        .filter(|f| f.storage.has_column())
        .collect();
    let Some(fields) = read_columns(conn, kind, id, &cols)? else {
        return Ok(None);
    };
    Ok(Some(Record {
        id,
        fields,
        multi: read_multi(conn, kind, id, None)?,
        uf: super::userfield::read(conn, kind, id)?,
    }))
}

/// Reads the given columns of one row into a stored-form map.
pub(crate) fn read_columns(
    conn: &Connection,
    kind: Kind,
    id: i64,
    cols: &[&'static Field],
) -> rusqlite::Result<Option<Map<String, Value>>> {
    let names: Vec<&str> = cols.iter().map(|f| f.name).collect();
    let sql = format!(
        "SELECT {} FROM {} WHERE ID = ?1",
        names.join(", "),
        kind.table()
    );
    conn.prepare_cached(&sql)?
        .query_row([id], |r| {
            let mut m = Map::new();
            for (i, f) in cols.iter().enumerate() {
                m.insert(f.name.to_string(), values::from_sql(f, r.get_ref(i)?));
            }
            Ok(m)
        })
        .optional()
}

/// Multifield values of one entity, optionally only some types, in id order.
pub fn read_multi(
    conn: &Connection,
    kind: Kind,
    id: i64,
    types: Option<&[&str]>,
) -> rusqlite::Result<Vec<MultiValue>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, type_id, value_type, value FROM crm_fm
         WHERE entity_type_id = ?1 AND element_id = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map([kind.type_id(), id], |r| {
        Ok(MultiValue {
            id: r.get(0)?,
            type_id: r.get(1)?,
            value_type: r.get(2)?,
            value: r.get(3)?,
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        let row = row?;
        if types.is_none_or(|t| t.contains(&row.type_id.as_str())) {
            out.push(row);
        }
    }
    Ok(out)
}

/// Stored-form values of known columns, skipping `ID`, unknown names and fields without a
/// column.
fn column_values(kind: Kind, fields: &Map<String, Value>) -> Vec<(&'static str, &Value)> {
    fields
        .iter()
        .filter_map(|(k, v)| {
            let f = kind.field(k)?;
            (f.name != "ID" && f.storage.has_column()).then_some((f.name, v))
        })
        .collect()
}

/// Inserts a row with the given stored-form columns and returns the new id. Defaults are the
/// caller's business (see `classic::defaults`).
pub fn insert(conn: &Connection, kind: Kind, fields: &Map<String, Value>) -> rusqlite::Result<i64> {
    let cols = column_values(kind, fields);
    let sql = if cols.is_empty() {
        format!("INSERT INTO {} DEFAULT VALUES", kind.table())
    } else {
        let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
        let marks = vec!["?"; cols.len()].join(", ");
        format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            kind.table(),
            names.join(", ")
        )
    };
    conn.prepare_cached(&sql)?.execute(params_from_iter(
        cols.iter().map(|(_, v)| values::to_sql(v)),
    ))?;
    Ok(conn.last_insert_rowid())
}

/// Sets the given stored-form columns of one row. Returns false when the row does not exist.
pub fn update(
    conn: &Connection,
    kind: Kind,
    id: i64,
    fields: &Map<String, Value>,
) -> rusqlite::Result<bool> {
    let cols = column_values(kind, fields);
    if cols.is_empty() {
        return exists(conn, kind, id);
    }
    let sets: Vec<String> = cols.iter().map(|(n, _)| format!("{n} = ?")).collect();
    let sql = format!(
        "UPDATE {} SET {} WHERE ID = ?",
        kind.table(),
        sets.join(", ")
    );
    let mut params: Vec<rusqlite::types::Value> =
        cols.iter().map(|(_, v)| values::to_sql(v)).collect();
    params.push(rusqlite::types::Value::Integer(id));
    Ok(conn
        .prepare_cached(&sql)?
        .execute(params_from_iter(params))?
        > 0)
}

/// Deletes an entity with its multifields, user-field values and duplicate codes. Returns
/// false when it did not exist.
pub fn delete(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<bool> {
    let sql = format!("DELETE FROM {} WHERE ID = ?1", kind.table());
    if conn.prepare_cached(&sql)?.execute([id])? == 0 {
        return Ok(false);
    }
    conn.prepare_cached("DELETE FROM crm_fm WHERE entity_type_id = ?1 AND element_id = ?2")?
        .execute([kind.type_id(), id])?;
    super::userfield::forget(conn, kind, id)?;
    super::duplicate::forget(conn, kind.type_id(), id)?;
    Ok(true)
}
