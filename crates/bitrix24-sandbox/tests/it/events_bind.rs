//! Protocol tests of event binding: `event.bind`, `event.unbind`, `event.get`, `events`
//! (protocol.md §7.1, server-behavior.md §8).

use crate::common::events::{app_with, call, token};
use crate::common::{post_form, sandbox};
use serde_json::json;

const HANDLER: &str = "https://app.example.com/handler";

/// protocol.md §7.1: event methods work only with application auth; a webhook gets 403
/// WRONG_AUTH_TYPE.
#[tokio::test]
async fn webhooks_get_wrong_auth_type() {
    let s = sandbox().await;
    for method in [
        "event.bind",
        "event.unbind",
        "event.get",
        "events",
        "event.offline.get",
    ] {
        let r = post_form(
            &s.webhook_url(),
            method,
            &[("event", "ONCRMLEADADD"), ("handler", HANDLER)],
        )
        .await;
        assert_eq!(r.error(), (403, "WRONG_AUTH_TYPE"), "{method}: {}", r.text);
    }
}

/// protocol.md §7.1: bind returns true, the name is stored upper-case, event.get shows
/// `{event, handler, auth_type: "0", offline: 0}`, a duplicate is ERROR_CORE "Handler already
/// binded", unbind returns `{count}`.
#[tokio::test]
async fn bind_get_duplicate_unbind() {
    let s = sandbox().await;
    let t = token(&s, s.app(), 1);
    let r = call(
        &s,
        &t,
        "event.bind",
        &[("event", "onCrmLeadAdd"), ("handler", HANDLER)],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let r = call(&s, &t, "event.get", &[]).await;
    assert_eq!(
        r.result(),
        &json!([{"event": "ONCRMLEADADD", "handler": HANDLER, "auth_type": "0", "offline": 0}])
    );
    let r = call(
        &s,
        &t,
        "event.bind",
        &[("EVENT", "ONCRMLEADADD"), ("HANDLER", HANDLER)],
    )
    .await;
    assert_eq!(r.error(), (400, "ERROR_CORE"));
    assert_eq!(
        r.body["error_description"],
        "Unable to set event handler: Handler already binded"
    );
    let r = call(
        &s,
        &t,
        "event.unbind",
        &[("event", "oncrmleadadd"), ("handler", HANDLER)],
    )
    .await;
    assert_eq!(r.result(), &json!({"count": 1}));
    let r = call(
        &s,
        &t,
        "event.unbind",
        &[("event", "ONCRMLEADADD"), ("handler", HANDLER)],
    )
    .await;
    assert_eq!(r.result(), &json!({"count": 0}));
    let r = call(&s, &t, "event.get", &[]).await;
    assert_eq!(r.result(), &json!([]));
}

/// protocol.md §7.1: missing EVENT / HANDLER are ERROR_ARGUMENT with `argument`; unknown
/// events ERROR_EVENT_NOT_FOUND; a bad event_type ERROR_ARGUMENT.
#[tokio::test]
async fn argument_and_event_errors() {
    let s = sandbox().await;
    let t = token(&s, s.app(), 1);
    let r = call(&s, &t, "event.bind", &[("handler", HANDLER)]).await;
    assert_eq!(r.error(), (400, "ERROR_ARGUMENT"));
    assert_eq!(r.body["argument"], "EVENT");
    assert_eq!(
        r.body["error_description"],
        "Argument 'EVENT' is null or empty"
    );
    let r = call(&s, &t, "event.bind", &[("event", "ONCRMLEADADD")]).await;
    assert_eq!(r.error(), (400, "ERROR_ARGUMENT"));
    assert_eq!(r.body["argument"], "HANDLER");
    let r = call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONNOSUCHTHING"), ("handler", HANDLER)],
    )
    .await;
    assert_eq!(r.error(), (400, "ERROR_EVENT_NOT_FOUND"));
    assert_eq!(r.body["error_description"], "Event not found");
    let r = call(
        &s,
        &t,
        "event.bind",
        &[
            ("event", "ONCRMLEADADD"),
            ("handler", HANDLER),
            ("event_type", "sometimes"),
        ],
    )
    .await;
    assert_eq!(r.error(), (400, "ERROR_ARGUMENT"));
    assert_eq!(r.body["argument"], "EVENT_TYPE");
}

