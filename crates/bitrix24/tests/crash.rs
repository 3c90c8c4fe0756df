//! A process killed in the middle of a refresh loses no token: the store keeps the previous,
//! still valid pair (the refresh never reached the server), stays readable, and its lock is
//! released, so a fresh process refreshes with what is stored.

mod oauth_support;

use bitrix24::auth::OAuthSession;
use bitrix24::store::{FileStore, TokenStore};
use bitrix24_sandbox::{Limits, Sandbox};
use oauth_support::{app, app_with, profile, seed, used_refresh_tokens};
use secrecy::ExposeSecret;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHILD_ENV: &str = "BITRIX24_CRASH_CHILD";

/// A token server that waits `delay` BEFORE processing and drops the request when the client
/// went away meanwhile, as the sandbox's `latency_ms` fault on `oauth.token` is specified to
/// (the sandbox's token endpoint does not take faults yet, so this proxy stands in for it).
struct SlowTokenServer {
    url: String,
    accepted: Arc<AtomicUsize>,
    forwarded: Arc<AtomicUsize>,
}

async fn slow_token_server(target: SocketAddr, delay: Duration) -> SlowTokenServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = Arc::new(AtomicUsize::new(0));
    let forwarded = Arc::new(AtomicUsize::new(0));
    let (acc, fwd) = (accepted.clone(), forwarded.clone());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(client, target, delay, fwd.clone()));
        }
    });
    SlowTokenServer {
        url,
        accepted,
        forwarded,
    }
}

async fn serve(mut client: TcpStream, target: SocketAddr, delay: Duration, fwd: Arc<AtomicUsize>) {
    let mut head = Vec::new();
    let mut chunk = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    tokio::time::sleep(delay).await;
    // EOF now means the client is gone: the request is cancelled, never processed.
    match tokio::time::timeout(Duration::from_millis(20), client.read(&mut chunk)).await {
        Ok(Ok(0)) | Ok(Err(_)) => return,
        _ => {}
    }
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        return;
    };
    fwd.fetch_add(1, Ordering::SeqCst);
    if upstream.write_all(&head).await.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_mid_refresh_loses_no_token() {
    let sb = Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox");
    let dir = tempfile::tempdir().expect("tempdir");
    let store_path = dir.path().join("tokens.json");
    let store = FileStore::new(&store_path).expect("store");
    let seeded = seed(&sb, &store, 0).await; // expired: the child refreshes at once
    let slow = slow_token_server(sb.addr(), Duration::from_millis(1500)).await;

    let config = serde_json::json!({
        "portal": sb.url(), "oauth_server": slow.url, "client_id": sb.app().client_id,
        "client_secret": sb.app().client_secret, "member_id": sb.member_id(), "store": store_path,
    })
    .to_string();
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "crash_child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    // Kill it while its refresh request waits at the server (it holds the store lock then).
    for _ in 0..1000 {
        if slow.accepted.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        slow.accepted.load(Ordering::SeqCst),
        1,
        "the child's refresh reached the server"
    );
    child.kill().await.expect("kill");
    tokio::time::sleep(Duration::from_millis(1700)).await; // past the server's wait
    assert_eq!(
        slow.forwarded.load(Ordering::SeqCst),
        0,
        "the cancelled refresh was not processed"
    );
    assert_eq!(used_refresh_tokens(&sb), 0);

    // The file is whole and still holds the seeded pair.
    let text = std::fs::read_to_string(&store_path).expect("file");
    serde_json::from_str::<serde_json::Value>(&text).expect("not partial or corrupt");
    let kept = store
        .load(sb.member_id())
        .await
        .expect("load")
        .expect("kept");
    assert_eq!(kept.generation, 1);
    assert_eq!(
        kept.refresh_token.expose_secret(),
        seeded.refresh_token.expose_secret()
    );

    // A fresh process (new store instance, so only the OS lock is shared) gets in at once,
    // as the dead child's lock went with it, and refreshes with what is stored.
    let fresh_store = Arc::new(FileStore::new(&store_path).expect("store"));
    let session = OAuthSession::new(app(&sb), fresh_store, sb.member_id());
    let token = tokio::time::timeout(Duration::from_secs(20), session.access_token())
        .await
        .expect("the lock was released")
        .expect("refresh with the stored token");
    assert_eq!(token.generation(), 2);
    assert_eq!(used_refresh_tokens(&sb), 1);
    assert_eq!(profile(token.endpoint(), token.secret()).await.0, 200);
}

/// The child of `a_process_killed_mid_refresh_loses_no_token`: starts a refresh and is
/// killed during it. Run alone, it does nothing.
#[tokio::test]
async fn crash_child_entry() {
    let Ok(config) = std::env::var(CHILD_ENV) else {
        return;
    };
    let c: serde_json::Value = serde_json::from_str(&config).expect("config");
    let text = |k: &str| c[k].as_str().expect(k).to_string();
    let app = app_with(&text("portal"), &text("client_id"), &text("client_secret"))
        .with_oauth_server(&text("oauth_server"))
        .expect("server");
    let store = Arc::new(FileStore::new(PathBuf::from(text("store"))).expect("store"));
    let session = OAuthSession::new(app, store, text("member_id"));
    // Killed before this returns; if it ever does, the parent's assertions catch it.
    let _ = session.access_token().await;
}
