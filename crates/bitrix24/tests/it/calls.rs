//! `call` / `call_raw` against the sandbox and against exact wiremock expectations.

use crate::client_support::{client, sandbox};
use bitrix24::{ApiErrorCode, Client, ErrorKind, RateLimits, RetryPolicy};
use serde::Deserialize;
use serde_json::{json, Value};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Deserialize)]
struct Profile {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "ADMIN")]
    admin: bool,
}

#[tokio::test]
async fn typed_call_decodes_result_and_time() {
    let sb = sandbox().await;
    let c = client(&sb);
    let r = c.call::<Profile>("profile", &()).await.unwrap();
    assert_eq!(r.result.id, "1");
    let _ = r.result.admin;
    let t = r.time.expect("a time block");
    assert!(t.start.is_some() && t.finish.is_some() && t.date_start.is_some());
    assert!(
        t.operating.is_some(),
        "webhook calls are load-limited: {t:?}"
    );
    let raw = c.call_raw("server.time", &()).await.unwrap();
    assert!(
        raw.result.as_str().is_some_and(|s| s.contains('T')),
        "{:?}",
        raw.result
    );
}

#[tokio::test]
async fn api_errors_carry_code_status_and_method() {
    let sb = sandbox().await;
    let c = client(&sb);
    let e = c.call_raw("no.such.method", &()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.code(), Some(&ApiErrorCode::MethodNotFound));
    assert_eq!(e.status(), Some(404));
    assert_eq!(e.method(), Some("no.such.method"));
    assert!(e.to_string().contains("no.such.method"), "{e}");
}

#[tokio::test]
async fn shape_mismatch_is_a_decode_error_with_the_path() {
    let sb = sandbox().await;
    let c = client(&sb);
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        #[serde(rename = "ID")]
        id: u64,
    }
    let e = c.call::<Wrong>("profile", &()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    let s = e.to_string();
    assert!(s.contains("result.ID"), "{s}");
    assert_eq!(e.method(), Some("profile"));
}

#[tokio::test]
async fn bad_method_names_and_params_never_reach_the_network() {
    let server = MockServer::start().await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/secret/", server.uri()))
        .build()
        .unwrap();
    let e = c.call_raw("../../admin", &()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = c.call_raw("crm.lead.get", &"scalar").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn request_shape_is_a_form_post_to_the_method_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/rest/1/s3cret/crm.lead.add"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(
            "fields[TITLE]=A+%26+B&fields[OPENED]=1&params[REGISTER_SONET_EVENT]=0",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"result": 17, "time": {"start": 1}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/s3cret/", server.uri()))
        .limits(RateLimits::off())
        .build()
        .unwrap();
    let params = json!({"fields": {"TITLE": "A & B", "OPENED": true, "SKIP": null},
                        "params": {"REGISTER_SONET_EVENT": false}});
    let r = c.call::<u64>("crm.lead.add", &params).await.unwrap();
    assert_eq!(r.result, 17);
}

#[tokio::test]
async fn html_pages_and_garbage_are_errors_not_panics() {
    let server = MockServer::start().await;
    Mock::given(path("/rest/1/s/crm.lead.add"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_string("<html><body><h1>502 Bad Gateway</h1></body></html>"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/rest/1/s/profile"))
        .respond_with(ResponseTemplate::new(200).set_body_string("{\"result\": tru"))
        .mount(&server)
        .await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/s/", server.uri()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let e = c.call_raw("crm.lead.add", &()).await.unwrap_err();
    assert_eq!(e.code(), Some(&ApiErrorCode::InternalServerError));
    assert_eq!(e.status(), Some(502));
    assert!(e.to_string().contains("502 Bad Gateway"), "{e}");
    let e = c.call::<Value>("profile", &()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    assert!(e.to_string().contains("{\"result\": tru"), "{e}");
}

#[tokio::test]
async fn clones_share_one_client() {
    let sb = sandbox().await;
    let c = client(&sb);
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.call_raw("server.time", &()).await.map(|_| ()) })
        })
        .collect();
    for h in handles {
        h.await.unwrap().unwrap();
    }
    assert_eq!(sb.http_requests(), 8);
}

/// A portal whose address changed answers at the old one with 302 to the new one. The
/// client does not follow it (a followed POST would arrive as a GET without its parameters,
/// and the webhook's secret path would go along): it says where the portal went, once.
#[tokio::test]
async fn a_moved_portal_is_reported_with_its_new_address_not_followed() {
    let old = MockServer::start().await;
    let new = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "Location",
            format!("{}/rest/1/moved-webhook-secret/profile", new.uri()),
        ))
        .expect(1)
        .mount(&old)
        .await;
    let c = Client::builder()
        .webhook(&format!("{}/rest/1/old-webhook-secret/", old.uri()))
        .limits(RateLimits::off())
        .build()
        .unwrap();
    let e = c.call_raw("profile", &()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(e.status(), Some(302));
    let shown = format!("{e} {e:?}");
    assert!(shown.contains(&new.uri()), "names the new address: {shown}");
    assert!(shown.contains("address has changed"), "{shown}");
    assert!(
        !shown.contains("secret"),
        "no secret path of either address: {shown}"
    );
    assert!(
        new.received_requests().await.unwrap_or_default().is_empty(),
        "nothing was sent to the new address"
    );
}
