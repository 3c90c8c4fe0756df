//! Decoding JSON values into the caller's types, straight from the value (no detour through
//! text), with errors that name the JSON path, what the type expected and what kind of value
//! was there, but never quote the value: answers hold customer data (names, phones, amounts),
//! and errors end up in logs.

use crate::error::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

/// Deserializes `value` into `T`; `what` names the value in errors (e.g. `result`, `row`).
pub(crate) fn decode_value<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    decode_ref(&value, what)
}

/// [`decode_value`] for values that are often already what the caller wants: a `T` that is
/// `serde_json::Value` itself (list rows streamed as JSON) is handed over as it is instead of
/// being rebuilt node by node.
pub(crate) fn decode_owned<T: DeserializeOwned + 'static>(value: Value, what: &str) -> Result<T> {
    let boxed: Box<dyn std::any::Any> = Box::new(value);
    match boxed.downcast::<T>() {
        Ok(same) => Ok(*same),
        Err(boxed) => match boxed.downcast::<Value>() {
            Ok(value) => decode_ref(&value, what),
            // Unreachable: the box holds the value put in above.
            Err(_) => Err(Error::new(
                ErrorKind::Decode,
                format!("{what} could not be read"),
            )),
        },
    }
}

/// [`decode_value`] from a borrowed value: nothing is copied but what `T` keeps.
pub(crate) fn decode_ref<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." || path.is_empty() {
            what.to_string()
        } else {
            format!("{what}.{path}")
        };
        let found = node(value, e.path()).map_or_else(|| "nothing".to_string(), kind_of);
        let why = describe(&e.inner().to_string());
        Error::new(
            ErrorKind::Decode,
            format!(
                "unexpected answer at `{at}` (decoding {}): {why}; found {found}",
                short_type_name(std::any::type_name::<T>())
            ),
        )
    })
}

/// How a request value reads its answer: the value at the request's path inside `result`,
/// and the name of that place for error messages (e.g. `result.item`). See
/// [`Request::with_decoder`](crate::request::Request::with_decoder).
pub type Decoder<T> = fn(&Value, &str) -> Result<T>;

/// The usual [`Decoder`]: serde, with errors that name the JSON path and the expected type.
pub(crate) fn serde_decoder<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T> {
    decode_ref(value, what)
}

/// A [`Decoder`] for calls whose answer carries nothing to keep (`update`, `delete`: `true`).
pub(crate) fn ignore_result(_: &Value, _: &str) -> Result<()> {
    Ok(())
}

/// The value at `path` inside `value` (object keys), decoded with `decode`; `what` names
/// `value` in errors, and the path is appended to it.
pub(crate) fn decode_at<T>(
    value: &Value,
    path: &[&str],
    what: &str,
    decode: Decoder<T>,
) -> Result<T> {
    let mut at = value;
    let mut name = what.to_string();
    for key in path {
        name.push('.');
        name.push_str(key);
        at = match at.get(key) {
            Some(v) => v,
            None => {
                return Err(Error::new(
                    ErrorKind::Decode,
                    format!("unexpected answer: no `{name}`; found {}", kind_of(at)),
                ))
            }
        };
    }
    decode(at, &name)
}

/// The value the error's path points at, when the path leads somewhere.
fn node<'a>(root: &'a Value, path: &serde_path_to_error::Path) -> Option<&'a Value> {
    let mut at = root;
    for segment in path.iter() {
        at = match segment {
            Segment::Seq { index } => at.as_array()?.get(*index)?,
            Segment::Map { key } => at.as_object()?.get(key)?,
            Segment::Enum { .. } | Segment::Unknown => return Some(at),
        };
    }
    Some(at)
}

/// What kind of JSON value `v` is, with its size but without its content.
pub(crate) fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) if n.is_f64() => "a fractional number".into(),
        Value::Number(n) if n.is_i64() && n.as_i64().is_some_and(|i| i < 0) => {
            "a negative whole number".into()
        }
        Value::Number(_) => "a whole number".into(),
        Value::String(s) => format!("a string of {} characters", s.chars().count()),
        Value::Array(a) => format!("an array of {} items", a.len()),
        Value::Object(o) => format!("an object with {} keys", o.len()),
    }
}

