//! Parameters to the portal's wire format: `application/x-www-form-urlencoded` with PHP
//! bracket keys (`fields[TITLE]=..&select[0]=ID`).
//!
//! Every value goes through a `serde_json::Value` first, so the PHP-specific rules apply to
//! any `Serialize` type the same way:
//! - `true`/`false` become `1`/`0`: PHP treats the string `"false"` as TRUE (a non-empty
//!   string), so sending serde's `false` literally would turn every flag on;
//! - `null`/`None` are omitted: a form cannot carry a PHP `null`, and an empty string would
//!   overwrite a field with "" on update;
//! - lists become `a[0]=..&a[1]=..`; empty lists and maps are omitted (a form cannot express
//!   an empty PHP array either);
//! - keys and values are percent-encoded, so `&`, `=`, `+`, `%`, brackets, newlines and any
//!   UTF-8 text survive PHP's `parse_str` unchanged.

use crate::error::{Error, ErrorKind, Result};
use serde::Serialize;
use serde_json::{Map, Value};

/// Encodes `params` as a form body (also the query part of a `batch` command).
///
/// The top level must serialize to a map or a list (a list gives the positional keys
/// `0=..&1=..` some legacy methods take); `()` and `None` give an empty body.
///
/// # Errors
/// [`ErrorKind::InvalidInput`] when `params` cannot be serialized or is a bare scalar.
pub fn to_form<P: Serialize + ?Sized>(params: &P) -> Result<String> {
    let value = serde_json::to_value(params).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the parameters cannot be serialized: {e}"),
        )
    })?;
    let map = match normalize(value) {
        None => return Ok(String::new()),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "the parameters must be a map or a struct (got {}); wrap the value in a \
                     named field",
                    kind_of(&other)
                ),
            ))
        }
    };
    if map.is_empty() {
        return Ok(String::new());
    }
    serde_qs::Config::new()
        .use_form_encoding(false)
        .serialize_string(&map)
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the parameters cannot be form-encoded: {e}"),
            )
        })
}

/// Applies the PHP rules; `None` means "send nothing for this value".
fn normalize(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(Value::String(if b { "1" } else { "0" }.to_string())),
        Value::Number(_) | Value::String(_) => Some(value),
        Value::Array(items) => {
            // Index keys are kept as they were (a None in the middle leaves a gap) so a
            // positional list still lines up with the caller's indexes.
            let map: Map<String, Value> = items
                .into_iter()
                .enumerate()
                .filter_map(|(i, v)| normalize(v).map(|v| (i.to_string(), v)))
                .collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }
        Value::Object(fields) => {
            let map: Map<String, Value> = fields
                .into_iter()
                .filter_map(|(k, v)| normalize(v).map(|v| (k, v)))
                .collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_keys_lists_bools_and_nulls() {
        let body = to_form(&json!({
            "fields": {"TITLE": "A&B=C", "OPENED": true, "CLOSED": false, "X": null,
                       "PHONE": [{"VALUE": "+7 (900)", "VALUE_TYPE": "WORK"}]},
            "select": ["ID", "TITLE"],
            "empty": [],
        }))
        .unwrap();
        assert_eq!(
            body,
            "fields[TITLE]=A%26B%3DC&fields[OPENED]=1&fields[CLOSED]=0\
             &fields[PHONE][0][VALUE]=%2B7+(900)&fields[PHONE][0][VALUE_TYPE]=WORK\
             &select[0]=ID&select[1]=TITLE"
        );
    }

    #[test]
    fn filter_operators_in_keys_are_encoded() {
        let body = to_form(&json!({"filter": {">ID": 5, "%TITLE": "x"}})).unwrap();
        assert_eq!(body, "filter[%3EID]=5&filter[%25TITLE]=x");
    }

    #[test]
    fn top_level_list_is_positional_and_scalars_are_refused() {
        assert_eq!(to_form(&json!([123, {"A": "b"}])).unwrap(), "0=123&1[A]=b");
        assert_eq!(to_form(&()).unwrap(), "");
        assert_eq!(to_form(&json!({"a": null})).unwrap(), "");
        let e = to_form(&"bare").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("a string"), "{e}");
    }
}
