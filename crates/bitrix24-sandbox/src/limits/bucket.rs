//! The cloud's leaky bucket in front of PHP (not in the PHP source; numbers from the docs,
//! `limits.md`): every request adds one to a counter per portal and source IP that drains at
//! a fixed rate; a request that would overflow its bucket is refused with 503
//! `QUERY_LIMIT_EXCEEDED`. "If several applications on a single server work with the same
//! Bitrix24, they share a common request rate limit" (`limits.md`): the key is the source
//! address, whatever the app, webhook or token.
//!
//! Choices where the docs are silent (listed in the sandbox README):
//! - the source IP is the TCP peer address (no `X-Forwarded-For`: tests act as several hosts
//!   by binding their client sockets to 127.0.0.2, 127.0.0.3, …);
//! - a refused request does not fill the bucket;
//! - no `Retry-After` header is sent;
//! - the bucket drains on the sandbox clock ([`crate::clock`]): real time by default, so
//!   clients pace themselves on real time, while a test that advances or freezes the clock
//!   gets exact figures without sleeping.

use crate::config::Limits;
use crate::error::ApiError;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// How many sources are kept before the drained ones are forgotten.
const MAX_SOURCES: usize = 4096;

/// The leaky buckets of one portal, one per source IP.
#[derive(Debug)]
pub struct RateBucket {
    inner: Mutex<State>,
}

#[derive(Debug)]
struct State {
    limits: Limits,
    /// One level per source IP that has called since the limits were last set.
    sources: HashMap<IpAddr, Level>,
    refused: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Level {
    level: f64,
    /// Sandbox time of the last admitted or refused request; `None` until the first one, so an
    /// empty bucket needs no clock to start.
    last: Option<f64>,
}

impl Level {
    fn at(&self, now: f64, rate: f64) -> f64 {
        self.last
            .map_or(0.0, |last| drained(self.level, now - last, rate))
    }
}

impl RateBucket {
    /// Buckets with the given limits, all empty.
    pub fn new(limits: Limits) -> Self {
        Self {
            inner: Mutex::new(State {
                limits,
                sources: HashMap::new(),
                refused: 0,
            }),
        }
    }

    /// Changes the limits and empties every bucket.
    pub fn set_limits(&self, limits: Limits) {
        let mut s = self.lock();
        s.limits = limits;
        s.sources.clear();
    }

    /// Current limits.
    pub fn limits(&self) -> Limits {
        self.lock().limits
    }

    /// How many requests the buckets refused so far, all sources together.
    pub fn refused(&self) -> u64 {
        self.lock().refused
    }

    /// How full the fullest bucket is at sandbox time `now` (requests not yet drained): with a
    /// single source, its level.
    pub fn level(&self, now: f64) -> f64 {
        self.levels(now)
            .into_iter()
            .map(|(_, level)| level)
            .fold(0.0, f64::max)
    }

    /// How full the bucket of `source` is at sandbox time `now`.
    pub fn level_of(&self, source: IpAddr, now: f64) -> f64 {
        let s = self.lock();
        match (s.limits.params(), s.sources.get(&source)) {
            (Some((rate, _)), Some(level)) => level.at(now, rate),
            _ => 0.0,
        }
    }

    /// The level of every source that has called since the limits were set, by address.
    pub fn levels(&self, now: f64) -> Vec<(IpAddr, f64)> {
        let s = self.lock();
        let Some((rate, _)) = s.limits.params() else {
            return Vec::new();
        };
        let mut out: Vec<(IpAddr, f64)> = s
            .sources
            .iter()
            .map(|(ip, level)| (*ip, level.at(now, rate)))
            .collect();
        out.sort_by_key(|(ip, _)| *ip);
        out
    }

