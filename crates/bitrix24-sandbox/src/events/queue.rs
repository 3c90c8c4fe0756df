//! Writing offline events (`ProviderOffline`, `EventOfflineTable::callEvent`).
//!
//! `MESSAGE_ID = md5(EVENT_NAME + "|" + json_encode(EVENT_DATA))`, and the row is an upsert on
//! (MESSAGE_ID, APP_ID, CONNECTOR_ID, PROCESS_ID): while an identical event is still pending
//! (not reserved by a `process_id`) a repeat merges into it with a fresh timestamp, so the
//! queue holds one record per object state.

use crate::php::json;
use md5::{Digest, Md5};
use rusqlite::{params, Connection};
use serde_json::{json, Value};

/// The MESSAGE_ID of an event.
pub fn message_id(event_name: &str, data: &Value) -> String {
    let mut h = Md5::new();
    h.update(event_name.as_bytes());
    h.update(b"|");
    h.update(json::encode(data).as_bytes());
    hex::encode(h.finalize())
}

/// Stores (or merges) one event for `app_id`.
///
/// A merge also clears the row's error mark: the portal's upsert rewrites the row, and a
/// fresh event must reach the app again (the exact column list of the real upsert is not in
/// the docs; this is the reading that loses no event).
pub fn store(
    conn: &Connection,
    app_id: i64,
    event_name: &str,
    data: &Value,
    user_id: i64,
    now: i64,
) -> rusqlite::Result<()> {
    let additional = json!({ "user_id": user_id });
    conn.execute(
        "INSERT INTO event_offline
             (timestamp_x, message_id, app_id, event_name, event_data, event_additional)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (message_id, app_id, connector_id, process_id) DO UPDATE SET
             timestamp_x = excluded.timestamp_x,
             event_data = excluded.event_data,
             event_additional = excluded.event_additional,
             error = 0",
        params![
            now,
            message_id(event_name, data),
            app_id,
            event_name,
            data.to_string(),
            additional.to_string()
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_is_md5_of_name_and_php_json() {
        // md5("ONCRMLEADADD|{\"FIELDS\":{\"ID\":5}}")
        let id = message_id("ONCRMLEADADD", &json!({"FIELDS": {"ID": 5}}));
        let mut h = Md5::new();
        h.update(b"ONCRMLEADADD|{\"FIELDS\":{\"ID\":5}}");
        assert_eq!(id, hex::encode(h.finalize()));
        assert_eq!(id.len(), 32);
        assert_ne!(
            id,
            message_id("ONCRMLEADADD", &json!({"FIELDS": {"ID": 6}}))
        );
    }
}
