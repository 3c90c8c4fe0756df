//! Timeline comments, log messages and to-dos (orders-timeline.md §4, checklist §9 items 7-9,
//! 12).

use crate::common::events::{app_with, call, receiver, token};
use crate::common::orders::{add_deal, add_row};
use crate::common::{post_json, sandbox};
use serde_json::{json, Value};

/// §9.7: lowercase `fields`, names as ENTITY_TYPE, the int id, the UPPER map, a bare list.
#[tokio::test]
async fn comment_lifecycle() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let d = add_deal(&url, json!({"TITLE": "Order"})).await;
    let r = post_json(
        &url,
        "crm.timeline.comment.add",
        &json!({"fields": {"ENTITY_ID": d, "ENTITY_TYPE": "deal", "COMMENT": "  Paid online  "}}),
    )
    .await;
    let id = r.result().as_i64().expect("an int id");
    let got = post_json(&url, "crm.timeline.comment.get", &json!({"id": id})).await;
    let c = got.result();
    assert_eq!(c["ID"], json!(id.to_string()));
    assert_eq!(c["ENTITY_ID"], json!(d.to_string()));
    assert_eq!(c["ENTITY_TYPE"], json!("deal"));
    assert_eq!(c["COMMENT"], json!("Paid online"), "trimmed");
    assert_eq!(c["AUTHOR_ID"], json!("1"));
    assert!(c["CREATED"].as_str().is_some_and(|t| t.contains('T')));
    post_json(
        &url,
        "crm.timeline.comment.add",
        &json!({"fields": {"ENTITY_ID": d, "ENTITY_TYPE": "D", "COMMENT": "second"}}),
    )
    .await
    .result();
    let list = post_json(
        &url,
        "crm.timeline.comment.list",
        &json!({"filter": {"ENTITY_ID": d, "ENTITY_TYPE": "deal"}, "order": {"ID": "DESC"}}),
    )
    .await;
    assert_eq!(list.body["total"], json!(2));
    assert_eq!(list.result()[0]["COMMENT"], json!("second"));
    let upd = post_json(
        &url,
        "crm.timeline.comment.update",
        &json!({"id": id, "fields": {"COMMENT": "Paid and shipped"}}),
    )
    .await;
    assert_eq!(upd.result(), &json!(id));
    let got = post_json(&url, "crm.timeline.comment.get", &json!({"id": id})).await;
    assert_eq!(got.result()["COMMENT"], json!("Paid and shipped"));
    let del = post_json(&url, "crm.timeline.comment.delete", &json!({"id": id})).await;
    assert!(del.text.starts_with("{\"result\":null"), "{}", del.text);
    let got = post_json(&url, "crm.timeline.comment.get", &json!({"id": id})).await;
    assert_eq!(got.error(), (400, ""));
    let fields = post_json(&url, "crm.timeline.comment.fields", &json!({})).await;
    assert_eq!(fields.result()["ENTITY_TYPE"]["isImmutable"], json!(true));
}

/// §9.7: errors: FIELDS spelled otherwise is "100", an empty comment INVALID_ARG_VALUE, a bad
/// owner OWNER_NOT_FOUND; update by another user ACCESS_DENIED.
#[tokio::test]
async fn comment_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let d = add_deal(&url, json!({"TITLE": "Order"})).await;
    let r = post_json(
        &url,
        "crm.timeline.comment.add",
        &json!({"FIELDS": {"ENTITY_ID": d, "ENTITY_TYPE": "deal", "COMMENT": "x"}}),
    )
    .await;
    assert_eq!(r.error(), (400, "100"));
    assert_eq!(
        r.body["error_description"],
        json!("Could not find value for parameter {fields}")
    );
    let r = post_json(
        &url,
        "crm.timeline.comment.add",
        &json!({"fields": {"ENTITY_ID": d, "ENTITY_TYPE": "deal", "COMMENT": "   "}}),
    )
    .await;
    assert_eq!(r.error(), (400, "INVALID_ARG_VALUE"));
    assert_eq!(r.body["error_description"], json!("Empty comment message"));
    for (ty, id) in [("deal", 0), ("nothing", d), ("deal", d + 1000)] {
        let r = post_json(
            &url,
            "crm.timeline.comment.add",
            &json!({"fields": {"ENTITY_ID": id, "ENTITY_TYPE": ty, "COMMENT": "x"}}),
        )
        .await;
        assert_eq!(r.error(), (400, "OWNER_NOT_FOUND"), "{ty} {id}");
        assert_eq!(r.body["error_description"], json!("Owner was not found"));
    }
    let id = post_json(
        &url,
        "crm.timeline.comment.add",
        &json!({"fields": {"ENTITY_ID": d, "ENTITY_TYPE": "deal", "COMMENT": "mine"}}),
    )
    .await
    .result()
    .clone();
    let other = sb.create_webhook(2, "crm").expect("webhook of user 2");
    let r = post_json(
        &sb.webhook_url_of(&other),
        "crm.timeline.comment.update",
        &json!({"id": id, "fields": {"COMMENT": "theirs"}}),
    )
    .await;
    assert_eq!(
        r.error(),
        (400, "ACCESS_DENIED"),
        "only the author may update"
    );
}

