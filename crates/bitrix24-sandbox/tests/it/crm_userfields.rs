//! Protocol tests of `crm.X.userfield.*` and user-field values on entities.

use crate::common::{post_form, post_json, sandbox};
use serde_json::{json, Value};

async fn add_uf(url: &str, name: &str, ty: &str, extra: Value) -> crate::common::Reply {
    let mut fields = json!({"FIELD_NAME": name, "USER_TYPE_ID": ty});
    if let (Some(f), Some(e)) = (fields.as_object_mut(), extra.as_object()) {
        f.extend(e.clone());
    }
    post_json(url, "crm.lead.userfield.add", &json!({"fields": fields})).await
}

/// protocol.md §5.7: the UF_CRM_ prefix is forced and the name uppercased; add returns an
/// integer id; list shows the definition with string values.
#[tokio::test]
async fn userfield_add_forces_the_prefix() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = add_uf(&url, "score", "integer", json!({"LABEL": "Score"})).await;
    assert!(r.result().is_u64(), "{}", r.text);
    add_uf(&url, "UF_OTHER", "string", json!({})).await.result();
    let list = post_form(&url, "crm.lead.userfield.list", &[]).await;
    let names: Vec<&str> = list
        .result()
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["FIELD_NAME"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["UF_CRM_SCORE", "UF_CRM_OTHER"]);
    let first = &list.result()[0];
    assert_eq!(first["ENTITY_ID"], json!("CRM_LEAD"));
    assert!(first["ID"].is_string() && first["SORT"] == json!("100"));
    assert_eq!(first["EDIT_FORM_LABEL"], json!("Score"));
}

/// protocol.md §5.7: missing FIELD_NAME / USER_TYPE_ID are "" errors; bad characters, a name
/// over 50 characters, a bad type and a duplicate are ERROR_CORE.
#[tokio::test]
async fn userfield_add_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let r = post_json(
        &url,
        "crm.lead.userfield.add",
        &json!({"fields": {"USER_TYPE_ID": "string"}}),
    )
    .await;
    assert_eq!(r.error(), (400, ""));
    assert_eq!(
        r.body["error_description"],
        json!("The 'FIELD_NAME' field is not found.")
    );
    let r = post_json(
        &url,
        "crm.lead.userfield.add",
        &json!({"fields": {"FIELD_NAME": "X"}}),
    )
    .await;
    assert_eq!(
        r.body["error_description"],
        json!("The 'USER_TYPE_ID' field is not found.")
    );
    assert_eq!(
        add_uf(&url, "bad-name", "string", json!({})).await.error(),
        (400, "ERROR_CORE")
    );
    assert_eq!(
        add_uf(&url, &"A".repeat(44), "string", json!({}))
            .await
            .error(),
        (400, "ERROR_CORE")
    );
    assert_eq!(
        add_uf(&url, "T", "no_such_type", json!({})).await.error(),
        (400, "ERROR_CORE")
    );
    add_uf(&url, "DUP", "string", json!({})).await.result();
    assert_eq!(
        add_uf(&url, "dup", "string", json!({})).await.error(),
        (400, "ERROR_CORE")
    );
}

/// server-behavior.md §7: get returns every UF field (empty as ""); values by type: money
/// "100|USD", boolean, datetime in ISO, enumeration item ids; list returns them with UF_*.
#[tokio::test]
async fn userfield_values_round_trip() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    add_uf(&url, "MONEY", "money", json!({})).await.result();
    add_uf(&url, "FLAG", "boolean", json!({})).await.result();
    add_uf(&url, "WHEN", "datetime", json!({})).await.result();
    add_uf(&url, "EMPTY", "string", json!({})).await.result();
    add_uf(&url, "TAGS", "string", json!({"MULTIPLE": "Y"}))
        .await
        .result();
    add_uf(
        &url,
        "PICK",
        "enumeration",
        json!({"LIST": [{"VALUE": "One"}, {"VALUE": "Two"}]}),
    )
    .await
    .result();
    let ufs = post_form(&url, "crm.lead.userfield.list", &[]).await;
    let pick = ufs.result()[5]["LIST"][1]["ID"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let body = json!({"fields": {"TITLE": "U", "UF_CRM_MONEY": "100|USD", "UF_CRM_FLAG": "Y",
        "UF_CRM_WHEN": "2024-01-15T10:00:00+03:00", "UF_CRM_TAGS": ["a", "b"], "UF_CRM_PICK": pick,
        "UF_CRM_UNKNOWN": "x"}});
    let id = post_json(&url, "crm.lead.add", &body)
        .await
        .result()
        .as_i64()
        .expect("id");
    let lead = post_form(&url, "crm.lead.get", &[("id", &id.to_string())]).await;
    let lead = lead.result();
    assert_eq!(lead["UF_CRM_MONEY"], json!("100|USD"));
    assert_eq!(lead["UF_CRM_FLAG"], json!("1"));
    assert_eq!(lead["UF_CRM_WHEN"], json!("2024-01-15T10:00:00+03:00"));
    assert_eq!(lead["UF_CRM_EMPTY"], json!(""));
    assert_eq!(lead["UF_CRM_TAGS"], json!(["a", "b"]));
    assert_eq!(lead["UF_CRM_PICK"], json!(pick));
    assert!(lead.get("UF_CRM_UNKNOWN").is_none());

    let r = post_json(&url, "crm.lead.list", &json!({"select": ["ID", "UF_*"]})).await;
    assert_eq!(r.result()[0]["UF_CRM_MONEY"], json!("100|USD"));
    let r = post_json(&url, "crm.lead.list", &json!({"select": ["UF_CRM_FLAG"]})).await;
    let keys: Vec<String> = r.result()[0]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["ID", "UF_CRM_FLAG"]);
    let r = post_json(
        &url,
        "crm.lead.list",
        &json!({"filter": {"UF_CRM_MONEY": "100|USD"}}),
    )
    .await;
    assert_eq!(r.body["total"], json!(1));

    let fields = post_form(&url, "crm.lead.fields", &[]).await;
    assert_eq!(fields.result()["UF_CRM_PICK"]["isDynamic"], json!(true));
    assert_eq!(
        fields.result()["UF_CRM_PICK"]["items"][0]["VALUE"],
        json!("One")
    );
}

/// protocol.md §5.7: get/update/delete take id; a missing id is ERROR_NOT_FOUND.
#[tokio::test]
async fn userfield_get_update_delete() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let id = add_uf(&url, "X", "string", json!({}))
        .await
        .result()
        .as_i64()
        .expect("id");
    let sid = id.to_string();
    let r = post_json(
        &url,
        "crm.lead.userfield.update",
        &json!({"id": id, "fields": {"SORT": 7, "LABEL": "Ex"}}),
    )
    .await;
    assert_eq!(r.result(), &json!(true));
    let got = post_form(&url, "crm.lead.userfield.get", &[("id", &sid)]).await;
    assert_eq!(got.result()["SORT"], json!("7"));
    assert_eq!(got.result()["LIST_COLUMN_LABEL"], json!("Ex"));
    assert_eq!(
        post_form(&url, "crm.lead.userfield.delete", &[("id", &sid)])
            .await
            .result(),
        &json!(true)
    );
    let r = post_form(&url, "crm.lead.userfield.get", &[("id", &sid)]).await;
    assert_eq!(r.error(), (400, "ERROR_NOT_FOUND"));
}
