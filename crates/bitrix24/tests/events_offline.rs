//! The offline queue against the sandbox: bind helpers, the at-least-once consumer, failed
//! events, and a consumer process killed between `event.offline.get` and
//! `event.offline.clear` that loses nothing.

mod oauth_support;

use bitrix24::events::bind::{bind, handlers, unbind, Binding};
use bitrix24::events::offline::{FileCheckpoint, OfflineConsumer, OfflineEvent};
use bitrix24::events::EventKind;
use bitrix24::store::{FileStore, MemoryStore, TokenStore};
use bitrix24::{Client, ErrorKind, OAuthSession, RateLimits};
use bitrix24_sandbox::{Limits, Sandbox};
use oauth_support::{app, app_with, seed};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CHILD_ENV: &str = "BITRIX24_OFFLINE_CRASH_CHILD";

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox")
}

/// The sandbox's ready-made app as the administrator (user 1), tokens in `store`.
fn admin_client(sb: &Sandbox, store: Arc<dyn TokenStore>) -> Client {
    let session = OAuthSession::new(app(sb), store, sb.member_id());
    Client::builder()
        .oauth(session)
        .limits(RateLimits::off())
        .build()
        .expect("client")
}

async fn admin(sb: &Sandbox) -> Client {
    let store = Arc::new(MemoryStore::new());
    seed(sb, store.as_ref(), 3600).await;
    admin_client(sb, store)
}

/// Adds a lead through the webhook: the listening app's own changes are not queued.
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

/// Every row of the app's queue: (lead id, PROCESS_ID, ERROR).
async fn queue(client: &Client) -> Vec<(u64, String, String)> {
    let rows: Value = client
        .call("event.offline.list", &())
        .await
        .expect("list")
        .result;
    rows.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let s = |k: &str| match &r[k] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (lead_of_data(&r["EVENT_DATA"]), s("PROCESS_ID"), s("ERROR"))
        })
        .collect()
}

fn lead_of_data(data: &Value) -> u64 {
    let id = &data["FIELDS"]["ID"];
    id.as_u64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

fn lead_of(e: &OfflineEvent) -> u64 {
    match &e.kind {
        EventKind::LeadAdd(id) => id.get(),
        other => panic!("unexpected {other:?}"),
    }
}

/// protocol.md §7.1/§7.3: bind offline, the queue fills, the consumer handles every event in
/// batches of `limit`, clears each after its handler returned, and the queue ends empty;
/// `event.get` lists the binding and `event.unbind` removes it.
#[tokio::test]
async fn consumer_handles_everything_then_the_queue_is_empty() {
    let sb = sandbox().await;
    let client = admin(&sb).await;
    bind(&client, &Binding::offline("oncrmleadadd"))
        .await
        .expect("bind");
    let again = bind(&client, &Binding::offline("ONCRMLEADADD"))
        .await
        .unwrap_err();
    assert_eq!(
        again.kind(),
        ErrorKind::Api,
        "a duplicate binding is refused"
    );
    let listed = handlers(&client).await.expect("event.get");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].offline && listed[0].event == "ONCRMLEADADD");

    let mut added = BTreeSet::new();
    for n in 0..5 {
        added.insert(add_lead(&sb, &format!("lead {n}")).await);
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let stats = OfflineConsumer::new(client.clone())
        .limit(2)
        .drain(move |e| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(lead_of(&e));
                Ok::<(), String>(())
            }
        })
        .await
        .expect("drain");
    assert_eq!((stats.received, stats.handled, stats.failed), (5, 5, 0));
    let seen: BTreeSet<u64> = seen.lock().unwrap().iter().copied().collect();
    assert_eq!(seen, added);
    assert!(queue(&client).await.is_empty(), "everything was cleared");

    let empty = OfflineConsumer::new(client.clone())
        .run_once(|_e| async { Err::<(), _>("must not be called") })
        .await
        .expect("empty run");
    assert_eq!(empty.received, 0);
    let removed = unbind(&client, &Binding::offline("ONCRMLEADADD"))
        .await
        .expect("unbind");
    assert_eq!(removed, 1);
    assert!(handlers(&client).await.expect("event.get").is_empty());
}

