//! Offline queues from a fleet: leases on portals in PostgreSQL are exclusive, move on when
//! a worker stops renewing them, and carry the checkpoint, so the worker that takes a dead
//! worker's portal finishes the batch the dead one had reserved: nothing is lost.

use crate::offline_support::{add_lead, admin, lead_of, queue, sandbox};
use crate::postgres_support::fresh_database;
use bitrix24::events::bind::{bind, Binding};
use bitrix24::events::offline::{Checkpoint, OfflineConsumer, OfflineLeases};
use bitrix24::postgres::Database;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(2);

async fn worker(url: &str, name: &str) -> OfflineLeases {
    let db = Database::connect_with_pool_size(url, 2)
        .await
        .expect("connect");
    OfflineLeases::new(db, name, LEASE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_are_exclusive_and_move_on_when_not_renewed() {
    let url = fresh_database().await;
    let (one, two) = (worker(&url, "w1").await, worker(&url, "w2").await);
    let portals: Vec<String> = (0..10).map(|i| format!("portal-{i:02}")).collect();
    one.register(&portals).await.expect("register");
    two.register(&portals[..3])
        .await
        .expect("registering twice is harmless");
    // Claimed at once from two workers: disjoint, and together everything.
    let (a, b) = tokio::join!(one.claim(6), two.claim(10));
    let (a, b) = (a.expect("claim"), b.expect("claim"));
    let (a, b): (BTreeSet<_>, BTreeSet<_>) = (a.into_iter().collect(), b.into_iter().collect());
    assert!(a.is_disjoint(&b), "{a:?} and {b:?}");
    assert_eq!(a.len() + b.len(), 10, "{a:?} {b:?}");
    // A renewal gets a worker its own portals back, and nothing of the other's.
    let again: BTreeSet<_> = one.claim(10).await.expect("renew").into_iter().collect();
    assert_eq!(again, a);
    // `two` stops renewing: once its leases expired, `one` takes them all.
    tokio::time::sleep(LEASE + Duration::from_millis(300)).await;
    one.claim(10).await.expect("renew");
    let all = one.claim(10).await.expect("claim");
    assert_eq!(all, portals, "the stopped worker's portals moved");
    assert!(two.claim(10).await.expect("claim").is_empty());
    // A released lease is free at once.
    one.release("portal-00").await.expect("release");
    assert_eq!(two.claim(1).await.expect("claim"), vec!["portal-00"]);
}

/// Worker 1 reserves a batch and dies before clearing it (its task is dropped mid-handler, so
/// it never renews). Worker 2 gets nothing while the lease lives, takes the portal once it
/// expired, resumes the reserved batch from the checkpoint in the lease row, and handles every
/// event; the queue ends empty. Worker 1's checkpoint writes are refused from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_workers_portal_moves_and_nothing_is_lost() {
    let sb = sandbox().await;
    let client = admin(&sb).await;
    bind(&client, &Binding::offline("ONCRMLEADADD"))
        .await
        .expect("bind");
    let mut added = BTreeSet::new();
    for n in 0..5 {
        added.insert(add_lead(&sb, &format!("lead {n}")).await);
    }
    let url = fresh_database().await;
    let (one, two) = (worker(&url, "w1").await, worker(&url, "w2").await);
    let member = sb.member_id().to_string();
    one.register(std::slice::from_ref(&member))
        .await
        .expect("register");
    assert_eq!(one.claim(5).await.expect("claim"), vec![member.clone()]);

    let consumer = OfflineConsumer::new(client.clone())
        .limit(50)
        .checkpoint(one.checkpoint(&member));
    let dying = tokio::spawn(async move {
        consumer
            .run_once(|_e| futures::future::pending::<Result<(), String>>())
            .await
    });
    let checkpoint = two.checkpoint(&member);
    for _ in 0..500 {
        if checkpoint.load().await.expect("load").is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        checkpoint.load().await.expect("load").is_some(),
        "worker 1 reserved a batch"
    );
    dying.abort();
    assert!(
        two.claim(5).await.expect("claim").is_empty(),
        "the lease still lives"
    );
    tokio::time::sleep(LEASE + Duration::from_millis(300)).await;
    assert_eq!(two.claim(5).await.expect("claim"), vec![member.clone()]);

    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let sink = seen.clone();
    let stats = OfflineConsumer::new(client.clone())
        .checkpoint(two.checkpoint(&member))
        .drain(move |e| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").insert(lead_of(&e));
                Ok::<(), String>(())
            }
        })
        .await
        .expect("drain");
    assert_eq!(stats.handled, 5, "{stats:?}");
    assert_eq!(*seen.lock().expect("lock"), added, "every event, none lost");
    assert!(queue(&client).await.is_empty(), "everything was cleared");
    let refused = one
        .checkpoint(&member)
        .save(Some("stale"))
        .await
        .expect_err("worker 1 lost the lease");
    assert!(refused.to_string().contains("not held by w1"), "{refused}");
}
