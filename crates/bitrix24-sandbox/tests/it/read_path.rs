//! The read path (issue 13): requests whose every command is a read run on read-only
//! connections beside the one writer, and still see every write committed before they
//! arrived.

use crate::common::orders::add_deal;
use crate::common::{post_json, sandbox};
use bitrix24_sandbox::state::Portal;
use serde_json::{json, Value};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Guards against a deadlock, not a timing assertion: a read that waited for the writer would
/// never finish while the test holds it.
const NO_DEADLOCK: Duration = Duration::from_secs(30);

fn count_of(reply: &Value) -> i64 {
    reply["total"].as_i64().expect("a list answer has total")
}

/// Another thread holding the writer inside an open write transaction, with one lead titled
/// `held` written but not committed, until [`HeldWriter::end`].
struct HeldWriter {
    end: mpsc::Sender<&'static str>,
    thread: JoinHandle<()>,
}

impl HeldWriter {
    /// Returns once the writer is held.
    fn hold(portal: &Arc<Portal>) -> HeldWriter {
        let (opened_tx, opened) = mpsc::channel();
        let (end, ended) = mpsc::channel::<&'static str>();
        let portal = portal.clone();
        let thread = std::thread::spawn(move || {
            let writer = portal.db();
            writer
                .execute_batch("BEGIN IMMEDIATE; INSERT INTO crm_lead (TITLE) VALUES ('held');")
                .expect("an open write transaction");
            opened_tx.send(()).expect("test waits");
            let how = ended.recv().unwrap_or("ROLLBACK");
            writer
                .execute_batch(how)
                .expect("the held transaction ends");
        });
        opened.recv().expect("the writer is held");
        HeldWriter { end, thread }
    }

    /// Ends the held transaction with `COMMIT` or `ROLLBACK` and gives the writer back.
    fn end(self, how: &'static str) {
        self.end.send(how).expect("holder waits");
        self.thread.join().expect("holder");
    }
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
    let held = HeldWriter::hold(s.portal());
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
    held.end("ROLLBACK");
    let list = post_json(&hook, "crm.lead.list", &json!({})).await;
    assert_eq!(count_of(&list.body), 1);
}

/// The reads of users, activities, the timeline and deal stages answer while another request
/// holds the writer, alone and in a batch; a write sent meanwhile waits for the writer and runs
/// after the held transaction.
#[tokio::test]
async fn users_activities_timeline_and_stages_are_read_beside_a_held_writer() {
    let s = sandbox().await;
    let hook = s.webhook_url();
    let deal = add_deal(&hook, json!({"TITLE": "Order"})).await;
    let todo = post_json(
        &hook,
        "crm.activity.todo.add",
        &json!({"ownerTypeId": 2, "ownerId": deal, "deadline": "2026-12-03T15:00:00+03:00",
            "title": "Call the customer"}),
    )
    .await;
    let todo = todo.result()["id"].as_i64().expect("a to-do id");
    let comment = post_json(
        &hook,
        "crm.timeline.comment.add",
        &json!({"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": "Paid"}}),
    )
    .await;
    let comment = comment.result().as_i64().expect("a comment id");
    let log = post_json(
        &hook,
        "crm.timeline.logmessage.add",
        &json!({"fields": {"entityTypeId": 2, "entityId": deal, "title": "Synced",
            "text": "Order synced", "iconCode": "info"}}),
    )
    .await;
    let log = log.result()["logMessage"]["id"]
        .as_i64()
        .expect("a log message id");
    // (method, parameters, a JSON pointer into the answer, what it holds)
    let reads = [
        ("user.get", json!({"ID": 1}), "/result/0/ID", json!("1")),
        (
            "crm.activity.get",
            json!({"id": todo}),
            "/result/SUBJECT",
            json!("Call the customer"),
        ),
        (
            "crm.activity.list",
            json!({"filter": {"OWNER_ID": deal}}),
            "/total",
            json!(1),
        ),
        (
            "crm.timeline.comment.get",
            json!({"id": comment}),
            "/result/COMMENT",
            json!("Paid"),
        ),
        (
            "crm.timeline.comment.list",
            json!({"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"}}),
            "/total",
            json!(1),
        ),
        (
            "crm.timeline.comment.fields",
            json!({}),
            "/result/COMMENT/type",
            json!("string"),
        ),
        (
            "crm.timeline.logmessage.get",
            json!({"id": log}),
            "/result/logMessage/title",
            json!("Synced"),
        ),
        (
            "crm.timeline.logmessage.list",
            json!({"entityTypeId": 2, "entityId": deal}),
            "/total",
            json!(1),
        ),
        (
            "crm.dealcategory.stage.list",
            json!({"id": 1}),
            "/result/0/STATUS_ID",
            json!("C1:NEW"),
        ),
    ];
    let held = HeldWriter::hold(s.portal());
    let write = tokio::spawn({
        let hook = hook.clone();
        async move {
            post_json(
                &hook,
                "batch",
                &json!({"cmd": {
                    "add": format!("crm.timeline.comment.add?fields[ENTITY_ID]={deal}\
                        &fields[ENTITY_TYPE]=deal&fields[COMMENT]=later"),
                    "leads": "crm.lead.list?select[]=TITLE",
                }}),
            )
            .await
        }
    });
    for (method, params, pointer, expected) in &reads {
        let reply = tokio::time::timeout(NO_DEADLOCK, post_json(&hook, method, params))
            .await
            .unwrap_or_else(|_| panic!("{method} waited for the writer"));
        assert_eq!(
            reply.body.pointer(pointer),
            Some(expected),
            "{method}: {}",
            reply.text
        );
    }
    let batch = tokio::time::timeout(
        NO_DEADLOCK,
        post_json(
            &hook,
            "batch",
            &json!({"cmd": {
                "users": "user.get?ID=1",
                "todos": format!("crm.activity.list?filter[OWNER_ID]={deal}"),
                "logs": format!("crm.timeline.logmessage.list?entityTypeId=2&entityId={deal}"),
            }}),
        ),
    )
    .await
    .expect("a batch of these reads did not wait for the writer");
    let body = batch.result();
    assert_eq!(body["result_error"], json!([]), "{}", batch.text);
    assert_eq!(body["result"]["users"][0]["ID"], "1", "{}", batch.text);
    assert_eq!(body["result_total"]["todos"], 1, "{}", batch.text);
    assert_eq!(body["result_total"]["logs"], 1, "{}", batch.text);
    assert!(
        !write.is_finished(),
        "a write answered while another request held the writer"
    );
    held.end("COMMIT");
    let written = tokio::time::timeout(NO_DEADLOCK, write)
        .await
        .expect("the write ran once the writer was free")
        .expect("write task");
    let body = written.result();
    assert_eq!(body["result_error"], json!([]), "{}", written.text);
    assert!(body["result"]["add"].as_i64().is_some(), "{}", written.text);
    // The write ran after the held transaction: it sees the lead committed there.
    assert_eq!(body["result_total"]["leads"], 1, "{}", written.text);
    assert_eq!(
        body["result"]["leads"][0]["TITLE"], "held",
        "{}",
        written.text
    );
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
