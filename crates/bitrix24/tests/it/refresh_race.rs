//! Many callers, one refresh: within a process (100 concurrent calls) and across processes
//! (child processes sharing one `FileStore`), against the sandbox's strict rotation, where a
//! second refresh with the same token would fail and log the app out.

use crate::child_support::{
    passed, ready_then_wait_for_go, sandbox_config, spawn, start_together, ChildConfig, Output,
};
use crate::oauth_support::{app, profile, seed, used_refresh_tokens};
use bitrix24::auth::OAuthSession;
use bitrix24::store::{FileStore, MemoryStore, TokenStore};
use bitrix24::{Client, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use std::sync::Arc;

const CHILDREN: usize = 4;

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_on_an_expired_token_cause_one_refresh() {
    let sb = sandbox().await;
    let store = Arc::new(MemoryStore::new());
    seed(&sb, store.as_ref(), 3600).await;
    let session = OAuthSession::new(app(&sb), store.clone(), sb.member_id());
    let client = Client::builder()
        .oauth(session)
        .limits(RateLimits::off())
        .build()
        .expect("client");
    client.call_raw("profile", &()).await.expect("warm");
    // Expired on the portal only: every call meets 401 expired_token at about the same time.
    sb.advance_clock(3700.0);
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.call_raw("profile", &()).await })
    });
    for result in futures::future::join_all(calls).await {
        result
            .expect("join")
            .expect("every call succeeds after the refresh");
    }
    assert_eq!(used_refresh_tokens(&sb), 1, "exactly one refresh");
    let stored = store
        .load(sb.member_id())
        .await
        .expect("load")
        .expect("kept");
    assert_eq!(stored.generation, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_token_requests_near_expiry_cause_one_refresh() {
    let sb = sandbox().await;
    let store = Arc::new(MemoryStore::new());
    seed(&sb, store.as_ref(), 0).await;
    let session = OAuthSession::new(app(&sb), store, sb.member_id());
    let tasks = (0..100).map(|_| {
        let s = session.clone();
        tokio::spawn(async move { s.access_token().await })
    });
    let tokens: Vec<_> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("join").expect("token"))
        .collect();
    assert_eq!(used_refresh_tokens(&sb), 1);
    assert!(tokens.iter().all(|t| t.generation() == 2));
    let first = tokens.first().expect("some");
    assert_eq!(profile(first.endpoint(), first.secret()).await.0, 200);
}

/// Two session instances over two store instances on one file share nothing in memory:
/// only the store's cross-process section keeps them to one refresh.
pub(crate) async fn separate_instances_refresh_once(
    sb: &Sandbox,
    a: Arc<dyn TokenStore>,
    b: Arc<dyn TokenStore>,
) {
    seed(sb, a.as_ref(), 0).await;
    let one = OAuthSession::new(app(sb), a, sb.member_id());
    let two = OAuthSession::new(app(sb), b.clone(), sb.member_id());
    let tasks = (0..50).flat_map(|_| {
        let (x, y) = (one.clone(), two.clone());
        [
            tokio::spawn(async move { x.access_token().await }),
            tokio::spawn(async move { y.access_token().await }),
        ]
    });
    for t in futures::future::join_all(tasks).await {
        assert_eq!(t.expect("join").expect("token").generation(), 2);
    }
    assert_eq!(used_refresh_tokens(sb), 1);
    assert_eq!(
        b.load(sb.member_id())
            .await
            .expect("load")
            .expect("kept")
            .generation,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_file_store_instances_refresh_once() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    let a = Arc::new(FileStore::new(&path).expect("a"));
    let b = Arc::new(FileStore::new(&path).expect("b"));
    separate_instances_refresh_once(&sb, a, b).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn separate_sqlite_store_instances_refresh_once() {
    use bitrix24::store::SqliteStore;
    let sb = sandbox().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.db");
    let a = Arc::new(SqliteStore::open(&path).await.expect("a"));
    let b = Arc::new(SqliteStore::open(&path).await.expect("b"));
    separate_instances_refresh_once(&sb, a, b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_sharing_a_file_store_refresh_once() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store_path = dir.path().join("tokens.json");
    let store = FileStore::new(&store_path).expect("store");
    seed(&sb, &store, 0).await; // expired for every child
    let children: Vec<_> = (0..CHILDREN)
        .map(|i| {
            let config = sandbox_config(
                &sb,
                serde_json::json!({"store": store_path, "dir": dir.path(), "index": i}),
            );
            spawn(
                "refresh_race::child_process_entry",
                &config,
                Output::Captured,
            )
        })
        .collect();
    // Start them together: each says it is ready, then all are let go at once.
    start_together(dir.path(), CHILDREN).await;
    for child in children {
        let stdout = passed(child).await;
        assert!(
            stdout.contains("CHILD-RESULT status=200 generation=2"),
            "{stdout}"
        );
    }
    assert_eq!(
        used_refresh_tokens(&sb),
        1,
        "the server saw exactly one refresh"
    );
    let stored = store
        .load(sb.member_id())
        .await
        .expect("load")
        .expect("kept");
    assert_eq!(stored.generation, 2);
    let endpoint = url::Url::parse(&stored.client_endpoint).expect("endpoint");
    assert_eq!(profile(&endpoint, &stored.access_token).await.0, 200);
}

/// The child's side of `processes_sharing_a_file_store_refresh_once`. Ignored in a normal run;
/// run alone, it fails (it needs the parent's configuration).
#[tokio::test]
#[ignore = "child process: `processes_sharing_a_file_store_refresh_once` runs it"]
async fn child_process_entry() {
    let config = ChildConfig::read("refresh_race::processes_sharing_a_file_store_refresh_once");
    let store = Arc::new(FileStore::new(config.path("store")).expect("store"));
    let session = OAuthSession::new(config.app(), store, config.member_id());
    ready_then_wait_for_go(&config.path("dir"), config.index()).await;
    let token = session.access_token().await.expect("a working token");
    let (status, _) = profile(token.endpoint(), token.secret()).await;
    println!(
        "CHILD-RESULT status={status} generation={}",
        token.generation()
    );
}