/// serde's message without the data it may quote. serde's own shapes are kept in the
/// parts that come from the type (`expected …`, field names of the type); anything else
/// (a custom message, which may quote the value) is summed up.
fn describe(message: &str) -> String {
    let expected = || {
        message
            .rsplit_once(", expected ")
            .map(|(_, e)| format!("expected {e}"))
    };
    if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        if let Some(e) = expected() {
            return e;
        }
    }
    if message.starts_with("unknown variant ") {
        return expected().map_or_else(
            || "an unknown variant".into(),
            |e| format!("an unknown variant, {e}"),
        );
    }
    if message.starts_with("unknown field ") {
        return expected().map_or_else(
            || "an unknown field".into(),
            |e| format!("an unknown field, {e}"),
        );
    }
    // `missing field `ID``, `duplicate field `ID``, `invalid length 3, expected …`: names and
    // numbers of the type, no data.
    if message.starts_with("missing field `")
        || message.starts_with("duplicate field `")
        || message.starts_with("invalid length ")
    {
        return message.chars().take(200).collect();
    }
    "a value its type does not accept".into()
}

/// `alloc::vec::Vec<my_app::Lead>` → `Vec<Lead>`.
fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        out.push_str(word.rsplit("::").next().unwrap_or(word));
        word.clear();
    };
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Row {
        #[serde(rename = "ID")]
        id: u64,
        #[serde(rename = "NAME")]
        name: String,
    }

    #[test]
    fn errors_name_the_path_the_type_and_the_kind_but_never_the_data() {
        let v =
            json!([{"ID": 1, "NAME": "a"}, {"ID": "Иван Петров +7 903 227-88-74", "NAME": "b"}]);
        let e = decode_value::<Vec<Row>>(v, "result").unwrap_err();
        let s = e.to_string();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(s.contains("`result.[1].ID`"), "{s}");
        assert!(s.contains("expected u64"), "{s}");
        assert!(s.contains("a string of 28 characters"), "{s}");
        assert!(s.contains("Vec<Row>"), "{s}");
        assert!(!s.contains("Иван") && !s.contains("903"), "{s}");
    }

    /// A type whose error message quotes the value it refused.
    #[derive(Debug)]
    struct Quoting;

    impl<'de> Deserialize<'de> for Quoting {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
            let v = String::deserialize(d)?;
            Err(serde::de::Error::custom(format!("`{v}` is not an id")))
        }
    }

    #[test]
    fn missing_fields_and_custom_messages_quote_nothing_from_the_answer() {
        let e = decode_ref::<Row>(&json!({"ID": 5}), "row").unwrap_err();
        assert!(e.to_string().contains("missing field `NAME`"), "{e}");
        // A custom message (like the crm types' own) may quote the value: summed up instead.
        let e = decode_ref::<Quoting>(&json!("secret-ish 12abc"), "row").unwrap_err();
        assert!(!e.to_string().contains("12abc"), "{e}");
        assert!(e.to_string().contains("a string of 16 characters"), "{e}");
    }

    #[test]
    fn a_long_value_does_not_make_a_long_message() {
        let v = json!({"ID": "9".repeat(1 << 20), "NAME": "x"});
        let e = decode_ref::<Row>(&v, "result").unwrap_err();
        assert!(e.to_string().len() < 300, "{}", e.to_string().len());
    }

    #[test]
    fn successes_decode_from_the_borrowed_value() {
        let v = json!({"ID": "7", "NAME": "x"});
        let row: Value = decode_ref(&v, "row").unwrap();
        assert_eq!(row, v);
        assert_eq!(decode_ref::<u64>(&json!(7), "row").unwrap(), 7);
    }

    #[test]
    fn decoding_at_a_path_names_the_path() {
        let v = json!({"item": {"id": 5}});
        let item: Value = decode_at(&v, &["item"], "result", serde_decoder).unwrap();
        assert_eq!(item, json!({"id": 5}));
        let e = decode_at::<Value>(&json!({"items": []}), &["item"], "result", serde_decoder)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(e.to_string().contains("`result.item`"), "{e}");
        let e = decode_at::<u64>(&v, &["item", "id"], "result", |v, w| {
            decode_ref::<String>(v, w).map(|_| 0)
        })
        .unwrap_err();
        assert!(e.to_string().contains("`result.item.id`"), "{e}");
    }

    #[test]
    fn type_names_lose_their_paths() {
        assert_eq!(
            short_type_name("alloc::vec::Vec<my_app::Lead>"),
            "Vec<Lead>"
        );
        assert_eq!(
            short_type_name("core::option::Option<(u64, alloc::string::String)>"),
            "Option<(u64, String)>"
        );
    }
}
