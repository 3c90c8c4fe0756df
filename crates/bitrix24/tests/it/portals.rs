//! One app on two portals (two sandboxes with their own `member_id`) through one `Portals`
//! registry: the same lead id on both never mixes, a call of one portal cannot be passed off
//! with the other's application token, each portal has its own rate limiter, and
//! uninstalling one purges only that one.

use crate::portals_support::{
    event_body, install, lifecycle, placeholder_app, receiver, sandbox, Got,
};
use bitrix24::events::bind::{bind, Binding};
use bitrix24::events::EventKind;
use bitrix24::portals::Portals;
use bitrix24::store::{MemoryStore, TokenStore};
use bitrix24::RateLimits;
use bitrix24_sandbox::{App, Sandbox};
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

async fn add_lead(sb: &Sandbox, title: &str) -> u64 {
    let v: Value = reqwest::Client::new()
        .post(format!("{}crm.lead.add", sb.webhook_url()))
        .form(&[("fields[TITLE]", title)])
        .send()
        .await
        .expect("add")
        .json()
        .await
        .expect("json");
    v["result"].as_u64().expect("lead id")
}

#[tokio::test]
async fn two_portals_never_mix() {
    let (a, b) = (sandbox("portal-a").await, sandbox("portal-b").await);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    // Sandboxes each register their own client id; the tokens the installs deliver are all
    // the registry needs here (no refresh within the test).
    let portals = Portals::new(placeholder_app(&a), store.clone());
    let mut rx = receiver(portals.clone()).await;
    let mut apps: BTreeMap<String, (App, &Sandbox)> = BTreeMap::new();
    for sb in [&a, &b] {
        let app = install(sb, &rx).await;
        let (_, member) = lifecycle(rx.next().await);
        assert_eq!(member, sb.member_id());
        let client = portals.client(&member).await.expect("client");
        bind(&client, &Binding::online("ONCRMLEADADD", rx.url("/events")))
            .await
            .expect("bind");
        bind(&client, &Binding::online("ONAPPUNINSTALL", rx.url("/app")))
            .await
            .expect("bind");
        apps.insert(member, (app, sb));
    }
    assert_eq!(
        portals.portals().await.expect("list"),
        vec!["portal-a", "portal-b"]
    );

    let id_a = add_lead(&a, "only on A").await;
    let id_b = add_lead(&b, "only on B").await;
    assert_eq!(id_a, id_b, "the premise: both portals use the same id");
    let mut seen = BTreeMap::new();
    for _ in 0..2 {
        let Some(Got::Event(e)) = rx.next().await else {
            panic!("expected two lead events");
        };
        let EventKind::LeadAdd(id) = e.kind else {
            panic!("unexpected {:?}", e.kind);
        };
        let member = e.auth.member_id.expect("member_id");
        let client = portals.client(&member).await.expect("client");
        let lead: Value = client
            .call("crm.lead.get", &json!({"id": id.get()}))
            .await
            .expect("get")
            .result;
        seen.insert(
            member,
            lead["TITLE"].as_str().unwrap_or_default().to_string(),
        );
    }
    assert_eq!(seen["portal-a"], "only on A");
    assert_eq!(seen["portal-b"], "only on B");

    // A's member_id with B's (genuine) application token is a forgery.
    let token_b = apps["portal-b"].0.application_token.clone();
    let crossed = event_body(
        "ONCRMLEADADD",
        "portal-a",
        &token_b,
        &[("data[FIELDS][ID]", "1")],
    );
    assert_eq!(rx.post("/events", crossed).await, 401);
    assert_eq!(
        rx.post(
            "/app",
            event_body("ONAPPUNINSTALL", "portal-a", &token_b, &[])
        )
        .await,
        401
    );
    assert_eq!(portals.portals().await.expect("list").len(), 2);

    // Uninstalling A purges A only.
    let b_before = store.load("portal-b").await.expect("load").expect("B");
    let (app_a, sb_a) = &apps["portal-a"];
    sb_a.uninstall_app(app_a).await.expect("uninstall A");
    let (was_install, gone) = lifecycle(rx.next().await);
    assert!(!was_install);
    assert_eq!(gone, "portal-a");
    assert!(store.load("portal-a").await.expect("load").is_none());
    let b_after = store.load("portal-b").await.expect("load").expect("B kept");
    assert_eq!(
        b_after.access_token.expose_secret(),
        b_before.access_token.expose_secret()
    );
    assert_eq!(portals.portals().await.expect("list"), vec!["portal-b"]);
    assert!(portals.client("portal-a").await.is_err());
    let still: Value = portals
        .client("portal-b")
        .await
        .expect("B client")
        .call("crm.lead.get", &json!({"id": id_b}))
        .await
        .expect("B works")
        .result;
    assert_eq!(still["TITLE"], "only on B");
    let ok_b = event_body("ONAPPTEST", "portal-b", &token_b, &[]);
    assert!(portals.verifier().parse_and_verify(ok_b.as_bytes()).is_ok());
    let token_a = &apps["portal-a"].0.application_token;
    let old_a = event_body("ONAPPTEST", "portal-a", token_a, &[]);
    assert!(portals
        .verifier()
        .parse_and_verify(old_a.as_bytes())
        .is_err());
}

