//! User-field values on entities, and the definitions they are converted with.
//!
//! Values live in `crm_uf_value`, one row per value, in a stored form by type: integer,
//! boolean (1/0), enumeration (item id) and datetime (unix seconds) as integers, double as a
//! real, date as `YYYY-MM-DD`, everything else (string, money `100|USD`, url, ...) as text.

use crate::methods::crm::entity::{Kind, Storage};
use crate::methods::crm::values;
use crate::php::value::{as_string, elements, intval, is_array};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection};
use serde_json::{Map, Value};
use time::UtcOffset;

/// User field types the sandbox knows (protocol.md §5.7).
pub const TYPES: [&str; 16] = [
    "string",
    "integer",
    "double",
    "boolean",
    "datetime",
    "date",
    "money",
    "url",
    "address",
    "enumeration",
    "file",
    "employee",
    "crm_status",
    "iblock_section",
    "iblock_element",
    "crm",
];

/// One user field definition.
#[derive(Debug, Clone, PartialEq)]
pub struct UfDef {
    /// Row id (what `userfield.add` returns).
    pub id: i64,
    /// `CRM_LEAD`, ...
    pub entity_id: String,
    /// `UF_CRM_...`.
    pub field_name: String,
    /// `string`, `integer`, ...
    pub user_type_id: String,
    /// `MULTIPLE = Y`.
    pub multiple: bool,
    /// `MANDATORY = Y`.
    pub mandatory: bool,
}

impl UfDef {
    /// The storage class of this field's values (for filters and conversion).
    pub fn storage(&self) -> Storage {
        match self.user_type_id.as_str() {
            "integer" | "boolean" | "enumeration" | "employee" => Storage::Int,
            "double" => Storage::Money,
            "datetime" => Storage::DateTime,
            "date" => Storage::Date,
            _ => Storage::Text,
        }
    }
}

/// The user fields of a kind, in id order.
pub fn defs(conn: &Connection, kind: Kind) -> rusqlite::Result<Vec<UfDef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, entity_id, field_name, user_type_id, multiple, mandatory
         FROM crm_userfield WHERE entity_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([kind.uf_entity()], |r| {
        Ok(UfDef {
            id: r.get(0)?,
            entity_id: r.get(1)?,
            field_name: r.get(2)?,
            user_type_id: r.get(3)?,
            multiple: r.get::<_, String>(4)? == "Y",
            mandatory: r.get::<_, String>(5)? == "Y",
        })
    })?;
    rows.collect()
}

/// Converts one caller value into the stored form; `None` drops it (unparseable date,
/// an array).
pub fn internalize_one(def: &UfDef, v: &Value, offset: UtcOffset) -> Option<Value> {
    if is_array(v) {
        return None;
    }
    let text = as_string(v).unwrap_or_default();
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    Some(match def.user_type_id.as_str() {
        "integer" | "enumeration" | "employee" => Value::from(intval(v)),
        "boolean" => Value::from(i64::from(values::flag(v) == "Y")),
        "double" => serde_json::json!(t.replace(',', ".").parse::<f64>().unwrap_or(0.0)),
        "datetime" => Value::from(values::parse_datetime(t, offset)?),
        "date" => Value::String(values::parse_date(t)?),
        _ => Value::String(text),
    })
}

/// Converts a caller value for `def` into a list of stored values (empty clears the field).
pub fn internalize(def: &UfDef, v: &Value, offset: UtcOffset) -> Vec<Value> {
    let items: Vec<&Value> = if is_array(v) { elements(v) } else { vec![v] };
    let mut out: Vec<Value> = items
        .into_iter()
        .filter_map(|x| internalize_one(def, x, offset))
        .collect();
    if !def.multiple {
        out.truncate(1);
    }
    out
}

