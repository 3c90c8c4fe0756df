//! Protocol tests of the classic CRM entity methods (add/get/update/delete/fields).

use crate::common::{post_form, post_json, sandbox};
use serde_json::{json, Value};

/// protocol.md §5.1: add returns the new id as a bare JSON integer.
#[tokio::test]
async fn add_returns_an_integer_id() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_form(&url, "crm.lead.add", &[("fields[TITLE]", "Hello")]).await;
    assert!(r.result().is_u64(), "{}", r.text);
    let r2 = post_json(&url, "crm.lead.add", &json!({"FIELDS": {"TITLE": "Two"}})).await;
    assert_eq!(r2.result().as_u64(), r.result().as_u64().map(|i| i + 1));
}

/// server-behavior.md §7: get prints every scalar as a string, NULL as null, datetimes in
/// ISO 8601 with the portal offset, an empty date as "", and fills the add defaults.
#[tokio::test]
async fn get_prints_strings_and_defaults() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let id = post_form(&url, "crm.lead.add", &[("fields[NAME]", "Ann")])
        .await
        .result()
        .as_i64()
        .expect("id");
    let r = post_form(&url, "crm.lead.get", &[("id", &id.to_string())]).await;
    let lead = r.result();
    assert_eq!(lead["ID"], json!(id.to_string()));
    assert_eq!(lead["TITLE"], json!(format!("Lead #{id}")));
    assert_eq!(lead["OPPORTUNITY"], json!("0.00"));
    assert_eq!(lead["STATUS_ID"], json!("NEW"));
    assert_eq!(lead["ASSIGNED_BY_ID"], json!("1"));
    assert_eq!(lead["CREATED_BY_ID"], json!("1"));
    assert_eq!(lead["OPENED"], json!("Y"));
    assert_eq!(lead["HAS_PHONE"], json!("N"));
    assert_eq!(lead["BIRTHDATE"], json!(""));
    assert_eq!(lead["COMMENTS"], Value::Null);
    let created = lead["DATE_CREATE"].as_str().expect("date");
    assert!(
        created.ends_with("+03:00") && created.contains('T'),
        "{created}"
    );
}

/// server-behavior.md §7: unknown and read-only fields are silently dropped; dates are
/// parsed leniently and unparseable ones dropped; a date prints as midnight UTC in the
/// portal offset.
#[tokio::test]
async fn unknown_read_only_and_bad_date_fields_are_dropped() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let body = json!({"fields": {
        "TITLE": "T", "NOPE": "x", "ID": 999, "DATE_CREATE": "2001-01-01T00:00:00+00:00",
        "CREATED_BY_ID": 2, "BIRTHDATE": "1990-05-20", "title": "lower-case key ignored"
    }});
    let id = post_json(&url, "crm.lead.add", &body)
        .await
        .result()
        .as_i64()
        .expect("id");
    assert_ne!(id, 999);
    let lead = post_form(&url, "crm.lead.get", &[("ID", &id.to_string())]).await;
    let lead = lead.result();
    assert_eq!(lead["TITLE"], json!("T"));
    assert!(lead.get("NOPE").is_none());
    assert_eq!(lead["CREATED_BY_ID"], json!("1"));
    assert!(!lead["DATE_CREATE"]
        .as_str()
        .unwrap_or("")
        .starts_with("2001"));
    assert_eq!(lead["BIRTHDATE"], json!("1990-05-20T03:00:00+03:00"));

    let upd = json!({"id": id, "fields": {"BIRTHDATE": "not a date", "COMMENTS": "c"}});
    assert_eq!(
        post_json(&url, "crm.lead.update", &upd).await.result(),
        &json!(true)
    );
    let lead = post_form(&url, "crm.lead.get", &[("id", &id.to_string())]).await;
    assert_eq!(
        lead.result()["BIRTHDATE"],
        json!("1990-05-20T03:00:00+03:00")
    );
    assert_eq!(lead.result()["COMMENTS"], json!("c"));
}

/// protocol.md §5.2: update merges fields and returns true; a datetime without an offset is
/// read in the portal's zone.
#[tokio::test]
async fn update_merges_and_returns_true() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let body = json!({"fields": {"TITLE": "Deal", "OPPORTUNITY": "1 500,5", "BEGINDATE": "2024-01-15 10:00:00"}});
    let id = post_json(&url, "crm.deal.add", &body)
        .await
        .result()
        .as_i64()
        .expect("id");
    let r = post_json(
        &url,
        "crm.deal.update",
        &json!({"ID": id, "Fields": {"COMMENTS": "x"}}),
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let deal = post_form(&url, "crm.deal.get", &[("id", &id.to_string())]).await;
    let deal = deal.result();
    assert_eq!(deal["TITLE"], json!("Deal"));
    assert_eq!(deal["OPPORTUNITY"], json!("1500.50"));
    assert_eq!(deal["COMMENTS"], json!("x"));
    assert_eq!(deal["STAGE_ID"], json!("NEW"));
    assert_eq!(deal["BEGINDATE"], json!("2024-01-15T03:00:00+03:00"));
    assert!(deal.get("PHONE").is_none());
}

