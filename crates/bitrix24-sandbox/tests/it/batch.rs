//! Protocol tests of `batch` (protocol.md §6, server-behavior.md §3).

use crate::common::{post_form, post_json, sandbox};
use serde_json::{json, Value};

/// protocol.md §6.2: the answer has result/result_error/result_total/result_next/result_time,
/// empty parts print as `[]`, and each command has its own time block.
#[tokio::test]
async fn shape_of_a_successful_batch() {
    let s = sandbox().await;
    let r = post_json(
        &s.webhook_url(),
        "batch",
        &json!({"cmd": {"t": "server.time", "p": "profile"}}),
    )
    .await;
    let res = r.result();
    assert!(res["result"]["t"].is_string());
    assert_eq!(res["result"]["p"]["ID"], "1");
    assert_eq!(res["result_error"], json!([]));
    assert_eq!(res["result_total"], json!([]));
    assert_eq!(res["result_next"], json!([]));
    assert!(res["result_time"]["t"]["start"].is_number());
    assert!(r.text.contains(r#""result_error":[]"#), "{}", r.text);
}

/// protocol.md §6.1: `cmd` as a list gives numeric keys, and `result` prints as a JSON list
/// when the keys are 0..n-1 without gaps (§6.2).
#[tokio::test]
async fn cmd_as_a_list() {
    let s = sandbox().await;
    let r = post_json(
        &s.webhook_url(),
        "batch",
        &json!({"cmd": ["server.time", "profile"]}),
    )
    .await;
    assert!(r.result()["result"].is_array(), "{}", r.text);
    let r = post_json(
        &s.webhook_url(),
        "batch",
        &json!({"cmd": ["no.such", "profile"]}),
    )
    .await;
    // A gap at key 0 makes `result` an object keyed "1".
    assert_eq!(r.result()["result"]["1"]["ID"], "1");
    assert_eq!(
        r.result()["result_error"][0]["error"],
        "ERROR_METHOD_NOT_FOUND"
    );
}

/// protocol.md §6.1: form-encoded batches with URL-encoded inner parameters work, and a value
/// with `&`, `=`, `%`, `+` and Cyrillic survives the double encoding.
#[tokio::test]
async fn form_encoded_commands_with_special_characters() {
    let s = sandbox().await;
    let inner = "name=".to_string() + &urlencode("server.time&x=1%+Ёж");
    let cmd = format!("method.get?{inner}");
    let r = post_form(&s.webhook_url(), "batch", &[("cmd[a]", cmd.as_str())]).await;
    assert_eq!(r.result()["result"]["a"]["isExisting"], false, "{}", r.text);
    let cmd = "method.get?name=server.time".to_string();
    let r = post_form(&s.webhook_url(), "batch", &[("CMD[a]", cmd.as_str())]).await;
    assert_eq!(
        r.result()["result"]["a"]["isExisting"],
        true,
        "CMD upper case: {}",
        r.text
    );
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// server-behavior.md §3: `$result[key][path]` references see earlier commands; a whole-value
/// reference keeps its type.
#[tokio::test]
async fn references_between_commands() {
    let s = sandbox().await;
    let r = post_json(
        &s.webhook_url(),
        "batch",
        &json!({"cmd": {
            "m": "methods",
            "g": "method.get?name=$result[m][0]",
            "missing": "method.get?name=$result[nope][0] tail",
        }}),
    )
    .await;
    let res = r.result();
    assert_eq!(
        res["result"]["g"],
        json!({"isExisting": true, "isAvailable": true})
    );
    // Embedded reference to a non-scalar stays literal, so the name is not a method.
    assert_eq!(res["result"]["missing"]["isExisting"], false);
}

/// protocol.md §6.1/§6.2: with `halt` the batch stops at the first failing command and later
/// commands get no entry; without it every command runs.
#[tokio::test]
async fn halt_stops_at_the_first_error() {
    let s = sandbox().await;
    let cmd = json!({"a": "profile", "b": "no.such", "c": "server.time"});
    let r = post_json(&s.webhook_url(), "batch", &json!({"cmd": cmd, "halt": 1})).await;
    let res = r.result();
    assert!(res["result"]["a"].is_object());
    assert!(res["result_error"]["b"].is_object());
    assert!(res["result"].get("c").is_none(), "{}", r.text);
    let r = post_json(&s.webhook_url(), "batch", &json!({"cmd": cmd, "halt": 0})).await;
    assert!(r.result()["result"]["c"].is_string());
}

/// server-behavior.md §3: `halt` is PHP truthiness, so the form string "false" halts.
#[tokio::test]
async fn halt_false_string_is_true() {
    let s = sandbox().await;
    let r = post_form(
        &s.webhook_url(),
        "batch",
        &[
            ("cmd[a]", "no.such"),
            ("cmd[b]", "profile"),
            ("halt", "false"),
        ],
    )
    .await;
    assert!(r.result()["result"].get("b").is_none(), "{}", r.text);
}

/// protocol.md §6.1: commands from the 51st on get ERROR_BATCH_LENGTH_EXCEEDED and do not run;
/// the batch itself is HTTP 200.
#[tokio::test]
async fn fifty_commands_at_most() {
    let s = sandbox().await;
    let cmd: serde_json::Map<String, Value> = (0..53)
        .map(|i| (format!("k{i}"), json!("server.time")))
        .collect();
    let r = post_json(&s.webhook_url(), "batch", &json!({"cmd": cmd})).await;
    let res = r.result();
    assert_eq!(res["result"].as_object().unwrap().len(), 50);
    for k in ["k50", "k51", "k52"] {
        assert_eq!(
            res["result_error"][k]["error"],
            "ERROR_BATCH_LENGTH_EXCEEDED"
        );
        assert_eq!(
            res["result_error"][k]["error_description"],
            "Max batch length exceeded"
        );
    }
}

/// protocol.md §6.1: `batch` inside `batch` is refused per command.
#[tokio::test]
async fn nested_batch_is_not_allowed() {
    let s = sandbox().await;
    let r = post_json(
        &s.webhook_url(),
        "batch",
        &json!({"cmd": {"x": "batch?cmd[a]=profile"}}),
    )
    .await;
    assert_eq!(
        r.result()["result_error"]["x"]["error"],
        "ERROR_BATCH_METHOD_NOT_ALLOWED"
    );
}

/// server-behavior.md §3: a command whose scope the caller lacks gets `insufficient_scope`
/// with an empty description; the others run.
#[tokio::test]
async fn scope_is_checked_per_command() {
    let s = sandbox().await;
    let hook = s.create_webhook(1, "crm").unwrap();
    let r = post_json(
        &s.webhook_url_of(&hook),
        "batch",
        &json!({"cmd": {"u": "user.current", "p": "profile"}}),
    )
    .await;
    let res = r.result();
    assert_eq!(
        res["result_error"]["u"],
        json!({"error": "insufficient_scope", "error_description": ""})
    );
    assert_eq!(res["result"]["p"]["ID"], "1");
}
