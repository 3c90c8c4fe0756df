//! Tests of fault injection (issue point 11): the failures a client must survive.

use crate::common::{get_raw, post_form, sandbox};
use bitrix24_sandbox::FaultConfig;

/// A share of 1.0 answers every request 503 `QUERY_LIMIT_EXCEEDED` without running it.
#[tokio::test]
async fn injected_query_limit() {
    let s = sandbox().await;
    s.set_faults(FaultConfig {
        query_limit_share: 1.0,
        ..Default::default()
    });
    let r = get_raw(&s.webhook_url(), "profile", "").await;
    assert_eq!(r.error(), (503, "QUERY_LIMIT_EXCEEDED"));
    s.clear_faults();
    assert_eq!(get_raw(&s.webhook_url(), "profile", "").await.status, 200);
}

/// A proxy's 500 with an HTML body, not JSON.
#[tokio::test]
async fn injected_html_500() {
    let s = sandbox().await;
    s.set_faults(FaultConfig {
        html_500_share: 1.0,
        only_methods: Some(vec!["profile".into()]),
        ..Default::default()
    });
    let resp = crate::common::http()
        .get(format!("{}profile", s.webhook_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(resp.headers()["content-type"], "text/html");
    assert!(resp
        .text()
        .await
        .unwrap()
        .contains("500 Internal Server Error"));
    // Only the named method is affected.
    assert_eq!(
        get_raw(&s.webhook_url(), "server.time", "").await.status,
        200
    );
}

/// Added latency delays the answer.
#[tokio::test]
async fn injected_latency_shows_in_processing_time() {
    let s = sandbox().await;
    s.set_faults(FaultConfig {
        latency_ms: 150,
        ..Default::default()
    });
    let r = get_raw(&s.webhook_url(), "server.time", "").await;
    assert!(
        r.body["time"]["processing"].as_f64().unwrap() >= 0.15,
        "{}",
        r.text
    );
}

/// "Commit the write, then drop the connection": the client gets no answer, yet the write is
/// there.
#[tokio::test]
async fn drop_after_commit_keeps_the_write() {
    let s = sandbox().await;
    s.set_faults(FaultConfig {
        drop_after_commit: vec!["crm.lead.add".into()],
        ..Default::default()
    });
    let sent = crate::common::http()
        .post(format!("{}crm.lead.add", s.webhook_url()))
        .form(&[("fields[TITLE]", "dropped but saved")])
        .send()
        .await;
    let failed = match sent {
        Err(_) => true,
        Ok(resp) => resp.text().await.is_err(),
    };
    assert!(failed, "the client must not receive an answer");
    s.clear_faults();
    let r = post_form(
        &s.webhook_url(),
        "crm.lead.list",
        &[("filter[TITLE]", "dropped but saved"), ("select[]", "ID")],
    )
    .await;
    assert_eq!(r.result().as_array().map(Vec::len), Some(1), "{}", r.text);
}
