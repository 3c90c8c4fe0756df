//! The operating-time budget shared between clients: what the portal last reported per
//! (caller, method), where other clients (in other processes, with a shared implementation)
//! read it before they send.
//!
//! A client's own [`OperatingTracker`](super::OperatingTracker) counts its calls in flight and
//! learns from its answers; with an [`OperatingBudget`] it also stores every report there and,
//! before each call, takes in the newest reports of the methods it is about to run. So a
//! process that has not called a method yet still waits when others brought it near the cap.
//!
//! Calls in flight count too: a report is already stale when it arrives, by the run time of
//! every call still running, in this process or another. So each client also publishes what
//! it expects its calls in flight to add (their number times the estimated cost of one) when
//! the number changes, and counts what the others published before it sends. An estimate not
//! renewed within [`OPERATING_IN_FLIGHT_TTL`] is forgotten, so a client killed with calls in flight
//! holds nobody back for long.
//!
//! - [`LocalOperatingBudget`]: shared by the clients of one process that hold it.
//! - `PostgresOperatingBudget` (feature `postgres`): one row per (caller, method).

use crate::error::Result;
use futures::future::BoxFuture;
use futures::FutureExt;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a published estimate of calls in flight counts without being renewed. A call
/// still running after that is counted again when its answer is reported.
pub const OPERATING_IN_FLIGHT_TTL: Duration = Duration::from_secs(120);

/// What the portal reported for one (caller, method) in its last answer.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct OperatingReport {
    /// Seconds of run time the method used in the current 10-minute window.
    pub operating: f64,
    /// When the oldest minute of the window drops out, from now; `None` when not reported.
    pub resets_in: Option<Duration>,
    /// The estimated run time of one call of the method, in seconds.
    pub cost: f64,
}

impl OperatingReport {
    /// A report of `operating` seconds used, resetting in `resets_in`, `cost` seconds a call.
    /// Non-finite or negative numbers count as zero.
    pub fn new(operating: f64, resets_in: Option<Duration>, cost: f64) -> Self {
        let clean = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
        Self {
            operating: clean(operating),
            resets_in,
            cost: clean(cost),
        }
    }
}

/// Where operating-time reports are shared. `key` names the caller on the portal (the portal
/// and the app's `client_id`, or the portal and the webhook's user); methods are lower case.
pub trait OperatingBudget: Send + Sync + std::fmt::Debug {
    /// The newest report of each of `methods` under `key`, in the same order: `None` for a
    /// method without one or whose window has reset since.
    ///
    /// # Errors
    /// Whatever keeps the reports from being read; the call then fails with that error.
    fn load<'a>(
        &'a self,
        key: &'a str,
        methods: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Option<OperatingReport>>>>;

    /// Keeps `report` as the newest of `method` under `key`. Within one window the larger
    /// sum wins (the portal's sum only grows until the window resets).
    ///
    /// # Errors
    /// Whatever keeps the report from being written; the client logs it and goes on.
    fn store<'a>(
        &'a self,
        key: &'a str,
        method: &'a str,
        report: OperatingReport,
    ) -> BoxFuture<'a, Result<()>>;

    /// Publishes that the calls of `method` the client named `client` has in flight under
    /// `key` will add about `seconds` of run time (0: none in flight), replacing its earlier
    /// estimate; forgotten after [`OPERATING_IN_FLIGHT_TTL`] unless published again. A
    /// client's estimates are ordered by `sequence` (they may arrive out of order): one older
    /// than the kept one is ignored.
    ///
    /// The default keeps nothing: an implementation without it shares reports only.
    ///
    /// # Errors
    /// Whatever keeps the estimate from being written; the client logs it and goes on.
    fn publish_in_flight<'a>(
        &'a self,
        key: &'a str,
        client: &'a str,
        method: &'a str,
        seconds: f64,
        sequence: u64,
    ) -> BoxFuture<'a, Result<()>> {
        let _ = (key, client, method, seconds, sequence);
        async { Ok(()) }.boxed()
    }

    /// The sum of the live estimates every client but `client` published for each of
    /// `methods` under `key`, in the same order (0 where none).
    ///
    /// # Errors
    /// Whatever keeps the estimates from being read; the call then fails with that error.
    fn others_in_flight<'a>(
        &'a self,
        key: &'a str,
        client: &'a str,
        methods: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>>> {
        let _ = (key, client);
        let none = vec![0.0; methods.len()];
        async move { Ok(none) }.boxed()
    }
}

/// An estimate of calls in flight as the budgets keep it: finite and not negative.
pub(crate) fn clean_seconds(seconds: f64) -> f64 {
    if seconds.is_finite() {
        seconds.max(0.0)
    } else {
        0.0
    }
}

/// Reports shared by the clients of this process that hold one `Arc<LocalOperatingBudget>`.
#[derive(Debug, Default)]
pub struct LocalOperatingBudget {
    reports: Mutex<HashMap<(String, String), (OperatingReport, Instant)>>,
    /// (key, method, client) → its newest estimate.
    flights: Mutex<HashMap<(String, String, String), Flight>>,
}

/// One client's newest estimate of its calls in flight.
#[derive(Debug, Clone, Copy)]
struct Flight {
    seconds: f64,
    sequence: u64,
    published: Instant,
}

