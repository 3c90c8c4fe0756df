//! Shared helpers for the protocol tests. They speak plain HTTP with reqwest and never use the
//! client crate: the sandbox is checked independently of it.

pub mod browser;
pub mod events;
pub mod orders;

use bitrix24_sandbox::{Limits, Sandbox};
use serde_json::Value;

/// A sandbox with limits off (tests of other facts must not trip the rate limiter).
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox starts")
}

/// A plain HTTP client.
pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// A decoded answer: status and JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub async fn from(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text }
    }

    /// `result`, panicking with the body when the call failed.
    pub fn result(&self) -> &Value {
        assert_eq!(self.status, 200, "call failed: {}", self.text);
        &self.body["result"]
    }

    /// `(status, error)` of an error answer.
    pub fn error(&self) -> (u16, &str) {
        (self.status, self.body["error"].as_str().unwrap_or("<none>"))
    }
}

/// POSTs a form body (pairs, percent-encoded by reqwest) to `{base}{method}`.
pub async fn post_form(base: &str, method: &str, form: &[(&str, &str)]) -> Reply {
    let resp = http()
        .post(format!("{base}{method}"))
        .form(form)
        .send()
        .await
        .expect("request");
    Reply::from(resp).await
}

/// POSTs a JSON body to `{base}{method}`.
pub async fn post_json(base: &str, method: &str, body: &Value) -> Reply {
    let resp = http()
        .post(format!("{base}{method}"))
        .json(body)
        .send()
        .await
        .expect("request");
    Reply::from(resp).await
}

/// GETs `{base}{method}?{query}` with the query given raw (already encoded).
pub async fn get_raw(base: &str, method: &str, query: &str) -> Reply {
    let url = if query.is_empty() {
        format!("{base}{method}")
    } else {
        format!("{base}{method}?{query}")
    };
    let resp = http().get(url).send().await.expect("request");
    Reply::from(resp).await
}
