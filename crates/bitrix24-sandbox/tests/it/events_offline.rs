//! Protocol tests of the offline event queue (protocol.md §7.3, server-behavior.md §8).

use crate::common::events::{add_lead, call, token};
use crate::common::{post_form, sandbox, Reply};
use md5::{Digest, Md5};
use serde_json::{json, Value};

/// A sandbox whose ready-made app listens offline to the given events; returns the admin token.
async fn offline_app(events: &[&str]) -> (bitrix24_sandbox::Sandbox, String) {
    let s = sandbox().await;
    let t = token(&s, s.app(), 1);
    for e in events {
        let r = call(
            &s,
            &t,
            "event.bind",
            &[("event", e), ("event_type", "offline")],
        )
        .await;
        assert_eq!(r.result(), &json!(true));
    }
    (s, t)
}

fn events(r: &Reply) -> Vec<Value> {
    r.result()["events"].as_array().cloned().unwrap_or_default()
}

/// protocol.md §7.3: the default `event.offline.get` returns and deletes the rows, with
/// `process_id: null`, rows shaped {ID, TIMESTAMP_X, EVENT_NAME, EVENT_DATA,
/// EVENT_ADDITIONAL, MESSAGE_ID}, MESSAGE_ID = md5(EVENT_NAME|json(EVENT_DATA)).
#[tokio::test]
async fn get_reads_and_clears() {
    let (s, t) = offline_app(&["ONCRMLEADADD"]).await;
    let a = add_lead(&s, "a").await;
    let b = add_lead(&s, "b").await;
    let r = call(&s, &t, "event.offline.get", &[]).await;
    assert_eq!(r.result()["process_id"], Value::Null);
    let ev = events(&r);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["EVENT_NAME"], "ONCRMLEADADD");
    assert_eq!(ev[0]["EVENT_DATA"]["FIELDS"]["ID"].to_string(), a);
    assert_eq!(ev[1]["EVENT_DATA"]["FIELDS"]["ID"].to_string(), b);
    assert_eq!(ev[0]["EVENT_ADDITIONAL"], json!({"user_id": 1}));
    assert!(ev[0]["ID"].is_string());
    assert!(ev[0]["TIMESTAMP_X"]
        .as_str()
        .is_some_and(|t| t.ends_with("+03:00")));
    let mut h = Md5::new();
    h.update(format!("ONCRMLEADADD|{{\"FIELDS\":{{\"ID\":{a}}}}}").as_bytes());
    assert_eq!(ev[0]["MESSAGE_ID"], hex::encode(h.finalize()));
    let r = call(&s, &t, "event.offline.get", &[]).await;
    assert!(events(&r).is_empty());
}

/// server-behavior.md §8: a repeated identical event while its row is pending merges into one
/// row with a fresh timestamp.
#[tokio::test]
async fn identical_pending_events_merge() {
    let (s, t) = offline_app(&["ONCRMLEADUPDATE"]).await;
    let id = add_lead(&s, "a").await;
    let update = |title: &'static str| {
        let (s, id) = (&s, id.clone());
        async move {
            post_form(
                &s.webhook_url(),
                "crm.lead.update",
                &[("id", &id), ("fields[TITLE]", title)],
            )
            .await
            .result()
            .clone()
        }
    };
    update("b").await;
    let first = call(&s, &t, "event.offline.list", &[]).await;
    assert_eq!(first.body["total"], 1);
    s.advance_clock(120.0);
    update("c").await;
    let second = call(&s, &t, "event.offline.list", &[]).await;
    assert_eq!(second.body["total"], 1);
    let (a, b) = (&first.result()[0], &second.result()[0]);
    assert_eq!(a["ID"], b["ID"]);
    assert_ne!(a["TIMESTAMP_X"], b["TIMESTAMP_X"]);
}

