//! Reading the portal's answers to an import's requests.

use serde_json::Value;

/// An ID from an add answer (`123` or `"123"`).
pub(super) fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
