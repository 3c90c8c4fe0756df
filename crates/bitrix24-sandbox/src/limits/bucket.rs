//! The cloud's leaky bucket in front of PHP (not in the PHP source; numbers from the docs,
//! `limits.md`): every request adds one to a per-portal counter that drains at a fixed rate;
//! a request that would overflow the bucket is refused with 503 `QUERY_LIMIT_EXCEEDED`.
//!
//! Choices where the docs are silent (listed in the sandbox README):
//! - one bucket per sandbox portal, whatever the app, webhook or source IP;
//! - a refused request does not fill the bucket;
//! - no `Retry-After` header is sent;
//! - the bucket runs on real (monotonic) time, not on the advanceable sandbox clock.

use crate::config::Limits;
use crate::error::ApiError;
use std::sync::Mutex;
use std::time::Instant;

/// A leaky bucket for one portal.
#[derive(Debug)]
pub struct RateBucket {
    inner: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limits: Limits,
    level: f64,
    last: Instant,
    refused: u64,
}

impl RateBucket {
    /// A bucket with the given limits, empty.
    pub fn new(limits: Limits) -> Self {
        Self {
            inner: Mutex::new(State {
                limits,
                level: 0.0,
                last: Instant::now(),
                refused: 0,
            }),
        }
    }

    /// Changes the limits and empties the bucket.
    pub fn set_limits(&self, limits: Limits) {
        let mut s = self.lock();
        s.limits = limits;
        s.level = 0.0;
        s.last = Instant::now();
    }

    /// Current limits.
    pub fn limits(&self) -> Limits {
        self.lock().limits
    }

    /// How many requests the bucket refused so far.
    pub fn refused(&self) -> u64 {
        self.lock().refused
    }

    /// Admits one request or refuses it with 503 `QUERY_LIMIT_EXCEEDED`.
    pub fn admit(&self) -> Result<(), ApiError> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Result<(), ApiError> {
        let mut s = self.lock();
        let Some((rate, burst)) = s.limits.params() else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(s.last).as_secs_f64();
        s.last = now;
        s.level = (s.level - elapsed * rate).max(0.0);
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

/// The exact 503 body the cloud sends.
pub fn query_limit_exceeded() -> ApiError {
    ApiError::new(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_refuse_then_drain() {
        let b = RateBucket::new(Limits::Standard);
        let t0 = Instant::now();
        for _ in 0..50 {
            b.admit_at(t0).unwrap();
        }
        let err = b.admit_at(t0).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (503, "QUERY_LIMIT_EXCEEDED")
        );
        // Half a second drains one request at 2/s.
        b.admit_at(t0 + Duration::from_millis(500)).unwrap();
        assert!(b.admit_at(t0 + Duration::from_millis(500)).is_err());
        assert_eq!(b.refused(), 2);
    }

    #[test]
    fn off_never_refuses() {
        let b = RateBucket::new(Limits::Off);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            b.admit_at(t0).unwrap();
        }
    }
}
