//! PHP `parse_str`: `a[b][c]=1&a[b][]=2` into nested arrays.
//!
//! Rules reproduced (PHP's `php_default_treat_data` / `php_register_variable_ex`):
//! - `+` is a space; `%XX` is decoded; a broken `%` sequence stays as written;
//! - in the top-level name, ` ` and `.` become `_`, and the first `[` without a closing `]`
//!   becomes `_` as well;
//! - `[]` appends with the next integer key; integer-looking keys are normalised (`"05"` stays a
//!   string key, `"5"` is the integer 5);
//! - a later scalar replaces an earlier array of the same name and vice versa;
//! - text after the last `]` of a key is ignored;
//! - a key nested deeper than `max_input_nesting_level` (64) drops the whole variable, and
//!   `[]` after the largest integer key (`PHP_INT_MAX`) adds nothing, as PHP warns and does.

use serde_json::{Map, Value};

/// PHP's default `max_input_nesting_level`: a key with more bracket levels is dropped.
pub const MAX_NESTING: usize = 64;

/// Decodes a form-encoded body or query string into a PHP array (a JSON object).
pub fn parse_str(input: &str) -> Map<String, Value> {
    let mut root = Map::new();
    for pair in input.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (raw_key, raw_value) = match pair.split_once('=') {
            Some((k, v)) => (k, v),
            None => (pair, ""),
        };
        let key = url_decode(raw_key);
        let value = url_decode(raw_value);
        insert(&mut root, &key, Value::String(value));
    }
    root
}

/// PHP `urldecode`: `+` to space, `%XX` decoded, invalid sequences kept, invalid UTF-8 replaced.
pub fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Splits `name[a][b][]` into the base name and its bracket segments, the way PHP does.
fn split_key(key: &str) -> (String, Vec<Option<String>>) {
    let key = key.trim_start_matches(' ');
    let Some(open) = key.find('[') else {
        return (mangle_base(key), Vec::new());
    };
    let base_raw = &key[..open];
    let mut segments = Vec::new();
    let mut rest = &key[open..];
    // The first '[' must have a matching ']' or it is treated as part of the name.
    if !rest.contains(']') {
        let mut name = mangle_base(base_raw);
        name.push('_');
        name.push_str(&rest[1..]);
        return (name, Vec::new());
    }
    while let Some(stripped) = rest.strip_prefix('[') {
        match stripped.find(']') {
            Some(close) => {
                let seg = &stripped[..close];
                segments.push(if seg.is_empty() {
                    None
                } else {
                    Some(seg.to_string())
                });
                rest = &stripped[close + 1..];
            }
            None => break,
        }
    }
    (mangle_base(base_raw), segments)
}

fn mangle_base(base: &str) -> String {
    base.chars()
        .map(|c| if c == ' ' || c == '.' { '_' } else { c })
        .collect()
}

/// A PHP array key: integer-looking strings are normalised, others kept as written.
pub fn normalize_key(key: &str) -> String {
    match key.parse::<i64>() {
        Ok(n) if n.to_string() == key => n.to_string(),
        _ => key.to_string(),
    }
}

/// The key PHP's `$a[] = v` would use: one more than the largest integer key, or 0. `None`
/// when the largest key is `PHP_INT_MAX`: PHP then refuses the append ("the next element is
/// already occupied").
pub fn next_index(map: &Map<String, Value>) -> Option<String> {
    let largest = map
        .keys()
        .filter_map(|k| {
            let n = k.parse::<i64>().ok()?;
            (n.to_string() == *k).then_some(n)
        })
        .max();
    match largest {
        None => Some("0".into()),
        Some(m) => m.checked_add(1).map(|n| n.to_string()),
    }
}

fn insert(root: &mut Map<String, Value>, key: &str, value: Value) {
    let (base, segments) = split_key(key);
    if base.is_empty() {
        return;
    }
    if segments.is_empty() {
        root.insert(base, value);
        return;
    }
    if segments.len() > MAX_NESTING {
        root.remove(&base);
        return;
    }
    let mut slot = root
        .entry(base)
        .or_insert_with(|| Value::Object(Map::new()));
    for (i, seg) in segments.iter().enumerate() {
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(map) = slot else {
            unreachable!("slot was just made an object")
        };
        let k = match seg {
            Some(s) => normalize_key(s),
            None => match next_index(map) {
                Some(k) => k,
                None => return,
            },
        };
        if i + 1 == segments.len() {
            map.insert(k, value);
            return;
        }
        slot = map.entry(k).or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_keys_and_appends() {
        let m =
            parse_str("filter[>ID]=5&select[]=ID&select[]=NAME&fields[PHONE][0][VALUE]=%2B7+903");
        assert_eq!(
            Value::Object(m),
            json!({"filter": {">ID": "5"}, "select": {"0": "ID", "1": "NAME"},
                   "fields": {"PHONE": {"0": {"VALUE": "+7 903"}}}})
        );
    }

    #[test]
    fn encoded_brackets_and_top_level_mangling() {
        let m = parse_str("filter%5B%3E%3DID%5D=1&a.b=2&c d=3");
        assert_eq!(
            Value::Object(m),
            json!({"filter": {">=ID": "1"}, "a_b": "2", "c_d": "3"})
        );
    }

    #[test]
    fn broken_percent_is_kept_and_unicode_decoded() {
        let m = parse_str("a=100%&b=%D0%98%D0%B2%D0%B0%D0%BD&c=%zz&d=%E2%9C");
        assert_eq!(m["a"], json!("100%"));
        assert_eq!(m["b"], json!("Иван"));
        assert_eq!(m["c"], json!("%zz"));
        assert_eq!(m["d"], json!("\u{FFFD}"));
    }

    #[test]
    fn unmatched_bracket_becomes_underscore() {
        let m = parse_str("a[b=1");
        assert_eq!(m["a_b"], json!("1"));
    }

    #[test]
    fn append_after_the_largest_integer_key_adds_nothing() {
        let m = parse_str("a[9223372036854775807]=x&a[]=y&b[]=1");
        assert_eq!(
            Value::Object(m),
            json!({"a": {"9223372036854775807": "x"}, "b": {"0": "1"}})
        );
        // One past the largest integer is a string key, after which appends still work.
        let m = parse_str("a[9223372036854775808]=x&a[]=y");
        assert_eq!(
            Value::Object(m),
            json!({"a": {"9223372036854775808": "x", "0": "y"}})
        );
    }

    #[test]
    fn keys_nested_deeper_than_php_allows_drop_the_variable() {
        let deep = |levels: usize| format!("a{}=1", "[x]".repeat(levels));
        let kept = parse_str(&deep(MAX_NESTING));
        assert!(kept.contains_key("a"), "64 levels are allowed");
        let dropped = parse_str(&format!("a=0&{}&b=2", deep(MAX_NESTING + 1)));
        assert_eq!(Value::Object(dropped), json!({"b": "2"}));
        // A huge nesting neither recurses nor builds a deep value.
        let huge = parse_str(&format!("{}&c=3", deep(200_000)));
        assert_eq!(Value::Object(huge), json!({"c": "3"}));
    }

    #[test]
    fn append_after_explicit_index() {
        let m = parse_str("a[5]=x&a[]=y&a[05]=z");
        assert_eq!(
            Value::Object(m),
            json!({"a": {"5": "x", "6": "y", "05": "z"}})
        );
    }
}
