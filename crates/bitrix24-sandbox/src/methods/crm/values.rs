//! Value conversions between the wire (what callers send and what classic methods print) and
//! the stored form.
//!
//! Stored form, as `store` hands it out: `Int` and `DateTime` (unix seconds) are JSON
//! integers, `Money` a JSON float, `Text`/`Flag` strings, `Date` a `YYYY-MM-DD` string, and
//! SQL NULL is `null`. Classic methods print every scalar as a string
//! (server-behavior.md §7: rows come straight from `CDBResult::Fetch`).

use super::entity::{Field, Storage};
use crate::php::value::{as_string, intval};
use rusqlite::types::{Value as Sql, ValueRef};
use serde_json::Value;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A stored value as an SQL parameter.
pub fn to_sql(v: &Value) -> Sql {
    match v {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    }
}

/// A column value read back into the stored form of `field`.
pub fn from_sql(field: &Field, v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => match field.storage {
            Storage::Money => serde_json::json!(i as f64),
            Storage::Text | Storage::Flag | Storage::Date => Value::String(i.to_string()),
            _ => Value::from(i),
        },
        ValueRef::Real(f) => match field.storage {
            Storage::Int | Storage::DateTime => Value::from(f as i64),
            _ => serde_json::json!(f),
        },
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            Value::String(String::from_utf8_lossy(t).into_owned())
        }
    }
}

/// Converts a value sent by a caller into the stored form of `field`. `None` means the
/// portal drops the key (an unparseable date, an array for a scalar field).
pub fn internalize(field: &Field, v: &Value, offset: UtcOffset) -> Option<Value> {
    if matches!(v, Value::Object(_) | Value::Array(_)) {
        return None;
    }
    let text = as_string(v).unwrap_or_default();
    let empty = text.trim().is_empty();
    Some(match field.storage {
        Storage::Int if empty => Value::Null,
        Storage::Int => Value::from(intval(v)),
        Storage::Money if empty => Value::Null,
        Storage::Money => serde_json::json!(parse_money(&text).unwrap_or(0.0)),
        Storage::Text => Value::String(text),
        Storage::Flag => Value::String(flag(v).to_string()),
        Storage::DateTime if empty => Value::Null,
        Storage::DateTime => Value::from(parse_datetime(&text, offset)?),
        Storage::Date if empty => Value::Null,
        Storage::Date => Value::String(parse_date(&text)?),
        Storage::Multi | Storage::Ids => return None,
    })
}

/// A `Y`/`N` flag from loose input: `Y`, `1`, `true` and JSON true are yes.
pub fn flag(v: &Value) -> &'static str {
    let yes = match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(s.trim().to_ascii_uppercase().as_str(), "Y" | "1" | "TRUE"),
        _ => false,
    };
    if yes {
        "Y"
    } else {
        "N"
    }
}

/// A money amount as the lead checks it: commas become dots, spaces are removed, then the
/// text must match `-?\d+(\.\d+)?` (server-behavior.md §7).
pub fn parse_money(text: &str) -> Option<f64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let body = t.strip_prefix('-').unwrap_or(&t);
    let (int, frac) = match body.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    t.parse().ok()
}

/// A stored value printed the classic way: every scalar a string, NULL as null, datetimes
/// ISO 8601 in the portal offset, an empty date `""`.
pub fn externalize(field: &Field, v: &Value, offset: UtcOffset) -> Value {
    match (field.storage, v) {
        (Storage::Date | Storage::DateTime, Value::Null) => Value::String(String::new()),
        (_, Value::Null) => Value::Null,
        (Storage::Money, v) => Value::String(format!("{:.2}", v.as_f64().unwrap_or(0.0))),
        (Storage::DateTime, v) => Value::String(iso(v.as_i64().unwrap_or(0), offset)),
        (Storage::Date, Value::String(d)) => date_out(d, offset),
        (_, Value::String(s)) => Value::String(s.clone()),
        (_, v) => Value::String(as_string(v).unwrap_or_default()),
    }
}

/// A stored `YYYY-MM-DD` printed like the portal prints a date field: midnight UTC shown in
/// the portal offset, e.g. `1990-05-20T03:00:00+03:00` on a +03:00 portal (server-behavior.md
/// §7 quirk). An unreadable stored date prints as `""`.
pub fn date_out(d: &str, offset: UtcOffset) -> Value {
    match parse_ymd(d) {
        Some(date) => Value::String(iso(date.midnight().assume_utc().unix_timestamp(), offset)),
        None => Value::String(String::new()),
    }
}

fn iso(unix: i64, offset: UtcOffset) -> String {
    crate::clock::iso(unix, offset)
}

/// Parses a datetime the way PHP `strtotime` accepts the common forms: ISO 8601 with `T` or a
/// space, with or without seconds, fraction and offset (`Z`, `+03:00`, `+0300`), a bare date
/// (midnight), `DD.MM.YYYY[ HH:MM[:SS]]`, `@unix`. A missing offset means the portal's.
pub fn parse_datetime(text: &str, offset: UtcOffset) -> Option<i64> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('@') {
        return rest.parse().ok();
    }
    let (date, rest) = split_date(t)?;
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    let (time, rest) = if rest.is_empty() {
        (Time::MIDNIGHT, "")
    } else {
        split_time(rest)?
    };
    let zone = match rest.trim() {
        "" => offset,
        z => parse_zone(z)?,
    };
    Some(
        PrimitiveDateTime::new(date, time)
            .assume_offset(zone)
            .unix_timestamp(),
    )
}

