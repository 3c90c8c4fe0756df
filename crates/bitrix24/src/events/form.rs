//! Decoding the PHP-style form body of an event call (`data[FIELDS][ID]=5&auth[domain]=…`)
//! into nested JSON objects, the way PHP `parse_str` reads it: bracket segments nest, `[]`
//! appends, a later scalar replaces an earlier array of the same name and vice versa.
//!
//! Limits keep a hostile body from costing much: at most [`MAX_PAIRS`] pairs (PHP's default
//! `max_input_vars`) and [`MAX_DEPTH`] bracket levels (`max_input_nesting_level` is the same
//! idea). The pair limit also bounds the `[]` appends, each of which looks for the highest
//! index so far as PHP does: 1,000 of them cost half a million key reads, 10,000 would cost
//! fifty million.

use crate::error::{Error, ErrorKind, Result};
use serde_json::{Map, Value};

/// The most `key=value` pairs accepted in one body (an event carries a few dozen).
pub const MAX_PAIRS: usize = 1_000;
/// The deepest bracket nesting accepted.
pub const MAX_DEPTH: usize = 32;

/// Decodes a form body into a JSON object of strings and nested objects.
pub fn parse(body: &[u8]) -> Result<Map<String, Value>> {
    let text = std::str::from_utf8(body).map_err(|_| malformed("the body is not UTF-8"))?;
    let text = text.trim();
    let mut root = Map::new();
    for (n, (key, value)) in url::form_urlencoded::parse(text.as_bytes()).enumerate() {
        if n >= MAX_PAIRS {
            return Err(malformed("the body has too many fields"));
        }
        let (base, segments) = split_key(&key);
        if base.is_empty() {
            continue;
        }
        if segments.len() > MAX_DEPTH {
            return Err(malformed("the body nests brackets too deeply"));
        }
        insert(
            &mut root,
            base,
            &segments,
            Value::String(value.into_owned()),
        );
    }
    Ok(root)
}

fn malformed(why: &str) -> Error {
    Error::new(
        ErrorKind::Event,
        format!("malformed event body: {why} (expected the portal's form-encoded event call)"),
    )
}

/// `name[a][b][]` → (`name`, [Some(a), Some(b), None]). A `[` without a closing `]` ends the
/// segments, and text after the last `]` is ignored, as in PHP.
fn split_key(key: &str) -> (&str, Vec<Option<&str>>) {
    let Some(open) = key.find('[') else {
        return (key, Vec::new());
    };
    let (base, mut rest) = key.split_at(open);
    let mut segments = Vec::new();
    while let Some(stripped) = rest.strip_prefix('[') {
        let Some(close) = stripped.find(']') else {
            break;
        };
        let seg = &stripped[..close];
        segments.push((!seg.is_empty()).then_some(seg));
        rest = &stripped[close + 1..];
    }
    (base, segments)
}

fn insert(root: &mut Map<String, Value>, base: &str, segments: &[Option<&str>], value: Value) {
    let Some((last, path)) = segments.split_last() else {
        root.insert(base.to_string(), value);
        return;
    };
    let mut slot = root
        .entry(base.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    for seg in path {
        let Some(map) = as_object(slot) else { return };
        let key = seg.map_or_else(|| next_index(map), str::to_string);
        slot = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    }
    if let Some(map) = as_object(slot) {
        let key = last.map_or_else(|| next_index(map), str::to_string);
        map.insert(key, value);
    }
}

/// The slot as an object, replacing a scalar that was there (PHP does the same). Always
/// `Some`; the `Option` only spares an impossible panic path.
fn as_object(slot: &mut Value) -> Option<&mut Map<String, Value>> {
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}

fn next_index(map: &Map<String, Value>) -> String {
    map.keys()
        .filter_map(|k| k.parse::<u64>().ok())
        .max()
        .map_or(0, |m| m.saturating_add(1))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_and_encoded_keys() {
        let m =
            parse(b"event=ONCRMLEADADD&data%5BFIELDS%5D%5BID%5D=7&auth[domain]=a+b&x[]=1&x[]=2")
                .unwrap();
        assert_eq!(
            Value::Object(m),
            json!({"event": "ONCRMLEADADD", "data": {"FIELDS": {"ID": "7"}},
                   "auth": {"domain": "a b"}, "x": {"0": "1", "1": "2"}})
        );
    }

    #[test]
    fn scalars_and_arrays_replace_each_other() {
        let m = parse(b"a=1&a[b]=2").unwrap();
        assert_eq!(Value::Object(m), json!({"a": {"b": "2"}}));
        let m = parse(b"a[b]=2&a=1").unwrap();
        assert_eq!(Value::Object(m), json!({"a": "1"}));
    }

    #[test]
    fn limits_and_bad_bytes_are_errors() {
        assert!(parse(&[0xff, 0xfe]).is_err());
        let deep = format!("a{}=1", "[x]".repeat(MAX_DEPTH + 1));
        assert!(parse(deep.as_bytes()).is_err());
        let appends = |n: usize| vec!["x[]=1"; n].join("&");
        let m = parse(appends(MAX_PAIRS).as_bytes()).unwrap();
        assert_eq!(m["x"].as_object().unwrap().len(), MAX_PAIRS);
        assert!(parse(appends(MAX_PAIRS + 1).as_bytes()).is_err());
    }
}
