//! `Portals` on PostgreSQL: two portals installed through one registry keep their tokens and
//! application tokens in one `PostgresStore`, read by a second registry over another pool (as
//! another process would), and a refresh of one portal that hangs at the OAuth server never
//! holds back the other portal's calls.

use crate::portals_support::{install, lifecycle, oauth_app, placeholder_app, receiver, sandbox};
use crate::postgres_support::{fresh_database, wait_until_an_advisory_lock_is_held};
use bitrix24::portals::Portals;
use bitrix24::postgres::Database;
use bitrix24::store::{PostgresStore, TokenStore};
use bitrix24::{PostgresRateBudget, RateLimits};
use bitrix24_sandbox::FaultConfig;
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_refresh_of_one_portal_never_holds_back_another() {
    let (a, b) = (sandbox("pg-portal-a").await, sandbox("pg-portal-b").await);
    let url = fresh_database().await;
    let installer: Arc<dyn TokenStore> =
        Arc::new(PostgresStore::connect(&url).await.expect("store"));
    let mut rx = receiver(Portals::new(placeholder_app(&a), installer.clone())).await;
    let mut apps = Vec::new();
    for sb in [&a, &b] {
        apps.push(install(sb, &rx).await);
        let (_, member) = lifecycle(rx.next().await);
        assert_eq!(member, sb.member_id());
        let record = installer
            .load(&member)
            .await
            .expect("load")
            .expect("stored");
        assert!(
            record.application_token.is_some(),
            "the application token is in the record"
        );
    }

    // Another registry over another pool, as another process: portal A's real app (so A's
    // refresh reaches A's OAuth server), and one shared rate budget for every portal.
    let db = Database::connect(&url).await.expect("connect");
    let store = Arc::new(PostgresStore::new(db.clone()));
    let budget = Arc::new(PostgresRateBudget::new(db));
    let portals = Portals::open(oauth_app(&a, &apps[0]), store.clone())
        .await
        .expect("open")
        .with_client_settings(move |builder| {
            builder
                .limits(RateLimits::standard())
                .rate_budget(budget.clone())
        });
    let mut ids = portals.portals().await.expect("portals");
    ids.sort();
    assert_eq!(ids, vec!["pg-portal-a", "pg-portal-b"]);

    // A's access token expires now, and A's OAuth server takes 3 s to answer.
    let mut record = store.load("pg-portal-a").await.expect("load").expect("A");
    record.expires_at = 0;
    store.save(&record).await.expect("expire A");
    a.set_faults(FaultConfig {
        latency_ms: 3000,
        only_methods: Some(vec!["oauth.token".into()]),
        ..FaultConfig::default()
    });
    let client_a = portals.client("pg-portal-a").await.expect("A");
    let call_a = tokio::spawn(async move { client_a.call_raw("server.time", &()).await });
    wait_until_an_advisory_lock_is_held(&url, "portal A's refresh never entered its section").await;

    let client_b = portals.client("pg-portal-b").await.expect("B");
    for _ in 0..5 {
        client_b
            .call_raw("server.time", &())
            .await
            .expect("B's call");
    }
    assert!(
        !call_a.is_finished(),
        "B's five calls finished while A's refresh still hung"
    );
    call_a
        .await
        .expect("join")
        .expect("A's call after its refresh");
    a.clear_faults();
    let refreshed = store.load("pg-portal-a").await.expect("load").expect("A");
    assert_eq!(refreshed.generation, record.generation + 1);
    assert!(
        refreshed.application_token.is_some(),
        "the refresh kept the application token"
    );
    assert_eq!(a.requests_by_method().get("oauth.token"), Some(&1));
    assert_eq!(b.requests_by_method().get("oauth.token"), None);
}
