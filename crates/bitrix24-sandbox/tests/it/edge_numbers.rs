//! Every method with the numbers that break parsers (the integer limits and one past them,
//! huge floats, NaN and infinity spelled out, negative zero, garbage after digits) in every
//! parameter that takes a number: no panic, no overflow, always the portal's answer or its
//! error. The methods run in-process, so a panic is caught here instead of turning into a 500.

use bitrix24_sandbox::auth::{apps, Caller, CallerKind};
use bitrix24_sandbox::methods::dispatch::{self, Mode};
use bitrix24_sandbox::methods::{self, Effects};
use bitrix24_sandbox::state::Portal;
use bitrix24_sandbox::{schema, PortalConfig};
use serde_json::{json, Map, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Numbers as forms send them (strings) and as JSON bodies do.
fn edges() -> Vec<Value> {
    vec![
        json!("9223372036854775807"),
        json!("9223372036854775808"),
        json!("-9223372036854775808"),
        json!("-9223372036854775809"),
        json!("-1"),
        json!("1e309"),
        json!("NaN"),
        json!(" 12abc"),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e308),
        json!(-1e308),
        json!({"0": "7"}),
    ]
}

/// Top-level parameters that hold numbers somewhere in the sandbox's methods.
/// Top-level parameters that hold numbers somewhere in the sandbox's methods (the event
/// methods read their keys in any case).
const NUMERIC: [&str; 15] = [
    "start",
    "id",
    "ID",
    "entityTypeId",
    "LIMIT",
    "AUTH_TYPE",
    "MIN_TIMEOUT",
    "categoryId",
    "ENTITY_TYPE_ID",
    "SORT",
    "halt",
    "clear",
    "ERROR",
    "PROCESS_ID",
    "useOriginalUfNames",
];

/// Nested places that hold numbers: filters, orders, fields, multifield ids, batch commands.
fn nested(edge: &Value) -> Vec<Value> {
    let e = edge.clone();
    vec![
        json!({"filter": {">ID": e, "ID": e, "<=OPPORTUNITY": e, "DATE_CREATE": e,
                          "ASSIGNED_BY_ID": e, ">=DATE_MODIFY": e, "id": e, "entityTypeId": e}}),
        json!({"order": {"ID": e, "OPPORTUNITY": e}, "select": [e, "ID"]}),
        json!({"fields": {"TITLE": "x", "ID": e, "ASSIGNED_BY_ID": e, "OPPORTUNITY": e,
                          "BIRTHDATE": e, "DATE_CREATE": e, "CATEGORY_ID": e, "SORT": e,
                          "COMPANY_ID": e, "CONTACT_IDS": [e], "TYPE_ID": e,
                          "PHONE": [{"ID": e, "VALUE": e, "VALUE_TYPE": "WORK"}],
                          "UF_CRM_NUM": e,
                          "LIST": [{"ID": e, "VALUE": "a", "SORT": e, "DEF": e}]},
               "params": {"IMPORT": "Y"}}),
        json!({"values": [e], "type": "PHONE", "entity_type": "LEAD"}),
        json!({"cmd": {"a": format!("crm.lead.list?start={}", text(&e)),
                       "b": format!("crm.lead.get?id={}", text(&e)),
                       "c": "crm.lead.get?id=$result[a][0][ID]"},
               "halt": e}),
        json!({"filter": {"ERROR": e, "ID": e, "MESSAGE_ID": e, "TIMESTAMP_X": e},
               "order": {"ID": e}}),
    ]
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn portal() -> Portal {
    let conn = schema::open(None).expect("in-memory portal");
    apps::seed_users(&conn, 1_700_000_000).expect("users");
    apps::register_app(&conn, &Default::default()).expect("app");
    bitrix24_sandbox::methods::crm::seed::seed_leads(&conn, 3, 1_700_000_000).expect("leads");
    Portal::new(PortalConfig::default(), conn)
}

/// An app caller: it may call every method (event methods are app-only), and the kind of
/// credentials is checked before any parameter is read.
fn caller() -> Caller {
    let scopes: Vec<String> = ["crm", "user", "event", "placement", "department"]
        .map(String::from)
        .to_vec();
    Caller {
        user_id: 1,
        kind: CallerKind::App { app_id: 1 },
        scopes,
        admin: true,
    }
}

/// Runs `method` with `params`; a panic fails with the method and the parameters.
fn run(portal: &Portal, caller: &Caller, method: &str, params: Map<String, Value>) {
    let spec = *methods::registry().get(method).expect("registered");
    let shown = Value::Object(params.clone()).to_string();
    let db = portal.db();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut effects = Effects::default();
        dispatch::run(
            portal,
            &db,
            caller,
            &spec,
            params,
            &mut effects,
            Mode::default(),
        )
        .map(|answer| answer.output)
    }));
    match outcome {
        Ok(Ok(out)) => {
            // Whatever the method returned must print as the portal's JSON.
            let _ = bitrix24_sandbox::php::json::encode(&out.result);
        }
        Ok(Err(err)) => {
            assert!(
                (400..600).contains(&err.status) && err.status != 500,
                "{method} {shown}: {} {}",
                err.status,
                err.code
            );
        }
        Err(_) => panic!("{method} panicked with {shown}"),
    }
}

#[test]
fn no_method_panics_or_overflows_on_edge_numbers() {
    let portal = portal();
    let names: Vec<&str> = methods::registry().iter().map(|m| m.name).collect();
    assert!(
        names.len() > 50,
        "the registry is complete: {}",
        names.len()
    );
    let mut calls = 0;
    let caller = caller();
    {
        for method in &names {
            for edge in edges() {
                for name in NUMERIC {
                    let mut params = Map::new();
                    params.insert("id".into(), json!("1"));
                    params.insert("entityTypeId".into(), json!("1"));
                    params.insert(name.into(), edge.clone());
                    run(&portal, &caller, method, params);
                    calls += 1;
                }
                for shape in nested(&edge) {
                    let Value::Object(mut params) = shape else {
                        unreachable!("shapes are objects")
                    };
                    params.entry("id").or_insert(json!("1"));
                    params.entry("entityTypeId").or_insert(json!("1"));
                    let params =
                        match bitrix24_sandbox::php::value::normalize(Value::Object(params)) {
                            Value::Object(m) => m,
                            _ => unreachable!("an object stays an object"),
                        };
                    run(&portal, &caller, method, params);
                    calls += 1;
                }
            }
        }
    }
    assert!(calls > 10_000, "{calls} calls");
    let check: String = portal
        .db()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(check, "ok");
}
