//! Protocol tests of event delivery and the app life cycle (protocol.md §1d, §5.9, §7.2;
//! server-behavior.md §8). A small axum receiver on 127.0.0.1 plays the app.

use crate::common::events::{add_lead, app_with, call, receiver, token};
use crate::common::{post_form, sandbox};
use bitrix24_sandbox::AppRegistration;
use serde_json::json;
use std::time::Duration;

const SETTLE: Duration = Duration::from_secs(5);

/// protocol.md §7.2: a bound online handler gets a form-encoded POST with `event`,
/// `event_handler_id`, `data[FIELDS][ID]`, `ts` and `auth[...]` (fresh tokens for the user who
/// caused the event, the portal's endpoints, `application_token`; no refresh token).
#[tokio::test]
async fn lead_add_is_posted_to_the_handler() {
    let s = sandbox().await;
    let mut rx = receiver(200).await;
    let app = app_with(&s, "crm,user").await;
    let t = token(&s, &app, 1);
    let r = call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &rx.url("/lead"))],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let id = add_lead(&s, "Delivered").await;
    let got = rx.next(5).await.expect("ONCRMLEADADD delivered");
    assert_eq!(got.path, "/lead");
    assert_eq!(got.content_type, "application/x-www-form-urlencoded");
    assert_eq!(got.get(&["event"]), Some("ONCRMLEADADD"));
    assert_eq!(got.get(&["data", "FIELDS", "ID"]), Some(id.as_str()));
    assert!(got
        .get(&["event_handler_id"])
        .is_some_and(|h| h.parse::<i64>().is_ok_and(|n| n > 0)));
    let ts: i64 = got.get(&["ts"]).unwrap().parse().unwrap();
    assert!((ts - s.portal().unix()).abs() < 60);
    assert_eq!(
        got.get(&["auth", "application_token"]),
        Some(app.application_token.as_str())
    );
    assert_eq!(got.get(&["auth", "member_id"]), Some(s.member_id()));
    assert_eq!(
        got.get(&["auth", "client_endpoint"]),
        Some(s.rest_url().as_str())
    );
    // The same host as the OAuth redirect and the token answer name (issue 11).
    assert_eq!(got.get(&["auth", "domain"]), Some(s.domain()));
    assert_eq!(got.get(&["auth", "user_id"]), Some("1"));
    assert_eq!(got.get(&["auth", "expires_in"]), Some("3600"));
    assert_eq!(got.get(&["auth", "scope"]), Some("crm,user"));
    assert_eq!(got.get(&["auth", "status"]), Some("L"));
    for key in ["domain", "server_endpoint", "expires"] {
        assert!(
            got.get(&["auth", key]).is_some_and(|v| !v.is_empty()),
            "auth[{key}]"
        );
    }
    assert_eq!(got.get(&["auth", "refresh_token"]), None);
    // The minted access token is a real one of the app.
    let minted = got.get(&["auth", "access_token"]).unwrap().to_string();
    assert_eq!(call(&s, &minted, "event.get", &[]).await.status, 200);
    assert!(s.wait_for_deliveries(SETTLE).await);
    assert_eq!(s.events_delivered(), 1);
}

/// protocol.md §7.1: after `event.unbind` nothing is posted any more.
#[tokio::test]
async fn unbind_stops_delivery() {
    let s = sandbox().await;
    let mut rx = receiver(200).await;
    let app = app_with(&s, "crm").await;
    let t = token(&s, &app, 1);
    let h = rx.url("/h");
    call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &h)],
    )
    .await
    .result();
    add_lead(&s, "one").await;
    assert!(rx.next(5).await.is_some());
    let r = call(
        &s,
        &t,
        "event.unbind",
        &[("event", "ONCRMLEADADD"), ("handler", &h)],
    )
    .await;
    assert_eq!(r.result(), &json!({"count": 1}));
    add_lead(&s, "two").await;
    assert!(s.wait_for_deliveries(SETTLE).await);
    assert!(rx.try_next().is_none());
    assert_eq!(s.events_delivered(), 1);
}

