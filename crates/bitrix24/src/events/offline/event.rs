//! One queued event ([`OfflineEvent`]) and how a row of `event.offline.get` becomes one.

use crate::encode;
use crate::events::parse::{parse_event, EventKind};
use serde_json::{json, Value};

/// One queued event, as `event.offline.get` returns it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OfflineEvent {
    /// `ID`: the queue row.
    pub id: Option<u64>,
    /// `MESSAGE_ID`: the 32-character id used to clear or fail the row.
    pub message_id: String,
    /// `EVENT_NAME`, upper-case.
    pub name: String,
    /// What happened, typed as for online events.
    pub kind: EventKind,
    /// `TIMESTAMP_X` as sent (the portal's local time, ISO 8601).
    pub timestamp: Option<String>,
    /// `EVENT_DATA` (`null` when the portal sent `false`).
    pub data: Value,
    /// `EVENT_ADDITIONAL`, e.g. `{"user_id": 1}` (`null` when `false`).
    pub additional: Value,
}

/// One row of `events`; `None` without a `MESSAGE_ID` (it could not be cleared).
pub(crate) fn decode_row(row: &Value) -> Option<OfflineEvent> {
    let text = |k: &str| match row.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let or_null = |k: &str| match row.get(k) {
        None | Some(Value::Bool(false)) => Value::Null,
        Some(v) => v.clone(),
    };
    let name = text("EVENT_NAME").unwrap_or_default().to_uppercase();
    let data = or_null("EVENT_DATA");
    Some(OfflineEvent {
        id: row.get("ID").and_then(crate::numbers::id),
        message_id: text("MESSAGE_ID")?,
        kind: kind_of(&name, &data),
        name,
        timestamp: text("TIMESTAMP_X"),
        data,
        additional: or_null("EVENT_ADDITIONAL"),
    })
}

/// The typed kind, by the same rules as an online call: the row goes through the form
/// encoding the portal would have used for it, then through [`parse_event`].
fn kind_of(name: &str, data: &Value) -> EventKind {
    let unknown = || EventKind::Unknown {
        name: name.to_string(),
        raw: data.clone(),
    };
    let Ok(body) = encode::to_form(&json!({"event": name, "data": data})) else {
        return unknown();
    };
    match parse_event(body.as_bytes()) {
        Ok(e) => e.kind,
        Err(_) => unknown(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rows_decode_with_typed_kinds() {
        let row = json!({"ID": "7", "TIMESTAMP_X": "2024-07-18T12:32:31+02:00",
            "EVENT_NAME": "ONCRMLEADADD", "EVENT_DATA": {"FIELDS": {"ID": 42}},
            "EVENT_ADDITIONAL": {"user_id": 1}, "MESSAGE_ID": "abc"});
        let e = decode_row(&row).unwrap();
        assert_eq!(e.id, Some(7));
        assert!(
            matches!(e.kind, EventKind::LeadAdd(id) if id.get() == 42),
            "{e:?}"
        );
        assert_eq!(e.additional["user_id"], 1);
        let odd = json!({"EVENT_NAME": "onsomething", "EVENT_DATA": false, "MESSAGE_ID": "m"});
        let e = decode_row(&odd).unwrap();
        assert_eq!(e.name, "ONSOMETHING");
        assert!(matches!(e.kind, EventKind::Unknown { .. }));
        assert_eq!(e.data, Value::Null);
        let no_id = json!({"EVENT_NAME": "ONCRMLEADADD", "EVENT_DATA": {}, "MESSAGE_ID": ""});
        assert!(decode_row(&no_id).is_none());
        // A CRM event whose data lacks the id is still delivered, untyped.
        let bad = json!({"EVENT_NAME": "ONCRMLEADADD", "EVENT_DATA": [], "MESSAGE_ID": "x"});
        assert!(matches!(
            decode_row(&bad).unwrap().kind,
            EventKind::Unknown { .. }
        ));
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[A-Z0-9a-z%\\[\\]&= ]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("(FIELDS|ID|[A-Z]{1,4})", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any row shape decodes or is skipped, never panics; a decoded row keeps its id.
        #[test]
        fn random_rows_never_panic(
            name in "(ONCRMLEADADD|ONCRMDEALUPDATE|ONAPPINSTALL|[A-Za-z]{0,8})",
            data in value(),
            message_id in value(),
            id in value(),
        ) {
            let row = json!({"ID": id, "EVENT_NAME": name, "EVENT_DATA": data,
                             "MESSAGE_ID": message_id.clone()});
            if let Some(e) = decode_row(&row) {
                prop_assert!(!e.message_id.is_empty());
                prop_assert_eq!(e.name, name.to_uppercase());
            }
        }
    }
}
