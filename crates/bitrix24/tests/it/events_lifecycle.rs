//! The app lifecycle against the sandbox (protocol.md §1d): the install call stores the
//! tokens and the application token per `member_id`, a restarted registry still verifies
//! that portal's events, a verified ONAPPUNINSTALL purges the portal, forgeries change
//! nothing, and a reinstall must prove itself.

use crate::portals_support::{
    event_body, form, install, lifecycle, oauth_app, placeholder_app, receiver, sandbox, Got,
};
use bitrix24::events::bind::{bind, Binding};
use bitrix24::events::{parse_event, EventKind};
use bitrix24::portals::Portals;
use bitrix24::store::{FileStore, MemoryStore, TokenStore};
use bitrix24::ErrorKind;
use secrecy::ExposeSecret;
use serde_json::Value;
use std::sync::Arc;

const FORGED: &str = "ffffffffffffffffffffffffffffffff";

/// ONAPPINSTALL → stored (survives a restart of the registry) → the portal's events verify →
/// a forged uninstall is refused → the real ONAPPUNINSTALL purges tokens and application
/// token, after which the portal's calls are refused and it has no client.
#[tokio::test]
async fn install_events_and_uninstall_through_the_registry() {
    let sb = sandbox("lifecycle-member").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("portals.json");
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(&path).expect("store"));
    let portals = Portals::new(placeholder_app(&sb), store.clone());
    let mut rx = receiver(portals.clone()).await;
    let installed = install(&sb, &rx).await;
    let (was_install, member) = lifecycle(rx.next().await);
    assert!(was_install);
    assert_eq!(member, sb.member_id());
    assert_eq!(
        portals.portals().await.expect("portals"),
        vec![member.clone()]
    );
    let record = store.load(&member).await.expect("load").expect("tokens");
    assert_eq!(record.client_endpoint, sb.rest_url());
    assert!(!record.refresh_token.expose_secret().is_empty());

    // A restarted process: a new registry over the same file knows the portal.
    let restarted = Portals::open(
        oauth_app(&sb, &installed),
        Arc::new(FileStore::new(&path).expect("store")),
    )
    .await
    .expect("open");
    let verifier = restarted.verifier();
    let good = event_body("ONAPPTEST", &member, &installed.application_token, &[]);
    let forged = event_body("ONAPPTEST", &member, FORGED, &[]);
    assert!(verifier.parse_and_verify(good.as_bytes()).is_ok());
    let refused = verifier.parse_and_verify(forged.as_bytes()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Event);
    // The stored tokens are the installed app's and work.
    let client = restarted.client(&member).await.expect("client");
    let info: Value = client.call("app.info", &()).await.expect("app.info").result;
    assert_eq!(info["CODE"], installed.client_id.as_str());

    bind(&client, &Binding::online("ONCRMLEADADD", rx.url("/events")))
        .await
        .expect("bind lead events");
    bind(&client, &Binding::online("ONAPPUNINSTALL", rx.url("/app")))
        .await
        .expect("bind uninstall");
    let lead: Value = reqwest::Client::new()
        .post(format!("{}crm.lead.add", sb.webhook_url()))
        .form(&[("fields[TITLE]", "hello")])
        .send()
        .await
        .expect("add")
        .json()
        .await
        .expect("json");
    let lead_id = lead["result"].as_u64().expect("id");
    match rx.next().await {
        Some(Got::Event(e)) => {
            assert!(matches!(e.kind, EventKind::LeadAdd(id) if id.get() == lead_id));
            assert_eq!(e.auth.member_id.as_deref(), Some(member.as_str()));
        }
        other => panic!("expected the lead event, got {other:?}"),
    }

    let forged_uninstall = event_body("ONAPPUNINSTALL", &member, FORGED, &[("data[CLEAN]", "1")]);
    assert_eq!(rx.post("/app", forged_uninstall).await, 401);
    assert_eq!(rx.refused(), 1);
    assert!(store.load(&member).await.expect("load").is_some(), "kept");

    sb.uninstall_app(&installed).await.expect("uninstall");
    let (was_install, gone) = lifecycle(rx.next().await);
    assert!(!was_install);
    assert_eq!(gone, member);
    assert!(store.load(&member).await.expect("load").is_none());
    assert!(
        store.portals().await.expect("portals").is_empty(),
        "no side record left"
    );
    assert!(portals.portals().await.expect("portals").is_empty());
    let err = portals.client(&member).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        rx.post("/events", good).await,
        401,
        "the portal is unknown now"
    );
    assert!(rx.is_idle());
}