/// protocol.md §7.2: no retries; a handler answering 500 gets the event once and it is lost.
#[tokio::test]
async fn failed_delivery_is_not_retried() {
    let s = sandbox().await;
    let mut rx = receiver(500).await;
    let app = app_with(&s, "crm").await;
    let t = token(&s, &app, 1);
    call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &rx.url("/x"))],
    )
    .await
    .result();
    add_lead(&s, "lost").await;
    assert!(rx.next(5).await.is_some());
    assert!(s.wait_for_deliveries(SETTLE).await);
    assert_eq!((s.events_delivered(), s.events_failed()), (0, 1));
    assert!(rx.try_next().is_none());
}

/// protocol.md §7.1 (AUTH_TYPE): the handler's tokens act as the bound user, not the one who
/// caused the event.
#[tokio::test]
async fn auth_type_picks_the_token_user() {
    let s = sandbox().await;
    let mut rx = receiver(200).await;
    let app = app_with(&s, "crm").await;
    let t = token(&s, &app, 1);
    let h = rx.url("/as2");
    call(
        &s,
        &t,
        "event.bind",
        &[
            ("event", "ONCRMLEADADD"),
            ("handler", &h),
            ("auth_type", "2"),
        ],
    )
    .await
    .result();
    add_lead(&s, "by admin").await;
    let got = rx.next(5).await.expect("delivered");
    assert_eq!(got.get(&["auth", "user_id"]), Some("2"));
}

/// protocol.md §7.1: `event.test` fires ONAPPTEST with the call's parameters under
/// `data[QUERY]`, for the calling app only.
#[tokio::test]
async fn event_test_reaches_only_the_caller() {
    let s = sandbox().await;
    let mut mine = receiver(200).await;
    let mut other = receiver(200).await;
    let a = app_with(&s, "crm").await;
    let b = app_with(&s, "crm").await;
    let (ta, tb) = (token(&s, &a, 1), token(&s, &b, 1));
    call(
        &s,
        &ta,
        "event.bind",
        &[("event", "ONAPPTEST"), ("handler", &mine.url("/t"))],
    )
    .await
    .result();
    call(
        &s,
        &tb,
        "event.bind",
        &[("event", "ONAPPTEST"), ("handler", &other.url("/t"))],
    )
    .await
    .result();
    let r = call(&s, &ta, "event.test", &[("any", "value")]).await;
    assert_eq!(r.result(), &json!(1));
    let got = mine.next(5).await.expect("ONAPPTEST");
    assert_eq!(got.get(&["event"]), Some("ONAPPTEST"));
    assert_eq!(got.get(&["data", "QUERY", "any"]), Some("value"));
    assert!(s.wait_for_deliveries(SETTLE).await);
    assert!(other.try_next().is_none());
}

/// protocol.md §1d: installing an app with an install URL posts ONAPPINSTALL with both tokens,
/// the application_token and `data[VERSION|ACTIVE|INSTALLED|LANGUAGE_ID]`.
#[tokio::test]
async fn install_posts_onappinstall() {
    let s = sandbox().await;
    let mut rx = receiver(200).await;
    let app = s
        .install_app(&AppRegistration {
            install_url: rx.url("/install"),
            ..AppRegistration::default()
        })
        .await
        .expect("installed");
    let got = rx.try_next().expect("posted before install_app returned");
    assert_eq!(got.path, "/install");
    assert_eq!(got.get(&["event"]), Some("ONAPPINSTALL"));
    assert_eq!(got.get(&["data", "ACTIVE"]), Some("Y"));
    assert_eq!(got.get(&["data", "INSTALLED"]), Some("Y"));
    assert!(got.get(&["data", "VERSION"]).is_some());
    assert!(got.get(&["data", "LANGUAGE_ID"]).is_some());
    assert_eq!(
        got.get(&["auth", "application_token"]),
        Some(app.application_token.as_str())
    );
    assert_eq!(got.get(&["auth", "member_id"]), Some(s.member_id()));
    assert!(got
        .get(&["auth", "refresh_token"])
        .is_some_and(|t| !t.is_empty()));
    let access = got.get(&["auth", "access_token"]).unwrap().to_string();
    assert_eq!(call(&s, &access, "event.get", &[]).await.status, 200);
}

