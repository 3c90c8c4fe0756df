//! Money without floating point.
//!
//! Classic methods return `OPPORTUNITY` as a decimal string (`"12500.50"`); `crm.item.*` returns
//! it as a JSON number. [`Amount`] keeps the decimal text exactly as written, so nothing is lost
//! through `f64` on the way in or out, and is sent back as text. Money user fields are written
//! `"100.50|USD"`, which is [`Money`]'s `Display`/`FromStr` form.

use std::fmt;
use std::str::FromStr;

use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// An exact decimal amount: `-?digits(.digits)?`, kept as written (`"0.00"` stays `"0.00"`, so
/// compare amounts with [`Amount::cmp_value`], not `==`, when trailing zeros may differ).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Amount(String);

impl Amount {
    /// Parses a decimal amount. Spaces (thousands separators) are removed and a single decimal
    /// comma is read as a point, as the portal itself does for `OPPORTUNITY`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let cleaned: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        if is_decimal(&cleaned) {
            Ok(Self(cleaned))
        } else {
            Err(Error::new(
                ErrorKind::InvalidInput,
                format!("`{s}` is not an amount: write digits with an optional `.` and sign, like 1250.50"),
            ))
        }
    }

    /// The decimal text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The amount as `f64`, for display or arithmetic where rounding is acceptable.
    pub fn to_f64_lossy(&self) -> f64 {
        self.0.parse().unwrap_or(0.0)
    }

    /// Compares by value: `"1.50"` equals `"1.5"`.
    pub fn cmp_value(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (canonical(&self.0), canonical(&other.0));
        let neg = |s: &str| s.starts_with('-');
        match (neg(&a), neg(&b)) {
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (both_neg, _) => {
                let ord = magnitude_cmp(a.trim_start_matches('-'), b.trim_start_matches('-'));
                if both_neg {
                    ord.reverse()
                } else {
                    ord
                }
            }
        }
    }
}

/// `-?\d+(\.\d+)?`, the pattern the portal checks `OPPORTUNITY` against.
fn is_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// Strips leading integer zeros and trailing fraction zeros; `-0` becomes `0`.
fn canonical(s: &str) -> String {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut out = String::new();
    if neg && !(int == "0" && frac.is_empty()) {
        out.push('-');
    }
    out.push_str(int);
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

fn magnitude_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (ai, af) = a.split_once('.').unwrap_or((a, ""));
    let (bi, bf) = b.split_once('.').unwrap_or((b, ""));
    ai.len()
        .cmp(&bi.len())
        .then_with(|| ai.cmp(bi))
        .then_with(|| {
            let width = af.len().max(bf.len());
            format!("{af:0<width$}").cmp(&format!("{bf:0<width$}"))
        })
}

impl FromStr for Amount {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so a table can align amounts with `{:>10}`.
        f.pad(&self.0)
    }
}

macro_rules! amount_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Amount {
            fn from(v: $t) -> Self {
                Self(v.to_string())
            }
        }
    )*};
}
amount_from_int!(u8, u16, u32, u64, i8, i16, i32, i64);

impl From<Amount> for Value {
    fn from(a: Amount) -> Self {
        Value::String(a.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Self::parse(&s).map_err(D::Error::custom),
            // A JSON number already went through f64 in serde_json; its shortest form is the
            // best text there is. Rust's `Display` writes it without an exponent (serde_json's
            // own text would say `1e-8` for a product row's smallest price step).
            Value::Number(n) => {
                let text = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                    (Some(i), _, _) => i.to_string(),
                    (_, Some(u), _) => u.to_string(),
                    (_, _, Some(f)) if f.is_finite() => f.to_string(),
                    _ => n.to_string(),
                };
                Self::parse(&text).map_err(D::Error::custom)
            }
            other => Err(D::Error::custom(format!(
                "expected an amount, found {other}"
            ))),
        }
    }
}

/// An amount in a currency: the value of a money user field, written `"100.50|USD"`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Money {
    /// The amount.
    pub amount: Amount,
    /// The currency code, e.g. `USD`, `RUB`.
    pub currency: String,
}

impl Money {
    /// An amount in `currency`.
    pub fn new(amount: Amount, currency: impl Into<String>) -> Self {
        Self {
            amount,
            currency: currency.into(),
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.amount, self.currency)
    }
}

impl FromStr for Money {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let (amount, currency) = s.split_once('|').ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("`{s}` is not a money value like 100.50|USD"),
            )
        })?;
        let currency = currency.trim();
        if currency.is_empty() || !currency.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("`{s}` has no valid currency code after `|`"),
            ));
        }
        Ok(Self::new(Amount::parse(amount)?, currency))
    }
}

impl From<Money> for Value {
    fn from(m: Money) -> Self {
        Value::String(m.to_string())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_every_digit() {
        let big = "12345678901234567890.12345678901234567890";
        let a: Amount = serde_json::from_str(&format!("\"{big}\"")).unwrap();
        assert_eq!(a.as_str(), big);
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{big}\""));
        let n: Amount = serde_json::from_str("1250.5").unwrap();
        assert_eq!(n.as_str(), "1250.5");
        let tiny: Amount = serde_json::from_str("0.00000001").unwrap();
        assert_eq!(tiny.as_str(), "0.00000001");
        let computed: Amount = serde_json::from_str("66666.66666667").unwrap();
        assert_eq!(computed.as_str(), "66666.66666667");
        assert_eq!(Amount::parse("1 250,50").unwrap().as_str(), "1250.50");
        assert_eq!(format!("[{:>7}]", Amount::from(42)), "[     42]");
    }

    #[test]
    fn refuses_what_the_portal_refuses() {
        for bad in ["", "-", "1.", ".5", "1e5", "abc", "1.2.3", "--1", "+1"] {
            assert!(Amount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn compares_by_value() {
        use std::cmp::Ordering::*;
        let a = |s: &str| Amount::parse(s).unwrap();
        assert_eq!(a("1.50").cmp_value(&a("1.5")), Equal);
        assert_eq!(a("-0.00").cmp_value(&a("0")), Equal);
        assert_eq!(a("10").cmp_value(&a("9.99")), Greater);
        assert_eq!(a("-10").cmp_value(&a("-9.99")), Less);
        assert_eq!(a("0.05").cmp_value(&a("0.5")), Less);
    }

    #[test]
    fn money_fields_use_the_pipe_form() {
        let m: Money = "300|RUB".parse().unwrap();
        assert_eq!(m, Money::new(Amount::from(300), "RUB"));
        assert_eq!(m.to_string(), "300|RUB");
        assert!("300".parse::<Money>().is_err());
        assert!("300|".parse::<Money>().is_err());
        assert!("x|USD".parse::<Money>().is_err());
    }
}
