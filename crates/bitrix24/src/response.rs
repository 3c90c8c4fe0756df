//! The success envelope (`result`, `next`, `total`, `time`) and how an HTTP answer becomes a
//! value or an [`Error`].

use crate::error::{ApiErrorCode, Error, ErrorKind, Result};
use crate::numbers;
use serde_json::{Map, Value};

/// A successful answer of one method call.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response<T> {
    /// The method's `result`.
    pub result: T,
    /// `next`: the `start` of the following page, for list methods when more rows exist.
    pub next: Option<u64>,
    /// `total`: rows matching the filter, for list methods (0 with `start=-1`).
    pub total: Option<u64>,
    /// The `time` block, when the portal sent one.
    pub time: Option<Time>,
}

impl<T> Response<T> {
    /// Changes the result, keeping the envelope.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            result: f(self.result),
            next: self.next,
            total: self.total,
            time: self.time,
        }
    }
}

/// The `time` block of an answer. "The set may vary" (the docs), so every field is optional.
/// Every number is checked on the way in: a field of an unexpected type or outside its
/// meaning (`"NaN"`, `"inf"`, a negative span, a time past year 9999) is dropped (`None`)
/// instead of failing the call, so what is here is always finite and non-negative.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Time {
    /// Unix time the portal started the call, in seconds.
    pub start: Option<f64>,
    /// Unix time the portal finished the call, in seconds.
    pub finish: Option<f64>,
    /// `finish - start`, in seconds.
    pub duration: Option<f64>,
    /// Seconds spent inside the method.
    pub processing: Option<f64>,
    /// `start` as ISO 8601 with the portal's offset.
    pub date_start: Option<String>,
    /// `finish` as ISO 8601 with the portal's offset.
    pub date_finish: Option<String>,
    /// Seconds of run time this method used in the last 10 minutes (the operating limit).
    pub operating: Option<f64>,
    /// Unix time when the oldest operating bucket expires.
    pub operating_reset_at: Option<i64>,
}

impl Time {
    /// Reads a `time` object leniently (numbers may come as strings).
    pub(crate) fn from_value(v: &Value) -> Option<Time> {
        let o = v.as_object()?;
        let get = |k: &str| o.get(k).unwrap_or(&Value::Null);
        let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
        Some(Time {
            start: numbers::unix_time_f64(get("start")),
            finish: numbers::unix_time_f64(get("finish")),
            duration: numbers::seconds(get("duration")),
            processing: numbers::seconds(get("processing")),
            date_start: s("date_start"),
            date_finish: s("date_finish"),
            operating: numbers::seconds(get("operating")),
            operating_reset_at: numbers::unix_time(get("operating_reset_at")),
        })
    }
}

/// At most `max` characters of a body, for error messages (answers carry no credentials).
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = flat.chars().take(max).collect();
    if flat.chars().count() > max {
        out.push('…');
    }
    out
}

/// Turns an HTTP answer into the raw envelope or the error it carries.
pub(crate) fn decode_envelope(status: u16, body: &[u8]) -> Result<Response<Value>> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let Some(Value::Object(mut map)) = parsed else {
        return Err(not_json(status, body));
    };
    // `"error": null` says "no error" (JSON-RPC style servers and some proxies send it).
    if let Some(code) = map.get("error").filter(|code| !code.is_null()) {
        return Err(api_error(code, &map, Some(status)));
    }
    if !(200..300).contains(&status) {
        return Err(Error::new(
            ErrorKind::Decode,
            format!(
                "the portal answered HTTP {status} without an error code: {}",
                excerpt(body, 200)
            ),
        )
        .with_status(status));
    }
    let Some(result) = map.remove("result") else {
        return Err(Error::new(
            ErrorKind::Decode,
            format!("the answer has no `result`: {}", excerpt(body, 200)),
        )
        .with_status(status));
    };
    Ok(Response {
        result,
        next: next_offset(map.get("next"), status)?,
        total: map.get("total").and_then(numbers::count),
        time: map.get("time").and_then(Time::from_value),
    })
}

/// `next`, which decides whether a list goes on: a value that is not a row offset is an
/// error, because reading it as "no more pages" would cut the list short without a word.
/// (`total` and `time` only inform, so a broken one is dropped instead.)
fn next_offset(next: Option<&Value>, status: u16) -> Result<Option<u64>> {
    match next {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match numbers::count(v) {
            Some(n) => Ok(Some(n)),
            None => Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "the answer's `next` is {}, not a row offset (a whole number from 0 to 2^53)",
                    excerpt(v.to_string().as_bytes(), 40)
                ),
            )
            .with_status(status)),
        },
    }
}

