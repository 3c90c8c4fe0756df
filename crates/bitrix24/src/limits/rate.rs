//! The request rate: a GCRA limiter (governor) shaped like the portal's leaky bucket.
//!
//! By default the limiter lives in the [`Client`](crate::Client) and is shared by its clones
//! only: two clients built separately for one portal do not know about each other, so clone
//! one client, or give them one [`RateBudget`](super::RateBudget) (in another process: a
//! shared one, such as the PostgreSQL budget). The portal also counts other apps and IPs, so
//! the server can still push back; the retry rules handle that.

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

/// The arrival jitter the limiter leaves room for, in seconds.
const JITTER_SECONDS: f64 = 0.5;

/// The request-rate limit the client keeps to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    params: Option<(f64, u32)>,
}

// The rate is finite and positive (see `custom`), so equality is total and hashing its bits
// is consistent with it: budgets key their buckets by the limits too.
impl Eq for RateLimits {}

impl std::hash::Hash for RateLimits {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.params.map(|(r, b)| (r.to_bits(), b)).hash(state);
    }
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

    /// The bucket's size, `None` when limits are off.
    pub(crate) fn burst(self) -> Option<u32> {
        self.params.map(|(_, burst)| burst)
    }

    /// No client-side limit (tests, or when something else paces the calls).
    pub fn off() -> Self {
        Self { params: None }
    }

    /// The shape of the bucket as GCRA sees it: the emission interval (seconds between two
    /// requests at the drain rate) and the burst tolerance (how far ahead of that schedule a
    /// request may be, in seconds), with the same jitter margin as the in-process limiter.
    /// `None` for [`RateLimits::off`]. A [`RateBudget`](crate::RateBudget) kept
    /// elsewhere admits a request at `now` when its theoretical arrival time `tat` satisfies
    /// `tat - tolerance <= now`, and then moves `tat` to `max(tat, now) + interval`.
    pub fn gcra(self) -> Option<(f64, f64)> {
        let (rate, burst) = self.params?;
        let interval = 1.0 / rate;
        let burst = burst - self.margin(rate, burst);
        Some((interval, f64::from(burst.saturating_sub(1)) * interval))
    }

    fn margin(self, rate: f64, burst: u32) -> u32 {
        let jitter = (rate * JITTER_SECONDS)
            .ceil()
            .clamp(1.0, f64::from(u32::MAX)) as u32;
        if burst > 1 {
            jitter.min(burst - 1)
        } else {
            0
        }
    }

    /// The limiter keeps a margin of what the bucket drains in half a second (at least one
    /// request when the bucket holds more than one): requests released on time can still
    /// reach the portal bunched up (connection setup, scheduling, a slower route), and a full
    /// bucket has no room for that. Half a second of such jitter is far more than loopback or
    /// a data-centre route shows; more than that only costs the margin in throughput.
    pub(crate) fn build(self) -> Option<DefaultDirectRateLimiter> {
        let (rate, burst) = self.params?;
        let period = Duration::from_secs_f64(1.0 / rate);
        let burst = NonZeroU32::new(burst - self.margin(rate, burst))?;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(RateLimiter::direct(quota))
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::standard()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn governor_quota_matches_the_bucket() {
        let l = RateLimits::custom(2.0, 4).build().unwrap();
        for _ in 0..3 {
            assert!(l.check().is_ok());
        }
        assert!(l.check().is_err(), "the burst less the margin is spent");
        let l = RateLimits::standard().build().unwrap();
        assert_eq!((0..60).filter(|_| l.check().is_ok()).count(), 49);
        let l = RateLimits::enterprise().build().unwrap();
        assert_eq!((0..300).filter(|_| l.check().is_ok()).count(), 247);
        assert!(RateLimits::off().build().is_none());
    }

    #[test]
    fn gcra_shape_matches_the_governor_quota() {
        // Standard: 0.5 s apart, 49 at once (50 less the margin), so 48 intervals ahead.
        assert_eq!(RateLimits::standard().gcra(), Some((0.5, 24.0)));
        assert_eq!(RateLimits::custom(2.0, 1).gcra(), Some((0.5, 0.0)));
        assert_eq!(RateLimits::off().gcra(), None);
    }
}