/// §9.8: `{logMessage}`, 10 a page newest first, "100" without entityTypeId, delete only by
/// the creating app.
#[tokio::test]
async fn log_messages() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let d = add_deal(&url, json!({"TITLE": "Order"})).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let r = post_json(
            &url,
            "crm.timeline.logmessage.add",
            &json!({"fields": {"entityTypeId": 2, "entityId": d, "title": format!("Step {i}"),
                "text": "Order synced", "iconCode": "info"}}),
        )
        .await;
        let m = &r.result()["logMessage"];
        assert_eq!(m["title"], json!(format!("Step {i}")));
        assert_eq!(m["iconCode"], json!("info"));
        ids.push(m["id"].as_i64().expect("id"));
    }
    let list = post_json(
        &url,
        "crm.timeline.logmessage.list",
        &json!({"entityTypeId": 2, "entityId": d}),
    )
    .await;
    let page = list.result()["logMessages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(page.len(), 10);
    assert_eq!(page[0]["id"], json!(ids[11]), "newest first");
    assert_eq!(list.body["total"], json!(12));
    assert_eq!(list.body["next"], json!(10));
    let r = post_json(
        &url,
        "crm.timeline.logmessage.list",
        &json!({"entityId": d}),
    )
    .await;
    assert_eq!(
        r.body,
        json!({"error": "100", "error_description": "Could not find value for parameter {entityTypeId}"})
    );
    let got = post_json(&url, "crm.timeline.logmessage.get", &json!({"id": ids[0]})).await;
    assert_eq!(got.result()["logMessage"]["text"], json!("Order synced"));
    let r = post_json(&url, "crm.timeline.logmessage.get", &json!({"id": 99999})).await;
    assert_eq!(r.error(), (400, "NOT_FOUND"));
    let r = post_json(
        &url,
        "crm.timeline.logmessage.add",
        &json!({"fields": {"entityTypeId": 2, "entityId": d, "title": "t", "text": "x"}}),
    )
    .await;
    assert_eq!(r.error(), (400, "0"));
    assert_eq!(
        r.body["error_description"],
        json!("Missing a required field: iconCode")
    );
    let r = post_json(
        &url,
        "crm.timeline.logmessage.delete",
        &json!({"id": ids[0]}),
    )
    .await;
    assert_eq!(r.error(), (400, "REMOVING_DISABLED"), "a webhook's entry");

    let app = app_with(&sb, "crm").await;
    let t = token(&sb, &app, 1);
    let added = call(
        &sb,
        &t,
        "crm.timeline.logmessage.add",
        &[
            ("fields[entityTypeId]", "2"),
            ("fields[entityId]", &d.to_string()),
            ("fields[title]", "app"),
            ("fields[text]", "x"),
            ("fields[iconCode]", "info"),
        ],
    )
    .await;
    let id = added.result()["logMessage"]["id"].to_string();
    let r = call(&sb, &t, "crm.timeline.logmessage.delete", &[("id", &id)]).await;
    assert_eq!(r.result(), &json!(true));
}

/// §9.9: todo.add takes top-level params and answers `{id}`; the activity is a CRM_TODO of
/// TYPE_ID 6 in crm.activity.list/get.
#[tokio::test]
async fn todo_shows_up_as_an_activity() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let d = add_deal(&url, json!({"TITLE": "Order"})).await;
    let r = post_json(
        &url,
        "crm.activity.todo.add",
        &json!({"ownerTypeId": 2, "ownerId": d, "deadline": "2026-12-03T15:00:00+03:00",
            "title": "Call the customer", "description": "About delivery", "pingOffsets": [0, 15]}),
    )
    .await;
    let id = r.result()["id"].as_i64().expect("id");
    let got = post_json(&url, "crm.activity.get", &json!({"id": id})).await;
    let a = got.result();
    assert_eq!(a["ID"], json!(id.to_string()));
    assert_eq!(a["PROVIDER_ID"], json!("CRM_TODO"));
    assert_eq!(a["PROVIDER_TYPE_ID"], json!("TODO"));
    assert_eq!(a["TYPE_ID"], json!("6"));
    assert_eq!(a["OWNER_TYPE_ID"], json!("2"));
    assert_eq!(a["OWNER_ID"], json!(d.to_string()));
    assert_eq!(a["SUBJECT"], json!("Call the customer"));
    assert_eq!(a["DESCRIPTION"], json!("About delivery"));
    assert_eq!(a["DESCRIPTION_TYPE"], json!("2"));
    assert_eq!(a["DEADLINE"], json!("2026-12-03T15:00:00+03:00"));
    assert_eq!(a["START_TIME"], a["DEADLINE"]);
    assert_eq!(a["END_TIME"], a["DEADLINE"]);
    assert_eq!(a["COMPLETED"], json!("N"));
    assert_eq!(a["AUTHOR_ID"], json!("1"));
    let list = post_json(
        &url,
        "crm.activity.list",
        &json!({"filter": {"PROVIDER_ID": "CRM_TODO", "OWNER_ID": d}, "select": ["ID", "SUBJECT"]}),
    )
    .await;
    assert_eq!(
        list.result(),
        &json!([{"ID": id.to_string(), "SUBJECT": "Call the customer"}])
    );
    assert_eq!(list.body["total"], json!(1));
    let by_binding = post_json(
        &url,
        "crm.activity.list",
        &json!({"filter": {"BINDINGS": [{"OWNER_TYPE_ID": 2, "OWNER_ID": d}]}}),
    )
    .await;
    assert_eq!(by_binding.body["total"], json!(1));
    let del = post_json(&url, "crm.activity.delete", &json!({"id": id})).await;
    assert_eq!(del.result(), &json!(true));
}

