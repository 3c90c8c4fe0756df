//! List streams against the sandbox: keyset chains in batches, parallel ranges, offset
//! paging, and the stall guard.

use crate::client_support::{client, sandbox};
use bitrix24::batch::Batch;
use bitrix24::crm::{Filter, Order};
use bitrix24::list::ListRequest;
use bitrix24::{Client, ErrorKind};
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Creates `n` leads titled `lead {i}` through `crm.lead.add` (50 per batch).
async fn seed(c: &Client, n: usize) {
    // One batch after the other, so IDs ascend with the titles (batch_chunked keeps several
    // batches in flight and the portal numbers rows in the order they arrive).
    let mut at = 0;
    while at < n {
        let mut batch = Batch::new();
        let handles: Vec<_> = (at..n.min(at + 50))
            .map(|i| {
                batch.push_call::<Value>(
                    &format!("l{i}"),
                    "crm.lead.add",
                    &json!({"fields": {"TITLE": format!("lead {i}")}}),
                )
            })
            .collect();
        let results = c.batch(batch).await.unwrap();
        for h in &handles {
            results.get(h).unwrap();
        }
        at += 50;
    }
}

fn ids(rows: &[Value], key: &str) -> Vec<u64> {
    rows.iter()
        .map(|r| match &r[key] {
            Value::String(s) => s.parse().unwrap(),
            v => v.as_u64().unwrap(),
        })
        .collect()
}

#[tokio::test]
async fn keyset_stream_returns_every_row_once_in_id_order_with_few_requests() {
    let sb = sandbox().await;
    let c = client(&sb);
    seed(&c, 2_620).await;
    let before = sb.http_requests();
    let rows: Vec<Value> = ListRequest::new("crm.lead.list")
        .select(["TITLE"])
        .stream(&c)
        .try_collect()
        .await
        .unwrap();
    let got = ids(&rows, "ID");
    assert_eq!(got.len(), 2_620);
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "ascending, no duplicates"
    );
    assert!(rows
        .iter()
        .all(|r| r["TITLE"].as_str().is_some_and(|t| t.starts_with("lead "))));
    // One plain page, then 2,570 rows in chained batches of 50 pages: 2 batches.
    assert_eq!(sb.http_requests() - before, 3);
}

#[tokio::test]
async fn keyset_respects_the_filter_and_a_start_id() {
    let sb = sandbox().await;
    let c = client(&sb);
    seed(&c, 120).await;
    let rows: Vec<Value> = ListRequest::new("crm.lead.list")
        .filter(Filter::new().gt("ID", 100).like("TITLE", "lead 11"))
        .stream(&c)
        .try_collect()
        .await
        .unwrap();
    let mut titles: Vec<String> = rows
        .iter()
        .map(|r| r["TITLE"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    // IDs over 100 are leads 100..119; of those, "lead 11x" match.
    let expected: Vec<String> = (110..120).map(|i| format!("lead {i}")).collect();
    assert_eq!(titles, expected);
}

#[tokio::test]
async fn empty_and_exact_page_lists_end_cleanly() {
    let sb = sandbox().await;
    let c = client(&sb);
    let rows: Vec<Value> = ListRequest::new("crm.lead.list")
        .stream(&c)
        .try_collect()
        .await
        .unwrap();
    assert!(rows.is_empty());
    seed(&c, 50).await;
    let rows: Vec<Value> = ListRequest::new("crm.lead.list")
        .stream(&c)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&rows, "ID").len(), 50);
}

#[tokio::test]
async fn parallel_ranges_cover_every_row_exactly_once() {
    let sb = sandbox().await;
    let c = client(&sb);
    seed(&c, 700).await;
    let rows: Vec<Value> = ListRequest::new("crm.lead.list")
        .parallel(&c, 4)
        .try_collect()
        .await
        .unwrap();
    let got = ids(&rows, "ID");
    let unique: BTreeSet<u64> = got.iter().copied().collect();
    assert_eq!(got.len(), 700);
    assert_eq!(unique.len(), 700);
}

#[tokio::test]
async fn offset_paging_follows_next_in_the_callers_order() {
    let sb = sandbox().await;
    let c = client(&sb);
    seed(&c, 120).await;
    let before = sb.http_requests();
    let rows: Vec<Value> = ListRequest::new("crm.lead.list")
        .order(Order::new().desc("ID"))
        .stream(&c)
        .try_collect()
        .await
        .unwrap();
    let got = ids(&rows, "ID");
    assert_eq!(got.len(), 120);
    assert!(got.windows(2).all(|w| w[0] > w[1]), "descending");
    assert_eq!(sb.http_requests() - before, 3, "one request per page");
}

#[tokio::test]
async fn item_lists_stream_through_result_items() {
    let sb = sandbox().await;
    let c = client(&sb);
    seed(&c, 130).await;
    let rows: Vec<Value> = ListRequest::items("crm.item.list")
        .param("entityTypeId", 1)
        .raw_select(["title"])
        .stream(&c)
        .try_collect()
        .await
        .unwrap();
    let got = ids(&rows, "id");
    assert_eq!(got.len(), 130);
    assert!(got.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn a_cursor_that_does_not_advance_is_an_error_not_a_loop() {
    // A method that ignores the filter returns the same full page again and again.
    let server = MockServer::start().await;
    let page: Vec<Value> = (1..=50).map(|i| json!({"ID": i.to_string()})).collect();
    Mock::given(path("/rest/1/s/crm.lead.list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": page, "total": 0})))
        .mount(&server)
        .await;
    let batch_result: serde_json::Map<String, Value> =
        (0..50).map(|k| (format!("p{k}"), json!(page))).collect();
    Mock::given(path("/rest/1/s/batch"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"result": {"result": batch_result, "result_error": []}})),
        )
        .mount(&server)
        .await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/s/", server.uri()))
        .build()
        .unwrap();
    let mut s = ListRequest::new("crm.lead.list").stream::<Value>(&c);
    let mut n = 0;
    let err = loop {
        match s.next().await {
            Some(Ok(_)) => n += 1,
            Some(Err(e)) => break e,
            None => panic!("the stream ended without noticing the stall"),
        }
    };
    assert_eq!(n, 50);
    assert_eq!(err.kind(), ErrorKind::Pagination);
    assert_eq!(err.method(), Some("crm.lead.list"));

    // Offset paging: a `next` that does not move forward.
    Mock::given(path("/rest/1/s/crm.deal.list"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"result": [{"ID": "1"}], "next": 0, "total": 99})),
        )
        .mount(&server)
        .await;
    let e = ListRequest::new("crm.deal.list")
        .order(Order::new().asc("TITLE"))
        .stream::<Value>(&c)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Pagination);
}

#[tokio::test]
async fn a_filter_mistake_fails_the_list_before_anything_is_sent() {
    let sb = sandbox().await;
    let c = client(&sb);
    let before = sb.http_requests();
    // `title` in lower case: the portal would drop the key and return every lead.
    let e = ListRequest::new("crm.lead.list")
        .filter(Filter::new().eq("title", "x"))
        .stream::<Value>(&c)
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("TITLE"), "{e}");
    let e = c.leads().list().select(["name"]).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(sb.http_requests(), before, "nothing was sent");
}
