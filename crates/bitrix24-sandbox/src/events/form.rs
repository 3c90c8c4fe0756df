//! PHP `http_build_query`: the body of every event POST. Nested arrays become bracketed keys
//! (`data[FIELDS][ID]=5`), keys and values are `urlencode`d (so brackets travel as `%5B`/`%5D`
//! and spaces as `+`), `true`/`false` print as `1`/`0`, and `null` entries are left out.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

/// Everything but `A-Za-z0-9-_.` is encoded, as PHP `urlencode` does (space is handled apart).
const URLENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// Encodes a JSON object as a PHP form body; anything else gives an empty body.
pub fn build_query(value: &Value) -> String {
    let mut pairs = Vec::new();
    if let Value::Object(map) = value {
        for (k, v) in map {
            flatten(k.clone(), v, &mut pairs);
        }
    }
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", urlencode(&k), urlencode(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn flatten(key: String, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((key, if *b { "1" } else { "0" }.to_string())),
        Value::Number(n) => out.push((key, n.to_string())),
        Value::String(s) => out.push((key, s.clone())),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(format!("{key}[{i}]"), v, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(format!("{key}[{k}]"), v, out);
            }
        }
    }
}

/// PHP `urlencode`.
pub fn urlencode(s: &str) -> String {
    s.split(' ')
        .map(|part| utf8_percent_encode(part, URLENCODE).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::form::parse_str;
    use serde_json::json;

    #[test]
    fn nested_keys_round_trip_through_parse_str() {
        let v = json!({"event": "ONCRMLEADADD", "data": {"FIELDS": {"ID": 5}},
                       "auth": {"domain": "a b.test", "ok": true, "none": null}});
        let body = build_query(&v);
        assert!(body.starts_with("event=ONCRMLEADADD&data%5BFIELDS%5D%5BID%5D=5&"));
        assert!(body.contains("auth%5Bdomain%5D=a+b.test"));
        assert!(!body.contains("none"));
        let back = Value::Object(parse_str(&body));
        assert_eq!(
            back,
            json!({"event": "ONCRMLEADADD", "data": {"FIELDS": {"ID": "5"}},
                   "auth": {"domain": "a b.test", "ok": "1"}})
        );
    }

    #[test]
    fn urlencode_matches_php() {
        assert_eq!(urlencode("a-b_c.d e+f/é"), "a-b_c.d+e%2Bf%2F%C3%A9");
    }
}