/// Prints stored values the classic way: strings, ISO dates; a missing single value is `""`
/// and a multiple field is a list.
pub fn externalize(def: &UfDef, stored: &[Value], offset: UtcOffset) -> Value {
    let one = |v: &Value| -> Value {
        match (def.user_type_id.as_str(), v) {
            ("datetime", v) => Value::String(crate::clock::iso(v.as_i64().unwrap_or(0), offset)),
            ("date", Value::String(d)) => values::date_out(d, offset),
            (_, Value::String(s)) => Value::String(s.clone()),
            (_, v) => Value::String(as_string(v).unwrap_or_default()),
        }
    };
    if def.multiple {
        Value::Array(stored.iter().map(one).collect())
    } else {
        stored
            .first()
            .map(one)
            .unwrap_or_else(|| Value::String(String::new()))
    }
}

/// Replaces the stored values of the named user fields of one entity.
pub fn write(
    conn: &Connection,
    kind: Kind,
    id: i64,
    values: &[(String, Vec<Value>)],
) -> rusqlite::Result<()> {
    let mut del = conn.prepare_cached(
        "DELETE FROM crm_uf_value WHERE entity_type_id = ?1 AND element_id = ?2 AND field_name = ?3",
    )?;
    let mut ins = conn.prepare_cached(
        "INSERT INTO crm_uf_value (entity_type_id, element_id, field_name, seq, value)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (name, vals) in values {
        del.execute(params![kind.type_id(), id, name])?;
        for (seq, v) in vals.iter().enumerate() {
            ins.execute(params![
                kind.type_id(),
                id,
                name,
                seq as i64,
                values::to_sql(v)
            ])?;
        }
    }
    Ok(())
}

/// Reads every stored user-field value of one entity: name → values in order.
pub fn read(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<Map<String, Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT field_name, value FROM crm_uf_value
         WHERE entity_type_id = ?1 AND element_id = ?2 ORDER BY field_name, seq",
    )?;
    let mut rows = stmt.query(params![kind.type_id(), id])?;
    let mut out: Map<String, Value> = Map::new();
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        let v = match r.get_ref(1)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::from(i),
            ValueRef::Real(f) => serde_json::json!(f),
            ValueRef::Text(t) | ValueRef::Blob(t) => {
                Value::String(String::from_utf8_lossy(t).into_owned())
            }
        };
        if let Value::Array(list) = out.entry(name).or_insert_with(|| Value::Array(Vec::new())) {
            list.push(v);
        }
    }
    Ok(out)
}

/// Removes every user-field value of a deleted entity.
pub fn forget(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM crm_uf_value WHERE entity_type_id = ?1 AND element_id = ?2")?
        .execute(params![kind.type_id(), id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(ty: &str, multiple: bool) -> UfDef {
        UfDef {
            id: 1,
            entity_id: "CRM_LEAD".into(),
            field_name: "UF_CRM_X".into(),
            user_type_id: ty.into(),
            multiple,
            mandatory: false,
        }
    }

    #[test]
    fn values_convert_by_type() {
        let off = UtcOffset::UTC;
        assert_eq!(
            internalize(&def("integer", false), &json!("12x"), off),
            vec![json!(12)]
        );
        assert_eq!(
            internalize(&def("boolean", false), &json!("Y"), off),
            vec![json!(1)]
        );
        assert_eq!(
            internalize(&def("money", false), &json!("100|USD"), off),
            vec![json!("100|USD")]
        );
        assert!(internalize(&def("datetime", false), &json!("garbage"), off).is_empty());
        let multi = internalize(&def("string", true), &json!({"0": "a", "1": "b"}), off);
        assert_eq!(multi, vec![json!("a"), json!("b")]);
        let single = internalize(&def("string", false), &json!({"0": "a", "1": "b"}), off);
        assert_eq!(single, vec![json!("a")]);
    }

    #[test]
    fn empty_values_print_as_empty_string_or_list() {
        let off = UtcOffset::UTC;
        assert_eq!(externalize(&def("string", false), &[], off), json!(""));
        assert_eq!(externalize(&def("string", true), &[], off), json!([]));
        assert_eq!(
            externalize(&def("integer", false), &[json!(5)], off),
            json!("5")
        );
    }
}