/// A failing handler's events are reported with `event.offline.error`, not cleared: they
/// leave the pending queue and come back through `errors(true)`.
#[tokio::test]
async fn failed_events_are_marked_as_errors_and_can_be_read_again() {
    let sb = sandbox().await;
    let client = admin(&sb).await;
    bind(&client, &Binding::offline("ONCRMLEADADD"))
        .await
        .expect("bind");
    let good = add_lead(&sb, "good").await;
    let bad = add_lead(&sb, "bad").await;
    let stats = OfflineConsumer::new(client.clone())
        .run_once(|e| async move {
            if lead_of(&e) == bad {
                Err("the database is down")
            } else {
                Ok(())
            }
        })
        .await
        .expect("run");
    assert_eq!((stats.received, stats.handled, stats.failed), (2, 1, 1));
    let left = queue(&client).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].0, bad);
    assert_eq!(left[0].2, "1", "marked as an error");
    assert_ne!(good, bad);

    let pending = OfflineConsumer::new(client.clone())
        .run_once(|_e| async { Err::<(), _>("nothing pending") })
        .await
        .expect("pending");
    assert_eq!(pending.received, 0, "errors are not pending");
    let retried = OfflineConsumer::new(client.clone())
        .errors(true)
        .run_once(|e| async move {
            assert_eq!(lead_of(&e), bad);
            Ok::<(), String>(())
        })
        .await
        .expect("errors");
    assert_eq!((retried.received, retried.handled), (1, 1));
    assert!(queue(&client).await.is_empty());
}

/// With `keep_failed`, a failed event is neither cleared nor marked: it stays reserved under
/// the checkpointed process_id and the next run delivers it (alone) again.
#[tokio::test]
async fn kept_failures_are_delivered_again_by_the_next_run() {
    let sb = sandbox().await;
    let client = admin(&sb).await;
    bind(&client, &Binding::offline("ONCRMLEADADD"))
        .await
        .expect("bind");
    let good = add_lead(&sb, "good").await;
    let flaky = add_lead(&sb, "flaky").await;
    let consumer = OfflineConsumer::new(client.clone()).keep_failed(true);
    let first = consumer
        .drain(|e| async move {
            if lead_of(&e) == flaky {
                Err("stdout is closed")
            } else {
                Ok(())
            }
        })
        .await
        .expect("first run");
    assert_eq!((first.received, first.handled, first.failed), (2, 1, 1));
    let rows = queue(&client).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, flaky);
    assert_eq!(
        rows[0].1,
        first.process_id.clone().expect("pid"),
        "still reserved"
    );
    assert_eq!(rows[0].2, "0", "not marked as an error");
    assert_ne!(good, flaky);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let second = consumer
        .run_once(move |e| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(lead_of(&e));
                Ok::<(), String>(())
            }
        })
        .await
        .expect("second run");
    assert!(second.resumed);
    assert_eq!(*seen.lock().unwrap(), vec![flaky]);
    assert!(queue(&client).await.is_empty());
}

