//! A row of `event.offline.get` (JSON) into an offline event: decoded or skipped, never a
//! panic; a decoded row has its message id.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(row) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Some(event) = bitrix24::fuzzing::offline_row(&row) {
        assert!(!event.message_id.is_empty());
        assert!(event.id != Some(0));
    }
});
