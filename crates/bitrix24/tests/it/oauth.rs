//! OAuth against the sandbox: consent, redirect, code exchange, calls through the client,
//! refresh after `expired_token` and ahead of expiry, and the failures that need a person.

use crate::oauth_support;
use crate::oauth_support::{app, app_with, profile, seed, used_refresh_tokens};
use bitrix24::auth::{parse_redirect, OAuthSession, State};
use bitrix24::store::{MemoryStore, TokenStore};
use bitrix24::{ApiErrorCode, Client, ErrorKind, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox")
}

#[tokio::test]
async fn the_whole_flow_from_consent_to_a_call() {
    let sb = sandbox().await;
    let app = app(&sb);
    let state = State::new();
    let location = sb.consent(&app, &state, 1).await.expect("consent");
    let redirect = parse_redirect(&location, &state).expect("redirect");
    assert_eq!(redirect.member_id, sb.member_id());
    assert_eq!(redirect.domain, sb.domain());

    let store = Arc::new(MemoryStore::new());
    let session = OAuthSession::from_redirect(app, store.clone(), &redirect)
        .await
        .expect("exchange");
    let saved = store
        .load(sb.member_id())
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(saved.generation, 1);
    assert_eq!(
        saved.client_endpoint,
        sb.rest_url(),
        "REST endpoint from client_endpoint"
    );
    assert_eq!(saved.user_id, Some(1));

    let client = Client::builder()
        .oauth(session)
        .limits(RateLimits::off())
        .build()
        .expect("client");
    let me = client.call_raw("profile", &()).await.expect("profile");
    assert_eq!(me.result["ID"].to_string().trim_matches('"'), "1");

    // The code works once (30 s, single use): a replay asks for a new authorization.
    let e = OAuthSession::from_code(oauth_support::app(&sb), store, &redirect.code)
        .await
        .expect_err("code reused");
    assert_eq!(e.kind(), ErrorKind::ReauthorizationRequired);
    let url = e.authorize_url().expect("authorize url");
    assert!(
        url.starts_with(sb.url()) && url.contains(&sb.app().client_id),
        "{url}"
    );
}

#[tokio::test]
async fn a_forged_redirect_is_refused() {
    let sb = sandbox().await;
    let location = sb
        .consent(&app(&sb), &State::new(), 1)
        .await
        .expect("consent");
    let e = parse_redirect(&location, &State::new()).expect_err("other state");
    assert_eq!(e.kind(), ErrorKind::OAuthRedirect);
}

#[tokio::test]
async fn expired_token_is_refreshed_once_and_the_call_repeated() {
    let sb = sandbox().await;
    let store = Arc::new(MemoryStore::new());
    let seeded = seed(&sb, store.as_ref(), 3600).await;
    let session = OAuthSession::new(app(&sb), store.clone(), sb.member_id());
    let client = Client::builder()
        .oauth(session)
        .limits(RateLimits::off())
        .build()
        .expect("client");
    client
        .call_raw("profile", &())
        .await
        .expect("fresh token works");
    assert_eq!(
        used_refresh_tokens(&sb),
        0,
        "no refresh while the token is good"
    );

    // The portal's clock passes the expiry; the client's does not know.
    sb.advance_clock(3700.0);
    client
        .call_raw("profile", &())
        .await
        .expect("refreshed and repeated");
    assert_eq!(used_refresh_tokens(&sb), 1);
    let now = store
        .load(sb.member_id())
        .await
        .expect("load")
        .expect("kept");
    assert_eq!(now.generation, 2);
    assert_ne!(
        now.refresh_token.expose_secret(),
        seeded.refresh_token.expose_secret(),
        "the rotated refresh token was saved"
    );
    client.call_raw("profile", &()).await.expect("still works");
    assert_eq!(used_refresh_tokens(&sb), 1);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_ahead() {
    let sb = sandbox().await;
    let store = Arc::new(MemoryStore::new());
    seed(&sb, store.as_ref(), 30).await; // inside the default 60 s margin
    let session = OAuthSession::new(app(&sb), store.clone(), sb.member_id());
    let token = session.access_token().await.expect("token");
    assert_eq!(token.generation(), 2);
    assert_eq!(used_refresh_tokens(&sb), 1);
    assert_eq!(profile(token.endpoint(), token.secret()).await.0, 200);
    // With a smaller margin the same remaining time is enough.
    let store2 = Arc::new(MemoryStore::new());
    seed(&sb, store2.as_ref(), 30).await;
    let relaxed = OAuthSession::new(app(&sb), store2, sb.member_id())
        .with_refresh_margin(std::time::Duration::from_secs(10));
    assert_eq!(relaxed.access_token().await.expect("token").generation(), 1);
    assert_eq!(used_refresh_tokens(&sb), 1);
}

#[tokio::test]
async fn a_spent_refresh_token_asks_for_reauthorization() {
    let sb = sandbox().await;
    let store = Arc::new(MemoryStore::new());
    let seeded = seed(&sb, store.as_ref(), 0).await;
    // Someone outside the store used the refresh token.
    app(&sb)
        .refresh(&seeded.refresh_token)
        .await
        .expect("out-of-band refresh");
    let session = OAuthSession::new(app(&sb), store, sb.member_id());
    let e = session.access_token().await.expect_err("spent");
    assert_eq!(e.kind(), ErrorKind::ReauthorizationRequired);
    assert!(e
        .authorize_url()
        .expect("url")
        .contains("/oauth/authorize/?client_id="));
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(seeded.refresh_token.expose_secret()));
}

