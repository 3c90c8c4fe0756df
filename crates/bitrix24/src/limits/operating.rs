//! The operating-time budget: per method, the portal sums the run time of the last 10 minutes
//! and refuses with 429 `OPERATION_TIME_LIMIT` past the cap (480 s in the docs). Each answer
//! reports the sum (`time.operating`) and when the oldest minute drops out
//! (`operating_reset_at`); inside a `batch` each command counts under its own method and
//! reports its own time in `result_time`.
//!
//! With many calls in flight, the last reported sum is already stale when it arrives: every
//! call still running will add its run time. So a call is admitted only when the reported sum
//! plus an estimate for every call in flight (and for itself) stays under the cap less a
//! headroom; otherwise it waits for the reset. After a reset the client does not know how
//! much dropped out (one minute of ten), so it sends one call alone and learns the new sum
//! from its answer. With a shared [`OperatingBudget`](crate::OperatingBudget) the estimate of
//! other clients' calls in flight counts as well; a call held back only by those re-checks
//! soon, since they land long before the window resets.

use super::operating_budget::OperatingReport;
use crate::response::Time;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Per-method operating-time state, from the last answers and the calls in flight.
#[derive(Debug)]
pub(crate) struct OperatingTracker {
    limit: f64,
    headroom: f64,
    methods: Mutex<HashMap<String, Method>>,
    /// Orders this client's published estimates of its calls in flight (see
    /// [`OperatingTracker::own_in_flight`]).
    published: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Method {
    /// The last reported sum; `None` before the first answer and after a reset.
    operating: Option<f64>,
    /// Whether an answer was ever seen (before the first one nothing is known to wait for).
    seen: bool,
    /// When the oldest minute drops out, on the local monotonic clock.
    resets: Option<Instant>,
    /// Commands of this method sent and not answered yet.
    in_flight: u32,
    /// The estimated run time of one command (moving average of the reported durations).
    cost: f64,
    /// What other clients' commands in flight will add, as they published it (seconds).
    others: f64,
}

/// Calls of these methods admitted by [`OperatingTracker::admit`]; dropping it (answered,
/// failed or cancelled) releases them.
#[derive(Debug)]
pub(crate) struct Admission<'a> {
    tracker: &'a OperatingTracker,
    units: Vec<(String, u32)>,
}

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        let mut map = self.tracker.lock();
        for (method, n) in &self.units {
            if let Some(m) = map.get_mut(method) {
                m.in_flight = m.in_flight.saturating_sub(*n);
            }
        }
    }
}

/// Weight of the newest duration in the cost estimate.
const COST_WEIGHT: f64 = 0.2;

/// How soon a call held back only by other clients' calls in flight looks again.
const OTHERS_RECHECK: Duration = Duration::from_millis(500);

