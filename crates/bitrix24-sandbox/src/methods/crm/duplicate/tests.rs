//! Unit tests of the duplicate index and search over an in-memory portal database, with
//! multifields written straight into `crm_fm`.

use super::*;
use serde_json::json;

const CRM_FM: &str = "CREATE TABLE IF NOT EXISTS crm_fm (id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type_id INTEGER NOT NULL, element_id INTEGER NOT NULL, type_id TEXT NOT NULL,
    value_type TEXT NOT NULL, value TEXT NOT NULL COLLATE NOCASE);";

fn db() -> Connection {
    let conn = crate::methods::crm::test_db();
    conn.execute_batch(CRM_FM).expect("crm_fm");
    conn
}

/// Writes one multifield and reindexes its owner, as the classic CRM layer does.
fn put(conn: &Connection, entity_type_id: i64, id: i64, type_id: &str, value: &str) {
    conn.execute(
        "INSERT INTO crm_fm (entity_type_id, element_id, type_id, value_type, value)
         VALUES (?1, ?2, ?3, 'WORK', ?4)",
        params![entity_type_id, id, type_id, value],
    )
    .expect("insert fm");
    reindex(conn, entity_type_id, id).expect("reindex");
}

fn params_of(v: Value) -> Map<String, Value> {
    match crate::php::value::normalize(v) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn run(conn: &Connection, v: Value) -> Result<Value, ApiError> {
    find(conn, &params_of(v))
}

fn codes_of(conn: &Connection, t: i64, id: i64) -> Vec<(String, String)> {
    let mut stmt = conn
        .prepare("SELECT type, value FROM crm_dp_comm_mcd WHERE entity_type_id=?1 AND entity_id=?2 ORDER BY id")
        .expect("prepare");
    let rows = stmt
        .query_map(params![t, id], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

#[test]
fn reindex_stores_one_code_per_distinct_value_and_forget_clears_them() {
    let conn = db();
    put(&conn, 1, 7, "PHONE", "+7 (999) 123-45-67");
    put(&conn, 1, 7, "PHONE", "8 999 123 45 67");
    put(&conn, 1, 7, "EMAIL", " Ann@Example.com ");
    put(&conn, 1, 7, "WEB", "example.com");
    assert_eq!(
        codes_of(&conn, 1, 7),
        vec![
            ("PHONE".to_string(), "79991234567".to_string()),
            ("EMAIL".to_string(), "ann@example.com".to_string()),
        ]
    );
    conn.execute("DELETE FROM crm_fm WHERE type_id = 'EMAIL'", [])
        .expect("delete");
    reindex(&conn, 1, 7).expect("reindex");
    assert_eq!(codes_of(&conn, 1, 7).len(), 1);
    forget(&conn, 1, 7).expect("forget");
    assert!(codes_of(&conn, 1, 7).is_empty());
}

#[test]
fn phones_match_across_formats_and_types_come_in_owner_order() {
    let conn = db();
    put(&conn, 4, 2, "PHONE", "8 (999) 123-45-67");
    put(&conn, 3, 9, "PHONE", "+7 999 1234567");
    put(&conn, 1, 5, "PHONE", "79991234567;12");
    put(&conn, 1, 3, "PHONE", "+79991234567");
    let out = run(
        &conn,
        json!({"type": "phone", "values": ["+7-999-123-45-67"]}),
    )
    .expect("ok");
    assert_eq!(out, json!({"LEAD": [3, 5], "CONTACT": [9], "COMPANY": [2]}));
    let keys: Vec<&String> = out
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["LEAD", "CONTACT", "COMPANY"]);
}

#[test]
fn a_different_number_is_not_a_duplicate_and_no_match_is_an_empty_php_array() {
    let conn = db();
    put(&conn, 1, 1, "PHONE", "+7 999 123 45 67");
    let out = run(&conn, json!({"type": "PHONE", "values": ["999 123 45 67"]})).expect("ok");
    assert_eq!(out, json!({}));
    assert_eq!(crate::php::json::encode(&out), "[]");
}

#[test]
fn emails_match_case_insensitively() {
    let conn = db();
    put(&conn, 3, 4, "EMAIL", "Ann@Example.com");
    let out = run(
        &conn,
        json!({"TYPE": "email", "VALUES": ["  ANN@example.COM "]}),
    )
    .expect("ok");
    assert_eq!(out, json!({"CONTACT": [4]}));
}

#[test]
fn twenty_matches_per_value_push_later_types_out() {
    let conn = db();
    for id in 1..=25 {
        put(&conn, 1, id, "EMAIL", "shared@example.com");
    }
    put(&conn, 3, 1, "EMAIL", "shared@example.com");
    let out = run(
        &conn,
        json!({"type": "EMAIL", "values": ["shared@example.com"]}),
    )
    .expect("ok");
    let leads = out["LEAD"].as_array().map(Vec::len);
    assert_eq!(leads, Some(20));
    assert_eq!(out["LEAD"][19], json!(20));
    assert!(out.get("CONTACT").is_none(), "contacts are cut off: {out}");
    // The documented workaround: one call per entity type.
    let contacts = run(
        &conn,
        json!({"type": "EMAIL", "values": ["shared@example.com"], "entity_type": "CONTACT"}),
    )
    .expect("ok");
    assert_eq!(contacts, json!({"CONTACT": [1]}));
}

#[test]
fn entity_type_spellings_and_abbreviations_filter() {
    let conn = db();
    put(&conn, 1, 1, "PHONE", "12345");
    put(&conn, 4, 1, "PHONE", "12345");
    for key in ["ENTITY_TYPE", "entity_type", "EntityType", "arEntityType"] {
        let out = run(
            &conn,
            json!({"type": "PHONE", "values": ["12345"], key: "company"}),
        )
        .expect("ok");
        assert_eq!(out, json!({"COMPANY": [1]}), "spelling {key}");
    }
    let abbr = run(
        &conn,
        json!({"type": "PHONE", "values": ["12345"], "entity_type": " l "}),
    )
    .expect("ok");
    assert_eq!(abbr, json!({"LEAD": [1]}));
    let unknown = run(
        &conn,
        json!({"type": "PHONE", "values": ["12345"], "entity_type": "SPACESHIP"}),
    )
    .expect("ok");
    assert_eq!(unknown, json!({"LEAD": [1], "COMPANY": [1]}));
    let quote = run(
        &conn,
        json!({"type": "PHONE", "values": ["12345"], "entity_type": "QUOTE"}),
    )
    .expect("ok");
    assert_eq!(quote, json!({}));
}

#[test]
fn values_are_deduplicated_skipped_and_capped_at_twenty() {
    let conn = db();
    put(&conn, 1, 1, "PHONE", "555000021");
    put(&conn, 1, 2, "PHONE", "555000001");
    // 20 distinct values before the matching one: it is never looked at.
    let mut values: Vec<Value> = (1..=20).map(|i| json!(format!("5550000{i:02}"))).collect();
    values.push(json!("555000021"));
    let out = run(&conn, json!({"type": "PHONE", "values": values})).expect("ok");
    assert_eq!(out, json!({"LEAD": [2]}));
    // Equal codes collapse, and non-strings and empties do not count towards the 20.
    let mut values: Vec<Value> = vec![json!(555000021), json!(""), json!(null), json!(["x"])];
    values.extend((0..25).map(|_| json!("+555 000 001")));
    values.push(json!("555000021"));
    let out = run(&conn, json!({"type": "PHONE", "values": values})).expect("ok");
    assert_eq!(out, json!({"LEAD": [2, 1]}));
}

#[test]
fn emails_differing_only_in_case_are_separate_values() {
    let conn = db();
    put(&conn, 1, 1, "EMAIL", "late@example.com");
    let mut values: Vec<Value> = Vec::new();
    for i in 0..20 {
        let v: String = "abcdefghijklmnopqrst"
            .chars()
            .enumerate()
            .map(|(j, c)| if j == i { c.to_ascii_uppercase() } else { c })
            .collect();
        values.push(json!(format!("{v}@example.com")));
    }
    values.push(json!("late@example.com"));
    let out = run(&conn, json!({"type": "EMAIL", "values": values})).expect("ok");
    assert_eq!(out, json!({}), "the 21st raw e-mail is past the cap");
}

#[test]
fn errors_are_plain_rest_exceptions() {
    let conn = db();
    let err = |v: Value| run(&conn, v).expect_err("error");
    let e = err(json!({"values": ["1"]}));
    assert_eq!((e.status, e.code.as_str()), (400, ""));
    assert_eq!(e.description, "Communication type is not defined.");
    let e = err(json!({"type": "fax", "values": ["1"]}));
    assert_eq!(
        e.description,
        "Communication type 'FAX' is not supported in current context."
    );
    assert_eq!(
        err(json!({"type": "PHONE"})).description,
        "Communication values is not defined."
    );
    assert_eq!(
        err(json!({"type": "PHONE", "values": "123"})).description,
        "Communication values is not defined."
    );
    assert_eq!(
        err(json!({"type": "PHONE", "values": []})).description,
        "Communication values is not defined."
    );
    let e = err(json!({"type": "PHONE", "values": ["1"], "entity_type": "deal"}));
    assert_eq!(
        (e.status, e.description.as_str()),
        (400, "Deal is not supported in current context.")
    );
    assert_eq!(
        err(json!({"type": null, "Type": ["x"], "values": ["1"]})).description,
        "Communication type is not defined."
    );
}

#[test]
fn lookup_uses_the_covering_index() {
    let conn = db();
    let plan: Vec<String> = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT entity_type_id, entity_id FROM crm_dp_comm_mcd
             WHERE type = 'PHONE' AND value = '1' AND entity_type_id = 1
             ORDER BY entity_type_id, entity_id LIMIT 20",
        )
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(3))?
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .expect("plan");
    let plan = plan.join(" | ");
    assert!(plan.contains("crm_dp_comm_mcd_lookup"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "no sort step: {plan}");
}
