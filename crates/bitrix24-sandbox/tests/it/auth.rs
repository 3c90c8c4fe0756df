//! Authentication of REST calls over real HTTP: where the token may be, and the 401 answers
//! of every auth failure (protocol.md §1a, §1c, §2.5; server-behavior.md §1.4).

use crate::common::{get_raw, post_form, post_json, sandbox, Reply};
use bitrix24_sandbox::{AppRegistration, Limits, Sandbox, TokenPair};
use serde_json::json;

fn tokens(sb: &Sandbox) -> TokenPair {
    sb.issue_tokens(sb.app(), 1).expect("tokens")
}

fn assert_auth_error(reply: &Reply, error: &str, description: &str) {
    assert_eq!(reply.error(), (401, error), "{}", reply.text);
    assert_eq!(
        reply.body["error_description"], description,
        "{}",
        reply.text
    );
    assert!(
        reply.body.get("time").is_none(),
        "errors carry no time block"
    );
}

async fn with_bearer(sb: &Sandbox, method: &str, token: &str, query: &str) -> Reply {
    let url = format!("{}{method}?{query}", sb.rest_url());
    let resp = crate::common::http()
        .get(url)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("request");
    Reply::from(resp).await
}

/// protocol.md §1c: the token is accepted as `auth` in the query, `auth` in a form body,
/// `auth` in a JSON body, `access_token`, and `Authorization: Bearer`.
#[tokio::test]
async fn the_token_is_accepted_from_every_documented_place() {
    let sb = sandbox().await;
    let t = tokens(&sb);
    let base = sb.rest_url();
    let at = t.access_token.as_str();
    let replies = [
        get_raw(&base, "user.current", &format!("auth={at}")).await,
        post_form(&base, "user.current", &[("auth", at)]).await,
        post_json(&base, "user.current", &json!({ "auth": at })).await,
        get_raw(&base, "user.current", &format!("access_token={at}")).await,
        post_form(&base, "user.current", &[("access_token", at)]).await,
        with_bearer(&sb, "user.current", at, "").await,
    ];
    for reply in replies {
        assert_eq!(reply.result()["ID"], "1", "{}", reply.text);
        assert!(reply.body["time"].is_object(), "success carries time");
    }
}

/// server-behavior.md §1.4: the `Authorization: Bearer` header is checked first, before the
/// `auth` parameter.
#[tokio::test]
async fn the_bearer_header_wins_over_the_auth_parameter() {
    let sb = sandbox().await;
    let t = tokens(&sb);
    let good = with_bearer(&sb, "user.current", &t.access_token, "auth=garbage").await;
    assert_eq!(good.status, 200, "{}", good.text);
    let query = format!("auth={}", t.access_token);
    let bad = with_bearer(&sb, "user.current", "garbage", &query).await;
    assert_eq!(bad.error(), (401, "invalid_token"), "{}", bad.text);
}

/// protocol.md §1c: an expired access token (after 3600 s) gives 401 `expired_token`.
#[tokio::test]
async fn an_expired_access_token_is_expired_token() {
    let sb = sandbox().await;
    let t = tokens(&sb);
    let query = format!("auth={}", t.access_token);
    assert_eq!(
        get_raw(&sb.rest_url(), "server.time", &query).await.status,
        200
    );
    sb.advance_clock(3601.0);
    let reply = get_raw(&sb.rest_url(), "server.time", &query).await;
    assert_auth_error(
        &reply,
        "expired_token",
        "The access token provided has expired",
    );
}

/// protocol.md §1c and §11: an unknown token gives 401 `invalid_token` (the widely assumed
/// answer of the OAuth server's check).
#[tokio::test]
async fn a_garbage_token_is_invalid_token() {
    let sb = sandbox().await;
    let reply = get_raw(&sb.rest_url(), "profile", "auth=not-a-token").await;
    assert_auth_error(
        &reply,
        "invalid_token",
        "The access token provided is invalid",
    );
}

/// protocol.md §1c: no credentials at all gives 401 `NO_AUTH_FOUND`; an empty `auth` counts
/// as none.
#[tokio::test]
async fn no_credentials_is_no_auth_found() {
    let sb = sandbox().await;
    for query in ["", "auth="] {
        let reply = get_raw(&sb.rest_url(), "profile", query).await;
        assert_auth_error(&reply, "NO_AUTH_FOUND", "Wrong authorization data");
    }
}

/// server-behavior.md §1.3: an unknown method is 404 `ERROR_METHOD_NOT_FOUND`, checked before
/// auth, so a bad token or webhook secret does not change the answer.
#[tokio::test]
async fn an_unknown_method_is_404_before_auth() {
    let sb = sandbox().await;
    let bad_token = get_raw(&sb.rest_url(), "no.such.method", "auth=garbage").await;
    assert_eq!(
        bad_token.error(),
        (404, "ERROR_METHOD_NOT_FOUND"),
        "{}",
        bad_token.text
    );
    let bad_hook = format!("{}/rest/1/wrongsecret/", sb.url());
    let reply = get_raw(&bad_hook, "no.such.method", "").await;
    assert_eq!(
        reply.error(),
        (404, "ERROR_METHOD_NOT_FOUND"),
        "{}",
        reply.text
    );
}

