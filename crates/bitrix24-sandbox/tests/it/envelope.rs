//! Protocol tests of the REST envelope, routing and request parsing (protocol.md §1a, §2;
//! server-behavior.md §1).

use crate::common::{get_raw, post_form, post_json, sandbox, Reply};

use serde_json::json;

/// protocol.md §2.3: a success carries `result` and a `time` block with the documented keys,
/// and the operating keys because the load limiter is active (as on the cloud).
#[tokio::test]
async fn success_envelope_has_result_and_time() {
    let s = sandbox().await;
    let r = get_raw(&s.webhook_url(), "server.time", "").await;
    assert!(r.result().is_string());
    let time = &r.body["time"];
    for key in [
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
        "operating",
    ] {
        assert!(time.get(key).is_some(), "time.{key} missing in {}", r.text);
    }
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["result", "time"], "key order");
}

/// server-behavior.md §1.5: error bodies are `{error, error_description}` with no `time`.
#[tokio::test]
async fn errors_have_no_time_block() {
    let s = sandbox().await;
    let r = get_raw(&s.webhook_url(), "no.such.method", "").await;
    assert_eq!(r.error(), (404, "ERROR_METHOD_NOT_FOUND"));
    assert_eq!(r.body["error_description"], "Method not found!");
    assert!(r.body.get("time").is_none());
}

/// protocol.md §2.2: `.json` and a trailing `/` are accepted; names are case-insensitive.
#[tokio::test]
async fn suffix_slash_and_case_are_accepted() {
    let s = sandbox().await;
    for m in [
        "server.time.json",
        "server.time/",
        "SERVER.Time",
        "server.time.json/",
    ] {
        let r = get_raw(&s.webhook_url(), m, "").await;
        assert_eq!(r.status, 200, "{m}: {}", r.text);
    }
}

/// protocol.md §2.2: `.xml` selects the XML transport with a `<response>` root.
#[tokio::test]
async fn xml_transport() {
    let s = sandbox().await;
    let resp = crate::common::http()
        .get(format!("{}scope.xml", s.webhook_url()))
        .send()
        .await
        .unwrap();
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/xml"));
    let text = resp.text().await.unwrap();
    assert!(
        text.contains("<response><result><item>crm</item>"),
        "{text}"
    );
}

/// protocol.md §2.2 (code): every answer carries the JSON content type, CORS and nosniff.
#[tokio::test]
async fn json_headers() {
    let s = sandbox().await;
    let resp = crate::common::http()
        .get(format!("{}server.time", s.webhook_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
}

/// server-behavior.md §1.2: the body replaces top-level query keys; a malformed JSON body is
/// ignored and the query alone is used.
#[tokio::test]
async fn body_wins_and_malformed_json_falls_back_to_query() {
    let s = sandbox().await;
    let url = format!("{}method.get?name=server.time", s.webhook_url());
    let resp = crate::common::http()
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let r = Reply::from(resp).await;
    assert_eq!(r.result()["isExisting"], true);
    let resp = crate::common::http()
        .post(&url)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"name":"nope.nope"}"#)
        .send()
        .await
        .unwrap();
    let r = Reply::from(resp).await;
    assert_eq!(r.result()["isExisting"], false);
}

/// protocol.md §2.1: parameters in a JSON body, a form body, or the query all work.
#[tokio::test]
async fn json_form_and_query_parameters() {
    let s = sandbox().await;
    let a = post_json(&s.webhook_url(), "method.get", &json!({"name": "profile"})).await;
    let b = post_form(&s.webhook_url(), "method.get", &[("name", "profile")]).await;
    let c = get_raw(&s.webhook_url(), "method.get", "name=profile").await;
    for r in [a, b, c] {
        assert_eq!(r.result()["isExisting"], true, "{}", r.text);
    }
}

/// Bad input: a body over the limit gets 413 (nginx page), and the sandbox keeps serving.
#[tokio::test]
async fn oversized_body_is_413() {
    let s = bitrix24_sandbox::Sandbox::builder()
        .limits(bitrix24_sandbox::Limits::Off)
        .max_body_bytes(1024)
        .start()
        .await
        .unwrap();
    let big = "x".repeat(4096);
    let r = post_form(&s.webhook_url(), "server.time", &[("pad", big.as_str())]).await;
    assert_eq!(r.status, 413);
    let r = get_raw(&s.webhook_url(), "server.time", "").await;
    assert_eq!(r.status, 200);
}

/// protocol.md §6.1 / issue: request lines of 16 KB and more are accepted.
#[tokio::test]
async fn long_request_lines_are_accepted() {
    let s = sandbox().await;
    let pad = "y".repeat(40_000);
    let r = get_raw(&s.webhook_url(), "server.time", &format!("pad={pad}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
}
