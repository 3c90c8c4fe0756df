//! Dates and datetimes as the portal writes them.
//!
//! Datetimes are ISO 8601 with the portal server's offset (`2024-05-23T18:18:25+02:00`, PHP
//! `date('c')`) and decode to [`OffsetDateTime`] keeping that offset. An empty value is `""`,
//! which decodes to `None`.
//!
//! Date fields (`BIRTHDATE`, `BEGINDATE`, `CLOSEDATE`) come out of the portal as local midnight
//! plus the server offset (`1990-05-20T03:00:00+03:00` on a +03:00 server), so the calendar date
//! is the date part in the offset given, never converted to UTC first (that would give the day
//! before on any server east of UTC). Plain `1990-05-20` is accepted too.
//!
//! On write, datetimes are sent as `YYYY-MM-DDThh:mm:ss±hh:mm` and dates as `YYYY-MM-DD`, the
//! two formats of the docs' data-types page (the portal parses both with PHP `strtotime`).

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::error::{Error, ErrorKind, Result};

const DATETIME: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
);
const DATE: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Formats a datetime the way the portal documents it: `2024-05-23T18:18:25+02:00`.
/// Sub-second precision is dropped (the portal stores whole seconds).
pub fn format_datetime(dt: OffsetDateTime) -> String {
    // Formatting a valid datetime with this description cannot fail; the fallback only keeps the
    // function total.
    dt.format(DATETIME).unwrap_or_else(|_| dt.to_string())
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    d.format(DATE).unwrap_or_else(|_| d.to_string())
}

/// Parses a portal datetime (RFC 3339 / ISO 8601 with an offset).
pub fn parse_datetime(s: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|e| {
        Error::new(
            ErrorKind::InvalidInput,
            format!("`{s}` is not a datetime like 2024-05-23T18:18:25+02:00"),
        )
        .with_source(e)
    })
}

/// Parses a portal date: `YYYY-MM-DD`, or a datetime whose date part (in its own offset) is
/// taken.
pub fn parse_date(s: &str) -> Result<Date> {
    let s = s.trim();
    if let Ok(d) = Date::parse(s, DATE) {
        return Ok(d);
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|dt| dt.date())
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("`{s}` is not a date like 1990-05-20 or 1990-05-20T03:00:00+03:00"),
            )
            .with_source(e)
        })
}

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        other => Err(D::Error::custom(format!(
            "expected a date string, found {other}"
        ))),
    }
}

/// Serde adapter for `Option<OffsetDateTime>` fields: `""`/`null` are `None`.
pub mod datetime_option {
    use super::*;
    use serde::Serializer;

    /// Writes `2024-05-23T18:18:25+02:00`, or `null`.
    pub fn serialize<S: Serializer>(v: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(dt) => s.serialize_str(&format_datetime(*dt)),
            None => s.serialize_none(),
        }
    }

    /// Reads an ISO 8601 datetime with offset; `""`/`null` are `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        match text(d)? {
            None => Ok(None),
            Some(s) => parse_datetime(&s).map(Some).map_err(D::Error::custom),
        }
    }
}

/// Serde adapter for `Option<Date>` fields: `""`/`null` are `None`, date-only and datetime
/// input both accepted.
pub mod date_option {
    use super::*;
    use serde::Serializer;

    /// Writes `YYYY-MM-DD`, or `null`.
    pub fn serialize<S: Serializer>(v: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&format_date(*d)),
            None => s.serialize_none(),
        }
    }

    /// Reads `YYYY-MM-DD` or a datetime (its date part, in its own offset).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match text(d)? {
            None => Ok(None),
            Some(s) => parse_date(&s).map(Some).map_err(D::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn datetimes_keep_their_offset_and_round_trip() {
        let dt = parse_datetime("2024-05-23T18:18:25+02:00").unwrap();
        assert_eq!(dt, datetime!(2024-05-23 18:18:25 +02:00));
        assert_eq!(dt.offset().whole_hours(), 2);
        assert_eq!(format_datetime(dt), "2024-05-23T18:18:25+02:00");
        assert_eq!(
            format_datetime(datetime!(2024-01-15 10:00:00.75 UTC)),
            "2024-01-15T10:00:00+00:00"
        );
        assert!(parse_datetime("2024-05-23 18:18:25").is_err());
        assert!(parse_datetime("yesterday").is_err());
    }

    #[test]
    fn dates_take_the_local_calendar_day() {
        // Midnight in +03:00 is the previous day in UTC; the date must stay the 20th.
        assert_eq!(
            parse_date("1990-05-20T00:00:00+03:00").unwrap(),
            date!(1990 - 05 - 20)
        );
        assert_eq!(parse_date("1990-05-20").unwrap(), date!(1990 - 05 - 20));
        assert_eq!(format_date(date!(1990 - 05 - 02)), "1990-05-02");
        assert!(parse_date("20.05.1990").is_err());
    }

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, with = "datetime_option")]
        at: Option<OffsetDateTime>,
        #[serde(default, with = "date_option")]
        on: Option<Date>,
    }

    #[test]
    fn empty_strings_are_none() {
        let p: Probe = serde_json::from_str(r#"{"at":"","on":""}"#).unwrap();
        assert!(p.at.is_none() && p.on.is_none());
        let p: Probe = serde_json::from_str(r#"{"at":null}"#).unwrap();
        assert!(p.at.is_none());
        assert!(serde_json::from_str::<Probe>(r#"{"at":"soon"}"#).is_err());
    }
}