    /// Admits one request from `source` arriving at sandbox time `now` (unix seconds, from
    /// [`crate::clock::Clock::now`]) or refuses it with 503 `QUERY_LIMIT_EXCEEDED`. Time that
    /// seems to run backwards counts as none.
    pub fn admit(&self, source: IpAddr, now: f64) -> Result<(), ApiError> {
        let mut s = self.lock();
        let Some((rate, burst)) = s.limits.params() else {
            return Ok(());
        };
        if s.sources.len() >= MAX_SOURCES && !s.sources.contains_key(&source) {
            // Many hosts called: forget the ones whose bucket has drained (an empty bucket and
            // a forgotten one admit the same).
            s.sources.retain(|_, level| level.at(now, rate) > 0.0);
        }
        let b = s.sources.entry(source).or_default();
        let elapsed = b.last.map_or(0.0, |last| now - last);
        if b.last.is_none_or(|last| now > last) {
            b.last = Some(now);
        }
        b.level = drained(b.level, elapsed, rate);
        if b.level + 1.0 > f64::from(burst) + 1e-9 {
            s.refused += 1;
            return Err(query_limit_exceeded());
        }
        b.level += 1.0;
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
    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 3));

    #[test]
    fn each_source_has_its_own_bucket() {
        let b = RateBucket::new(Limits::Standard);
        for _ in 0..50 {
            b.admit(A, T0).unwrap();
        }
        assert!(b.admit(A, T0).is_err());
        for _ in 0..50 {
            b.admit(B, T0).unwrap();
        }
        assert!(b.admit(B, T0).is_err());
        assert_eq!(b.refused(), 2);
        assert_eq!(b.levels(T0), vec![(A, 50.0), (B, 50.0)]);
        b.admit(A, T0 + 0.5).unwrap();
        assert!((b.level_of(B, T0 + 0.5) - 49.0).abs() < 1e-9);
        b.set_limits(Limits::Standard);
        assert!(b.levels(T0).is_empty());
    }

    #[test]
    fn burst_then_refuse_then_drain() {
        let b = RateBucket::new(Limits::Standard);
        for _ in 0..50 {
            b.admit(A, T0).unwrap();
        }
        let err = b.admit(A, T0).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (503, "QUERY_LIMIT_EXCEEDED")
        );
        // Half a second drains one request at 2/s.
        b.admit(A, T0 + 0.5).unwrap();
        assert!(b.admit(A, T0 + 0.5).is_err());
        assert_eq!(b.refused(), 2);
        assert!((b.level(T0 + 0.5) - 50.0).abs() < 1e-9);
        assert!((b.level(T0 + 10.5) - 30.0).abs() < 1e-9);
    }

    #[test]
    fn off_never_refuses() {
        let b = RateBucket::new(Limits::Off);
        for _ in 0..10_000 {
            b.admit(A, T0).unwrap();
        }
    }

    #[test]
    fn time_running_backwards_drains_nothing_and_does_not_stick() {
        let b = RateBucket::new(Limits::Custom {
            per_second: 1.0,
            burst: 2,
        });
        b.admit(A, T0).unwrap();
        b.admit(A, T0).unwrap();
        assert!(b.admit(A, T0 - 100.0).is_err(), "no room was made");
        // The earlier time did not become the reference: one second after T0 drains one.
        b.admit(A, T0 + 1.0).unwrap();
        assert!(b.admit(A, T0 + 1.0).is_err());
    }

    #[test]
    fn a_huge_jump_empties_the_bucket() {
        let b = RateBucket::new(Limits::Standard);
        for _ in 0..50 {
            b.admit(A, T0).unwrap();
        }
        b.admit(A, f64::MAX).unwrap();
        assert_eq!(b.level(f64::MAX), 1.0);
        // NaN is not a time: it neither drains nor breaks the bucket.
        assert!(b.admit(A, f64::NAN).is_ok());
    }

    #[test]
    fn new_limits_start_empty() {
        let b = RateBucket::new(Limits::Standard);
        for _ in 0..50 {
            b.admit(A, T0).unwrap();
        }
        b.set_limits(Limits::Enterprise);
        for _ in 0..250 {
            b.admit(A, T0).unwrap();
        }
        assert!(b.admit(A, T0).is_err());
    }
}
