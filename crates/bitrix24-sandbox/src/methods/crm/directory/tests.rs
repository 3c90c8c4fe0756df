//! Unit tests of the directory tables and the status rows.

use super::*;

fn db() -> Connection {
    crate::methods::crm::test_db()
}

fn list(conn: &Connection, filter: Value, order: &[(&str, &str)]) -> Vec<Value> {
    let order: Vec<(String, String)> = order
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    statuses(conn, Some(&filter), &order, &mut |_| {}).expect("statuses")
}

#[test]
fn seeding_twice_adds_nothing() {
    let conn = db();
    let count = |c: &Connection| -> i64 {
        c.query_row("SELECT COUNT(*) FROM crm_status", [], |r| r.get(0))
            .expect("count")
    };
    let before = count(&conn);
    conn.execute_batch(SCHEMA).expect("schema again");
    assert_eq!(count(&conn), before);
    assert!(before > 30, "seeded directories: {before}");
}

#[test]
fn deal_stage_rows_have_the_documented_shape() {
    let conn = db();
    let rows = list(&conn, json!({"ENTITY_ID": "DEAL_STAGE"}), &[]);
    assert_eq!(rows.len(), 8);
    assert_eq!(
        rows[0],
        json!({"ID": "101", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "NEW", "NAME": "New",
            "NAME_INIT": "New", "SORT": "10", "SYSTEM": "Y", "CATEGORY_ID": null,
            "COLOR": "#39A8EF", "SEMANTICS": null,
            "EXTRA": {"SEMANTICS": "process", "COLOR": "#39A8EF"}})
    );
    let extra: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["EXTRA"]["SEMANTICS"].as_str())
        .collect();
    assert_eq!(
        extra,
        ["process", "process", "process", "process", "process", "success", "failure", "apology"]
    );
}

#[test]
fn custom_pipeline_stages_are_prefixed_and_carry_their_category() {
    let conn = db();
    let rows = list(&conn, json!({"ENTITY_ID": stage_entity(1)}), &[]);
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["STATUS_ID"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "C1:NEW",
            "C1:PREPARATION",
            "C1:EXECUTING",
            "C1:WON",
            "C1:LOSE"
        ]
    );
    assert_eq!(rows[0]["CATEGORY_ID"], json!("1"));
    assert_eq!(rows[4]["EXTRA"]["SEMANTICS"], json!("failure"));
}

#[test]
fn directories_without_semantics_have_no_extra() {
    let conn = db();
    let rows = list(&conn, json!({"ENTITY_ID": "SOURCE"}), &[("SORT", "DESC")]);
    assert_eq!(
        rows.first().and_then(|r| r["STATUS_ID"].as_str()),
        Some("OTHER")
    );
    assert!(rows.iter().all(|r| r.get("EXTRA").is_none()));
}

#[test]
fn semantic_ids_and_first_statuses() {
    let conn = db();
    assert_eq!(
        semantic_id(&conn, "STATUS", "CONVERTED").expect("q"),
        Some("S")
    );
    assert_eq!(semantic_id(&conn, "STATUS", "JUNK").expect("q"), Some("F"));
    assert_eq!(
        semantic_id(&conn, "DEAL_STAGE", "EXECUTING").expect("q"),
        Some("P")
    );
    assert_eq!(semantic_id(&conn, "DEAL_STAGE", "NOPE").expect("q"), None);
    assert_eq!(
        first_status(&conn, "DEAL_STAGE_1").expect("q").as_deref(),
        Some("C1:NEW")
    );
    assert_eq!(first_status(&conn, "DEAL_STAGE_9").expect("q"), None);
    assert!(category::exists(&conn, 1).expect("q"));
    assert!(!category::exists(&conn, 2).expect("q"));
}