/// Each portal's client has its own limiter, shared by every handle of that portal: with a
/// bucket of one request per 1000 s, portal A's second call waits while portal B's first
/// call goes through at once.
#[tokio::test]
async fn each_portal_has_its_own_rate_limiter() {
    let (a, b) = (sandbox("limits-a").await, sandbox("limits-b").await);
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let mut rx = receiver(Portals::new(placeholder_app(&a), store.clone())).await;
    for sb in [&a, &b] {
        install(sb, &rx).await;
        lifecycle(rx.next().await);
    }
    let portals = Portals::new(placeholder_app(&a), store)
        .with_client_settings(|builder| builder.limits(RateLimits::custom(0.001, 1)));
    let first_a = portals.client("limits-a").await.expect("A");
    first_a
        .call_raw("server.time", &())
        .await
        .expect("A's one request");
    let again_a = portals.client("limits-a").await.expect("A again");
    let waited = tokio::time::timeout(
        Duration::from_millis(500),
        again_a.call_raw("server.time", &()),
    )
    .await;
    assert!(
        waited.is_err(),
        "A's bucket is empty, for every handle of A"
    );
    let client_b = portals.client("limits-b").await.expect("B");
    let b_call = tokio::time::timeout(
        Duration::from_secs(10),
        client_b.call_raw("server.time", &()),
    )
    .await
    .expect("B does not wait for A");
    b_call.expect("B's request");
}

/// A token file written before the token record had an `application_token` field keeps the
/// application token in a side record `application_token#<member_id>`: the registry still
/// lists the portal (and not the side record), verifies its events with that token, and the
/// next install moves the token into the record and drops the side record.
#[tokio::test]
async fn a_token_file_of_the_earlier_layout_still_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    let old = json!({"version": 1, "portals": {
        "m-old": {"member_id": "m-old", "domain": "old.example.com", "access_token": "a",
                  "refresh_token": "r", "expires_at": 1_900_000_000,
                  "client_endpoint": "https://old.example.com/rest/", "generation": 3},
        "application_token#m-old": {"member_id": "application_token#m-old",
                  "access_token": "old-app-token", "refresh_token": "",
                  "expires_at": i64::MAX, "client_endpoint": "", "generation": 0}
    }});
    std::fs::write(&path, old.to_string()).expect("old file");
    let store = Arc::new(bitrix24::store::FileStore::new(&path).expect("store"));
    let sb = sandbox("unused").await;
    let portals = Portals::open(placeholder_app(&sb), store.clone())
        .await
        .expect("open");
    assert_eq!(portals.portals().await.expect("list"), vec!["m-old"]);
    let good = event_body("ONAPPTEST", "m-old", "old-app-token", &[]);
    let forged = event_body("ONAPPTEST", "m-old", "forged", &[]);
    let parse = |b: &str| bitrix24::events::parse_event(b.as_bytes()).expect("event");
    assert_eq!(
        portals.verify(&parse(&good)).await.expect("verifies"),
        "m-old"
    );
    assert!(portals.verify(&parse(&forged)).await.is_err());

    // A reinstall with the same application token rewrites the record with the field.
    let install = crate::portals_support::form(&[
        ("event", "ONAPPINSTALL"),
        ("auth[access_token]", "a2"),
        ("auth[refresh_token]", "r2"),
        ("auth[member_id]", "m-old"),
        ("auth[application_token]", "old-app-token"),
        ("auth[domain]", "old.example.com"),
    ]);
    portals.install(install.as_bytes()).await.expect("install");
    let record = store.load("m-old").await.expect("load").expect("kept");
    assert_eq!(
        record.application_token.as_ref().map(|t| t.expose_secret()),
        Some("old-app-token")
    );
    assert_eq!(record.generation, 4);
    assert!(store
        .load("application_token#m-old")
        .await
        .expect("load")
        .is_none());
    let fresh = Portals::open(placeholder_app(&sb), store)
        .await
        .expect("open");
    assert_eq!(
        fresh.verify(&parse(&good)).await.expect("verifies"),
        "m-old"
    );
}
