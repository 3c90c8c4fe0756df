//! `$result[key][path]` references between batch commands, with the portal's exact rules
//! (`CRestUtil::processBatchElement`, server-behavior.md §3):
//!
//! - the pattern is `$` + `result|next|total|time|error` (any case) + the run of non-space
//!   characters after it; the path is every `[...]` group in that run;
//! - the store is looked up by the name as written, so `$RESULT[..]` matches but finds nothing
//!   and stays literal;
//! - walking stops at the first missing key and keeps the deepest value found;
//! - a value that is exactly one reference becomes that value, whatever its type (an array
//!   stays an array); a reference inside a longer string is replaced only by a scalar;
//! - a reference without `[...]` is left as it is; keys are never substituted.

use super::Collected;
use serde_json::{Map, Value};

/// Replaces references in every value of `params`, recursively.
pub(super) fn substitute(params: Map<String, Value>, store: &Collected) -> Map<String, Value> {
    params
        .into_iter()
        .map(|(k, v)| (k, substitute_value(v, store)))
        .collect()
}

fn substitute_value(v: Value, store: &Collected) -> Value {
    match v {
        Value::String(s) => substitute_string(s, store),
        Value::Object(m) => Value::Object(substitute(m, store)),
        other => other,
    }
}

/// One reference found in a string.
struct Found {
    start: usize,
    end: usize,
    value: Option<Value>,
}

fn substitute_string(s: String, store: &Collected) -> Value {
    let refs = find_references(&s, store);
    if refs.is_empty() {
        return Value::String(s);
    }
    // A value that is exactly one reference takes the referenced value as it is.
    if let [only] = refs.as_slice() {
        if only.start == 0 && only.end == s.len() {
            return match &only.value {
                Some(v) => v.clone(),
                None => Value::String(s),
            };
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for r in &refs {
        out.push_str(&s[last..r.start]);
        match r.value.as_ref().and_then(scalar_text) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&s[r.start..r.end]),
        }
        last = r.end;
    }
    out.push_str(&s[last..]);
    Value::String(out)
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

const NAMES: [&str; 5] = ["result", "next", "total", "time", "error"];

fn find_references(s: &str, store: &Collected) -> Vec<Found> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(rel) = s[pos..].find('$') {
        let start = pos + rel;
        let after = &s[start + 1..];
        let Some(name) = NAMES
            .iter()
            // `get`, not slicing: the bytes after `$` may end inside a multi-byte character.
            .find(|n| {
                after
                    .get(..n.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(n))
            })
        else {
            pos = start + 1;
            continue;
        };
        let written = &after[..name.len()];
        let run_start = start + 1 + name.len();
        let run_len = s[run_start..]
            .find(char::is_whitespace)
            .unwrap_or(s.len() - run_start);
        let end = run_start + run_len;
        let path = bracket_groups(&s[run_start..end]);
        if !path.is_empty() {
            found.push(Found {
                start,
                end,
                value: lookup(store, written, &path),
            });
        }
        pos = end.max(start + 1);
    }
    found
}

fn bracket_groups(run: &str) -> Vec<&str> {
    let mut groups = Vec::new();
    let mut rest = run;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']') else {
            break;
        };
        groups.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    groups
}

fn lookup(store: &Collected, written_name: &str, path: &[&str]) -> Option<Value> {
    let root = match written_name {
        "result" => &store.result,
        "next" => &store.next,
        "total" => &store.total,
        "time" => &store.time,
        "error" => &store.error,
        _ => return None,
    };
    // Walk by reference and clone only what is found: chained keyset commands refer to
    // earlier pages, and copying every earlier result per reference would be quadratic.
    let Some((first, rest)) = path.split_first() else {
        return Some(Value::Object(root.clone()));
    };
    let Some(mut current) = root.get(*first) else {
        return Some(Value::Object(root.clone()));
    };
    for key in rest {
        match child(current, key) {
            Some(next) => current = next,
            None => break,
        }
    }
    Some(current.clone())
}

fn child<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) => m.get(key),
        Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> Collected {
        let mut c = Collected::default();
        c.result.insert(
            "lead".into(),
            json!({"ID": "7", "PHONE": [{"VALUE": "+7"}]}),
        );
        c.result
            .insert("list".into(), json!([{"ID": "1"}, {"ID": "2"}]));
        c.total.insert("list".into(), json!(2));
        c
    }

    #[test]
    fn whole_value_reference_keeps_the_type() {
        let s = store();
        assert_eq!(
            substitute_string("$result[lead][ID]".into(), &s),
            json!("7")
        );
        assert_eq!(
            substitute_string("$result[list]".into(), &s),
            json!([{"ID": "1"}, {"ID": "2"}])
        );
        assert_eq!(substitute_string("$total[list]".into(), &s), json!(2));
    }

    #[test]
    fn missing_path_keeps_the_deepest_value_found() {
        let s = store();
        // [5] does not exist: the list itself is the deepest value.
        assert_eq!(
            substitute_string("$result[list][5][ID]".into(), &s),
            json!([{"ID": "1"}, {"ID": "2"}])
        );
        // The first key is missing: the whole result map.
        let all = substitute_string("$result[nope]".into(), &s);
        assert!(all.get("lead").is_some());
    }

    #[test]
    fn embedded_references_take_scalars_only() {
        let s = store();
        assert_eq!(
            substitute_string("id=$result[lead][ID] x".into(), &s),
            json!("id=7 x")
        );
        assert_eq!(
            substitute_string("x $result[list] y".into(), &s),
            json!("x $result[list] y")
        );
    }

    #[test]
    fn multi_byte_text_after_a_dollar_is_not_cut() {
        let s = store();
        for text in ["$tota€[list]", "$resul\u{0416}", "$€", "$ре", "x$nex😀"] {
            assert_eq!(substitute_string(text.into(), &s), json!(text));
        }
        assert_eq!(
            substitute_string("Иван $result[lead][ID] ✓".into(), &s),
            json!("Иван 7 ✓")
        );
    }

    #[test]
    fn wrong_case_names_and_bare_references_stay_literal() {
        let s = store();
        assert_eq!(
            substitute_string("$RESULT[lead][ID]".into(), &s),
            json!("$RESULT[lead][ID]")
        );
        assert_eq!(substitute_string("$result".into(), &s), json!("$result"));
    }
}