/// A reservation whose answer never arrived leaves an orphaned batch: `orphans` finds it
/// (and not the batch the checkpoint names), `adopt` hands it to the next run.
#[tokio::test]
async fn an_orphaned_reservation_is_found_and_adopted() {
    let sb = sandbox().await;
    let client = admin(&sb).await;
    bind(&client, &Binding::offline("ONCRMLEADADD"))
        .await
        .expect("bind");
    let lost = add_lead(&sb, "reserved by a lost answer").await;
    // The reservation the consumer never heard of.
    let answer: Value = client
        .call("event.offline.get", &json!({"clear": 0}))
        .await
        .expect("reserve")
        .result;
    let orphan = answer["process_id"].as_str().expect("pid").to_string();
    let pending = add_lead(&sb, "pending").await;

    let consumer = OfflineConsumer::new(client.clone());
    assert_eq!(
        consumer.orphans().await.expect("orphans"),
        vec![orphan.clone()]
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let handler = move |e: OfflineEvent| {
        let sink = sink.clone();
        async move {
            sink.lock().unwrap().push(lead_of(&e));
            Ok::<(), String>(())
        }
    };
    let fresh = consumer.run_once(handler.clone()).await.expect("run");
    assert_eq!(fresh.received, 1, "the orphan is invisible to a fresh get");
    consumer.adopt(&orphan).await.expect("adopt");
    let adopted = consumer.run_once(handler).await.expect("adopted run");
    assert!(adopted.resumed);
    assert_eq!(adopted.process_id.as_deref(), Some(orphan.as_str()));
    assert_eq!(*seen.lock().unwrap(), vec![pending, lost]);
    assert!(consumer.orphans().await.expect("orphans").is_empty());
    assert!(queue(&client).await.is_empty());
}

/// The at-least-once proof: a child process reserves a batch, handles it (logging each event
/// durably) and is killed before it clears. The rows stay reserved under the process_id its
/// checkpoint file names; the next consumer re-reads that batch first, handles every event
/// again, clears it, then takes the events queued meanwhile. Nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_between_get_and_clear_loses_nothing() {
    let sb = sandbox().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let store_path = dir.path().join("tokens.json");
    let store = Arc::new(FileStore::new(&store_path).expect("store"));
    seed(&sb, store.as_ref(), 3600).await;
    let client = admin_client(&sb, store.clone());
    bind(&client, &Binding::offline("ONCRMLEADADD"))
        .await
        .expect("bind");
    let mut first = BTreeSet::new();
    for n in 0..3 {
        first.insert(add_lead(&sb, &format!("before {n}")).await);
    }

    let checkpoint = dir.path().join("offline.pid");
    let log = dir.path().join("handled.log");
    let config = json!({
        "url": sb.url(), "client_id": sb.app().client_id, "client_secret": sb.app().client_secret,
        "member_id": sb.member_id(), "store": store_path, "checkpoint": checkpoint, "log": log,
        "paused": dir.path().join("paused"), "expect": first.len(),
    })
    .to_string();
    let mut child = tokio::process::Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "offline_crash_child_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    wait_for(&dir.path().join("paused"), &mut child).await;
    child.kill().await.expect("kill");
    let _ = child.wait().await;

    // The child handled all three and died before clearing: they are still reserved, under
    // the process_id its checkpoint names.
    let by_child = read_log(&log);
    assert_eq!(by_child, first, "the child handled the whole batch");
    let pid = std::fs::read_to_string(&checkpoint).expect("checkpoint kept");
    let rows = queue(&client).await;
    assert_eq!(rows.len(), 3, "nothing was cleared: {rows:?}");
    assert!(rows.iter().all(|r| r.1 == pid.trim()), "{rows:?} vs {pid}");

    let later = add_lead(&sb, "after the crash").await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let consumer = OfflineConsumer::new(client.clone())
        .limit(10)
        .checkpoint(FileCheckpoint::new(&checkpoint));
    let handler = move |e: OfflineEvent| {
        let sink = sink.clone();
        async move {
            sink.lock().unwrap().push(lead_of(&e));
            Ok::<(), String>(())
        }
    };
    let resumed = consumer.run_once(handler.clone()).await.expect("resume");
    assert!(resumed.resumed);
    assert_eq!(resumed.process_id.as_deref(), Some(pid.trim()));
    assert_eq!((resumed.received, resumed.handled), (3, 3));
    let redelivered: BTreeSet<u64> = seen.lock().unwrap().iter().copied().collect();
    assert_eq!(redelivered, first, "the reserved batch comes first, whole");
    assert!(!checkpoint.exists(), "the finished batch is forgotten");

    let fresh = consumer.run_once(handler).await.expect("next batch");
    assert!(!fresh.resumed);
    assert_eq!((fresh.received, fresh.handled), (1, 1));
    assert_eq!(seen.lock().unwrap().last().copied(), Some(later));
    assert!(queue(&client).await.is_empty());
    let all: BTreeSet<u64> = seen.lock().unwrap().iter().copied().collect();
    assert!(all.is_superset(&first) && all.contains(&later));
}

async fn wait_for(marker: &Path, child: &mut tokio::process::Child) {
    for _ in 0..3000 {
        if marker.exists() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the child never paused");
}

fn read_log(path: &Path) -> BTreeSet<u64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// The child of `a_consumer_killed_between_get_and_clear_loses_nothing`: handles its batch,
/// logging each lead durably, and stops inside the last handler (after `event.offline.get`,
/// before `event.offline.clear`) until it is killed. Run alone, it does nothing.
#[tokio::test]
async fn offline_crash_child_entry() {
    let Ok(config) = std::env::var(CHILD_ENV) else {
        return;
    };
    let c: Value = serde_json::from_str(&config).expect("config");
    let text = |k: &str| c[k].as_str().expect(k).to_string();
    let app = app_with(&text("url"), &text("client_id"), &text("client_secret"));
    let store = Arc::new(FileStore::new(PathBuf::from(text("store"))).expect("store"));
    let session = OAuthSession::new(app, store, text("member_id"));
    let client = Client::builder()
        .oauth(session)
        .limits(RateLimits::off())
        .build()
        .expect("client");
    let expect = c["expect"].as_u64().expect("expect") as usize;
    let (log, paused) = (PathBuf::from(text("log")), PathBuf::from(text("paused")));
    let count = Arc::new(Mutex::new(0usize));
    let consumer = OfflineConsumer::new(client)
        .limit(10)
        .checkpoint(FileCheckpoint::new(text("checkpoint")));
    let _ = consumer
        .run_once(move |e| {
            let (log, paused, count) = (log.clone(), paused.clone(), count.clone());
            async move {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .expect("log");
                writeln!(f, "{}", lead_of(&e)).expect("write");
                f.sync_all().expect("sync");
                let n = {
                    let mut n = count.lock().unwrap();
                    *n += 1;
                    *n
                };
                if n == expect {
                    std::fs::write(&paused, b"").expect("paused");
                    std::future::pending::<()>().await;
                }
                Ok::<(), String>(())
            }
        })
        .await;
}
