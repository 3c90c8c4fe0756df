//! When a failed request is sent again: one pure function, [`decide`], that the transport
//! obeys, plus the policy a caller configures and the budget that caps the extra load.
//!
//! The rules:
//! - 503 `QUERY_LIMIT_EXCEEDED` did not run: always retried, with exponential backoff and
//!   jitter, up to the attempt cap (not charged to the budget: backing off *is* the remedy);
//! - a connection that could not be opened did not carry the request: retried for any method;
//! - a failure after the request left (timeout, dropped connection, 5xx, an HTML proxy page)
//!   is ambiguous: retried only for reads, or for writes when the caller opted in with
//!   [`RetryPolicy::retry_writes`], and only within the budget;
//! - 401 `expired_token`: refresh the token and send once more;
//! - 429 `OPERATION_TIME_LIMIT` did not run: retried once the method's operating window
//!   resets, when the portal said when and it is within [`RetryPolicy::max_operating_wait`].

use std::sync::Mutex;
use std::time::Duration;

/// How the client retries failed requests.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub(crate) max_attempts: u32,
    pub(crate) min_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) retry_writes: bool,
    pub(crate) budget_ratio: f64,
    pub(crate) max_operating_wait: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, backoff from 0.5 s to 10 s with jitter, writes never retried after an
    /// ambiguous failure, retries add at most 20 % load.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            retry_writes: false,
            budget_ratio: 0.2,
            max_operating_wait: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (an expired token is still refreshed once).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The most attempts per call, the first one included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The backoff range: the first delay and the cap (jitter is added on top).
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.min_delay = min;
        self.max_delay = max.max(min);
        self
    }

    /// Also retry writes (`*.add`, `*.update`, `*.delete`, batches with writes) after an
    /// ambiguous failure. Only for methods whose repetition is harmless: the portal may have
    /// run the first attempt, and a retried `crm.lead.add` can create a second lead.
    pub fn retry_writes(mut self, yes: bool) -> Self {
        self.retry_writes = yes;
        self
    }

    /// The share of extra load retries may add (default 0.2: one retry per five successes,
    /// plus a small reserve).
    pub fn budget_ratio(mut self, ratio: f64) -> Self {
        self.budget_ratio = ratio.clamp(0.0, 10.0);
        self
    }

    /// The longest wait for an operating window (`OPERATION_TIME_LIMIT`) to reset before the
    /// call is given up (default 600 s, the window itself).
    pub fn max_operating_wait(mut self, wait: Duration) -> Self {
        self.max_operating_wait = wait;
        self
    }

    /// The backoff delays, one per retry.
    pub(crate) fn delays(&self) -> impl Iterator<Item = Duration> {
        use backon::BackoffBuilder;
        backon::ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_jitter()
            .with_max_times(self.max_attempts.saturating_sub(1) as usize)
            .build()
    }
}

/// How an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// 503 `QUERY_LIMIT_EXCEEDED`: the request did not run.
    QueryLimit,
    /// 429 `OPERATION_TIME_LIMIT`: did not run; the window resets after this long, if known.
    OperatingLimit(Option<Duration>),
    /// 401 `expired_token`.
    ExpiredToken,
    /// The connection could not be opened: the request never left.
    NotSent,
    /// The request left and the answer was lost or was a 5xx: it may have run.
    Ambiguous,
    /// Anything else (an API error, a decode error): retrying would not help.
    Final,
}

/// What [`decide`] needs to know.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Situation {
    pub failure: Failure,
    /// Attempts made so far, the failed one included (1 after the first).
    pub attempts: u32,
    /// The call only reads.
    pub read_only: bool,
    /// A token refresh was already done for this call.
    pub refreshed: bool,
    /// The retry budget has a token to spend.
    pub budget_available: bool,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Give up and return the error.
    Stop,
    /// Retry after the next backoff delay; `budgeted` says whether it spends a budget token.
    Retry {
        /// Whether this retry spends a budget token.
        budgeted: bool,
    },
    /// Retry after exactly this wait (the operating window resets).
    RetryAfter(Duration),
    /// Refresh the token and send again.
    Refresh,
}

/// The retry decision: pure, so every rule is unit-tested.
pub(crate) fn decide(policy: &RetryPolicy, s: Situation) -> Decision {
    if s.failure == Failure::ExpiredToken {
        return if s.refreshed {
            Decision::Stop
        } else {
            Decision::Refresh
        };
    }
    if s.attempts >= policy.max_attempts {
        return Decision::Stop;
    }
    match s.failure {
        Failure::QueryLimit | Failure::NotSent => Decision::Retry { budgeted: false },
        Failure::OperatingLimit(Some(wait)) if wait <= policy.max_operating_wait => {
            Decision::RetryAfter(wait)
        }
        Failure::Ambiguous if (s.read_only || policy.retry_writes) && s.budget_available => {
            Decision::Retry { budgeted: true }
        }
        _ => Decision::Stop,
    }
}

/// Whether a method only reads, so resending it after an ambiguous failure is harmless.
pub(crate) fn is_read_method(method: &str) -> bool {
    let m = method.trim().to_ascii_lowercase();
    const READS: &[&str] = &[
        "profile",
        "server.time",
        "user.current",
        "app.info",
        "scope",
        "methods",
        "method.get",
        "user.search",
        "crm.duplicate.findbycomm",
        "event.offline.list",
    ];
    // `event.offline.get` reads *and* deletes (clear=1) or reserves (clear=0): a repeat
    // after an ambiguous failure would lose or strand a batch, so it is not a read.
    const CHANGING_GETS: &[&str] = &["event.offline.get"];
    if CHANGING_GETS.contains(&m.as_str()) {
        return false;
    }
    m.ends_with(".get")
        || m.ends_with(".list")
        || m.ends_with(".fields")
        || READS.contains(&m.as_str())
}