/// protocol.md §5: id must be a positive integer; missing rows give "Not found" on get and
/// delete, "<Entity> is not found" on update; all with error "" and HTTP 400.
#[tokio::test]
async fn errors_use_the_classic_texts() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    for (method, form, text) in [
        (
            "crm.lead.get",
            vec![("id", "abc")],
            "ID is not defined or invalid.",
        ),
        (
            "crm.lead.get",
            vec![("id", "-3")],
            "ID is not defined or invalid.",
        ),
        ("crm.lead.get", vec![("id", "777")], "Not found"),
        (
            "crm.lead.update",
            vec![("id", "777"), ("fields[TITLE]", "x")],
            "Lead is not found",
        ),
        (
            "crm.contact.update",
            vec![("id", "777"), ("fields[NAME]", "x")],
            "Contact is not found",
        ),
        ("crm.company.delete", vec![("id", "777")], "Not found"),
        (
            "crm.lead.list",
            vec![("order", "ID")],
            "Parameter 'order' must be array.",
        ),
        (
            "crm.lead.list",
            vec![("filter", "x")],
            "Parameter 'filter' must be array.",
        ),
    ] {
        let r = post_form(&url, method, &form).await;
        assert_eq!(r.error(), (400, ""), "{method}: {}", r.text);
        assert_eq!(r.body["error_description"], json!(text), "{method}");
    }
}

/// protocol.md §5.2: delete returns true and the row is gone.
#[tokio::test]
async fn delete_returns_true() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let id = post_form(&url, "crm.company.add", &[("fields[TITLE]", "Co")])
        .await
        .result()
        .as_i64()
        .expect("id");
    let r = post_form(&url, "crm.company.delete", &[("id", &id.to_string())]).await;
    assert_eq!(r.result(), &json!(true));
    let r = post_form(&url, "crm.company.get", &[("id", &id.to_string())]).await;
    assert_eq!(r.body["error_description"], json!("Not found"));
}

/// server-behavior.md §7: a contact with no names gets a default LAST_NAME.
#[tokio::test]
async fn nameless_contact_gets_a_default_last_name() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let id = post_form(&url, "crm.contact.add", &[("fields[POST]", "CEO")])
        .await
        .result()
        .as_i64()
        .expect("id");
    let c = post_form(&url, "crm.contact.get", &[("id", &id.to_string())]).await;
    assert!(!c.result()["LAST_NAME"].as_str().unwrap_or("").is_empty());
    assert_eq!(c.result()["NAME"], Value::Null);
}

/// protocol.md §5.1 `crm.lead.fields`: descriptions with type/isRequired/isReadOnly/...;
/// multifields are crm_multifield and multiple; crm_status fields carry statusType.
#[tokio::test]
async fn fields_describe_every_field() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_form(&url, "crm.lead.fields", &[]).await;
    let f = r.result();
    assert_eq!(f["ID"]["type"], json!("integer"));
    assert_eq!(f["ID"]["isReadOnly"], json!(true));
    assert_eq!(f["PHONE"]["type"], json!("crm_multifield"));
    assert_eq!(f["PHONE"]["isMultiple"], json!(true));
    assert_eq!(f["STATUS_ID"]["statusType"], json!("STATUS"));
    for key in [
        "type",
        "isRequired",
        "isReadOnly",
        "isImmutable",
        "isMultiple",
        "isDynamic",
        "title",
    ] {
        assert!(f["TITLE"].get(key).is_some(), "{key}");
    }
    let d = post_form(&url, "crm.deal.fields", &[]).await;
    assert_eq!(d.result()["CATEGORY_ID"]["isImmutable"], json!(true));
    assert!(d.result().get("PHONE").is_none());
}

/// server-behavior.md §7: a lead OPPORTUNITY that is not a number is an error.
#[tokio::test]
async fn invalid_opportunity_is_rejected() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_form(&url, "crm.lead.add", &[("fields[OPPORTUNITY]", "12abc")]).await;
    assert_eq!(r.status, 400);
    let r = post_form(&url, "crm.lead.list", &[]).await;
    assert_eq!(r.body["total"], json!(0), "the failed add wrote nothing");
}
