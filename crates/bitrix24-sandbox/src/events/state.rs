//! Per-portal delivery state that has no place on `Portal` (owned by the core): the public
//! base URL the sandbox is reached at, and counters of deliveries. Kept in a process-wide list
//! keyed by the portal's address, with a `Weak` so a dropped portal's entry is recognised and
//! pruned.

use crate::state::Portal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// Delivery state of one portal.
#[derive(Debug, Default)]
pub struct EventState {
    base_url: Mutex<Option<String>>,
    in_flight: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
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
    /// Records the URL the sandbox serves at (e.g. `http://127.0.0.1:40123`), which becomes
    /// `client_endpoint` and `domain` in event payloads.
    pub fn set_base_url(&self, url: &str) {
        let url = url.trim_end_matches('/').to_string();
        *self.base_url.lock().unwrap_or_else(|p| p.into_inner()) = Some(url);
    }

    /// The recorded base URL.
    pub fn base_url(&self) -> Option<String> {
        self.base_url
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

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

    pub(super) fn start(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
    }

    pub(super) fn finish(&self, ok: bool) {
        let counter = if ok { &self.delivered } else { &self.failed };
        counter.fetch_add(1, Ordering::SeqCst);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
