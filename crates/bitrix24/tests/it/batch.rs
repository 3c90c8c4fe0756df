//! `batch` against the sandbox: typed handles, references, per-command errors, halt, limits
//! and chunking.

use crate::client_support::{add_lead, client, sandbox};
use bitrix24::batch::{Batch, BatchCommand};
use bitrix24::{ErrorKind, Result};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(rename = "ID")]
    id: String,
}

#[tokio::test]
async fn typed_results_by_handle_in_one_request() {
    let sb = sandbox().await;
    let c = client(&sb);
    let mut b = Batch::new();
    let p = b.push_call::<Profile>("me", "profile", &());
    let t = b.push_call::<String>("now", "server.time", &());
    let r = c.batch(b).await.unwrap();
    assert_eq!(r.get(&p).unwrap().id, "1");
    assert!(r.get(&t).unwrap().contains('T'));
    assert!(r.time(&t).is_some());
    assert_eq!(sb.http_requests(), 1);
}

#[tokio::test]
async fn references_feed_later_commands() {
    let sb = sandbox().await;
    let c = client(&sb);
    let mut b = Batch::new();
    let add = b.push_call::<Value>(
        "add",
        "crm.item.add",
        &json!({"entityTypeId": 1, "fields": {"title": "ref me"}}),
    );
    let get = b.push_call::<Value>(
        "get",
        "crm.item.get",
        &json!({"entityTypeId": 1, "id": add.reference(&["item", "id"])}),
    );
    let r = c.batch(b).await.unwrap();
    let created = r.get(&add).unwrap();
    let fetched = r.get(&get).unwrap();
    assert_eq!(fetched["item"]["id"], created["item"]["id"]);
    assert_eq!(fetched["item"]["title"], "ref me");
}

#[tokio::test]
async fn per_command_errors_and_halt() {
    let sb = sandbox().await;
    let c = client(&sb);
    let id = add_lead(&c, "exists").await;
    for halt in [false, true] {
        let mut b = Batch::new();
        let missing = b.push_call::<Value>(
            "missing",
            "crm.item.get",
            &json!({"entityTypeId": 1, "id": 999_999}),
        );
        let after = b.push_call::<Value>(
            "after",
            "crm.item.get",
            &json!({"entityTypeId": 1, "id": id}),
        );
        b.halt(halt);
        let r = c.batch(b).await.unwrap();
        let e = r.get(&missing).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Api, "{e}");
        assert_eq!(e.method(), Some("crm.item.get"));
        if halt {
            assert_eq!(r.get(&after).unwrap_err().kind(), ErrorKind::Skipped);
        } else {
            assert_eq!(r.get(&after).unwrap()["item"]["title"], "exists");
        }
    }
}

#[tokio::test]
async fn more_than_50_commands_is_refused_before_sending() {
    let sb = sandbox().await;
    let c = client(&sb);
    let mut b = Batch::new();
    for i in 0..51 {
        b.push_call::<Value>(&format!("t{i}"), "server.time", &());
    }
    let e = c.batch(b).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(sb.http_requests(), 0);
}

#[tokio::test]
async fn chunked_runs_any_number_in_order_50_per_request() {
    let sb = sandbox().await;
    let c = client(&sb);
    let commands = (0..120).map(|i| {
        BatchCommand::new(
            "crm.item.add",
            &json!({"entityTypeId": 1, "fields": {"title": format!("lead {i}")}}),
        )
    });
    let out: Vec<Result<Value>> = c.batch_chunked(commands).await.unwrap();
    assert_eq!(out.len(), 120);
    assert_eq!(sb.http_requests(), 3);
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r.as_ref().unwrap()["item"]["title"], format!("lead {i}"));
    }
    let mixed = vec![
        BatchCommand::new("server.time", &()),
        BatchCommand::new("no.such.method", &()),
    ];
    let out: Vec<Result<Value>> = c.batch_chunked(mixed).await.unwrap();
    assert!(out[0].is_ok());
    assert_eq!(out[1].as_ref().unwrap_err().kind(), ErrorKind::Api);
}
