//! One app on many portals: each portal's client keys its rate budget by its own portal, so
//! clients of a `Portals` registry given one shared budget (across processes:
//! `PostgresRateBudget`) keep one bucket per portal, not one for all of them.

use bitrix24::auth::OAuthApp;
use bitrix24::portals::Portals;
use bitrix24::store::{MemoryStore, TokenRecord, TokenStore};
use bitrix24::{RateBudget, RateLimits, SecretString};
use bitrix24_sandbox::{Limits, Sandbox};
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex};

/// A budget that admits everything and remembers under which key.
#[derive(Debug, Default)]
struct RecordingBudget(Mutex<Vec<String>>);

impl RateBudget for RecordingBudget {
    fn admit<'a>(&'a self, key: &'a str, _: RateLimits) -> BoxFuture<'a, bitrix24::Result<()>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(key.to_string());
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portals_sharing_one_budget_keep_a_bucket_each() {
    let fleet = Sandbox::builder()
        .limits(Limits::Off)
        .start_many(3)
        .await
        .expect("three portals");
    let app = fleet[0].app().clone();
    let store = Arc::new(MemoryStore::new());
    for (i, portal) in fleet.iter().enumerate() {
        let registered = if i == 0 {
            app.clone()
        } else {
            portal.register_shared_app(&app).expect("register")
        };
        let pair = portal.issue_tokens(&registered, 1).expect("tokens");
        let mut record = TokenRecord::new(
            portal.member_id(),
            SecretString::from(pair.access_token),
            SecretString::from(pair.refresh_token),
            i64::MAX / 2,
        );
        record.domain = portal.domain().to_string();
        record.client_endpoint = portal.rest_url();
        store.save(&record).await.expect("install");
    }
    // The app's own portal is the OAuth server's, as a marketplace app's is.
    let oauth = OAuthApp::new(
        app.client_id.clone(),
        SecretString::from(app.client_secret.clone()),
        "https://oauth.bitrix.info",
    )
    .and_then(|a| a.with_oauth_server(fleet[0].url()))
    .expect("app");
    let budget = Arc::new(RecordingBudget::default());
    let shared = budget.clone();
    let portals = Portals::new(oauth, store)
        .with_client_settings(move |builder| builder.rate_budget(shared.clone()));
    for portal in &fleet {
        portals
            .client(portal.member_id())
            .await
            .expect("client")
            .call_raw("server.time", &())
            .await
            .expect("call");
    }
    let keys = budget.0.lock().expect("keys").clone();
    let hosts: Vec<String> = fleet
        .iter()
        .map(|p| p.url().trim_start_matches("http://").to_string())
        .collect();
    assert_eq!(keys, hosts, "one key per portal, its own host");
}
