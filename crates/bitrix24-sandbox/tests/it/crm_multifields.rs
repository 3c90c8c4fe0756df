//! Protocol tests of multifield writes and reads (PHONE / EMAIL / WEB / IM / LINK).

use crate::common::{post_form, post_json, sandbox};
use serde_json::{json, Value};

async fn get(url: &str, method: &str, id: i64) -> Value {
    post_form(url, method, &[("id", &id.to_string())])
        .await
        .result()
        .clone()
}

/// protocol.md §4.5: read as [{ID, VALUE_TYPE, VALUE, TYPE_ID}] all strings; VALUE trimmed;
/// default VALUE_TYPE WORK (IM: OTHER); empty new items skipped; HAS_* flags set.
#[tokio::test]
async fn multifields_read_back_as_strings() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let body = json!({"fields": {"NAME": "A",
        "PHONE": [{"VALUE": "  +7 999 1 "}, {"VALUE": ""}],
        "EMAIL": [{"VALUE": "a@example.com", "VALUE_TYPE": "HOME"}],
        "IM": [{"VALUE": "tg", "VALUE_TYPE": "IMOL"}, {"VALUE": "sk"}]}});
    let id = post_json(&url, "crm.contact.add", &body)
        .await
        .result()
        .as_i64()
        .expect("id");
    let c = get(&url, "crm.contact.get", id).await;
    let phones = c["PHONE"].as_array().cloned().unwrap_or_default();
    assert_eq!(phones.len(), 1);
    assert!(phones[0]["ID"].is_string());
    assert_eq!(phones[0]["VALUE"], json!("+7 999 1"));
    assert_eq!(phones[0]["VALUE_TYPE"], json!("WORK"));
    assert_eq!(phones[0]["TYPE_ID"], json!("PHONE"));
    assert_eq!(c["EMAIL"][0]["VALUE_TYPE"], json!("HOME"));
    assert_eq!(c["IM"][1]["VALUE_TYPE"], json!("OTHER"));
    assert!(c.get("WEB").is_none(), "types without values are absent");
    assert_eq!(
        (
            c["HAS_PHONE"].clone(),
            c["HAS_EMAIL"].clone(),
            c["HAS_IMOL"].clone()
        ),
        (json!("Y"), json!("Y"), json!("Y"))
    );
}

/// server-behavior.md §6: update merges: no ID adds, ID+VALUE changes, DELETE=Y or an empty
/// VALUE deletes, an equal value is not added twice, unnamed values are kept.
#[tokio::test]
async fn update_merges_multifields() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let body = json!({"fields": {"PHONE": [{"VALUE": "111"}, {"VALUE": "222"}, {"VALUE": "333"}]}});
    let id = post_json(&url, "crm.lead.add", &body)
        .await
        .result()
        .as_i64()
        .expect("id");
    let lead = get(&url, "crm.lead.get", id).await;
    let pid = |i: usize| lead["PHONE"][i]["ID"].as_str().unwrap_or("").to_string();
    let upd = json!({"id": id, "fields": {"PHONE": [
        {"ID": pid(0), "VALUE": "111-changed", "VALUE_TYPE": "MOBILE"},
        {"ID": pid(1), "DELETE": "Y"},
        {"VALUE": "444"},
        {"VALUE": "333"},
    ]}});
    assert_eq!(
        post_json(&url, "crm.lead.update", &upd).await.result(),
        &json!(true)
    );
    let lead = get(&url, "crm.lead.get", id).await;
    let values: Vec<(String, String)> = lead["PHONE"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["VALUE"].as_str().unwrap_or("").into(),
                        p["VALUE_TYPE"].as_str().unwrap_or("").into(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let want: Vec<(String, String)> = [("111-changed", "MOBILE"), ("333", "WORK"), ("444", "WORK")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(values, want);
    let upd = json!({"id": id, "fields": {"PHONE": [{"ID": pid(0), "VALUE": ""}]}});
    post_json(&url, "crm.lead.update", &upd).await.result();
    let lead = get(&url, "crm.lead.get", id).await;
    assert_eq!(lead["PHONE"].as_array().map(Vec::len), Some(2));
}

/// server-behavior.md §6: a value over 250 characters or an invalid e-mail is an error,
/// messages joined with `<br />`, and nothing is written.
#[tokio::test]
async fn invalid_values_are_errors() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let body = json!({"fields": {"EMAIL": [{"VALUE": "not-an-email"}], "PHONE": [{"VALUE": "1".repeat(251)}]}});
    let r = post_json(&url, "crm.contact.add", &body).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let text = r.body["error_description"].as_str().unwrap_or("");
    assert!(text.contains("<br />"), "{text}");
    let list = post_form(&url, "crm.contact.list", &[]).await;
    assert_eq!(list.body["total"], json!(0));
}

/// server-behavior.md §6: deleting an entity removes its multifields from phone search.
#[tokio::test]
async fn deleted_entities_leave_no_phones_behind() {
    let sb = sandbox().await;
    let url = sb.webhook_url();
    let body = json!({"fields": {"TITLE": "C", "PHONE": [{"VALUE": "+49 30 1"}]}});
    let id = post_json(&url, "crm.company.add", &body)
        .await
        .result()
        .as_i64()
        .expect("id");
    post_form(&url, "crm.company.delete", &[("id", &id.to_string())])
        .await
        .result();
    let body = json!({"fields": {"TITLE": "D", "PHONE": [{"VALUE": "+49 30 2"}]}});
    post_json(&url, "crm.company.add", &body).await.result();
    let r = post_json(
        &url,
        "crm.company.list",
        &json!({"filter": {"PHONE": "+49"}}),
    )
    .await;
    assert_eq!(r.body["total"], json!(1));
}