/// protocol.md §1a: a wrong webhook secret, or the right secret under another user id, gives
/// 401 `INVALID_CREDENTIALS` (the docs' 403 disagrees with code and measurement).
#[tokio::test]
async fn a_wrong_webhook_secret_is_invalid_credentials() {
    let sb = sandbox().await;
    assert_eq!(get_raw(&sb.webhook_url(), "profile", "").await.status, 200);
    let secret = &sb.webhook().secret;
    for path in ["1/wrongsecret".to_string(), format!("2/{secret}")] {
        let base = format!("{}/rest/{path}/", sb.url());
        let reply = get_raw(&base, "profile", "").await;
        assert_auth_error(&reply, "INVALID_CREDENTIALS", "Invalid request credentials");
    }
}

/// protocol.md §1a: a webhook over plain HTTP on a portal that requires HTTPS gives 401
/// `INVALID_REQUEST` "Https required." (the docs' 400 disagrees with code and measurement).
#[tokio::test]
async fn a_webhook_over_http_is_refused_when_https_is_required() {
    let sb = Sandbox::builder()
        .limits(Limits::Off)
        .require_https_webhooks()
        .start()
        .await
        .expect("sandbox");
    let reply = get_raw(&sb.webhook_url(), "profile", "").await;
    assert_auth_error(&reply, "INVALID_REQUEST", "Https required.");
    let t = tokens(&sb);
    let query = format!("auth={}", t.access_token);
    let app_call = get_raw(&sb.rest_url(), "profile", &query).await;
    assert_eq!(
        app_call.status, 200,
        "OAuth calls are not webhooks: {}",
        app_call.text
    );
}

/// protocol.md §1a, §2.5: a method outside the granted scopes gives 401 `insufficient_scope`,
/// worded for the kind of credentials.
#[tokio::test]
async fn a_missing_scope_is_insufficient_scope() {
    let sb = sandbox().await;
    let hook = sb.create_webhook(1, "crm").expect("webhook");
    let reply = get_raw(&sb.webhook_url_of(&hook), "user.current", "").await;
    assert_auth_error(
        &reply,
        "insufficient_scope",
        "The request requires higher privileges than provided by the webhook token",
    );
    let reg = AppRegistration {
        scope: "crm".into(),
        ..Default::default()
    };
    let app = sb.register_app(&reg).expect("app");
    let t = sb.issue_tokens(&app, 1).expect("tokens");
    let reply = get_raw(
        &sb.rest_url(),
        "user.current",
        &format!("auth={}", t.access_token),
    )
    .await;
    assert_auth_error(
        &reply,
        "insufficient_scope",
        "The request requires higher privileges than provided by the access token",
    );
    // `profile` is scope basic, granted to everyone.
    let basic = get_raw(&sb.webhook_url_of(&hook), "profile", "").await;
    assert_eq!(basic.status, 200, "{}", basic.text);
}

/// server-behavior.md §1.4 (`fillAlternativeScope`): `user_brief` grants the `user` scope.
#[tokio::test]
async fn user_brief_grants_the_user_scope() {
    let sb = sandbox().await;
    let hook = sb.create_webhook(1, "user_brief").expect("webhook");
    let reply = get_raw(&sb.webhook_url_of(&hook), "user.current", "").await;
    assert_eq!(reply.result()["ID"], "1", "{}", reply.text);
}

/// protocol.md §2.5: an app token without `crm` calling a `crm.*` method is refused with 401.
#[tokio::test]
async fn an_app_without_crm_cannot_call_crm() {
    let sb = sandbox().await;
    let reg = AppRegistration {
        scope: "user".into(),
        ..Default::default()
    };
    let app = sb.register_app(&reg).expect("app");
    let t = sb.issue_tokens(&app, 1).expect("tokens");
    let query = format!("auth={}", t.access_token);
    let reply = get_raw(&sb.rest_url(), "crm.status.list", &query).await;
    assert_eq!(reply.error(), (401, "insufficient_scope"), "{}", reply.text);
}

/// protocol.md §1a: the same webhook over HTTPS is accepted by a portal that requires it (the
/// positive control of the test above).
#[tokio::test]
async fn a_webhook_over_https_is_accepted() {
    let cert = std::env::temp_dir().join(format!(
        "b24-sandbox-auth-{}-{}.pem",
        std::process::id(),
        line!()
    ));
    let sb = Sandbox::builder()
        .limits(Limits::Off)
        .require_https_webhooks()
        .tls(&cert)
        .start()
        .await
        .expect("sandbox");
    let pem = std::fs::read(&cert).expect("certificate written");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .build()
        .expect("client");
    assert!(sb.webhook_url().starts_with("https://"));
    let resp = client
        .get(format!("{}profile", sb.webhook_url()))
        .send()
        .await
        .expect("request");
    let reply = Reply::from(resp).await;
    let _ = std::fs::remove_file(&cert);
    assert_eq!(reply.status, 200, "{}", reply.text);
}
