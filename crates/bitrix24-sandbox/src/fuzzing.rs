//! Entry points for the fuzz targets in `fuzz/` (not a supported API): one function per
//! target that reads one input the way the sandbox reads a request and panics when an
//! invariant breaks. The targets call them, and the seed corpus is replayed through them by
//! the integration tests, so both check the same things.

use crate::methods::batch::{self, Collected};
use crate::php::form::{parse_str, MAX_NESTING};
use crate::php::json;
use serde_json::{json, Value};
use std::sync::OnceLock;

/// PHP `parse_str` as the sandbox reads every query string and form body: any bytes parse
/// without a panic, the same way twice, into PHP arrays no deeper than PHP allows, with at
/// most one value per `&`-separated pair, that print as valid JSON.
pub fn php_form(data: &[u8]) {
    // Bodies arrive as bytes; the sandbox reads them as lossy UTF-8 first.
    let text = String::from_utf8_lossy(data);
    let parsed = parse_str(&text);
    let again = parse_str(&text);
    assert_eq!(
        serde_json::to_string(&parsed).ok(),
        serde_json::to_string(&again).ok(),
        "parsing is deterministic, key order included"
    );
    assert!(
        parsed.keys().all(|k| !k.is_empty()),
        "no empty top-level name"
    );
    let pairs = text.split('&').filter(|p| !p.is_empty()).count();
    let mut leaves = 0;
    let root = Value::Object(parsed);
    let depth = walk(&root, &mut leaves);
    assert!(depth <= MAX_NESTING + 1, "nesting {depth}");
    assert!(leaves <= pairs, "{leaves} values from {pairs} pairs");
    let printed = json::encode(&root);
    let reread: Value = serde_json::from_str(&printed).expect("PHP's JSON is JSON");
    assert!(
        reread.is_object() || reread.is_array(),
        "an array prints as one"
    );
}

/// The object depth of `v` (the root counts 1); counts the leaves, which are all strings.
fn walk(v: &Value, leaves: &mut usize) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(|c| walk(c, leaves)).max().unwrap_or(0),
        Value::String(_) => {
            *leaves += 1;
            0
        }
        other => panic!("parse_str gives only arrays and strings, got {other}"),
    }
}

/// Batch commands (`method?query`, one per line of the input, up to 60) read against the
/// answers of earlier commands: any text gives a method and parameters without a panic, the
/// same way twice; auth keys never survive; a command without `$` reads exactly as
/// `parse_str` of its query; the method is trimmed and holds no `?`.
pub fn batch_commands(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let earlier = earlier();
    for command in text.split('\n').take(60) {
        let (method, params) = batch::prepare(command, earlier);
        let (method_again, params_again) = batch::prepare(command, earlier);
        assert_eq!(method, method_again, "reading is deterministic");
        assert_eq!(
            serde_json::to_string(&params).ok(),
            serde_json::to_string(&params_again).ok(),
            "reading is deterministic"
        );
        assert_eq!(method, method.trim(), "the method is trimmed");
        assert!(!method.contains('?'), "the query is not part of the method");
        for key in ["auth", "access_token", "auth_connector"] {
            assert!(!params.contains_key(key), "{key} dropped");
        }
        if !command.contains('$') {
            let query = command.split_once('?').map_or("", |(_, q)| q);
            let mut plain = parse_str(query);
            for key in ["auth", "access_token", "auth_connector"] {
                plain.shift_remove(key);
            }
            assert_eq!(params, plain, "no reference, no change");
        }
    }
}

/// What the earlier commands of a realistic batch answered.
fn earlier() -> &'static Collected {
    static ANSWERS: OnceLock<Collected> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        let mut a = Collected::default();
        a.result.insert(
            "a".into(),
            json!([{"ID": "7", "TITLE": "Lead #7", "PHONE": [{"ID": "3", "VALUE": "+7 903 123-45-67"}]},
                   {"ID": "8", "TITLE": "Иван", "OPPORTUNITY": "100.00"}]),
        );
        a.result.insert(
            "b".into(),
            json!({"item": {"id": 5, "title": "Deal", "contactIds": [1, 2]}}),
        );
        a.result.insert("0".into(), json!(true));
        a.result.insert("1".into(), json!(42));
        a.total.insert("a".into(), json!(2));
        a.next.insert("a".into(), json!(50));
        a.time.insert(
            "a".into(),
            json!({"start": 1_700_000_000.25, "finish": 1_700_000_000.5, "duration": 0.25}),
        );
        a.error.insert(
            "c".into(),
            json!({"error": "NOT_FOUND", "error_description": "Element not found"}),
        );
        a
    })
}