impl OperatingTracker {
    /// `limit`: the portal's cap in seconds; calls wait once the reported use plus the
    /// estimate of the calls in flight comes within `headroom` of it.
    pub(crate) fn new(limit: f64, headroom: f64) -> Self {
        Self {
            limit,
            headroom,
            methods: Mutex::new(HashMap::new()),
            published: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Method>> {
        self.methods.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Admits `units` (method, number of commands) at `now`, or says how long to wait first.
    /// Methods are compared case-insensitively, as the portal does.
    pub(crate) fn admit(
        &self,
        units: &[(String, u32)],
        now: Instant,
    ) -> Result<Admission<'_>, Duration> {
        let mut map = self.lock();
        let mut wait: Option<Duration> = None;
        for (method, n) in units {
            let Some(m) = map.get_mut(method) else {
                continue;
            };
            if let Some(at) = m.resets {
                if now >= at {
                    // The oldest minute dropped out; how much it held is unknown until the
                    // next answer reports the new sum.
                    m.operating = None;
                    m.resets = None;
                }
            }
            let blocked_until = match m.operating {
                None if m.seen && m.in_flight > 0 => {
                    // After a reset: one probe at a time until an answer reports the sum.
                    Some(Duration::from_millis(100))
                }
                None => None,
                Some(used) => {
                    // The portal refuses a command when the sum *before* it is over the cap;
                    // the commands ahead of this one (in flight, and the earlier ones of its
                    // own batch) will have added their run time by the time it runs.
                    let ahead = m.in_flight + n.saturating_sub(1);
                    let own = used + f64::from(ahead) * m.cost;
                    let cap = self.limit - self.headroom;
                    // Nothing to wait for without a reset time: let the portal decide.
                    let reset = m.resets.map(|at| at.saturating_duration_since(now));
                    if own >= cap {
                        reset
                    } else if own + m.others >= cap {
                        Some(reset.map_or(OTHERS_RECHECK, |r| r.min(OTHERS_RECHECK)))
                    } else {
                        None
                    }
                }
            };
            if let Some(w) = blocked_until {
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        if let Some(w) = wait {
            return Err(w.max(Duration::from_millis(1)));
        }
        for (method, n) in units {
            let m = map.entry(method.clone()).or_default();
            m.in_flight = m.in_flight.saturating_add(*n);
        }
        Ok(Admission {
            tracker: self,
            units: units.to_vec(),
        })
    }

    /// Records an answer of `method` received at `now`. The reset time is turned into a local
    /// instant through the portal's own `finish` time, so a skewed portal clock does not matter.
    /// The numbers come validated from [`Time`] (finite, not negative).
    pub(crate) fn record(&self, method: &str, time: &Time, now: Instant) {
        let Some(operating) = time.operating.filter(|v| v.is_finite() && *v >= 0.0) else {
            return;
        };
        let server_now = time.finish.or(time.start).filter(|v| v.is_finite());
        let resets = match (time.operating_reset_at, server_now) {
            (Some(reset), Some(at)) => {
                let secs = (reset as f64 - at).clamp(0.0, 600.0);
                Some(now + Duration::from_secs_f64(secs))
            }
            _ => None,
        };
        let duration = time
            .duration
            .or(time.processing)
            .filter(|d| d.is_finite() && *d >= 0.0)
            .unwrap_or(0.0)
            .min(600.0);
        let mut map = self.lock();
        let m = map.entry(method.to_ascii_lowercase()).or_default();
        m.cost = if m.seen {
            m.cost + COST_WEIGHT * (duration - m.cost)
        } else {
            duration
        };
        m.seen = true;
        m.operating = Some(operating);
        m.resets = resets.or(m.resets);
    }

    /// Takes in a report shared by other clients (see
    /// [`OperatingBudget`](crate::OperatingBudget)): the larger of the two sums, the later
    /// reset, the larger cost estimate. Before the first own answer it is all there is.
    pub(crate) fn merge(&self, method: &str, report: &OperatingReport, now: Instant) {
        let mut map = self.lock();
        let m = map.entry(method.to_ascii_lowercase()).or_default();
        let resets = report.resets_in.map(|r| now + r);
        m.operating = Some(
            m.operating
                .map_or(report.operating, |o| o.max(report.operating)),
        );
        m.resets = match (m.resets, resets) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        m.cost = if m.seen {
            m.cost.max(report.cost)
        } else {
            report.cost
        };
        m.seen = true;
    }

    /// Takes in what other clients' calls of `method` in flight will add (seconds), as the
    /// shared budget sums their estimates; replaces the earlier figure.
    pub(crate) fn set_others_in_flight(&self, method: &str, seconds: f64) {
        let mut map = self.lock();
        let m = map.entry(method.to_ascii_lowercase()).or_default();
        m.others = crate::limits::clean_seconds(seconds);
    }

    /// What this client's own commands of `method` in flight will add (seconds), to publish,
    /// with its place in the order of this client's estimates. Calls publish concurrently
    /// and their writes may land in any order; the sequence, taken under the same lock as
    /// the figure, lets the budget keep the newest.
    pub(crate) fn own_in_flight(&self, method: &str) -> (f64, u64) {
        let map = self.lock();
        let seconds = map
            .get(&method.to_ascii_lowercase())
            .map_or(0.0, |m| f64::from(m.in_flight) * m.cost);
        (seconds, self.published.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// What this tracker knows of `method`, as a report to share; `None` before an answer.
    pub(crate) fn report(&self, method: &str, now: Instant) -> Option<OperatingReport> {
        let m = *self.lock().get(&method.to_ascii_lowercase())?;
        Some(OperatingReport::new(
            m.operating?,
            m.resets.map(|at| at.saturating_duration_since(now)),
            m.cost,
        ))
    }

    /// The wait until `method`'s window resets, as last reported.
    pub(crate) fn reset_in(&self, method: &str, now: Instant) -> Option<Duration> {
        let m = *self.lock().get(&method.to_ascii_lowercase())?;
        m.resets.map(|at| at.saturating_duration_since(now))
    }
}

/// The admission units of one plain call.
pub(crate) fn single(method: &str) -> Vec<(String, u32)> {
    vec![(method.to_ascii_lowercase(), 1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(operating: f64, finish: f64, reset: i64, duration: f64) -> Time {
        Time {
            finish: Some(finish),
            duration: Some(duration),
            operating: Some(operating),
            operating_reset_at: Some(reset),
            ..Time::default()
        }
    }

    #[test]
    fn waits_only_when_close_to_the_limit_and_until_the_reset() {
        let t = OperatingTracker::new(480.0, 24.0);
        let now = Instant::now();
        let list = single("crm.lead.list");
        t.record("crm.lead.list", &time(100.0, 1000.0, 1300, 0.5), now);
        assert!(t.admit(&list, now).is_ok());
        t.record("CRM.LEAD.LIST", &time(460.0, 1000.5, 1300, 0.5), now);
        let w = t.admit(&list, now).unwrap_err();
        assert!((w.as_secs_f64() - 299.5).abs() < 0.01, "{w:?}");
        assert!(
            t.admit(&single("crm.deal.list"), now).is_ok(),
            "other methods are not affected"
        );
        let later = now + Duration::from_secs(300);
        assert!(t.admit(&list, later).is_ok(), "the window reset");
    }

    #[test]
    fn calls_in_flight_count_against_the_budget() {
        let t = OperatingTracker::new(100.0, 0.0);
        let now = Instant::now();
        t.record("m", &time(50.0, 1000.0, 1300, 10.0), now);
        // 50 used, 10 s a call: the fifth call in flight arrives at 90, a sixth would at 100.
        let held: Vec<_> = (0..5)
            .map(|_| t.admit(&single("m"), now).unwrap())
            .collect();
        assert!(t.admit(&single("m"), now).is_err());
        drop(held);
        assert!(t.admit(&single("m"), now).is_ok(), "released on drop");
        // A batch of 6 commands of `m` is 6 units: its last command would arrive at 100.
        assert!(t.admit(&[("m".into(), 6)], now).is_err());
        assert!(t.admit(&[("m".into(), 5)], now).is_ok());
    }

    #[test]
    fn after_a_reset_one_probe_goes_alone() {
        let t = OperatingTracker::new(100.0, 0.0);
        let now = Instant::now();
        t.record("m", &time(99.0, 1000.0, 1010, 1.0), now);
        let later = now + Duration::from_secs(11);
        let probe = t.admit(&single("m"), later).unwrap();
        assert!(
            t.admit(&single("m"), later).is_err(),
            "the sum is unknown until the probe is answered"
        );
        t.record("m", &time(40.0, 1011.0, 1070, 1.0), later);
        drop(probe);
        assert!(t.admit(&single("m"), later).is_ok());
    }

    #[test]
    fn a_shared_report_makes_a_fresh_tracker_wait() {
        let t = OperatingTracker::new(100.0, 5.0);
        let now = Instant::now();
        assert!(t.report("m", now).is_none());
        let shared = OperatingReport::new(97.0, Some(Duration::from_secs(30)), 1.0);
        t.merge("M", &shared, now);
        let w = t.admit(&single("m"), now).unwrap_err();
        assert!((w.as_secs_f64() - 30.0).abs() < 0.01, "{w:?}");
        let back = t.report("m", now).unwrap();
        assert_eq!((back.operating, back.cost), (97.0, 1.0));
        // A smaller shared sum never lowers what this tracker saw itself.
        t.merge("m", &OperatingReport::new(10.0, None, 0.1), now);
        assert_eq!(t.report("m", now).unwrap().operating, 97.0);
    }

    #[test]
    fn other_clients_calls_in_flight_hold_a_call_back_briefly() {
        let t = OperatingTracker::new(100.0, 0.0);
        let now = Instant::now();
        t.record("m", &time(50.0, 1000.0, 1300, 10.0), now);
        let mine = t.admit(&single("m"), now).unwrap();
        let (seconds, first) = t.own_in_flight("M");
        assert_eq!(seconds, 10.0, "one call of 10 s in flight");
        assert!(t.own_in_flight("m").1 > first, "each estimate comes later");
        // Others expect 35 s more: 50 + 10 (mine) + 35 leaves room for one more...
        t.set_others_in_flight("m", 35.0);
        let second = t.admit(&single("m"), now).unwrap();
        // ...but not two: held back until the others land, not until the reset.
        let wait = t.admit(&single("m"), now).unwrap_err();
        assert_eq!(wait, OTHERS_RECHECK);
        t.set_others_in_flight("m", 0.0);
        assert!(t.admit(&single("m"), now).is_ok(), "they landed");
        // Over the cap on its own account, a call waits for the reset, as before.
        drop((mine, second));
        t.record("m", &time(100.0, 1000.0, 1300, 10.0), now);
        t.set_others_in_flight("m", 50.0);
        let w = t.admit(&single("m"), now).unwrap_err();
        assert!((w.as_secs_f64() - 300.0).abs() < 0.01, "{w:?}");
    }

    #[test]
    fn answers_without_operating_or_with_nonsense_are_ignored() {
        let t = OperatingTracker::new(1.0, 0.0);
        let now = Instant::now();
        t.record("x.list", &Time::default(), now);
        for bad in [f64::NAN, f64::INFINITY, -1.0] {
            t.record("x.list", &time(bad, bad, i64::MAX, bad), now);
        }
        assert!(t.admit(&single("x.list"), now).is_ok());
        assert_eq!(t.reset_in("x.list", now), None);
    }
}
