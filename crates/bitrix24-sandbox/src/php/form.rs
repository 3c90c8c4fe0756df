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
use std::collections::HashMap;

/// PHP's default `max_input_nesting_level`: a key with more bracket levels is dropped.
pub const MAX_NESTING: usize = 64;

/// Decodes a form-encoded body or query string into a PHP array (a JSON object).
///
/// Linear in the input: each array keeps its next `[]` index (as PHP's hash tables do), so a
/// body of a million `a[]=` appends costs a million steps, not a million squared.
pub fn parse_str(input: &str) -> Map<String, Value> {
    let mut root = Array::default();
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
        insert(&mut root, &key, value);
    }
    root.into_map()
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

/// A PHP array while it is being built: entries in insertion order (a removed one leaves a
/// hole, so positions stay valid), a key index, and the largest integer key so far.
#[derive(Default)]
struct Array {
    entries: Vec<Option<(String, Node)>>,
    index: HashMap<String, usize>,
    largest_int: Option<i64>,
}

enum Node {
    Text(String),
    Array(Array),
}

impl Array {
    /// The key PHP's `$a[] = v` uses: one more than the largest integer key, or 0. `None`
    /// after the key `PHP_INT_MAX`: PHP refuses the append ("the next element is already
    /// occupied").
    fn next_key(&self) -> Option<String> {
        match self.largest_int {
            None => Some("0".into()),
            Some(n) => n.checked_add(1).map(|n| n.to_string()),
        }
    }

    /// The slot of `key`, created empty-handed (as text) when absent. An existing key keeps
    /// its position, as PHP's assignment does.
    fn slot(&mut self, key: String) -> &mut Node {
        let at = match self.index.get(&key) {
            Some(&at) => at,
            None => {
                if let Ok(n) = key.parse::<i64>() {
                    if n.to_string() == key {
                        self.largest_int = Some(self.largest_int.map_or(n, |m| m.max(n)));
                    }
                }
                self.entries
                    .push(Some((key.clone(), Node::Text(String::new()))));
                self.index.insert(key, self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        match &mut self.entries[at] {
            Some((_, node)) => node,
            None => unreachable!("indexed entries are present"),
        }
    }

    /// The array under `key`; a text value there (or nothing) becomes an empty array.
    fn child(&mut self, key: String) -> &mut Array {
        let node = self.slot(key);
        if !matches!(node, Node::Array(_)) {
            *node = Node::Array(Array::default());
        }
        match node {
            Node::Array(a) => a,
            Node::Text(_) => unreachable!("the slot was just made an array"),
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some(at) = self.index.remove(key) {
            self.entries[at] = None;
        }
    }

    fn into_map(self) -> Map<String, Value> {
        self.entries
            .into_iter()
            .flatten()
            .map(|(k, node)| {
                let v = match node {
                    Node::Text(s) => Value::String(s),
                    Node::Array(a) => Value::Object(a.into_map()),
                };
                (k, v)
            })
            .collect()
    }
}

fn insert(root: &mut Array, key: &str, value: String) {
    let (base, segments) = split_key(key);
    if base.is_empty() {
        return;
    }
    if segments.is_empty() {
        *root.slot(base) = Node::Text(value);
        return;
    }
    if segments.len() > MAX_NESTING {
        root.remove(&base);
        return;
    }
    let mut array = root.child(base);
    for (i, seg) in segments.iter().enumerate() {
        let k = match seg {
            Some(s) => normalize_key(s),
            None => match array.next_key() {
                Some(k) => k,
                None => return,
            },
        };
        if i + 1 == segments.len() {
            *array.slot(k) = Node::Text(value);
            return;
        }
        array = array.child(k);
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
    fn appends_keep_their_index_instead_of_rescanning() {
        // Quadratic before: every `[]` scanned all keys. This many finish at once only when
        // each append is one step.
        let body = "a[]=x&".repeat(50_000);
        let m = parse_str(&body);
        let a = m["a"].as_object().expect("array");
        assert_eq!(a.len(), 50_000);
        assert_eq!(a.keys().next_back().map(String::as_str), Some("49999"));
    }

    #[test]
    fn a_later_value_keeps_the_position_of_the_key() {
        let m = parse_str("a=1&b[x]=2&c=3&a[y]=4&b=5");
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(
            Value::Object(m),
            json!({"a": {"y": "4"}, "b": "5", "c": "3"})
        );
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
