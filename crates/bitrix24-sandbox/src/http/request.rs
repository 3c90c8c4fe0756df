//! Turning an HTTP request into method parameters, as `CRestUtil::getRequestData` does: the
//! query string is the base; a POST body replaces top-level keys (a shallow `array_replace`);
//! a JSON body is used when the Content-Type is JSON, and a **malformed JSON body is silently
//! ignored** (the call goes on with the query alone); any other body is form-decoded.

use crate::php::{form, value};
use serde_json::{Map, Value};

/// Merges the query string and the body into one parameter map.
pub fn params(query: Option<&str>, content_type: Option<&str>, body: &[u8]) -> Map<String, Value> {
    let mut params = query.map(form::parse_str).unwrap_or_default();
    if body.is_empty() {
        return params;
    }
    let from_body = if is_json(content_type) {
        match serde_json::from_slice::<Value>(body) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => match value::normalize(v) {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            Ok(_) | Err(_) => {
                tracing::info!("malformed JSON body ignored, as the portal does");
                Map::new()
            }
        }
    } else {
        let text = String::from_utf8_lossy(body);
        form::parse_str(text.trim())
    };
    for (k, v) in from_body {
        params.insert(k, v);
    }
    params
}

/// `HttpHeaders::getContentType` + `isJson`: `application/json` or anything with `+json`,
/// parameters removed, case-insensitive.
pub fn is_json(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else {
        return false;
    };
    let base = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    base == "application/json" || base.contains("+json")
}

/// The method and webhook credentials from the path after `/rest/`.
#[derive(Debug, Clone, PartialEq)]
pub struct RestPath {
    /// Method name, lower-cased, transport suffix removed.
    pub method: String,
    /// `xml` when the method had a `.xml` suffix.
    pub xml: bool,
    /// `(user, secret)` for webhook paths.
    pub webhook: Option<(String, String)>,
}

/// Parses `crm.lead.list.json`, `1/secret/crm.lead.list/` and the like. `None` for paths the
/// portal has no route for.
pub fn rest_path(path: &str) -> Option<RestPath> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (webhook, raw) = match segments.as_slice() {
        [method] => (None, *method),
        [user, secret, method] => (Some((user.to_string(), secret.to_string())), *method),
        _ => return None,
    };
    let mut method = raw.to_lowercase();
    let mut xml = false;
    if let Some((head, ext)) = method.rsplit_once('.') {
        if ext == "json" || ext == "xml" {
            xml = ext == "xml";
            method = head.to_string();
        }
    }
    Some(RestPath {
        method,
        xml,
        webhook,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn body_replaces_top_level_keys_only() {
        let p = params(
            Some("filter[ID]=1&select[]=ID&auth=q"),
            Some("application/x-www-form-urlencoded"),
            b"filter[TITLE]=x",
        );
        assert_eq!(
            Value::Object(p),
            json!({"filter": {"TITLE": "x"}, "select": {"0": "ID"}, "auth": "q"})
        );
    }

    #[test]
    fn malformed_json_falls_back_to_query() {
        let p = params(
            Some("id=5"),
            Some("application/json; charset=utf-8"),
            b"{oops",
        );
        assert_eq!(Value::Object(p), json!({"id": "5"}));
    }

    #[test]
    fn json_lists_become_php_arrays() {
        let p = params(
            None,
            Some("application/json"),
            br#"{"select":["ID","NAME"]}"#,
        );
        assert_eq!(
            Value::Object(p),
            json!({"select": {"0": "ID", "1": "NAME"}})
        );
    }

    #[test]
    fn paths() {
        assert_eq!(
            rest_path("CRM.Lead.List.json"),
            Some(RestPath {
                method: "crm.lead.list".into(),
                xml: false,
                webhook: None
            })
        );
        assert_eq!(
            rest_path("1/abc/crm.lead.get.xml/").unwrap().webhook,
            Some(("1".into(), "abc".into()))
        );
        assert!(rest_path("1/crm.lead.get").is_none());
    }
}