/// server-behavior.md §8 (`ProviderOffline::finalize`): the listening app's own changes are
/// not queued.
#[tokio::test]
async fn own_changes_are_not_queued() {
    let (s, t) = offline_app(&["ONCRMLEADADD"]).await;
    let r = call(&s, &t, "crm.lead.add", &[("fields[TITLE]", "mine")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    add_lead(&s, "someone else's").await;
    let ev = events(&call(&s, &t, "event.offline.get", &[]).await);
    assert_eq!(ev.len(), 1);
}

/// protocol.md §7.3: `clear=0` reserves rows under a 32-character process_id; other calls do
/// not see them; `process_id` re-reads them; `event.offline.clear` with `message_id[]`
/// removes some, with the process_id alone the rest.
#[tokio::test]
async fn reserve_reread_and_clear() {
    let (s, t) = offline_app(&["ONCRMLEADADD"]).await;
    for n in ["1", "2", "3"] {
        add_lead(&s, n).await;
    }
    let r = call(
        &s,
        &t,
        "event.offline.get",
        &[("clear", "0"), ("limit", "2")],
    )
    .await;
    let pid = r.result()["process_id"]
        .as_str()
        .expect("process_id")
        .to_string();
    assert_eq!(pid.len(), 32);
    let reserved = events(&r);
    assert_eq!(reserved.len(), 2);
    let other = events(&call(&s, &t, "event.offline.get", &[("clear", "0")]).await);
    assert_eq!(other.len(), 1, "disjoint from the reserved batch");
    let again = call(
        &s,
        &t,
        "event.offline.get",
        &[("clear", "0"), ("process_id", &pid)],
    )
    .await;
    assert_eq!(again.result()["process_id"], pid.as_str());
    assert_eq!(events(&again), reserved);
    let mid = reserved[0]["MESSAGE_ID"].as_str().unwrap();
    let r = call(
        &s,
        &t,
        "event.offline.clear",
        &[("process_id", &pid), ("message_id[]", mid)],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let left = events(
        &call(
            &s,
            &t,
            "event.offline.get",
            &[("clear", "0"), ("process_id", &pid)],
        )
        .await,
    );
    assert_eq!(left, vec![reserved[1].clone()]);
    call(&s, &t, "event.offline.clear", &[("process_id", &pid)])
        .await
        .result();
    let list = call(&s, &t, "event.offline.list", &[]).await;
    assert_eq!(list.body["total"], 1);
    let r = call(&s, &t, "event.offline.clear", &[]).await;
    assert_eq!(r.error(), (400, "ERROR_ARGUMENT"));
    assert_eq!(r.body["argument"], "PROCESS_ID");
}

/// protocol.md §7.3: protocol.md's ⚠ — `message_id` is checked before `id` in
/// `event.offline.clear` (the docs say the opposite).
#[tokio::test]
async fn clear_prefers_message_id_over_id() {
    let (s, t) = offline_app(&["ONCRMLEADADD"]).await;
    add_lead(&s, "1").await;
    add_lead(&s, "2").await;
    let r = call(&s, &t, "event.offline.get", &[("clear", "0")]).await;
    let pid = r.result()["process_id"].as_str().unwrap().to_string();
    let ev = events(&r);
    let (id0, mid1) = (
        ev[0]["ID"].as_str().unwrap(),
        ev[1]["MESSAGE_ID"].as_str().unwrap(),
    );
    call(
        &s,
        &t,
        "event.offline.clear",
        &[("process_id", &pid), ("id[]", id0), ("message_id[]", mid1)],
    )
    .await
    .result();
    let left = events(&call(&s, &t, "event.offline.get", &[("process_id", &pid)]).await);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["ID"], id0);
}

/// protocol.md §7.3: `event.offline.error` marks rows; they leave the normal queue and come
/// back with `error=1`.
#[tokio::test]
async fn error_rows_are_read_with_error_1() {
    let (s, t) = offline_app(&["ONCRMLEADADD"]).await;
    add_lead(&s, "bad").await;
    let r = call(&s, &t, "event.offline.get", &[("clear", "0")]).await;
    let pid = r.result()["process_id"].as_str().unwrap().to_string();
    let mid = events(&r)[0]["MESSAGE_ID"].as_str().unwrap().to_string();
    let r = call(
        &s,
        &t,
        "event.offline.error",
        &[("process_id", &pid), ("message_id[]", &mid)],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    assert!(events(&call(&s, &t, "event.offline.get", &[]).await).is_empty());
    let errs = events(&call(&s, &t, "event.offline.get", &[("error", "1")]).await);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0]["MESSAGE_ID"], mid.as_str());
    let r = call(
        &s,
        &t,
        "event.offline.error",
        &[("process_id", &pid), ("message_id", &mid)],
    )
    .await;
    assert_eq!(r.error(), (400, "ERROR_ARGUMENT"));
    assert_eq!(r.body["argument"], "MESSAGE_ID");
}

/// server-behavior.md §8: filter fields and operators are restricted; `limit<=0` is an error;
/// the queue is admin only.
#[tokio::test]
async fn filters_limits_and_admin() {
    let (s, t) = offline_app(&["ONCRMLEADADD", "ONCRMLEADDELETE"]).await;
    let id = add_lead(&s, "x").await;
    post_form(&s.webhook_url(), "crm.lead.delete", &[("id", &id)])
        .await
        .result();
    let r = call(
        &s,
        &t,
        "event.offline.get",
        &[("clear", "0"), ("filter[EVENT_NAME]", "ONCRMLEADDELETE")],
    )
    .await;
    let ev = events(&r);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["EVENT_NAME"], "ONCRMLEADDELETE");
    let r = call(&s, &t, "event.offline.get", &[("filter[APP_ID]", "1")]).await;
    assert_eq!(r.error(), (400, "ERROR_ARGUMENT"));
    assert_eq!(r.body["error_description"], "Filter field not allowed");
    let r = call(&s, &t, "event.offline.get", &[("limit", "0")]).await;
    assert_eq!(r.error(), (400, "ERROR_ARGUMENT"));
    let manager = token(&s, s.app(), 2);
    for m in ["event.offline.get", "event.offline.list"] {
        assert_eq!(
            call(&s, &manager, m, &[]).await.error(),
            (403, "ACCESS_DENIED")
        );
    }
}