/// Parses the calendar date of a date or datetime text (the time part is ignored).
pub fn parse_date(text: &str) -> Option<String> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('@') {
        let unix: i64 = rest.parse().ok()?;
        let d = OffsetDateTime::from_unix_timestamp(unix).ok()?.date();
        return Some(ymd(d));
    }
    let (date, rest) = split_date(t)?;
    let rest = rest.trim_start_matches(['T', 't', ' ']);
    if !rest.is_empty() {
        let (_, zone) = split_time(rest)?;
        if !zone.trim().is_empty() {
            parse_zone(zone.trim())?;
        }
    }
    Some(ymd(date))
}

/// `YYYY-MM-DD` of a date.
pub fn ymd(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

fn parse_ymd(s: &str) -> Option<Date> {
    match split_date(s) {
        Some((d, "")) => Some(d),
        _ => None,
    }
}

fn num(s: &str, len: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if !len.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn make_date(y: u32, m: u32, d: u32) -> Option<Date> {
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()
}

/// Splits a leading `YYYY-MM-DD` or `DD.MM.YYYY` off the text.
fn split_date(t: &str) -> Option<(Date, &str)> {
    let end = t.find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '.'));
    let (head, rest) = t.split_at(end.unwrap_or(t.len()));
    let parts: Vec<&str> = head.split(['-', '.']).collect();
    let date = match parts.as_slice() {
        [y, m, d] if head.contains('-') => {
            make_date(num(y, 4..=4)?, num(m, 1..=2)?, num(d, 1..=2)?)?
        }
        [d, m, y] if head.contains('.') => {
            make_date(num(y, 4..=4)?, num(m, 1..=2)?, num(d, 1..=2)?)?
        }
        _ => return None,
    };
    Some((date, rest))
}

/// Splits `HH:MM[:SS][.fff]` off the text.
fn split_time(t: &str) -> Option<(Time, &str)> {
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(t.len());
    let (head, rest) = t.split_at(end);
    let head = head.split('.').next().unwrap_or("");
    let parts: Vec<&str> = head.split(':').collect();
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (num(h, 1..=2)?, num(m, 2..=2)?, 0),
        [h, m, s] => (num(h, 1..=2)?, num(m, 2..=2)?, num(s, 2..=2)?),
        _ => return None,
    };
    let time = Time::from_hms(
        u8::try_from(h).ok()?,
        u8::try_from(m).ok()?,
        u8::try_from(s).ok()?,
    )
    .ok()?;
    Some((time, rest))
}

fn parse_zone(z: &str) -> Option<UtcOffset> {
    if z.eq_ignore_ascii_case("z") || z.eq_ignore_ascii_case("utc") {
        return Some(UtcOffset::UTC);
    }
    let (sign, body) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let digits: String = body.chars().filter(|c| *c != ':').collect();
    let (h, m) = match digits.len() {
        1 | 2 => (num(&digits, 1..=2)?, 0),
        4 => (num(digits.get(..2)?, 2..=2)?, num(digits.get(2..)?, 2..=2)?),
        _ => return None,
    };
    let secs = sign * i32::try_from(h * 3600 + m * 60).ok()?;
    UtcOffset::from_whole_seconds(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msk() -> UtcOffset {
        UtcOffset::from_hms(3, 0, 0).expect("offset")
    }

    #[test]
    fn datetimes_parse_leniently() {
        let with_offset = parse_datetime("2024-01-15T10:00:00+03:00", msk());
        assert_eq!(with_offset, Some(1_705_302_000));
        assert_eq!(parse_datetime("2024-01-15 10:00:00", msk()), with_offset);
        assert_eq!(parse_datetime("2024-01-15T07:00:00Z", msk()), with_offset);
        assert_eq!(parse_datetime("2024-01-15T10:00+0300", msk()), with_offset);
        assert_eq!(parse_datetime("15.01.2024 10:00:00", msk()), with_offset);
        assert_eq!(
            parse_datetime("2024-01-15", msk()),
            Some(1_705_302_000 - 10 * 3600)
        );
        assert_eq!(parse_datetime("not a date", msk()), None);
        assert_eq!(parse_datetime("2024-13-01", msk()), None);
        assert_eq!(parse_datetime("2024-01-15T10:00:00junk", msk()), None);
    }

    #[test]
    fn dates_keep_the_written_day() {
        assert_eq!(parse_date("1990-05-20").as_deref(), Some("1990-05-20"));
        assert_eq!(
            parse_date("1990-05-20T23:30:00-05:00").as_deref(),
            Some("1990-05-20")
        );
        assert_eq!(parse_date("20.05.1990").as_deref(), Some("1990-05-20"));
        assert_eq!(parse_date("May 20"), None);
    }

    #[test]
    fn date_fields_print_as_midnight_utc_in_portal_offset() {
        assert_eq!(
            date_out("1990-05-20", msk()),
            Value::String("1990-05-20T03:00:00+03:00".into())
        );
    }

    #[test]
    fn money_follows_the_lead_pattern() {
        assert_eq!(parse_money("1 000,50"), Some(1000.5));
        assert_eq!(parse_money("-3"), Some(-3.0));
        assert_eq!(parse_money("12abc"), None);
        assert_eq!(parse_money("1."), None);
    }

    #[test]
    fn flags_accept_loose_truth() {
        assert_eq!(flag(&serde_json::json!("y")), "Y");
        assert_eq!(flag(&serde_json::json!(true)), "Y");
        assert_eq!(flag(&serde_json::json!("N")), "N");
        assert_eq!(flag(&serde_json::json!("false")), "N");
    }
}