/// A token bucket that lets retries add at most `ratio` extra load: each success deposits
/// `ratio`, each retry withdraws one; a reserve of ten lets a fresh client retry at all.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    ratio: f64,
    tokens: Mutex<f64>,
}

const RESERVE: f64 = 10.0;

impl RetryBudget {
    pub(crate) fn new(ratio: f64) -> Self {
        Self {
            ratio,
            tokens: Mutex::new(RESERVE),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, f64> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn available(&self) -> bool {
        *self.lock() >= 1.0
    }

    pub(crate) fn deposit(&self) {
        let mut t = self.lock();
        *t = (*t + self.ratio).min(RESERVE);
    }

    /// Takes one token; false when none is left.
    pub(crate) fn withdraw(&self) -> bool {
        let mut t = self.lock();
        if *t >= 1.0 {
            *t -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sit(failure: Failure, attempts: u32, read_only: bool) -> Situation {
        Situation {
            failure,
            attempts,
            read_only,
            refreshed: false,
            budget_available: true,
        }
    }

    #[test]
    fn query_limit_is_retried_for_writes_too_until_the_cap() {
        let p = RetryPolicy::default();
        assert_eq!(
            decide(&p, sit(Failure::QueryLimit, 1, false)),
            Decision::Retry { budgeted: false }
        );
        assert_eq!(
            decide(&p, sit(Failure::QueryLimit, 5, false)),
            Decision::Retry { budgeted: false }
        );
        assert_eq!(
            decide(&p, sit(Failure::QueryLimit, 6, false)),
            Decision::Stop
        );
        assert_eq!(
            decide(&RetryPolicy::none(), sit(Failure::QueryLimit, 1, true)),
            Decision::Stop
        );
    }

    #[test]
    fn ambiguous_failures_retry_reads_only_unless_opted_in() {
        let p = RetryPolicy::default();
        assert_eq!(
            decide(&p, sit(Failure::Ambiguous, 1, true)),
            Decision::Retry { budgeted: true }
        );
        assert_eq!(
            decide(&p, sit(Failure::Ambiguous, 1, false)),
            Decision::Stop
        );
        let opted = RetryPolicy::default().retry_writes(true);
        assert_eq!(
            decide(&opted, sit(Failure::Ambiguous, 1, false)),
            Decision::Retry { budgeted: true }
        );
        let mut broke = sit(Failure::Ambiguous, 1, true);
        broke.budget_available = false;
        assert_eq!(decide(&p, broke), Decision::Stop);
    }

    #[test]
    fn unsent_requests_retry_for_any_method() {
        let p = RetryPolicy::default();
        assert_eq!(
            decide(&p, sit(Failure::NotSent, 1, false)),
            Decision::Retry { budgeted: false }
        );
        assert_eq!(decide(&p, sit(Failure::Final, 1, true)), Decision::Stop);
    }

    #[test]
    fn expired_token_refreshes_once() {
        let p = RetryPolicy::none();
        let mut s = sit(Failure::ExpiredToken, 1, false);
        assert_eq!(decide(&p, s), Decision::Refresh);
        s.refreshed = true;
        assert_eq!(decide(&p, s), Decision::Stop);
    }

    #[test]
    fn operating_limit_waits_for_the_reset_when_known_and_short_enough() {
        let p = RetryPolicy::default().max_operating_wait(Duration::from_secs(60));
        let wait = Duration::from_secs(30);
        assert_eq!(
            decide(&p, sit(Failure::OperatingLimit(Some(wait)), 1, false)),
            Decision::RetryAfter(wait)
        );
        let long = Failure::OperatingLimit(Some(Duration::from_secs(61)));
        assert_eq!(decide(&p, sit(long, 1, false)), Decision::Stop);
        assert_eq!(
            decide(&p, sit(Failure::OperatingLimit(None), 1, false)),
            Decision::Stop
        );
    }

    #[test]
    fn read_methods() {
        for m in [
            "crm.lead.get",
            "CRM.LEAD.LIST",
            "crm.deal.fields",
            "profile",
            "user.current",
        ] {
            assert!(is_read_method(m), "{m}");
        }
        for m in [
            "event.offline.get",
            "crm.lead.add",
            "crm.lead.update",
            "crm.lead.delete",
            "batch",
            "event.bind",
        ] {
            assert!(!is_read_method(m), "{m}");
        }
    }

    #[test]
    fn budget_caps_retries_and_refills_with_successes() {
        let b = RetryBudget::new(0.2);
        let mut spent = 0;
        while b.withdraw() {
            spent += 1;
        }
        assert_eq!(spent, 10);
        assert!(!b.available());
        for _ in 0..5 {
            b.deposit();
        }
        assert!(b.withdraw(), "five successes earn one retry");
        assert!(!b.withdraw());
    }

    #[test]
    fn backoff_yields_one_delay_per_retry_within_bounds() {
        let p = RetryPolicy::default()
            .max_attempts(4)
            .backoff(Duration::from_millis(10), Duration::from_millis(50));
        let d: Vec<_> = p.delays().collect();
        assert_eq!(d.len(), 3);
        assert!(
            d.iter()
                .all(|x| *x >= Duration::from_millis(10) && *x <= Duration::from_millis(100)),
            "{d:?}"
        );
    }
}
