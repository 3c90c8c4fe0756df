//! Per-portal delivery state that has no place on `Portal` (owned by the core): the public
//! base URL the sandbox is reached at, and counters of deliveries. Kept in a process-wide list
//! keyed by the portal's address, with a `Weak` so a dropped portal's entry is recognised and
//! pruned.

use crate::state::Portal;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// How many finished deliveries are kept for the inspector.
pub const KEPT_DELIVERIES: usize = 1000;

/// One finished POST to an event handler (its body holds tokens and is not kept).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeliveryRecord {
    /// Sandbox-clock time the POST started, unix seconds.
    pub at: f64,
    /// The event name.
    pub event: String,
    /// The handler URL.
    pub url: String,
    /// The handler's HTTP status; `None` when no answer came.
    pub status: Option<u16>,
    /// Time from sending to the answer (or the failure), milliseconds.
    pub latency_ms: f64,
    /// Why it failed (connection error, timeout), without the body.
    pub error: Option<String>,
}

/// Delivery state of one portal.
#[derive(Debug, Default)]
pub struct EventState {
    in_flight: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    deliveries: Mutex<VecDeque<DeliveryRecord>>,
}

type Entries = Mutex<Vec<(Weak<Portal>, Arc<EventState>)>>;

fn entries() -> &'static Entries {
    static ENTRIES: OnceLock<Entries> = OnceLock::new();
    ENTRIES.get_or_init(|| Mutex::new(Vec::new()))
}

/// The state of `portal`, created on first use.
pub fn of(portal: &Arc<Portal>) -> Arc<EventState> {
    let mut list = entries().lock().unwrap_or_else(|p| p.into_inner());
    list.retain(|(w, _)| w.strong_count() > 0);
    if let Some((_, s)) = list
        .iter()
        .find(|(w, _)| std::ptr::eq(w.as_ptr(), &**portal))
    {
        return s.clone();
    }
    let state = Arc::new(EventState::default());
    list.push((Arc::downgrade(portal), state.clone()));
    state
}

impl EventState {
    /// Deliveries started and not yet finished.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Deliveries answered with a 2xx status.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
    }

    /// Deliveries that failed (connection error, timeout or a non-2xx answer).
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::SeqCst)
    }

    /// The last finished deliveries, oldest first.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        let kept = self.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().cloned().collect()
    }

    pub(super) fn record(&self, record: DeliveryRecord) {
        let mut kept = self.deliveries.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= KEPT_DELIVERIES {
            kept.pop_front();
        }
        kept.push_back(record);
    }

    pub(super) fn start(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn finish(&self, ok: bool) {
        let counter = if ok { &self.delivered } else { &self.failed };
        counter.fetch_add(1, Ordering::SeqCst);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
