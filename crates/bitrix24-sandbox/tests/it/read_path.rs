//! The read path (issue 13): requests whose every command is a read run on read-only
//! connections beside the one writer, and still see every write committed before they
//! arrived.

use crate::common::{post_json, sandbox};
use serde_json::{json, Value};
use std::time::Duration;

/// Guards against a deadlock, not a timing assertion: a read that waited for the writer would
/// never finish while the test holds it.
const NO_DEADLOCK: Duration = Duration::from_secs(30);

fn count_of(reply: &Value) -> i64 {
    reply["total"].as_i64().expect("a list answer has total")
}

#[tokio::test]
async fn a_read_runs_while_a_write_transaction_is_open_and_sees_only_committed_rows() {
    let s = sandbox().await;
    assert_eq!(s.portal().read_connections(), 4);
    let hook = s.webhook_url();
    post_json(
        &hook,
        "crm.lead.add",
        &json!({"fields": {"TITLE": "committed"}}),
    )
    .await
    .result();
    // Another thread holds the writer inside an uncommitted write until told to roll back.
    let (opened_tx, opened) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let portal = s.portal().clone();
    let holder = std::thread::spawn(move || {
        let writer = portal.db();
        writer
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO crm_lead (TITLE) VALUES ('uncommitted');")
            .expect("an open write transaction");
        opened_tx.send(()).expect("test waits");
        let _ = released.recv();
        writer.execute_batch("ROLLBACK").expect("rollback");
    });
    opened.recv().expect("the writer is held");
    let list = tokio::time::timeout(
        NO_DEADLOCK,
        post_json(&hook, "crm.lead.list", &json!({"select": ["ID", "TITLE"]})),
    )
    .await
    .expect("the read did not wait for the writer");
    assert_eq!(count_of(&list.body), 1, "{}", list.text);
    assert_eq!(list.result()[0]["TITLE"], "committed");
    let batch = tokio::time::timeout(
        NO_DEADLOCK,
        post_json(
            &hook,
            "batch",
            &json!({"cmd": {"a": "crm.lead.list?select[]=ID", "b": "server.time"}}),
        ),
    )
    .await
    .expect("a batch of reads did not wait for the writer");
    assert_eq!(batch.result()["result_total"]["a"], 1, "{}", batch.text);
    release.send(()).expect("holder waits");
    holder.join().expect("holder");
    let list = post_json(&hook, "crm.lead.list", &json!({})).await;
    assert_eq!(count_of(&list.body), 1);
}

#[tokio::test]
async fn concurrent_reads_see_every_write_answered_before_they_were_sent() {
    let s = sandbox().await;
    let hook = s.webhook_url();
    let tasks: Vec<_> = (0..8)
        .map(|worker| {
            let hook = hook.clone();
            tokio::spawn(async move {
                for i in 0..15 {
                    let title = format!("w{worker}-{i}");
                    let added =
                        post_json(&hook, "crm.lead.add", &json!({"fields": {"TITLE": title}}))
                            .await;
                    let id = added.result().as_i64().expect("an ID");
                    let got = post_json(&hook, "crm.lead.get", &json!({"id": id})).await;
                    assert_eq!(got.result()["TITLE"], title, "{}", got.text);
                    // Every lead this worker added so far, through a batch of reads.
                    let listed = post_json(
                        &hook,
                        "batch",
                        &json!({"cmd": {"mine": format!(
                            "crm.lead.list?filter[%25TITLE]=w{worker}-&select[]=ID"
                        )}}),
                    )
                    .await;
                    assert_eq!(
                        listed.result()["result_total"]["mine"],
                        i + 1,
                        "{}",
                        listed.text
                    );
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("worker");
    }
    let all = post_json(&hook, "crm.lead.list", &json!({})).await;
    assert_eq!(count_of(&all.body), 8 * 15);
}

#[tokio::test]
async fn a_batch_with_one_write_runs_on_the_writer() {
    let s = sandbox().await;
    let hook = s.webhook_url();
    let batch = post_json(
        &hook,
        "batch",
        &json!({"cmd": {
            "list": "crm.lead.list?select[]=ID",
            "add": "crm.lead.add?fields[TITLE]=x",
            "again": "crm.lead.list?select[]=ID",
        }}),
    )
    .await;
    let body = batch.result();
    assert_eq!(body["result_error"], json!([]), "{}", batch.text);
    assert_eq!(body["result_total"]["list"], 0);
    assert_eq!(body["result_total"]["again"], 1);
}

#[tokio::test]
async fn without_read_connections_everything_runs_on_the_writer() {
    let s = bitrix24_sandbox::Sandbox::builder()
        .limits(bitrix24_sandbox::Limits::Off)
        .read_connections(0)
        .start()
        .await
        .expect("sandbox starts");
    assert_eq!(s.portal().read_connections(), 0);
    let hook = s.webhook_url();
    post_json(&hook, "crm.lead.add", &json!({"fields": {"TITLE": "a"}}))
        .await
        .result();
    let list = post_json(&hook, "crm.lead.list", &json!({})).await;
    assert_eq!(count_of(&list.body), 1);
}