/// §9.9: a missing deadline is "100", a bad one WRONG_DATETIME_FORMAT, a bad owner NOT_FOUND.
#[tokio::test]
async fn todo_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let d = add_deal(&url, json!({"TITLE": "Order"})).await;
    let r = post_json(
        &url,
        "crm.activity.todo.add",
        &json!({"ownerTypeId": 2, "ownerId": d}),
    )
    .await;
    assert_eq!(r.error(), (400, "100"));
    assert_eq!(
        r.body["error_description"],
        json!("Could not find value for parameter {deadline}")
    );
    let r = post_json(
        &url,
        "crm.activity.todo.add",
        &json!({"ownerTypeId": 2, "ownerId": d, "deadline": "next tuesday-ish"}),
    )
    .await;
    assert_eq!(r.error(), (400, "WRONG_DATETIME_FORMAT"));
    let r = post_json(
        &url,
        "crm.activity.todo.add",
        &json!({"ownerTypeId": 99, "ownerId": d, "deadline": "2026-12-03 10:00:00"}),
    )
    .await;
    assert_eq!(r.error(), (400, "NOT_FOUND"));
    let r = post_json(
        &url,
        "crm.activity.todo.add",
        &json!({"ownerTypeId": 2, "ownerId": d + 100, "deadline": "2026-12-03"}),
    )
    .await;
    assert_eq!(r.error(), (400, "OWNER_NOT_FOUND"));
}

async fn bound(sb: &bitrix24_sandbox::Sandbox, event: &str, handler: &str) -> String {
    let app = app_with(sb, "crm,catalog").await;
    let t = token(sb, &app, 1);
    let r = call(
        sb,
        &t,
        "event.bind",
        &[("event", event), ("handler", handler)],
    )
    .await;
    assert_eq!(r.result(), &json!(true), "{event}");
    t
}

fn id_of(form: &Value) -> Option<String> {
    form.get("data")?
        .get("FIELDS")?
        .get("ID")?
        .as_str()
        .map(str::to_string)
}

/// §9.12: ONCRMTIMELINECOMMENTADD after a comment, ONCRMACTIVITYADD after todo.add,
/// ONCRMDEALUPDATE after a row write, CATALOG.PRODUCT.ON.ADD after a product.
#[tokio::test]
async fn events_of_the_order_flow() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let d = add_deal(&url, json!({"TITLE": "Order"})).await;
    let mut rx = receiver(200).await;
    for (event, path) in [
        ("ONCRMTIMELINECOMMENTADD", "/comment"),
        ("ONCRMACTIVITYADD", "/activity"),
        ("ONCRMDEALUPDATE", "/deal"),
        ("CATALOG.PRODUCT.ON.ADD", "/product"),
    ] {
        bound(&sb, event, &rx.url(path)).await;
    }
    let comment = post_json(
        &url,
        "crm.timeline.comment.add",
        &json!({"fields": {"ENTITY_ID": d, "ENTITY_TYPE": "deal", "COMMENT": "x"}}),
    )
    .await
    .result()
    .to_string();
    let got = rx.next(5).await.expect("comment event");
    assert_eq!(
        (got.path.as_str(), got.get(&["event"])),
        ("/comment", Some("ONCRMTIMELINECOMMENTADD"))
    );
    assert_eq!(id_of(&got.form), Some(comment));
    let todo = post_json(
        &url,
        "crm.activity.todo.add",
        &json!({"ownerTypeId": 2, "ownerId": d, "deadline": "2026-12-03 10:00:00"}),
    )
    .await;
    let got = rx.next(5).await.expect("activity event");
    assert_eq!(got.get(&["event"]), Some("ONCRMACTIVITYADD"));
    assert_eq!(id_of(&got.form), Some(todo.result()["id"].to_string()));
    add_row(&url, "D", d, json!({"price": 1})).await.result();
    let got = rx.next(5).await.expect("deal update event");
    assert_eq!(got.get(&["event"]), Some("ONCRMDEALUPDATE"));
    assert_eq!(id_of(&got.form), Some(d.to_string()));
    let product = post_json(
        &url,
        "catalog.product.add",
        &json!({"fields": {"iblockId": 14, "name": "Lamp"}}),
    )
    .await;
    let got = rx.next(5).await.expect("product event");
    assert_eq!(got.get(&["event"]), Some("CATALOG.PRODUCT.ON.ADD"));
    assert_eq!(
        id_of(&got.form),
        Some(product.result()["element"]["id"].to_string())
    );
}