/// The error of an `{error, error_description}` object.
pub(crate) fn api_error(code: &Value, map: &Map<String, Value>, status: Option<u16>) -> Error {
    let code = match code {
        Value::String(s) => ApiErrorCode::from(s.as_str()),
        other => ApiErrorCode::Unknown(other.to_string()),
    };
    let description = map
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Error::api(code, description, status)
}

fn not_json(status: u16, body: &[u8]) -> Error {
    let shown = excerpt(body, 200);
    if status >= 500 {
        // A proxy in front of PHP (nginx) answers 5xx with an HTML page: the portal did not
        // produce an answer, which is a server error, not a broken contract.
        let mut e = Error::api(
            ApiErrorCode::InternalServerError,
            format!("the portal or a proxy answered HTTP {status} with a non-JSON page: {shown}"),
            Some(status),
        );
        if shown.is_empty() {
            e = Error::api(
                ApiErrorCode::InternalServerError,
                format!("the portal answered HTTP {status} with an empty body"),
                Some(status),
            );
        }
        return e;
    }
    Error::new(
        ErrorKind::Decode,
        format!("the answer is not a JSON object (HTTP {status}): {shown}"),
    )
    .with_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_with_string_numbers_and_partial_time() {
        let body = br#"{"result":[1],"next":"50","total":120,"time":{"start":1.5,"operating":"2.25","operating_reset_at":1705765533,"weird":{}}}"#;
        let r = decode_envelope(200, body).unwrap();
        assert_eq!(r.next, Some(50));
        assert_eq!(r.total, Some(120));
        let t = r.time.unwrap();
        assert_eq!(t.start, Some(1.5));
        assert_eq!(t.operating, Some(2.25));
        assert_eq!(t.operating_reset_at, Some(1705765533));
        assert_eq!(t.finish, None);
    }

    /// The confirmed panic (issue 8): `"finish": "NaN"` beside `operating` and
    /// `operating_reset_at` reached `Duration::from_secs_f64` in the limiter.
    #[test]
    fn a_nan_finish_is_dropped() {
        let body = br#"{"result":1,"time":{"start":"NaN","finish":"NaN","operating":479,"operating_reset_at":1705765533}}"#;
        let t = decode_envelope(200, body).unwrap().time.unwrap();
        assert_eq!((t.start, t.finish), (None, None));
        assert_eq!(t.operating, Some(479.0));
        // That the limiter then neither panics nor waits is tests/it/hostile.rs's to show,
        // through a real client.
    }

    #[test]
    fn every_time_number_outside_its_meaning_is_dropped() {
        for bad in [
            r#""NaN""#,
            r#""inf""#,
            r#""-Infinity""#,
            r#""1e999""#,
            "-1",
            "1e300",
            "[]",
            r#""x""#,
        ] {
            let body = format!(
                r#"{{"result":1,"time":{{"start":{bad},"finish":{bad},"duration":{bad},"processing":{bad},"operating":{bad},"operating_reset_at":{bad}}}}}"#
            );
            let t = decode_envelope(200, body.as_bytes()).unwrap().time.unwrap();
            assert_eq!(t, Time::default(), "{bad}");
        }
    }

    #[test]
    fn a_next_that_is_no_row_offset_is_an_error_and_a_bad_total_is_dropped() {
        for bad in [
            r#""NaN""#, r#""inf""#, "-1", r#""-1""#, "1.5", "1e300", "[]", "true",
        ] {
            let body = format!(r#"{{"result":[],"next":{bad}}}"#);
            let e = decode_envelope(200, body.as_bytes()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode, "{bad}");
            assert!(e.to_string().contains("`next`"), "{e}");
            let body = format!(r#"{{"result":[],"total":{bad}}}"#);
            assert_eq!(
                decode_envelope(200, body.as_bytes()).unwrap().total,
                None,
                "{bad}"
            );
        }
        let r = decode_envelope(200, br#"{"result":[],"next":null,"total":"7"}"#).unwrap();
        assert_eq!((r.next, r.total), (None, Some(7)));
    }

    #[test]
    fn error_bodies_and_html_pages() {
        let e =
            decode_envelope(400, br#"{"error":"","error_description":"Not found"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.code(), Some(&ApiErrorCode::Empty));
        assert_eq!(e.status(), Some(400));
        let e = decode_envelope(500, b"<html><body>nginx</body></html>").unwrap_err();
        assert_eq!(e.code(), Some(&ApiErrorCode::InternalServerError));
        assert!(e.to_string().contains("nginx"), "{e}");
        let e = decode_envelope(200, b"not json at all").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
    }
}