/// protocol.md §1d: uninstall posts ONAPPUNINSTALL without tokens (domain, member_id,
/// application_token, endpoints; data LANGUAGE_ID and CLEAN); afterwards the app's tokens are
/// gone and its handlers get nothing.
#[tokio::test]
async fn uninstall_posts_onappuninstall_and_removes_the_app() {
    let s = sandbox().await;
    let mut rx = receiver(200).await;
    let app = app_with(&s, "crm").await;
    let t = token(&s, &app, 1);
    call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONAPPUNINSTALL"), ("handler", &rx.url("/bye"))],
    )
    .await
    .result();
    call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &rx.url("/lead"))],
    )
    .await
    .result();
    s.uninstall_app(&app).await.expect("uninstalled");
    let got = rx
        .try_next()
        .expect("ONAPPUNINSTALL posted before uninstall_app returned");
    assert_eq!(got.path, "/bye");
    assert_eq!(got.get(&["event"]), Some("ONAPPUNINSTALL"));
    assert_eq!(got.get(&["data", "CLEAN"]), Some("0"));
    assert!(got.get(&["data", "LANGUAGE_ID"]).is_some());
    assert_eq!(
        got.get(&["auth", "application_token"]),
        Some(app.application_token.as_str())
    );
    assert_eq!(got.get(&["auth", "member_id"]), Some(s.member_id()));
    assert_eq!(
        got.get(&["auth", "client_endpoint"]),
        Some(s.rest_url().as_str())
    );
    assert!(got.get(&["auth", "domain"]).is_some());
    assert_eq!(got.get(&["auth", "access_token"]), None);
    assert_eq!(got.get(&["auth", "refresh_token"]), None);
    assert_eq!(
        call(&s, &t, "event.get", &[]).await.error(),
        (401, "invalid_token")
    );
    add_lead(&s, "after uninstall").await;
    assert!(s.wait_for_deliveries(SETTLE).await);
    assert!(rx.try_next().is_none());
}

/// server-behavior.md §8: events are delivered only to installed apps.
#[tokio::test]
async fn apps_marked_not_installed_get_nothing() {
    let s = sandbox().await;
    let mut rx = receiver(200).await;
    let app = app_with(&s, "crm").await;
    let t = token(&s, &app, 1);
    call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &rx.url("/l"))],
    )
    .await
    .result();
    s.portal()
        .db()
        .execute("UPDATE apps SET installed = 0 WHERE id = ?1", [app.id])
        .unwrap();
    let r = post_form(&s.webhook_url(), "crm.lead.add", &[("fields[TITLE]", "x")]).await;
    assert_eq!(r.status, 200);
    assert!(s.wait_for_deliveries(SETTLE).await);
    assert!(rx.try_next().is_none());
}

/// protocol.md §6 + §7.2: each command of a batch raises its own event; all are delivered
/// after the batch commits.
#[tokio::test]
async fn batch_commands_raise_their_events() {
    let s = sandbox().await;
    let mut rx = receiver(200).await;
    let app = app_with(&s, "crm").await;
    let t = token(&s, &app, 1);
    call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &rx.url("/b"))],
    )
    .await
    .result();
    let r = post_form(
        &s.webhook_url(),
        "batch",
        &[
            ("cmd[a]", "crm.lead.add?fields[TITLE]=A"),
            ("cmd[b]", "crm.lead.add?fields[TITLE]=B"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut ids = vec![];
    for _ in 0..2 {
        let got = rx.next(5).await.expect("one event per command");
        ids.push(got.get(&["data", "FIELDS", "ID"]).unwrap().to_string());
    }
    ids.sort();
    let mut expected: Vec<String> = ["a", "b"]
        .iter()
        .map(|k| r.body["result"]["result"][k].to_string())
        .collect();
    expected.sort();
    assert_eq!(ids, expected);
}