impl LocalOperatingBudget {
    /// An empty budget.
    pub fn new() -> Self {
        Self::default()
    }
}

impl OperatingBudget for LocalOperatingBudget {
    fn load<'a>(
        &'a self,
        key: &'a str,
        methods: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Option<OperatingReport>>>> {
        let now = Instant::now();
        let map = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        let found = methods
            .iter()
            .map(|m| {
                let (report, at) = map.get(&(key.to_string(), m.clone()))?;
                let resets_in = match report.resets_in {
                    Some(r) => Some(r.checked_sub(now.saturating_duration_since(*at))?),
                    None => None,
                };
                Some(OperatingReport {
                    resets_in,
                    ..*report
                })
            })
            .collect();
        async move { Ok(found) }.boxed()
    }

    fn store<'a>(
        &'a self,
        key: &'a str,
        method: &'a str,
        report: OperatingReport,
    ) -> BoxFuture<'a, Result<()>> {
        let now = Instant::now();
        let mut map = self.reports.lock().unwrap_or_else(|p| p.into_inner());
        let slot = map.entry((key.to_string(), method.to_string()));
        let entry = slot.or_insert((report, now));
        let same_window = entry
            .0
            .resets_in
            .is_some_and(|r| now.saturating_duration_since(entry.1) < r);
        if !same_window || report.operating >= entry.0.operating {
            *entry = (report, now);
        }
        async { Ok(()) }.boxed()
    }

    fn publish_in_flight<'a>(
        &'a self,
        key: &'a str,
        client: &'a str,
        method: &'a str,
        seconds: f64,
        sequence: u64,
    ) -> BoxFuture<'a, Result<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        let id = (key.to_string(), method.to_string(), client.to_string());
        let newer = Flight {
            seconds: clean_seconds(seconds),
            sequence,
            published: Instant::now(),
        };
        let kept = flights.entry(id).or_insert(newer);
        if sequence > kept.sequence {
            *kept = newer;
        }
        async { Ok(()) }.boxed()
    }

    fn others_in_flight<'a>(
        &'a self,
        key: &'a str,
        client: &'a str,
        methods: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<f64>>> {
        let mut flights = self.flights.lock().unwrap_or_else(|p| p.into_inner());
        flights.retain(|_, f| f.published.elapsed() < OPERATING_IN_FLIGHT_TTL);
        let sums = methods
            .iter()
            .map(|m| {
                flights
                    .iter()
                    .filter(|((k, method, c), _)| k == key && method == m && c != client)
                    .map(|(_, f)| f.seconds)
                    .sum()
            })
            .collect();
        async move { Ok(sums) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_the_larger_sum_within_a_window_and_forgets_reset_ones() {
        let b = LocalOperatingBudget::new();
        let m = vec!["crm.lead.list".to_string(), "other".to_string()];
        let secs = |s| Some(Duration::from_secs(s));
        b.store(
            "k",
            "crm.lead.list",
            OperatingReport::new(10.0, secs(300), 0.5),
        )
        .await
        .unwrap();
        b.store(
            "k",
            "crm.lead.list",
            OperatingReport::new(4.0, secs(300), 0.5),
        )
        .await
        .unwrap();
        let got = b.load("k", &m).await.unwrap();
        assert_eq!(got[0].map(|r| r.operating), Some(10.0));
        assert_eq!(got[1], None);
        assert_eq!(b.load("other key", &m).await.unwrap()[0], None);
        b.store(
            "k",
            "other",
            OperatingReport::new(9.0, Some(Duration::ZERO), 0.1),
        )
        .await
        .unwrap();
        assert_eq!(b.load("k", &m).await.unwrap()[1], None, "its window reset");
        assert_eq!(OperatingReport::new(f64::NAN, None, -1.0).operating, 0.0);
    }

    #[tokio::test]
    async fn counts_the_other_clients_calls_in_flight_not_its_own() {
        let b = LocalOperatingBudget::new();
        let m = vec!["crm.lead.list".to_string(), "other".to_string()];
        b.publish_in_flight("k", "a", "crm.lead.list", 3.0, 1)
            .await
            .unwrap();
        b.publish_in_flight("k", "b", "crm.lead.list", 1.5, 1)
            .await
            .unwrap();
        b.publish_in_flight("other key", "c", "crm.lead.list", 9.0, 1)
            .await
            .unwrap();
        assert_eq!(b.others_in_flight("k", "a", &m).await.unwrap(), [1.5, 0.0]);
        assert_eq!(b.others_in_flight("k", "z", &m).await.unwrap(), [4.5, 0.0]);
        // A newer estimate replaces the older one, an older one arriving late does not;
        // nonsense counts as none.
        b.publish_in_flight("k", "b", "crm.lead.list", 0.5, 3)
            .await
            .unwrap();
        b.publish_in_flight("k", "b", "crm.lead.list", 2.0, 2)
            .await
            .unwrap();
        assert_eq!(b.others_in_flight("k", "a", &m).await.unwrap()[0], 0.5);
        b.publish_in_flight("k", "b", "crm.lead.list", f64::NAN, 4)
            .await
            .unwrap();
        assert_eq!(b.others_in_flight("k", "a", &m).await.unwrap()[0], 0.0);
    }
}
