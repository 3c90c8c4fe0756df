//! Masking secrets before anything is logged: the webhook secret in the path, tokens in the
//! `auth`/`access_token` parameters and the `Authorization` header, client secrets and
//! application tokens wherever a key names them (parameters, batch command strings, answers),
//! and every occurrence of a secret the request carried, in any text. The log never holds the
//! unmasked value, so no page or export can show it.

use serde_json::{Map, Value};

/// What a masked value is replaced with.
pub const MASK: &str = "***";

/// Keys whose values are secret, compared case-insensitively, at any depth.
pub const SECRET_KEYS: [&str; 5] = [
    "auth",
    "access_token",
    "refresh_token",
    "client_secret",
    "application_token",
];

/// Shorter strings are not scrubbed by value (they would mask ordinary text); every secret the
/// sandbox issues is far longer.
const MIN_SCRUBBED: usize = 6;

/// True for a key whose value is secret (`auth`, `AUTH`, `access_token`…).
pub fn is_secret_key(key: &str) -> bool {
    SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// The secrets of one request, to be scrubbed from every text logged for it.
#[derive(Debug, Default, Clone)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// Adds a secret (ignored when too short to be one).
    pub fn add(&mut self, secret: &str) {
        let s = secret.trim();
        if s.len() >= MIN_SCRUBBED && !self.0.iter().any(|x| x == s) {
            self.0.push(s.to_string());
        }
    }

    /// Adds every secret of `other`.
    pub fn extend(&mut self, other: &Secrets) {
        for s in &other.0 {
            self.add(s);
        }
    }

    /// Adds the values of every secret key inside `value`.
    pub fn collect(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    if is_secret_key(k) {
                        self.collect_all(v);
                    } else {
                        self.collect(v);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            _ => {}
        }
    }

    fn collect_all(&mut self, value: &Value) {
        match value {
            Value::String(s) => self.add(s),
            Value::Object(map) => map.values().for_each(|v| self.collect_all(v)),
            Value::Array(items) => items.iter().for_each(|v| self.collect_all(v)),
            _ => {}
        }
    }

    /// `text` with every known secret replaced by [`MASK`].
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.0 {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
}

/// Masks a JSON value in place: secret keys at any depth, query strings inside strings (batch
/// commands carry `auth=`), and every known secret in any string.
pub fn value(v: &mut Value, secrets: &Secrets) {
    match v {
        Value::Object(map) => object(map, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| value(v, secrets)),
        Value::String(s) => *s = text(s, secrets),
        _ => {}
    }
}

fn object(map: &mut Map<String, Value>, secrets: &Secrets) {
    for (k, v) in map.iter_mut() {
        if is_secret_key(k) {
            mask_all(v);
        } else {
            value(v, secrets);
        }
    }
}

fn mask_all(v: &mut Value) {
    match v {
        Value::Object(map) => map.values_mut().for_each(mask_all),
        Value::Array(items) => items.iter_mut().for_each(mask_all),
        Value::Null => {}
        other => *other = Value::String(MASK.into()),
    }
}

/// A string with known secrets scrubbed and the values of secret keys in any query string it
/// holds (`crm.lead.get?id=1&auth=…`) masked.
pub fn text(s: &str, secrets: &Secrets) -> String {
    query(&secrets.scrub(s))
}

/// Masks the values of secret keys in a query string (`a=1&auth=x` → `a=1&auth=***`); the
/// part before a `?` is kept as it is. Strings without a secret pair come back unchanged.
pub fn query(s: &str) -> String {
    if !s.contains('=') {
        return s.to_string();
    }
    let (head, tail) = match s.split_once('?') {
        Some((h, t)) => (Some(h), t),
        None => (None, s),
    };
    let mut changed = false;
    let pairs: Vec<String> = tail
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !v.is_empty() && v != MASK && is_secret_key(base_key(k).as_str()) => {
                changed = true;
                format!("{k}={MASK}")
            }
            _ => pair.to_string(),
        })
        .collect();
    if !changed {
        return s.to_string();
    }
    let joined = pairs.join("&");
    match head {
        Some(h) => format!("{h}?{joined}"),
        None => joined,
    }
}

/// The top-level name of a form key: `auth`, from `auth`, `auth[0]` or `%61uth`.
fn base_key(raw: &str) -> String {
    let decoded = crate::php::form::url_decode(raw);
    decoded.split('[').next().unwrap_or("").trim().to_string()
}

/// `/rest/1/SECRET/method` → `/rest/1/***/method`; other paths unchanged.
pub fn path(p: &str) -> String {
    let Some(rest) = p.strip_prefix("/rest/") else {
        return p.to_string();
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let non_empty: Vec<usize> = segments
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, _)| i)
        .collect();
    if non_empty.len() < 3 {
        return p.to_string();
    }
    let mut out: Vec<String> = segments.iter().map(|s| s.to_string()).collect();
    // Every segment but the user and the method is a credential.
    for &i in &non_empty[1..non_empty.len() - 1] {
        out[i] = MASK.to_string();
    }
    format!("/rest/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_keys_at_any_depth_and_query_strings() {
        let mut s = Secrets::default();
        let mut v = json!({
            "AUTH": "tok123456",
            "fields": {"TITLE": "Лид", "client_secret": "cs-abcdef"},
            "cmd": {"a": "crm.lead.get?id=1&auth=tok123456", "b": "user.current?access_token=zzzzzz"},
            "note": "my token is tok123456",
        });
        s.collect(&v);
        value(&mut v, &s);
        let text = v.to_string();
        for secret in ["tok123456", "cs-abcdef", "zzzzzz"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(v["fields"]["TITLE"], "Лид");
        assert_eq!(v["cmd"]["a"], "crm.lead.get?id=1&auth=***");
    }

    #[test]
    fn masks_the_webhook_secret_in_the_path() {
        assert_eq!(path("/rest/1/abc/crm.lead.add"), "/rest/1/***/crm.lead.add");
        assert_eq!(
            path("/rest/1/abc/crm.lead.add/"),
            "/rest/1/***/crm.lead.add/"
        );
        assert_eq!(path("/rest/crm.lead.add"), "/rest/crm.lead.add");
    }
}
