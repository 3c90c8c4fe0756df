//! The offline queue against the sandbox: bind helpers, the at-least-once consumer, failed
//! and kept events, and orphaned reservations. The crash test is in
//! `events_offline_crash`.

use crate::offline_support::{add_lead, admin, lead_of, queue, sandbox};
use bitrix24::events::bind::{bind, handlers, unbind, Binding};
use bitrix24::events::offline::{OfflineConsumer, OfflineEvent};
use bitrix24::ErrorKind;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

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
    assert_eq!(empty.process_id, None, "nothing was reserved");
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
