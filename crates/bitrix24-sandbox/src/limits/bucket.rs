//! The cloud's leaky bucket in front of PHP (not in the PHP source; numbers from the docs,
//! `limits.md`): every request adds one to a per-portal counter that drains at a fixed rate;
//! a request that would overflow the bucket is refused with 503 `QUERY_LIMIT_EXCEEDED`.
//!
//! Choices where the docs are silent (listed in the sandbox README):
//! - one bucket per sandbox portal, whatever the app, webhook or source IP;
//! - a refused request does not fill the bucket;
//! - no `Retry-After` header is sent;
//! - the bucket drains on the sandbox clock ([`crate::clock`]): real time by default, so
//!   clients pace themselves on real time, while a test that advances or freezes the clock
//!   gets exact figures without sleeping.

use crate::config::Limits;
use crate::error::ApiError;
use std::sync::Mutex;

/// A leaky bucket for one portal.
#[derive(Debug)]
pub struct RateBucket {
    inner: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limits: Limits,
    level: f64,
    /// Sandbox time of the last admitted or refused request; `None` until the first one (and
    /// after a change of limits), so an empty bucket needs no clock to start.
    last: Option<f64>,
    refused: u64,
}

impl RateBucket {
    /// A bucket with the given limits, empty.
    pub fn new(limits: Limits) -> Self {
        Self {
            inner: Mutex::new(State {
                limits,
                level: 0.0,
                last: None,
                refused: 0,
            }),
        }
    }

    /// Changes the limits and empties the bucket.
    pub fn set_limits(&self, limits: Limits) {
        let mut s = self.lock();
        s.limits = limits;
        s.level = 0.0;
        s.last = None;
    }

    /// Current limits.
    pub fn limits(&self) -> Limits {
        self.lock().limits
    }

    /// How many requests the bucket refused so far.
    pub fn refused(&self) -> u64 {
        self.lock().refused
    }

    /// How full the bucket is at sandbox time `now` (requests not yet drained).
    pub fn level(&self, now: f64) -> f64 {
        let s = self.lock();
        match (s.limits.params(), s.last) {
            (Some((rate, _)), Some(last)) => drained(s.level, now - last, rate),
            _ => 0.0,
        }
    }

    /// Admits one request arriving at sandbox time `now` (unix seconds, from
    /// [`crate::clock::Clock::now`]) or refuses it with 503 `QUERY_LIMIT_EXCEEDED`. Time that
    /// seems to run backwards counts as none.
    pub fn admit(&self, now: f64) -> Result<(), ApiError> {
        let mut s = self.lock();
        let Some((rate, burst)) = s.limits.params() else {
            return Ok(());
        };
        let elapsed = s.last.map_or(0.0, |last| now - last);
        if s.last.is_none_or(|last| now > last) {
            s.last = Some(now);
        }
        s.level = drained(s.level, elapsed, rate);
        if s.level + 1.0 > f64::from(burst) + 1e-9 {
            s.refused += 1;
            return Err(query_limit_exceeded());
        }
        s.level += 1.0;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The level after `elapsed` seconds of draining at `rate` per second; never below zero, and
/// unchanged by a negative or non-finite span.
fn drained(level: f64, elapsed: f64, rate: f64) -> f64 {
    let drain = elapsed * rate;
    if drain.is_finite() && drain > 0.0 {
        (level - drain).max(0.0)
    } else if drain == f64::INFINITY {
        0.0
    } else {
        level
    }
}

/// The exact 503 body the cloud sends.
pub fn query_limit_exceeded() -> ApiError {
    ApiError::new(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1_700_000_000.0;

    #[test]
    fn burst_then_refuse_then_drain() {
        let b = RateBucket::new(Limits::Standard);
        for _ in 0..50 {
            b.admit(T0).unwrap();
        }
        let err = b.admit(T0).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (503, "QUERY_LIMIT_EXCEEDED")
        );
        // Half a second drains one request at 2/s.
        b.admit(T0 + 0.5).unwrap();
        assert!(b.admit(T0 + 0.5).is_err());
        assert_eq!(b.refused(), 2);
        assert!((b.level(T0 + 0.5) - 50.0).abs() < 1e-9);
        assert!((b.level(T0 + 10.5) - 30.0).abs() < 1e-9);
    }

    #[test]
    fn off_never_refuses() {
        let b = RateBucket::new(Limits::Off);
        for _ in 0..10_000 {
            b.admit(T0).unwrap();
        }
    }

    #[test]
    fn time_running_backwards_drains_nothing_and_does_not_stick() {
        let b = RateBucket::new(Limits::Custom {
            per_second: 1.0,
            burst: 2,
        });
        b.admit(T0).unwrap();
        b.admit(T0).unwrap();
        assert!(b.admit(T0 - 100.0).is_err(), "no room was made");
        // The earlier time did not become the reference: one second after T0 drains one.
        b.admit(T0 + 1.0).unwrap();
        assert!(b.admit(T0 + 1.0).is_err());
    }

    #[test]
    fn a_huge_jump_empties_the_bucket() {
        let b = RateBucket::new(Limits::Standard);
        for _ in 0..50 {
            b.admit(T0).unwrap();
        }
        b.admit(f64::MAX).unwrap();
        assert_eq!(b.level(f64::MAX), 1.0);
        // NaN is not a time: it neither drains nor breaks the bucket.
        assert!(b.admit(f64::NAN).is_ok());
    }

    #[test]
    fn new_limits_start_empty() {
        let b = RateBucket::new(Limits::Standard);
        for _ in 0..50 {
            b.admit(T0).unwrap();
        }
        b.set_limits(Limits::Enterprise);
        for _ in 0..250 {
            b.admit(T0).unwrap();
        }
        assert!(b.admit(T0).is_err());
    }
}