#[tokio::test]
async fn no_stored_tokens_ask_for_authorization() {
    let sb = sandbox().await;
    let session = OAuthSession::new(app(&sb), Arc::new(MemoryStore::new()), "unknown-member");
    let e = session.access_token().await.expect_err("empty store");
    assert_eq!(e.kind(), ErrorKind::ReauthorizationRequired);
    assert!(e.authorize_url().is_some());
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_api_error_that_hides_the_secret() {
    let sb = sandbox().await;
    let store = Arc::new(MemoryStore::new());
    let seeded = seed(&sb, store.as_ref(), 0).await;
    let bad = app_with(sb.url(), &sb.app().client_id, "wrong-secret-xyz");
    let e = bad
        .refresh(&seeded.refresh_token)
        .await
        .expect_err("bad secret");
    assert_eq!(e.kind(), ErrorKind::Api);
    assert_eq!(e.code(), Some(&ApiErrorCode::InvalidClient));
    assert_eq!(e.status(), Some(401));
    let shown = format!("{e} {e:?}");
    assert!(
        !shown.contains("wrong-secret-xyz")
            && !shown.contains(seeded.refresh_token.expose_secret())
    );
    // The refresh token was not spent by the refused request.
    assert!(app(&sb).refresh(&seeded.refresh_token).await.is_ok());
}

#[tokio::test]
async fn transport_errors_do_not_carry_the_secret() {
    // A port nothing listens on: the error must not echo the URL with the secret.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let a = app_with(&url, "local.app", "client-secret-abc");
    let e = a
        .refresh(&SecretString::from("refresh-secret-abc"))
        .await
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Transport);
    let mut shown = format!("{e} {e:?}");
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        shown.push_str(&format!(" {s} {s:?}"));
        src = s.source();
    }
    assert!(!shown.contains("secret-abc"), "{shown}");
}

#[tokio::test]
async fn nothing_secret_in_debug() {
    let sb = sandbox().await;
    let store = Arc::new(MemoryStore::new());
    let seeded = seed(&sb, store.as_ref(), 3600).await;
    let app = app(&sb);
    let session = OAuthSession::new(app.clone(), store, sb.member_id());
    let token = session.access_token().await.expect("token");
    let state = State::new();
    let redirect = parse_redirect(&sb.consent(&app, &state, 1).await.expect("consent"), &state)
        .expect("redirect");
    let client = Client::builder()
        .oauth(session.clone())
        .build()
        .expect("client");
    let shown =
        format!("{app:?} {session:?} {token:?} {seeded:?} {redirect:?} {state:?} {client:?}");
    for secret in [
        sb.app().client_secret.as_str(),
        seeded.access_token.expose_secret(),
        seeded.refresh_token.expose_secret(),
        redirect.code.expose_secret(),
        state.as_str(),
    ] {
        assert!(!shown.contains(secret), "a secret in {shown}");
    }
}
