//! Loose PHP conversions applied to request parameters, which arrive as strings from forms and
//! as typed values from JSON bodies.

use serde_json::{Map, Value};

/// PHP `intval`: leading optional sign and digits; anything else is 0. Bools give 0/1,
/// floats are truncated.
pub fn intval(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Value::String(s) => intval_str(s),
        Value::Bool(b) => i64::from(*b),
        Value::Array(a) => i64::from(!a.is_empty()),
        Value::Object(o) => i64::from(!o.is_empty()),
        Value::Null => 0,
    }
}

/// PHP `intval` on a string.
pub fn intval_str(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return 0;
    }
    // Out of range saturates at PHP_INT_MAX / PHP_INT_MIN, as PHP's conversion does.
    match digits[..end].parse::<i64>() {
        Ok(n) if neg => -n,
        Ok(n) => n,
        Err(_) if neg => i64::MIN,
        Err(_) => i64::MAX,
    }
}

/// PHP `(float)`: the longest numeric prefix (`"12.5abc"` is 12.5); anything else is 0.
/// Bools give 0/1; arrays give 0/1 by emptiness, as `intval` does.
pub fn floatval(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => floatval_str(s),
        other => intval(other) as f64,
    }
}

/// PHP `(float)` on a string.
pub fn floatval_str(s: &str) -> f64 {
    let t = s.trim_start();
    let bytes = t.as_bytes();
    let mut end = 0;
    if matches!(bytes.first(), Some(b'-' | b'+')) {
        end = 1;
    }
    let digits_from = end;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    if end < bytes.len() && bytes[end] == b'.' {
        end += 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
    }
    if end > digits_from && end < bytes.len() && matches!(bytes[end], b'e' | b'E') {
        let mut exp = end + 1;
        if matches!(bytes.get(exp), Some(b'-' | b'+')) {
            exp += 1;
        }
        let exp_digits = exp;
        while exp < bytes.len() && bytes[exp].is_ascii_digit() {
            exp += 1;
        }
        if exp > exp_digits {
            end = exp;
        }
    }
    t[..end]
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .unwrap_or(0.0)
}

/// True when a value is a number or a numeric string (PHP `is_numeric`, leading blanks allowed).
pub fn is_numeric(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::String(s) => {
            let t = s.trim_start();
            !t.is_empty() && t.parse::<f64>().is_ok_and(f64::is_finite)
        }
        _ => false,
    }
}

/// PHP truthiness: `""`, `"0"`, `0`, `0.0`, `false`, `null` and empty arrays are false.
/// Note that the string `"false"` is true, as on the real portal.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !(s.is_empty() || s == "0"),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A scalar as PHP would print it with `(string)`; arrays give `None`.
pub fn as_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(true) => Some("1".into()),
        Value::Bool(false) | Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// The elements of a PHP array, whether it came as a JSON list or as a keyed object.
/// A scalar is not an array and yields nothing.
pub fn elements(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => o.values().collect(),
        _ => Vec::new(),
    }
}

/// The key/value pairs of a PHP array (a JSON list gets the keys `0..n-1`).
pub fn entries(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        Value::Object(o) => o.iter().map(|(k, v)| (k.clone(), v)).collect(),
        _ => Vec::new(),
    }
}

/// True for a PHP array (a JSON list or object).
pub fn is_array(v: &Value) -> bool {
    matches!(v, Value::Array(_) | Value::Object(_))
}

/// Looks a parameter up under several spellings (the portal's `resolveArrayParam` tolerance),
/// returning the first present.
pub fn lookup<'a>(params: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| params.get(*n))
}

/// Converts a JSON list into a PHP-style keyed object (keys `0..n-1`), recursively, so both
/// request encodings look the same to a method.
pub fn normalize(v: Value) -> Value {
    match v {
        Value::Array(items) => Value::Object(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), normalize(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, normalize(v)))
                .collect::<Map<String, Value>>(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn intval_matches_php() {
        assert_eq!(intval(&json!("12abc")), 12);
        assert_eq!(intval(&json!(" -7")), -7);
        assert_eq!(intval(&json!("abc")), 0);
        assert_eq!(intval(&json!(3.9)), 3);
        assert_eq!(intval(&json!(true)), 1);
        assert_eq!(intval(&json!("9223372036854775807")), i64::MAX);
        assert_eq!(intval(&json!("99999999999999999999")), i64::MAX);
        assert_eq!(intval(&json!("-9223372036854775808")), i64::MIN);
        assert_eq!(intval(&json!("-99999999999999999999")), i64::MIN);
        assert_eq!(intval(&json!(1e300)), i64::MAX);
        assert_eq!(intval(&json!(-1e300)), i64::MIN);
    }

    #[test]
    fn floatval_matches_php() {
        assert_eq!(floatval(&json!("12.5abc")), 12.5);
        assert_eq!(floatval(&json!(" -3")), -3.0);
        assert_eq!(floatval(&json!("1e3")), 1000.0);
        assert_eq!(floatval(&json!("1e")), 1.0);
        assert_eq!(floatval(&json!("abc")), 0.0);
        assert_eq!(floatval(&json!(".5")), 0.5);
        assert_eq!(floatval(&json!(true)), 1.0);
        assert!(is_numeric(&json!("10.5")));
        assert!(!is_numeric(&json!("10,5")));
    }

    #[test]
    fn truthiness_matches_php() {
        assert!(!truthy(&json!("0")));
        assert!(!truthy(&json!("")));
        assert!(truthy(&json!("false")));
        assert!(!truthy(&json!(false)));
        assert!(truthy(&json!(1)));
    }
}
