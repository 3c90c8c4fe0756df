//! Lenient field decoders shared by the entity structs.
//!
//! The portal writes "no value" as `null` or `""` depending on the column (SQL NULL vs an empty
//! string), scalars as strings on classic methods and as numbers on `crm.item.*`, and `0` for an
//! unset binding. These helpers fold all of that into `Option` so that a missing or empty field
//! never fails decoding; a present value of the wrong shape still fails, with its JSON path.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

/// Decodes `value` into `T`, naming the JSON path of the first field that did not fit.
pub(crate) fn decode<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Error::new(
            ErrorKind::Decode,
            format!("could not decode {what} at `{path}`: {}", e.inner()),
        )
        .with_source(e.into_inner())
    })
}

/// True for the wire forms of "no value".
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// `null` and `""` are `None`; anything else must decode as `T`.
pub(crate) fn opt<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    if is_empty(&v) {
        return Ok(None);
    }
    T::deserialize(v).map(Some).map_err(D::Error::custom)
}

/// Like [`opt`], and `0`/`"0"` (an unset binding) is `None` too.
pub(crate) fn binding<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let v = Value::deserialize(d)?;
    let unset = match &v {
        Value::Number(n) => n.as_u64() == Some(0),
        Value::String(s) => s == "0",
        other => is_empty(other),
    };
    if unset {
        return Ok(None);
    }
    T::deserialize(v).map(Some).map_err(D::Error::custom)
}

/// A number the classic methods send as text (`"CATEGORY_ID": "9"`) and `crm.item.*` as a
/// number; `null` and `""` are `None`.
pub(crate) fn number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr + DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => s
            .parse()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("`{s}` is not a whole number"))),
        v if is_empty(&v) => Ok(None),
        v => T::deserialize(v).map(Some).map_err(D::Error::custom),
    }
}

/// A text field: `null`/`""` are `None`, numbers and booleans are kept as their text.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(D::Error::custom(format!(
            "expected text, found {}",
            kind(&other)
        ))),
    }
}

/// A list: `null`, `""` and a missing key are empty; `[]` and `{}` (PHP's empty array can
/// come out either way) are empty too.
pub(crate) fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .map(|v| T::deserialize(v).map_err(D::Error::custom))
            .collect(),
        Value::Object(m) if m.is_empty() => Ok(Vec::new()),
        // PHP arrays with non-sequential keys encode as objects: take the values in order.
        Value::Object(m) => m
            .into_iter()
            .map(|(_, v)| T::deserialize(v).map_err(D::Error::custom))
            .collect(),
        v if is_empty(&v) => Ok(Vec::new()),
        other => Err(D::Error::custom(format!(
            "expected a list, found {}",
            kind(&other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::types::CompanyId;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(default, deserialize_with = "binding")]
        company: Option<CompanyId>,
        #[serde(default, deserialize_with = "string")]
        text: Option<String>,
        #[serde(default, deserialize_with = "list")]
        items: Vec<u32>,
    }

    #[test]
    fn empty_forms_fold_into_none() {
        let p: Probe = decode(
            serde_json::json!({"company": "0", "text": "", "items": {}}),
            "probe",
        )
        .unwrap();
        assert_eq!(p.company, None);
        assert_eq!(p.text, None);
        assert!(p.items.is_empty());
        let p: Probe = decode(serde_json::json!({}), "probe").unwrap();
        assert_eq!(p.company, None);
    }

    #[test]
    fn wrong_shapes_fail_with_their_path() {
        let e = decode::<Probe>(serde_json::json!({"company": "x1"}), "probe").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(e.to_string().contains("`company`"), "{e}");
        let p: Probe = decode(serde_json::json!({"text": 12, "items": [1, 2]}), "probe").unwrap();
        assert_eq!(p.text.as_deref(), Some("12"));
        assert_eq!(p.items, vec![1, 2]);
    }
}