/// server-behavior.md §8: the handler host must contain a dot and the scheme be http(s);
/// `localhost` is refused as on the real portal, `127.0.0.1` accepted.
#[tokio::test]
async fn handler_url_checks() {
    let s = sandbox().await;
    let t = token(&s, s.app(), 1);
    let bind = |h: &'static str| {
        let (s, t) = (&s, &t);
        async move {
            call(
                s,
                t,
                "event.bind",
                &[("event", "ONCRMDEALADD"), ("handler", h)],
            )
            .await
        }
    };
    assert_eq!(
        bind("http://intranet/h").await.error(),
        (400, "ERROR_WRONG_HANDLER_URL")
    );
    assert_eq!(
        bind("ftp://files.example.com/h").await.error(),
        (400, "ERROR_UNSUPPORTED_PROTOCOL")
    );
    assert_eq!(bind("http://127.0.0.1:9/h").await.result(), &json!(true));
    assert_eq!(
        bind("http://localhost:9/h").await.error(),
        (400, "ERROR_WRONG_HANDLER_URL")
    );
}

/// protocol.md §7.1: offline binding and binding for another user (AUTH_TYPE) need an
/// administrator; a non-admin may bind online handlers for themselves.
#[tokio::test]
async fn admin_rules() {
    let s = sandbox().await;
    let t = token(&s, s.app(), 2);
    let r = call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("event_type", "offline")],
    )
    .await;
    assert_eq!(r.error(), (403, "ACCESS_DENIED"));
    assert_eq!(
        r.body["error_description"],
        "Access denied! Offline events binding requires administrator access rights"
    );
    let r = call(
        &s,
        &t,
        "event.bind",
        &[
            ("event", "ONCRMLEADADD"),
            ("handler", HANDLER),
            ("auth_type", "1"),
        ],
    )
    .await;
    assert_eq!(r.error(), (403, "ACCESS_DENIED"));
    let r = call(
        &s,
        &t,
        "event.bind",
        &[
            ("event", "ONCRMLEADADD"),
            ("handler", HANDLER),
            ("auth_type", "2"),
        ],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let admin = token(&s, s.app(), 1);
    let r = call(
        &s,
        &admin,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("event_type", "offline")],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let r = call(&s, &admin, "event.get", &[]).await;
    assert_eq!(
        r.result(),
        &json!([
            {"event": "ONCRMLEADADD", "handler": HANDLER, "auth_type": "2", "offline": 0},
            {"event": "ONCRMLEADADD", "connector_id": "", "offline": 1}
        ])
    );
}

/// server-behavior.md §8 (`CRestUtil::getEventList` by scope): an app sees only the events of
/// its scopes; `events` lists them and binding another scope's event is "not found".
#[tokio::test]
async fn events_follow_the_app_scopes() {
    let s = sandbox().await;
    let app = app_with(&s, "user").await;
    let t = token(&s, &app, 1);
    let r = call(&s, &t, "events", &[]).await;
    let names: Vec<&str> = r
        .result()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(names.contains(&"ONUSERADD") && names.contains(&"ONAPPUNINSTALL"));
    assert!(!names.iter().any(|n| n.starts_with("ONCRM")));
    let r = call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", HANDLER)],
    )
    .await;
    assert_eq!(r.error(), (400, "ERROR_EVENT_NOT_FOUND"));
    let r = call(&s, &t, "events", &[("full", "1")]).await;
    assert!(r
        .result()
        .as_array()
        .unwrap()
        .contains(&json!("ONCRMLEADADD")));
}
