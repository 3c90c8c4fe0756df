//! The answer of a `batch`: per-command results and errors by key.

use super::Handle;
use crate::error::{Error, ErrorKind, Result};
use crate::numbers;
use crate::response::{api_error, Time};
use serde_json::{Map, Value};

/// The results of a sent [`Batch`](super::Batch).
#[derive(Debug, Clone, Default)]
pub struct BatchResults {
    result: Map<String, Value>,
    error: Map<String, Value>,
    total: Map<String, Value>,
    next: Map<String, Value>,
    time: Map<String, Value>,
    methods: Map<String, Value>,
    halt: bool,
}

/// A PHP array printed as JSON: `[]` when empty, a list for keys 0..n-1, an object otherwise.
fn php_map(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        _ => Map::new(),
    }
}

/// [`php_map`] of an owned value: the rows move, nothing is copied.
fn php_map_owned(v: Option<Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m,
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Map::new(),
    }
}

impl BatchResults {
    /// [`BatchResults::from_value`] taking the answer: a batch of 50 list pages is megabytes,
    /// so the results move into place instead of being copied.
    pub(crate) fn from_owned(v: Value, methods: Map<String, Value>, halt: bool) -> Result<Self> {
        let Value::Object(mut m) = v else {
            return Self::from_value(&v, methods, halt);
        };
        Ok(Self {
            result: php_map_owned(m.remove("result")),
            error: php_map_owned(m.remove("result_error")),
            total: php_map_owned(m.remove("result_total")),
            next: php_map_owned(m.remove("result_next")),
            time: php_map_owned(m.remove("result_time")),
            methods,
            halt,
        })
    }

    /// Moves the raw result under `key` out (for pages read once).
    ///
    /// # Errors
    /// As [`BatchResults::get_raw`].
    pub(crate) fn take_raw(&mut self, key: &str) -> Result<Value> {
        match self.result.remove(key) {
            Some(v) => Ok(v),
            None => self.get_raw(key).cloned(),
        }
    }

    /// Reads the `result` of a `batch` call; `methods` maps keys to method names.
    pub(crate) fn from_value(v: &Value, methods: Map<String, Value>, halt: bool) -> Result<Self> {
        if !matches!(v, Value::Object(_)) {
            return Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "the batch answer is not an object but {}",
                    crate::decode::kind_of(v)
                ),
            )
            .with_method("batch"));
        }
        Ok(Self {
            result: php_map(v.get("result")),
            error: php_map(v.get("result_error")),
            total: php_map(v.get("result_total")),
            next: php_map(v.get("result_next")),
            time: php_map(v.get("result_time")),
            methods,
            halt,
        })
    }

    /// The decoded result of the command behind `handle`.
    ///
    /// # Errors
    /// The command's own error ([`ErrorKind::Api`], with its method), [`ErrorKind::Skipped`]
    /// when it did not run because an earlier command failed under `halt`, or
    /// [`ErrorKind::Decode`] when the result is not a `T`.
    pub fn get<T>(&self, handle: &Handle<T>) -> Result<T> {
        let raw = self.get_raw(handle.key())?;
        handle
            .decode(raw, &format!("result.result.{}", handle.key()))
            .map_err(|e| self.with_method(e, handle.key()))
    }

    /// The raw result under `key`.
    ///
    /// # Errors
    /// As [`BatchResults::get`], without decoding.
    pub fn get_raw(&self, key: &str) -> Result<&Value> {
        if let Some(v) = self.result.get(key) {
            return Ok(v);
        }
        if let Some(Value::Object(e)) = self.error.get(key) {
            let code = e
                .get("error")
                .cloned()
                .unwrap_or(Value::String(String::new()));
            return Err(self.with_method(api_error(&code, e, None), key));
        }
        let (kind, why) = if self.methods.contains_key(key) && self.halt {
            (
                ErrorKind::Skipped,
                format!(
                    "batch command {key:?} did not run: an earlier command failed and halt was set"
                ),
            )
        } else if self.methods.contains_key(key) {
            (
                ErrorKind::Decode,
                format!("batch command {key:?} is missing from the answer"),
            )
        } else {
            (
                ErrorKind::InvalidInput,
                format!("there is no command {key:?} in this batch"),
            )
        };
        Err(self.with_method(Error::new(kind, why), key))
    }

    fn with_method(&self, e: Error, key: &str) -> Error {
        match self.methods.get(key).and_then(Value::as_str) {
            Some(m) => e.with_method(m),
            None => e,
        }
    }

    /// `total` of a list command, when the portal reported one (a value that is not a
    /// count is dropped).
    pub fn total<T>(&self, handle: &Handle<T>) -> Option<u64> {
        self.total.get(handle.key()).and_then(numbers::count)
    }

    /// `next` of a list command, when more rows exist (a value that is not a row offset is
    /// dropped: the other commands' results stay readable).
    pub fn next<T>(&self, handle: &Handle<T>) -> Option<u64> {
        self.next.get(handle.key()).and_then(numbers::count)
    }

    /// The `time` block of a command.
    pub fn time<T>(&self, handle: &Handle<T>) -> Option<Time> {
        self.time.get(handle.key()).and_then(Time::from_value)
    }

    /// Keys of the commands that failed.
    pub fn failed_keys(&self) -> impl Iterator<Item = &str> {
        self.error.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Batch;
    use serde_json::json;

    fn methods(keys: &[(&str, &str)]) -> Map<String, Value> {
        keys.iter()
            .map(|(k, m)| (k.to_string(), json!(m)))
            .collect()
    }

    #[test]
    fn lists_and_empty_arrays_are_accepted() {
        let mut b = Batch::new();
        let h0 = b.push_call::<u64>("0", "a.get", &());
        let h1 = b.push_call::<u64>("1", "b.get", &());
        let v = json!({"result": [7, 8], "result_error": [], "result_total": [], "result_next": [], "result_time": []});
        let r = BatchResults::from_value(&v, methods(&[("0", "a.get"), ("1", "b.get")]), false)
            .unwrap();
        assert_eq!(r.get(&h0).unwrap(), 7);
        assert_eq!(r.get(&h1).unwrap(), 8);
        assert_eq!(r.total(&h0), None);
    }

    #[test]
    fn errors_skips_and_decode_failures_by_key() {
        let mut b = Batch::new();
        let ok = b.push_call::<Vec<u64>>("ok", "x.list", &());
        let bad = b.push_call::<Value>("bad", "crm.lead.get", &());
        let skipped = b.push_call::<Value>("later", "crm.lead.get", &());
        let v = json!({
            "result": {"ok": [1, "x"]},
            "result_error": {"bad": {"error": "", "error_description": "Not found"}},
            "result_total": {"ok": "2"}, "result_next": [], "result_time": []
        });
        let m = methods(&[
            ("ok", "x.list"),
            ("bad", "crm.lead.get"),
            ("later", "crm.lead.get"),
        ]);
        let r = BatchResults::from_value(&v, m, true).unwrap();
        let e = r.get(&ok).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(e.to_string().contains("result.result.ok"), "{e}");
        assert_eq!(r.total(&ok), Some(2));
        let e = r.get(&bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.description(), Some("Not found"));
        assert_eq!(e.method(), Some("crm.lead.get"));
        assert_eq!(r.get(&skipped).unwrap_err().kind(), ErrorKind::Skipped);
        assert_eq!(r.failed_keys().collect::<Vec<_>>(), vec!["bad"]);
    }
}
