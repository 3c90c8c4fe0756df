//! Bitrix24 booleans: `"Y"`/`"N"` on the wire, `bool` in Rust.
//!
//! The portal writes flags as `"Y"`/`"N"` but several methods (and user fields) use `1`/`0`,
//! `"1"`/`"0"` or JSON `true`/`false`, so decoding accepts all of them, in any case. Encoding
//! always writes `"Y"`/`"N"`, the form every classic CRM method accepts.
//!
//! Use it in your own structs with `#[serde(with = "bitrix24::crm::types::yn")]` for `bool`
//! and `#[serde(default, with = "bitrix24::crm::types::yn::option")]` for `Option<bool>`.

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serializer};
use serde_json::Value;

/// The wire text of `b`.
pub const fn to_wire(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// Reads a wire flag: `Y`/`N`, `1`/`0`, `true`/`false` (as text in any case, or as JSON).
/// `None` when it is none of these.
pub fn from_wire(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_u64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_uppercase().as_str() {
            "Y" | "1" | "TRUE" => Some(true),
            "N" | "0" | "FALSE" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Serializes a `bool` as `"Y"`/`"N"`.
pub fn serialize<S: Serializer>(b: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(to_wire(*b))
}

/// Deserializes a `bool` from any of the wire forms.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    from_wire(&v).ok_or_else(|| D::Error::custom(format!("expected Y or N, found {v}")))
}

/// The same for `Option<bool>`: `null` and `""` are `None`.
pub mod option {
    use super::*;

    /// Serializes `Some(b)` as `"Y"`/`"N"` and `None` as `null`.
    pub fn serialize<S: Serializer>(b: &Option<bool>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_str(to_wire(*b)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes an optional flag; `null` and `""` are `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() => Ok(None),
            other => from_wire(other)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("expected Y or N, found {v}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Flags {
        #[serde(with = "super")]
        a: bool,
        #[serde(default, with = "super::option")]
        b: Option<bool>,
    }

    #[test]
    fn accepts_every_wire_form() {
        for (wire, want) in [
            ("\"Y\"", true),
            ("\"y\"", true),
            ("\"1\"", true),
            ("1", true),
            ("true", true),
            ("\"N\"", false),
            ("\"0\"", false),
            ("0", false),
            ("false", false),
        ] {
            let f: Flags = serde_json::from_str(&format!("{{\"a\":{wire}}}")).unwrap();
            assert_eq!(f.a, want, "{wire}");
        }
        assert!(serde_json::from_str::<Flags>("{\"a\":\"maybe\"}").is_err());
        assert!(serde_json::from_str::<Flags>("{\"a\":2}").is_err());
    }

    #[test]
    fn writes_y_and_n() {
        let f = Flags {
            a: true,
            b: Some(false),
        };
        assert_eq!(serde_json::to_string(&f).unwrap(), r#"{"a":"Y","b":"N"}"#);
        let back: Flags = serde_json::from_str(r#"{"a":"N","b":""}"#).unwrap();
        assert_eq!(back.b, None);
    }
}
