//! Operating-time accounting (`Bitrix\Rest\Engine\Access\LoadLimiter`): the run time of each
//! (app or webhook, method) pair is summed in ten one-minute buckets; once the sum over the last
//! ten minutes exceeds the limit, the *next* call of that method by that caller gets 429
//! `OPERATION_TIME_LIMIT`. Calls that take 0.1 s or less are not counted. `batch` itself is not
//! counted, each command inside it is.
//!
//! A bucket drops out ten minutes after the first call recorded in it, which is also what
//! `operating_reset_at` says (protocol.md §3.3: "10 minutes after the first call recorded in
//! that bucket"), not ten minutes after the minute's start.
//!
//! Windows run on the sandbox clock, so a test advances the clock to reach `operating_reset_at`.

use crate::error::ApiError;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

const BUCKET_SECONDS: i64 = 60;
const WINDOW_SECONDS: i64 = 600;
/// Calls at or under this run time are not recorded (`$minimalFixTime`).
pub const MINIMAL_FIX_TIME: f64 = 0.1;

/// One minute of recorded run time.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    /// Start of the minute (unix seconds, a multiple of 60).
    minute: i64,
    /// The first call recorded in it (unix seconds): the bucket expires 600 s later.
    first_call: i64,
    /// Seconds recorded.
    seconds: f64,
}

/// Per-(caller, method) operating-time budgets.
#[derive(Debug)]
pub struct OperatingLimiter {
    buckets: Mutex<HashMap<String, VecDeque<Bucket>>>,
    limit: Mutex<f64>,
}

impl Default for OperatingLimiter {
    fn default() -> Self {
        Self::new(480.0)
    }
}

/// The `operating` figures of one (caller, method) pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Operating {
    /// Seconds used in the current window.
    pub used: f64,
    /// Unix time when the oldest bucket expires, if any time was recorded.
    pub reset_at: Option<i64>,
}

impl OperatingLimiter {
    /// A limiter allowing `limit` seconds per pair in ten minutes.
    pub fn new(limit: f64) -> Self {
        Self {
            buckets: Mutex::default(),
            limit: Mutex::new(limit),
        }
    }

    /// Changes the allowed seconds per ten minutes.
    pub fn set_limit(&self, limit: f64) {
        *self.limit.lock().unwrap_or_else(|p| p.into_inner()) = limit;
    }

    /// The allowed seconds per ten minutes.
    pub fn limit(&self) -> f64 {
        *self.limit.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses the call with 429 when the pair's budget is already exceeded.
    pub fn check(&self, key: &str, now: i64) -> Result<(), ApiError> {
        if self.report(key, now).used > self.limit() {
            return Err(ApiError::new(
                429,
                "OPERATION_TIME_LIMIT",
                "Method is blocked due to operation time limit.",
            ));
        }
        Ok(())
    }

    /// Records the run time of a finished call.
    pub fn record(&self, key: &str, now: i64, seconds: f64) {
        if seconds <= MINIMAL_FIX_TIME {
            return;
        }
        let mut all = self.lock();
        let q = all.entry(key.to_string()).or_default();
        prune(q, now);
        let minute = now - now.rem_euclid(BUCKET_SECONDS);
        match q.back_mut() {
            Some(b) if b.minute == minute => b.seconds += seconds,
            _ => q.push_back(Bucket {
                minute,
                first_call: now,
                seconds,
            }),
        }
    }

    /// The figures shown in `time.operating` / `time.operating_reset_at`.
    pub fn report(&self, key: &str, now: i64) -> Operating {
        let mut all = self.lock();
        let Some(q) = all.get_mut(key) else {
            return Operating {
                used: 0.0,
                reset_at: None,
            };
        };
        prune(q, now);
        Operating {
            used: q.iter().map(|b| b.seconds).sum(),
            reset_at: q.front().map(|b| b.first_call + WINDOW_SECONDS),
        }
    }

    /// Every (caller, method) pair with time recorded in the current window, by key
    /// (`apauth|ID|method` or `oauth|APP|method`), for the inspector.
    pub fn snapshot(&self, now: i64) -> Vec<(String, Operating)> {
        let mut all = self.lock();
        let mut out: Vec<(String, Operating)> = all
            .iter_mut()
            .filter_map(|(key, q)| {
                prune(q, now);
                let front = q.front()?;
                Some((
                    key.clone(),
                    Operating {
                        used: q.iter().map(|b| b.seconds).sum(),
                        reset_at: Some(front.first_call + WINDOW_SECONDS),
                    },
                ))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Forgets every budget.
    pub fn reset(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Bucket>>> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn prune(q: &mut VecDeque<Bucket>, now: i64) {
    while q
        .front()
        .is_some_and(|b| b.first_call.saturating_add(WINDOW_SECONDS) <= now)
    {
        q.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_the_call_after_the_one_that_crossed_the_limit() {
        let l = OperatingLimiter::new(1.0);
        l.check("k", 1000).unwrap();
        l.record("k", 1000, 0.6);
        l.check("k", 1001).unwrap();
        l.record("k", 1001, 0.6);
        let err = l.check("k", 1002).unwrap_err();
        assert_eq!(
            (err.status, err.code.as_str()),
            (429, "OPERATION_TIME_LIMIT")
        );
        // Other keys are not affected.
        l.check("other", 1002).unwrap();
        // Ten minutes after the first recorded call, not after the minute's start (960).
        let r = l.report("k", 1002);
        assert_eq!(r.reset_at, Some(1000 + 600));
        assert!(l.check("k", 1000 + 599).is_err());
        // After the window the budget is back.
        l.check("k", 1000 + 600).unwrap();
    }

    #[test]
    fn short_calls_are_not_counted() {
        let l = OperatingLimiter::default();
        for _ in 0..100 {
            l.record("k", 0, 0.1);
        }
        assert_eq!(l.report("k", 0).used, 0.0);
    }
}
