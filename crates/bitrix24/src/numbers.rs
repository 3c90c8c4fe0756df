//! Numbers from the network, checked before they become a `Duration`, a count, an id or a
//! point in time.
//!
//! A portal, a proxy or an attacker can put anything where a number belongs: `"NaN"`,
//! `"inf"`, `-1`, `1e300`, `1.5` for an integer, `[]`. Every reader here takes a JSON value
//! or a text and returns `None` for anything outside the field's meaning, so no caller ever
//! converts or adds a value that can panic, wrap or wait for years.

use serde_json::Value;

/// The longest span accepted, in seconds (ten years): any accepted span fits a `Duration`
/// and an `i64` with room to add it to a unix time.
pub(crate) const MAX_SECONDS: f64 = 315_360_000.0;

/// The latest unix time accepted (9999-12-31T23:59:59Z).
pub(crate) const MAX_UNIX_TIME: i64 = 253_402_300_799;

/// The largest count or row offset accepted (2^53: exact as `f64`, `i64` and in every JSON
/// reader, and far above any portal's row count).
pub(crate) const MAX_COUNT: u64 = 1 << 53;

/// A finite number sent as a JSON number or as numeric text (PHP sends both).
fn finite(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// A span in seconds: finite, `0..=MAX_SECONDS` (run times, operating time).
pub(crate) fn seconds(v: &Value) -> Option<f64> {
    finite(v).filter(|x| (0.0..=MAX_SECONDS).contains(x))
}

/// A unix time with a fraction (`time.start`, `time.finish`): finite, `0..=MAX_UNIX_TIME`.
pub(crate) fn unix_time_f64(v: &Value) -> Option<f64> {
    finite(v).filter(|x| (0.0..=MAX_UNIX_TIME as f64).contains(x))
}

/// A unix time in whole seconds (`operating_reset_at`, `expires`, `ts`); a fraction is cut.
pub(crate) fn unix_time(v: &Value) -> Option<i64> {
    unix_time_f64(v).map(|x| x as i64)
}

/// [`unix_time`] of a form field.
pub(crate) fn unix_time_text(s: &str) -> Option<i64> {
    unix_time(&Value::String(s.to_string()))
}

/// A count or row offset (`total`, `next`): a whole number `0..=MAX_COUNT`.
pub(crate) fn count(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(u) => Some(u),
            None => n
                .as_f64()
                .filter(|x| x.fract() == 0.0 && *x >= 0.0)
                .map(|x| x as u64),
        },
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .filter(|n| *n <= MAX_COUNT)
}

/// An id: a whole number above zero (`ID`, `user_id`, `event_handler_id`).
pub(crate) fn id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .filter(|n| *n > 0)
}

/// [`id`] of a form field.
pub(crate) fn id_text(s: &str) -> Option<u64> {
    s.trim().parse::<u64>().ok().filter(|n| *n > 0)
}

/// A token lifetime in whole seconds (`expires_in`): `1..=MAX_SECONDS`. Zero or less would
/// make every call refresh; an absent value lets the caller fall back to its default.
pub(crate) fn lifetime(v: &Value) -> Option<i64> {
    finite(v)
        .filter(|x| x.fract() == 0.0 && (1.0..=MAX_SECONDS).contains(x))
        .map(|x| x as i64)
}

/// [`lifetime`] of a form field.
pub(crate) fn lifetime_text(s: &str) -> Option<i64> {
    lifetime(&Value::String(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every hostile spelling a number field can take.
    fn hostile() -> Vec<Value> {
        vec![
            json!("NaN"),
            json!("nan"),
            json!("inf"),
            json!("-inf"),
            json!("Infinity"),
            json!("1e999"),
            json!(-1),
            json!("-1"),
            json!(1e300),
            json!(-1e300),
            json!(null),
            json!(true),
            json!([]),
            json!({}),
            json!(""),
            json!("12abc"),
        ]
    }

    #[test]
    fn hostile_values_are_refused_by_every_reader() {
        for v in hostile() {
            assert_eq!(seconds(&v), None, "{v}");
            assert_eq!(unix_time_f64(&v), None, "{v}");
            assert_eq!(unix_time(&v), None, "{v}");
            assert_eq!(count(&v), None, "{v}");
            assert_eq!(id(&v), None, "{v}");
            assert_eq!(lifetime(&v), None, "{v}");
        }
    }

    #[test]
    fn ordinary_values_pass_as_numbers_and_as_text() {
        assert_eq!(seconds(&json!("2.25")), Some(2.25));
        assert_eq!(seconds(&json!(0)), Some(0.0));
        assert_eq!(unix_time_f64(&json!(1705765533.25)), Some(1705765533.25));
        assert_eq!(unix_time(&json!("1705765533")), Some(1705765533));
        assert_eq!(count(&json!(50)), Some(50));
        assert_eq!(count(&json!("50")), Some(50));
        assert_eq!(count(&json!(1e2)), Some(100));
        assert_eq!(id(&json!("7")), Some(7));
        assert_eq!(lifetime(&json!(3600)), Some(3600));
        assert_eq!(lifetime_text("3600"), Some(3600));
        assert_eq!(unix_time_text(" 1766047124 "), Some(1766047124));
        assert_eq!(id_text("42"), Some(42));
    }

    #[test]
    fn values_outside_the_meaning_are_refused() {
        assert_eq!(count(&json!(1.5)), None, "a count is whole");
        assert_eq!(count(&json!(MAX_COUNT + 1)), None);
        assert_eq!(id(&json!(0)), None, "ids start at 1");
        assert_eq!(id_text("0"), None);
        assert_eq!(lifetime(&json!(0)), None, "a token that never lived");
        assert_eq!(lifetime(&json!(1.5)), None);
        assert_eq!(seconds(&json!(MAX_SECONDS * 2.0)), None);
        assert_eq!(unix_time(&json!(MAX_UNIX_TIME + 1)), None);
        // Whatever is accepted converts without a panic.
        let _ = std::time::Duration::from_secs_f64(MAX_SECONDS);
        assert!((MAX_UNIX_TIME).checked_add(MAX_SECONDS as i64).is_some());
    }
}
