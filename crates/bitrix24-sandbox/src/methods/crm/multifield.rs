//! Multifield writes and reads (PHONE, EMAIL, WEB, IM, LINK): the merge rules of
//! `tryInternalizeMultiFields` + `CCrmFieldMulti` (server-behavior.md §6, protocol.md §4.5).

use super::entity::{Kind, MULTI_TYPES};
use super::store::MultiValue;
use crate::php::value::{as_string, elements, intval, is_array};
use rusqlite::{params, Connection};
use serde_json::{json, Map, Value};

/// Longest value the portal accepts.
pub const MAX_LEN: usize = 250;

/// One element of a `fields[PHONE]` list after the portal's clean-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Existing row id, 0 for a new value.
    pub id: i64,
    /// Trimmed value; empty on an existing id means delete.
    pub value: String,
    /// Value type; empty keeps the stored one (or the default for a new value).
    pub value_type: String,
}

/// The default `VALUE_TYPE` of a type (`GetDefaultValueType`).
pub fn default_value_type(type_id: &str) -> &'static str {
    if type_id == "IM" {
        "OTHER"
    } else {
        "WORK"
    }
}

/// The items of one multifield from a `fields` map: trimmed, `DELETE=Y` turned into an empty
/// value, new items without a value skipped. A non-array value gives no items.
pub fn items(fields: &Map<String, Value>, type_id: &str) -> Vec<Item> {
    let Some(list) = fields.get(type_id).filter(|v| is_array(v)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for el in elements(list) {
        let Value::Object(obj) = el else { continue };
        let get = |k: &str| obj.get(k).and_then(as_string).unwrap_or_default();
        let id = obj.get("ID").map_or(0, intval).max(0);
        let mut value = get("VALUE").trim().to_string();
        if id > 0 && get("DELETE").eq_ignore_ascii_case("Y") {
            value.clear();
        }
        if id == 0 && value.is_empty() {
            continue;
        }
        out.push(Item {
            id,
            value,
            value_type: get("VALUE_TYPE").trim().to_string(),
        });
    }
    out
}

fn label(type_id: &str, value_type: &str) -> String {
    let vt = if value_type.is_empty() {
        default_value_type(type_id)
    } else {
        value_type
    };
    let kind = match type_id {
        "PHONE" => "phone",
        "EMAIL" => "e-mail",
        "WEB" => "website",
        "IM" => "messenger",
        _ => "link",
    };
    let mut adj = vt.to_lowercase();
    if let Some(first) = adj.get(..1) {
        adj = format!("{}{}", first.to_uppercase(), adj.get(1..).unwrap_or(""));
    }
    format!("{adj} {kind}")
}

/// A loose `check_email`: one `@`, a non-empty local part, a dotted domain of letters,
/// digits and hyphens, no spaces.
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && !domain.contains('@')
        && labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2)
}

/// Validation messages for the multifields in `fields` (empty when all are acceptable). The
/// portal joins them with `<br />` into the entity's error text.
pub fn validate(kind: Kind, fields: &Map<String, Value>) -> Vec<String> {
    let mut errors = Vec::new();
    if !kind.has_multifields() {
        return errors;
    }
    for type_id in MULTI_TYPES {
        for item in items(fields, type_id) {
            if item.value.is_empty() {
                continue;
            }
            let name = label(type_id, &item.value_type);
            if item.value.chars().count() > MAX_LEN {
                errors.push(format!(
                    "The field \"{name}\" is too long (maximum {MAX_LEN} characters)"
                ));
            } else if type_id == "EMAIL" && !valid_email(&item.value) {
                errors.push(format!("The field \"{name}\" contains an invalid address"));
            }
        }
    }
    errors
}

