//! Entry points for the fuzz targets in `crates/bitrix24/fuzz`: the crate-private parsers
//! the targets drive, and nothing else. Hidden from the docs and not part of the API; it may
//! change with any release.

use crate::batch::{Batch, BatchResults};
use crate::error::Result;
use crate::events::offline::OfflineEvent;
use crate::response::{Response, Time};
use serde_json::{Map, Value};

/// How an HTTP answer (`status`, `body`) becomes the envelope or an error.
pub fn decode_envelope(status: u16, body: &[u8]) -> Result<Response<Value>> {
    crate::response::decode_envelope(status, body)
}

/// A `time` block as the client reads it.
pub fn time_block(v: &Value) -> Option<Time> {
    Time::from_value(v)
}

/// The `result` of a `batch` answer, for a batch whose commands are `methods`
/// (`key → method`), and every per-command read of it: each key's result decoded as a JSON
/// value and as `T`, its `total`, `next` and `time`, and the failed keys.
pub fn batch_results<T: serde::de::DeserializeOwned>(
    result: &Value,
    methods: &[(String, String)],
    halt: bool,
) -> Result<BatchResults> {
    let mut batch = Batch::new();
    let handles: Vec<_> = methods
        .iter()
        .map(|(key, method)| {
            (
                batch.push_call::<Value>(key, method, &()),
                batch_typed::<T>(key),
            )
        })
        .collect();
    let map: Map<String, Value> = methods
        .iter()
        .map(|(k, m)| (k.clone(), Value::String(m.clone())))
        .collect();
    let results = BatchResults::from_value(result, map, halt)?;
    for (raw, typed) in &handles {
        let _ = results.get(raw);
        let _ = results.get(typed);
        let _ = (results.total(raw), results.next(raw), results.time(raw));
    }
    let _ = results.failed_keys().count();
    Ok(results)
}

/// A handle for `key` decoding as `T` (the key need not be in a batch: reads go by key).
fn batch_typed<T: serde::de::DeserializeOwned>(key: &str) -> crate::batch::Handle<T> {
    Batch::new().push_call::<T>(key, "profile", &())
}

/// One row of `event.offline.get`.
pub fn offline_row(row: &Value) -> Option<OfflineEvent> {
    crate::events::offline::event::decode_row(row)
}
