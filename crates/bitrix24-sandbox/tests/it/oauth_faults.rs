//! Fault injection on the token endpoint: latency is waited out before the grant is processed,
//! so a client that gives up (or dies) in the meantime rotates nothing.

use bitrix24_sandbox::FaultConfig;
use std::time::Duration;

async fn refresh(
    url: &str,
    app: &bitrix24_sandbox::App,
    token: &str,
    timeout: Duration,
) -> Option<u16> {
    let resp = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .unwrap()
        .get(format!("{url}/oauth/token/"))
        .query(&[
            ("grant_type", "refresh_token"),
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.as_str()),
            ("refresh_token", token),
        ])
        .send()
        .await
        .ok()?;
    Some(resp.status().as_u16())
}

/// A refresh abandoned during injected latency is cancelled with the connection: the refresh
/// token still works afterwards.
#[tokio::test]
async fn abandoned_refresh_rotates_nothing() {
    let s = crate::common::sandbox().await;
    let tokens = s.issue_tokens(s.app(), 1).unwrap();
    s.set_faults(FaultConfig {
        latency_ms: 800,
        only_methods: Some(vec!["oauth.token".into()]),
        ..Default::default()
    });
    let gave_up = refresh(
        s.url(),
        s.app(),
        &tokens.refresh_token,
        Duration::from_millis(150),
    )
    .await;
    assert_eq!(gave_up, None, "the client timed out");
    // Let the server's wait run out: had the handler survived, it would rotate now.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    s.clear_faults();
    let status = refresh(
        s.url(),
        s.app(),
        &tokens.refresh_token,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status, Some(200), "the refresh token was not consumed");
}

/// Latency on the token endpoint delays the answer (the abandoned refresh above times out in
/// it) but the grant still works.
#[tokio::test]
async fn slow_token_endpoint_still_answers() {
    let s = crate::common::sandbox().await;
    let tokens = s.issue_tokens(s.app(), 1).unwrap();
    s.set_faults(FaultConfig {
        latency_ms: 200,
        only_methods: Some(vec!["oauth.token".into()]),
        ..Default::default()
    });
    let status = refresh(
        s.url(),
        s.app(),
        &tokens.refresh_token,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(status, Some(200));
}

/// Every token request is counted under `oauth.token`, failed ones too, apart from REST calls.
#[tokio::test]
async fn token_requests_are_counted() {
    let s = crate::common::sandbox().await;
    let tokens = s.issue_tokens(s.app(), 1).unwrap();
    let rest_before = s.http_requests();
    let ok = refresh(
        s.url(),
        s.app(),
        &tokens.refresh_token,
        Duration::from_secs(5),
    )
    .await;
    let reused = refresh(
        s.url(),
        s.app(),
        &tokens.refresh_token,
        Duration::from_secs(5),
    )
    .await;
    assert_eq!((ok, reused), (Some(200), Some(400)));
    assert_eq!(s.requests_by_method().get("oauth.token"), Some(&2));
    assert_eq!(s.http_requests(), rest_before);
}
