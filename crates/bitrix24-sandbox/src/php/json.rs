//! PHP `json_encode` as the portal calls it (`Bitrix\Main\Web\Json::encode`):
//! `JSON_HEX_TAG | JSON_HEX_AMP | JSON_HEX_APOS | JSON_HEX_QUOT | JSON_UNESCAPED_UNICODE`, slashes
//! escaped, and PHP array semantics: an empty array prints as `[]`, and an array whose keys are
//! exactly `0..n-1` in order prints as a list.

use serde_json::{Map, Value};
use std::fmt::Write;

/// Encodes a value the way the portal prints it.
pub fn encode(value: &Value) -> String {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value);
    out
}

/// True when PHP would print this array as a JSON list.
pub fn is_list(map: &Map<String, Value>) -> bool {
    map.keys()
        .enumerate()
        .all(|(i, k)| k.parse::<usize>() == Ok(i) && k.len() == digits(i))
}

fn digits(mut i: usize) -> usize {
    let mut n = 1;
    while i >= 10 {
        i /= 10;
        n += 1;
    }
    n
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => write_list(out, items.iter()),
        Value::Object(map) if map.is_empty() => out.push_str("[]"),
        Value::Object(map) if is_list(map) => write_list(out, map.values()),
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, v);
            }
            out.push('}');
        }
    }
}

fn write_list<'a>(out: &mut String, items: impl Iterator<Item = &'a Value>) {
    out.push('[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_value(out, v);
    }
    out.push(']');
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
            // PHP prints whole floats with a trailing ".0" (serialize_precision = -1).
            let _ = write!(out, "{f:.1}");
            return;
        }
    }
    let _ = write!(out, "{n}");
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\u0022"),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_array_semantics() {
        assert_eq!(encode(&json!({})), "[]");
        assert_eq!(encode(&json!({"0": "a", "1": "b"})), r#"["a","b"]"#);
        assert_eq!(encode(&json!({"1": "a", "0": "b"})), r#"{"1":"a","0":"b"}"#);
        assert_eq!(encode(&json!({"0": "a", "2": "b"})), r#"{"0":"a","2":"b"}"#);
    }

    #[test]
    fn hex_flags_and_slashes() {
        assert_eq!(
            encode(&json!("<a href='x'>\"&\"</a> / Иван 😀")),
            r#""\u003Ca href=\u0027x\u0027\u003E\u0022\u0026\u0022\u003C\/a\u003E \/ Иван 😀""#
        );
    }

    #[test]
    fn encoded_text_is_valid_json_that_round_trips() {
        let v = json!({"s": "a\"b\\c\n\u{1}<>&'/", "n": 1.5, "i": -3, "l": [true, null]});
        let back: Value = serde_json::from_str(&encode(&v)).unwrap();
        assert_eq!(back, v);
    }
}