/// Applies the multifields in `fields` to an entity (a merge: values not named are kept),
/// refreshes HAS_PHONE/HAS_EMAIL/HAS_IMOL and the duplicate index. Returns true when any
/// multifield key was present. Call [`validate`] first.
pub fn merge(
    conn: &Connection,
    kind: Kind,
    id: i64,
    fields: &Map<String, Value>,
) -> rusqlite::Result<bool> {
    if !kind.has_multifields() || !MULTI_TYPES.iter().any(|t| fields.contains_key(*t)) {
        return Ok(false);
    }
    let et = kind.type_id();
    for type_id in MULTI_TYPES {
        let items = items(fields, type_id);
        if items.is_empty() {
            continue;
        }
        let mut current: Vec<MultiValue> =
            super::store::read_multi(conn, kind, id, Some(&[type_id]))?;
        for item in items {
            let existing = current.iter().position(|m| m.id == item.id && item.id > 0);
            match existing {
                Some(pos) if item.value.is_empty() => {
                    conn.prepare_cached("DELETE FROM crm_fm WHERE id = ?1")?
                        .execute([item.id])?;
                    current.remove(pos);
                }
                Some(pos) => {
                    let vt = if item.value_type.is_empty() {
                        current[pos].value_type.clone()
                    } else {
                        item.value_type
                    };
                    conn.prepare_cached(
                        "UPDATE crm_fm SET value = ?1, value_type = ?2 WHERE id = ?3",
                    )?
                    .execute(params![item.value, vt, item.id])?;
                    current[pos].value = item.value;
                    current[pos].value_type = vt;
                }
                // An unknown id with an empty value deletes nothing.
                None if item.value.is_empty() => {}
                // A new value (or an id this entity does not own) is added, unless an equal
                // value of the same type is already there (the Collection::add quirk).
                None => {
                    let vt = if item.value_type.is_empty() {
                        default_value_type(type_id).to_string()
                    } else {
                        item.value_type
                    };
                    if current
                        .iter()
                        .any(|m| m.value == item.value && m.value_type == vt)
                    {
                        continue;
                    }
                    conn.prepare_cached(
                        "INSERT INTO crm_fm (entity_type_id, element_id, type_id, value_type, value)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![et, id, type_id, vt, item.value])?;
                    current.push(MultiValue {
                        id: conn.last_insert_rowid(),
                        type_id: type_id.to_string(),
                        value_type: vt,
                        value: item.value,
                    });
                }
            }
        }
    }
    refresh_flags(conn, kind, id)?;
    super::duplicate::reindex(conn, et, id)?;
    Ok(true)
}

/// Recomputes HAS_PHONE, HAS_EMAIL and HAS_IMOL (an IM value of type IMOL) from `crm_fm`.
pub fn refresh_flags(conn: &Connection, kind: Kind, id: i64) -> rusqlite::Result<()> {
    let sql = format!(
        "UPDATE {t} SET
           HAS_PHONE = CASE WHEN EXISTS (SELECT 1 FROM crm_fm WHERE entity_type_id = ?1
             AND element_id = ?2 AND type_id = 'PHONE') THEN 'Y' ELSE 'N' END,
           HAS_EMAIL = CASE WHEN EXISTS (SELECT 1 FROM crm_fm WHERE entity_type_id = ?1
             AND element_id = ?2 AND type_id = 'EMAIL') THEN 'Y' ELSE 'N' END,
           HAS_IMOL = CASE WHEN EXISTS (SELECT 1 FROM crm_fm WHERE entity_type_id = ?1
             AND element_id = ?2 AND type_id = 'IM' AND value_type = 'IMOL') THEN 'Y' ELSE 'N' END
         WHERE ID = ?2",
        t = kind.table()
    );
    conn.prepare_cached(&sql)?.execute([kind.type_id(), id])?;
    Ok(())
}

/// Groups values by type the classic way: `{"PHONE": [{ID, VALUE_TYPE, VALUE, TYPE_ID}]}`,
/// every value a string; types without values are absent.
pub fn externalize(values: &[MultiValue]) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for type_id in MULTI_TYPES {
        let list: Vec<Value> = values
            .iter()
            .filter(|m| m.type_id == type_id)
            .map(|m| {
                json!({
                    "ID": m.id.to_string(),
                    "VALUE_TYPE": m.value_type,
                    "VALUE": m.value,
                    "TYPE_ID": m.type_id,
                })
            })
            .collect();
        if !list.is_empty() {
            out.push((type_id, Value::Array(list)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: Value) -> Map<String, Value> {
        crate::php::value::normalize(v)
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn items_are_cleaned_like_the_portal() {
        let f = fields(json!({"PHONE": [
            {"VALUE": "  +7 903 "},
            {"VALUE": ""},
            {"ID": "5", "DELETE": "y", "VALUE": "x"},
            {"ID": "6"},
            "not an object"
        ]}));
        let got = items(&f, "PHONE");
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].value, "+7 903");
        assert_eq!((got[1].id, got[1].value.as_str()), (5, ""));
        assert_eq!((got[2].id, got[2].value.as_str()), (6, ""));
        assert!(items(&fields(json!({"PHONE": "+7"})), "PHONE").is_empty());
    }

    #[test]
    fn validation_catches_long_values_and_bad_emails() {
        let long = "1".repeat(251);
        let f = fields(
            json!({"PHONE": [{"VALUE": long}], "EMAIL": [{"VALUE": "nope"}, {"VALUE": "a@b.io"}]}),
        );
        let errors = validate(Kind::Contact, &f);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[1].contains("Work e-mail"));
        assert!(validate(Kind::Deal, &f).is_empty());
    }

    #[test]
    fn emails_are_checked_loosely() {
        assert!(valid_email("john.doe@example.com"));
        assert!(valid_email("иван@пример.рф"));
        assert!(!valid_email("john@localhost"));
        assert!(!valid_email("john doe@example.com"));
        assert!(!valid_email("@example.com"));
    }
}
