//! Bad input: random bodies, content types and methods never make the sandbox panic, answer
//! anything but JSON, or corrupt its data (issue, "Bad input").

use proptest::prelude::*;
use serde_json::Value;

const METHODS: [&str; 8] = [
    "crm.lead.add",
    "crm.lead.list",
    "crm.lead.update",
    "crm.deal.add",
    "crm.item.list",
    "batch",
    "crm.duplicate.findbycomm",
    "method.get",
];
const TYPES: [&str; 4] = [
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain",
    "application/json; charset=utf-8",
];

/// Bodies built from the characters that break encoders, plus plausible keys.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "[a-zA-Z\\[\\]%=&+.>!@<\"{}:, 0-9_\\-\u{0416}\u{1F600}]{0,200}"
            .prop_map(String::into_bytes),
        (
            "(fields|filter|select|order|cmd|halt|id|start|FIELDS|values|type)",
            "(\\[[A-Z>=!%@<_]{0,8}\\]){0,4}",
            "[^&]{0,40}"
        )
            .prop_map(|(k, path, v)| format!("{k}{path}={v}&{k}{path}[]={v}").into_bytes()),
        "\\{\"(fields|filter|cmd|id|select)\":(\\{|\\[|\"|[0-9]|null|true)[^}]{0,60}\\}?"
            .prop_map(String::into_bytes),
    ]
}

#[test]
fn random_bodies_get_json_answers_and_leave_the_data_intact() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sandbox = rt.block_on(crate::common::sandbox());
    let hook = sandbox.webhook_url();
    let http = reqwest::Client::new();
    let config = ProptestConfig {
        cases: 300,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(method in 0..METHODS.len(), ctype in 0..TYPES.len(), body in body())| {
        let (status, text) = rt.block_on(async {
            let resp = http
                .post(format!("{hook}{}", METHODS[method]))
                .header("content-type", TYPES[ctype])
                .body(body.clone())
                .send()
                .await
                .expect("the sandbox answers");
            (resp.status().as_u16(), resp.text().await.unwrap_or_default())
        });
        prop_assert!(status < 500, "status {status} for {:?}: {text}", String::from_utf8_lossy(&body));
        let parsed: Result<Value, _> = serde_json::from_str(&text);
        prop_assert!(parsed.is_ok(), "not JSON: {text}");
        let v = parsed.unwrap_or(Value::Null);
        prop_assert!(v.get("result").is_some() || v.get("error").is_some(), "{text}");
    });
    let check: String = sandbox
        .portal()
        .db()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
    let alive = rt.block_on(crate::common::get_raw(&hook, "crm.lead.list", "start=-1"));
    assert_eq!(alive.status, 200, "{}", alive.text);
}
