//! `fm` writes of `crm.item.add` / `crm.item.update`, translated into the classic multifield
//! merge (protocol.md §4.5, "Write, crm.item.*"):
//!
//! - on add, `fm` is a list of `{typeId, valueType, value}`: every entry is new;
//! - on update, `fm` is keyed by operation: `n0`, `n1`, … add; a numeric id changes that entry,
//!   or deletes it when `value` is empty; an id the item does not own becomes a new entry, and a
//!   list (keys 0..n) therefore appends;
//! - `typeId` is required even for deletes: without it the entry is silently ignored;
//! - a string instead of an array is silently ignored.
//!
//! Deviation: an unknown `typeId` is stored as-is by the portal; the sandbox only keeps the five
//! multifield types (PHONE, EMAIL, WEB, IM, LINK) and ignores the rest.

use crate::methods::crm::entity::MULTI_TYPES;
use crate::php::value::{as_string, entries, is_array};
use serde_json::{json, Map, Value};

/// The classic `fields` map (`{"PHONE": [{"ID", "VALUE", "VALUE_TYPE"}], ...}`) for an item
/// `fm` value; empty when there is nothing to write.
pub fn to_classic(fm: &Value) -> Map<String, Value> {
    let mut by_type: Map<String, Value> = Map::new();
    if !is_array(fm) {
        return by_type;
    }
    // A PHP list (keys 0..n-1 in order) is positions, not ids: it always appends.
    let positional = match fm {
        Value::Object(m) => crate::php::json::is_list(m),
        _ => true,
    };
    for (key, entry) in entries(fm) {
        let Value::Object(e) = entry else { continue };
        let Some(type_id) = e
            .get("typeId")
            .and_then(as_string)
            .map(|t| t.to_uppercase())
            .filter(|t| MULTI_TYPES.contains(&t.as_str()))
        else {
            continue;
        };
        let mut item = Map::new();
        let id = if positional {
            0
        } else {
            key.parse::<i64>().unwrap_or(0)
        };
        // An id the item does not own is added as new by the merge.
        if id > 0 {
            item.insert("ID".into(), json!(id));
        }
        let value = e.get("value").and_then(as_string).unwrap_or_default();
        item.insert("VALUE".into(), json!(value));
        if let Some(vt) = e.get("valueType").and_then(as_string) {
            item.insert("VALUE_TYPE".into(), json!(vt));
        }
        let slot = by_type
            .entry(type_id)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(list) = slot {
            let next = list.len().to_string();
            list.insert(next, Value::Object(item));
        }
    }
    by_type
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_list_becomes_new_entries() {
        let m = to_classic(
            &json!({"0": {"typeId": "PHONE", "valueType": "WORK", "value": "+7 1"},
                                   "1": {"typeId": "EMAIL", "value": "a@b.cd"}}),
        );
        assert_eq!(
            Value::Object(m),
            json!({"PHONE": {"0": {"VALUE": "+7 1", "VALUE_TYPE": "WORK"}},
                   "EMAIL": {"0": {"VALUE": "a@b.cd"}}})
        );
    }

    #[test]
    fn update_keys_change_delete_and_add() {
        let m = to_classic(&json!({
            "15": {"typeId": "PHONE", "value": "+7 2"},
            "16": {"typeId": "PHONE", "value": ""},
            "n0": {"typeId": "phone", "value": "+7 3"},
            "17": {"value": ""},
            "18": "not an array"
        }));
        assert_eq!(
            Value::Object(m),
            json!({"PHONE": {"0": {"ID": 15, "VALUE": "+7 2"}, "1": {"ID": 16, "VALUE": ""},
                             "2": {"VALUE": "+7 3"}}})
        );
    }

    #[test]
    fn strings_and_unknown_types_are_ignored() {
        assert!(to_classic(&json!("fm")).is_empty());
        assert!(to_classic(&json!({"0": {"typeId": "FAX", "value": "1"}})).is_empty());
    }
}
