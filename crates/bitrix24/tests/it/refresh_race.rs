//! Many callers, one refresh: within a process (100 concurrent calls) and across processes
//! (child processes sharing one `FileStore`), against the sandbox's strict rotation, where a
//! second refresh with the same token would fail and log the app out.

use crate::oauth_support::{app, app_with, profile, seed, used_refresh_tokens};
use bitrix24::auth::OAuthSession;
use bitrix24::store::{FileStore, MemoryStore, TokenStore};
use bitrix24::{Client, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const CHILD_ENV: &str = "BITRIX24_REFRESH_RACE_CHILD";
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

/// What a child needs, passed in its environment.
fn child_config(sb: &Sandbox, store: &Path, dir: &Path) -> String {
    serde_json::json!({
        "url": sb.url(),
        "client_id": sb.app().client_id,
        "client_secret": sb.app().client_secret,
        "member_id": sb.member_id(),
        "store": store,
        "dir": dir,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_sharing_a_file_store_refresh_once() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store_path = dir.path().join("tokens.json");
    let store = FileStore::new(&store_path).expect("store");
    seed(&sb, &store, 0).await; // expired for every child
    let config = child_config(&sb, &store_path, dir.path());
    let exe = std::env::current_exe().expect("test binary");
    let children: Vec<_> = (0..CHILDREN)
        .map(|i| {
            tokio::process::Command::new(&exe)
                .args([
                    "--exact",
                    "refresh_race::child_process_entry",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, &config)
                .env("CHILD_INDEX", i.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn child")
        })
        .collect();
    // Start them together: each says it is ready, then all are let go at once.
    wait_for(|| (0..CHILDREN).all(|i| dir.path().join(format!("ready-{i}")).exists())).await;
    std::fs::write(dir.path().join("go"), b"").expect("go");
    for child in children {
        let out = child.wait_with_output().await.expect("child output");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
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

async fn wait_for(mut ready: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for the child processes");
}

/// The child's side of `processes_sharing_a_file_store_refresh_once`. Ignored in a normal run;
/// run alone, it fails (it needs the parent's configuration).
#[tokio::test]
#[ignore = "child process: `processes_sharing_a_file_store_refresh_once` runs it"]
async fn child_process_entry() {
    let config = std::env::var(CHILD_ENV).expect(
        "the child of `processes_sharing_a_file_store_refresh_once`: run that test, not this one",
    );
    let c: serde_json::Value = serde_json::from_str(&config).expect("config");
    let text = |k: &str| c[k].as_str().expect(k).to_string();
    let index = std::env::var("CHILD_INDEX").expect("index");
    let dir = PathBuf::from(text("dir"));
    let app = app_with(&text("url"), &text("client_id"), &text("client_secret"));
    let store = Arc::new(FileStore::new(text("store")).expect("store"));
    let session = OAuthSession::new(app, store, text("member_id"));
    std::fs::write(dir.join(format!("ready-{index}")), b"").expect("ready");
    wait_for(|| dir.join("go").exists()).await;
    let token = session.access_token().await.expect("a working token");
    let (status, _) = profile(token.endpoint(), token.secret()).await;
    println!(
        "CHILD-RESULT status={status} generation={}",
        token.generation()
    );
}