/// protocol.md §7.3: `event.offline.list` is read-only with exact `start` offsets (no rounding
/// to 50), `next` and `total`.
#[tokio::test]
async fn list_pages_by_exact_offsets() {
    let (s, t) = offline_app(&["ONCRMLEADADD"]).await;
    for n in 0..55 {
        add_lead(&s, &n.to_string()).await;
    }
    let r = call(&s, &t, "event.offline.list", &[]).await;
    assert_eq!(r.result().as_array().unwrap().len(), 50);
    assert_eq!(
        (r.body["next"].clone(), r.body["total"].clone()),
        (json!(50), json!(55))
    );
    let r = call(&s, &t, "event.offline.list", &[("start", "7")]).await;
    let rows = r.result().as_array().unwrap();
    assert_eq!(rows.len(), 48);
    assert!(r.body.get("next").is_none());
    let first: i64 = rows[0]["ID"].as_str().unwrap().parse().unwrap();
    let all = call(&s, &t, "event.offline.list", &[]).await;
    let eighth: i64 = all.result()[7]["ID"].as_str().unwrap().parse().unwrap();
    assert_eq!(first, eighth);
    assert_eq!(rows[0]["PROCESS_ID"], "");
    let r = call(&s, &t, "event.offline.list", &[]).await;
    assert_eq!(r.body["total"], 55, "listing consumed nothing");
}

/// protocol.md §7.3: queuing fires ONOFFLINEEVENT (with a refresh token, §1d) to the app's
/// online handler, at most once per `options[minTimeout]` seconds.
#[tokio::test]
async fn onofflineevent_signals_new_rows_throttled() {
    let (s, t) = offline_app(&["ONCRMLEADADD"]).await;
    s.remember_url();
    let mut rx = crate::common::events::receiver(200).await;
    let h = rx.url("/signal");
    let r = call(
        &s,
        &t,
        "event.bind",
        &[
            ("event", "ONOFFLINEEVENT"),
            ("handler", &h),
            ("options[minTimeout]", "3600"),
        ],
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    add_lead(&s, "1").await;
    let got = rx.next(5).await.expect("ONOFFLINEEVENT");
    assert_eq!(got.get(&["event"]), Some("ONOFFLINEEVENT"));
    assert!(got
        .get(&["auth", "refresh_token"])
        .is_some_and(|r| !r.is_empty()));
    assert_eq!(
        got.get(&["auth", "application_token"]),
        Some(s.app().application_token.as_str())
    );
    add_lead(&s, "2").await;
    assert!(
        s.wait_for_deliveries(std::time::Duration::from_secs(5))
            .await
    );
    assert!(rx.try_next().is_none(), "throttled by minTimeout");
    s.advance_clock(3601.0);
    add_lead(&s, "3").await;
    assert!(rx.next(5).await.is_some());
}
