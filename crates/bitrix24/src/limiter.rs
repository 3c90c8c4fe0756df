//! Staying inside the portal's limits instead of running into them.
//!
//! - The request rate: the cloud drains a per-portal bucket at 2 requests/s and refuses with
//!   503 past 50 (Enterprise: 5/s, 250). A GCRA limiter (governor) with the same numbers lets
//!   a client burst like the bucket allows and then paces it at the drain rate. The limiter
//!   lives in the [`Client`](crate::Client) and is shared by its clones only: two clients
//!   built separately for one portal do not know about each other, so clone one client
//!   instead. The portal also counts other apps and IPs, so the server can still push back;
//!   the retry rules handle that.
//! - The operating time: each method's run time over 10 minutes is capped (480 s on the
//!   cloud). Every answer reports `time.operating` and `operating_reset_at`; when a method is
//!   close to the cap, its next call waits until the window resets instead of getting a 429.

use crate::response::Time;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The request-rate limit the client keeps to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    params: Option<(f64, u32)>,
}

impl RateLimits {
    /// Every plan but Enterprise: 2 requests/s, bursts of 50 (the default).
    pub fn standard() -> Self {
        Self::custom(2.0, 50)
    }

    /// Enterprise: 5 requests/s, bursts of 250.
    pub fn enterprise() -> Self {
        Self::custom(5.0, 250)
    }

    /// Any other rate (requests per second, at least 0.001) and burst (at least 1).
    pub fn custom(per_second: f64, burst: u32) -> Self {
        let rate = if per_second.is_finite() {
            per_second.max(0.001)
        } else {
            1.0
        };
        Self {
            params: Some((rate, burst.max(1))),
        }
    }

    /// No client-side limit (tests, or when something else paces the calls).
    pub fn off() -> Self {
        Self { params: None }
    }

    /// The limiter keeps a margin of 1/20 of the bucket (at least one request when the bucket
    /// holds more than one): requests released on time can still reach the portal bunched up
    /// (connection setup, scheduling), and a full bucket has no room for that.
    pub(crate) fn build(self) -> Option<DefaultDirectRateLimiter> {
        let (rate, burst) = self.params?;
        let period = Duration::from_secs_f64(1.0 / rate);
        let margin = if burst > 1 { (burst / 20).max(1) } else { 0 };
        let burst = NonZeroU32::new(burst - margin)?;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(RateLimiter::direct(quota))
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::standard()
    }
}

/// Per-method operating-time state, from the last answers.
#[derive(Debug)]
pub(crate) struct OperatingTracker {
    limit: f64,
    headroom: f64,
    methods: Mutex<HashMap<String, Seen>>,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    operating: f64,
    /// When the oldest bucket drops out, on the local monotonic clock.
    resets: Option<Instant>,
}

impl OperatingTracker {
    /// `limit`: the portal's cap in seconds; calls wait once a method's reported use is
    /// within `headroom` of it (so calls already in flight do not push it over).
    pub(crate) fn new(limit: f64, headroom: f64) -> Self {
        Self {
            limit,
            headroom,
            methods: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Seen>> {
        self.methods.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an answer of `method` received at `now`. The reset time is turned into a local
    /// instant through the portal's own `finish` time, so a skewed portal clock does not matter.
    pub(crate) fn record(&self, method: &str, time: &Time, now: Instant) {
        let Some(operating) = time.operating else {
            return;
        };
        let server_now = time.finish.or(time.start);
        let resets = match (time.operating_reset_at, server_now) {
            (Some(reset), Some(at)) => {
                let secs = (reset as f64 - at).clamp(0.0, 600.0);
                Some(now + Duration::from_secs_f64(secs))
            }
            _ => None,
        };
        self.lock()
            .insert(method.to_ascii_lowercase(), Seen { operating, resets });
    }

    /// How long a call of `method` made at `now` should wait, if at all.
    pub(crate) fn wait_for(&self, method: &str, now: Instant) -> Option<Duration> {
        let key = method.to_ascii_lowercase();
        let mut map = self.lock();
        let seen = *map.get(&key)?;
        if let Some(at) = seen.resets {
            if now >= at {
                // The window moved on: forget it, the next answer reports afresh.
                map.remove(&key);
                return None;
            }
        }
        if seen.operating < self.limit - self.headroom {
            return None;
        }
        seen.resets.map(|at| at - now)
    }

    /// The wait until `method`'s window resets, as last reported.
    pub(crate) fn reset_in(&self, method: &str, now: Instant) -> Option<Duration> {
        let seen = *self.lock().get(&method.to_ascii_lowercase())?;
        seen.resets.map(|at| at.saturating_duration_since(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(operating: f64, finish: f64, reset: i64) -> Time {
        Time {
            finish: Some(finish),
            operating: Some(operating),
            operating_reset_at: Some(reset),
            ..Time::default()
        }
    }

    #[test]
    fn waits_only_when_close_to_the_limit_and_until_the_reset() {
        let t = OperatingTracker::new(480.0, 24.0);
        let now = Instant::now();
        t.record("crm.lead.list", &time(100.0, 1000.0, 1300), now);
        assert_eq!(t.wait_for("crm.lead.list", now), None);
        t.record("CRM.LEAD.LIST", &time(460.0, 1000.5, 1300), now);
        let w = t.wait_for("crm.lead.list", now).unwrap();
        assert!((w.as_secs_f64() - 299.5).abs() < 0.01, "{w:?}");
        assert_eq!(
            t.wait_for("crm.deal.list", now),
            None,
            "other methods are not affected"
        );
        let later = now + Duration::from_secs(300);
        assert_eq!(t.wait_for("crm.lead.list", later), None, "the window reset");
        assert_eq!(t.wait_for("crm.lead.list", later), None);
    }

    #[test]
    fn answers_without_operating_are_ignored() {
        let t = OperatingTracker::new(1.0, 0.0);
        let now = Instant::now();
        t.record("x.list", &Time::default(), now);
        assert_eq!(t.wait_for("x.list", now), None);
        assert_eq!(t.reset_in("x.list", now), None);
    }

    #[test]
    fn governor_quota_matches_the_bucket() {
        let l = RateLimits::custom(2.0, 4).build().unwrap();
        for _ in 0..3 {
            assert!(l.check().is_ok());
        }
        assert!(l.check().is_err(), "the burst less the margin is spent");
        let l = RateLimits::standard().build().unwrap();
        assert_eq!((0..60).filter(|_| l.check().is_ok()).count(), 48);
        assert!(RateLimits::off().build().is_none());
    }
}