/// A second install call for a known portal: the same application token is accepted (the
/// portal resent it); another one with a made-up refresh token is refused and changes
/// nothing; another one whose refresh token the OAuth server accepts for this app (a real
/// reinstall) replaces the application token, with the pair rotated by that proof.
#[tokio::test]
async fn a_reinstall_must_prove_itself() {
    let sb = sandbox("reinstall-member").await;
    let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
    let mut rx = receiver(Portals::new(placeholder_app(&sb), store.clone())).await;
    let installed = install(&sb, &rx).await;
    let (_, member) = lifecycle(rx.next().await);
    let portals = Portals::new(oauth_app(&sb, &installed), store.clone());
    let old = installed.application_token.clone();
    let new_token = "0123456789abcdef0123456789abcdef";
    let install_call = |app_token: &str, refresh: &str| {
        form(&[
            ("event", "ONAPPINSTALL"),
            ("data[VERSION]", "2"),
            ("auth[access_token]", "made-up-access"),
            ("auth[refresh_token]", refresh),
            ("auth[expires_in]", "3600"),
            ("auth[member_id]", &member),
            ("auth[domain]", sb.domain()),
            ("auth[client_endpoint]", &sb.rest_url()),
            ("auth[application_token]", app_token),
        ])
    };
    let verifies = |token: &str| {
        let body = event_body("ONAPPTEST", &member, token, &[]);
        let portals = portals.clone();
        async move {
            let event = parse_event(body.as_bytes()).expect("parse");
            portals.verify(&event).await.is_ok()
        }
    };

    let forged = portals
        .install(install_call(new_token, "made-up-refresh").as_bytes())
        .await
        .unwrap_err();
    assert_eq!(forged.kind(), ErrorKind::Event, "{forged}");
    assert!(verifies(&old).await && !verifies(new_token).await);
    let kept = store.load(&member).await.expect("load").expect("tokens");
    assert_ne!(kept.access_token.expose_secret(), "made-up-access");

    let pair = sb.issue_tokens(&installed, 1).expect("pair");
    portals
        .install(install_call(new_token, &pair.refresh_token).as_bytes())
        .await
        .expect("a proven reinstall");
    assert!(verifies(new_token).await && !verifies(&old).await);
    let stored = store.load(&member).await.expect("load").expect("tokens");
    assert_ne!(
        stored.refresh_token.expose_secret(),
        pair.refresh_token.as_str(),
        "the proof spent the call's refresh token; the rotated pair is stored"
    );
    assert_eq!(stored.generation, kept.generation + 1);
    let client = portals.client(&member).await.expect("client");
    let info: Value = client.call("app.info", &()).await.expect("app.info").result;
    assert_eq!(info["CODE"], installed.client_id.as_str());
    assert!(rx.is_idle());
}

/// The install page's POST (an app with a UI; DOMAIN in the query string) is an install
/// call too; a body that is neither shape is refused with a clear error.
#[tokio::test]
async fn the_install_page_post_installs() {
    let portals = Portals::new(
        bitrix24::auth::OAuthApp::new(
            "app.x",
            bitrix24::SecretString::from("s".to_string()),
            "https://oauth.example.com",
        )
        .expect("app"),
        Arc::new(MemoryStore::new()),
    );
    let body = form(&[
        ("AUTH_ID", "access-1"),
        ("AUTH_EXPIRES", "3600"),
        ("REFRESH_ID", "refresh-1"),
        ("member_id", "page-member"),
        ("APPLICATION_TOKEN", "page-token"),
        ("status", "L"),
    ]);
    let got = portals
        .receive(
            "DOMAIN=page.example.com&PROTOCOL=1&LANG=en",
            body.as_bytes(),
        )
        .await
        .expect("install page");
    assert!(matches!(got, bitrix24::portals::Received::Installed(ref m) if m == "page-member"));
    assert_eq!(
        portals.portals().await.expect("portals"),
        vec!["page-member"]
    );
    let ok = event_body("ONAPPTEST", "page-member", "page-token", &[]);
    assert!(portals.verifier().parse_and_verify(ok.as_bytes()).is_ok());

    for bad in ["", "hello=world", "AUTH_ID=a&member_id=m"] {
        let e = portals.receive("", bad.as_bytes()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Event, "{bad}: {e}");
    }
    let e = portals.client("nobody").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = portals
        .client("application_token#page-member")
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::InvalidInput,
        "side records are not portals"
    );
}
