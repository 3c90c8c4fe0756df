//! What a client has sent: HTTP requests (retries and token refreshes included) and how the
//! portal pushed back. Counted with relaxed atomics on every attempt, read with
//! [`Client::stats`](crate::Client::stats).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one [`Client`](crate::Client) and its clones, since it was built.
///
/// `requests` counts HTTP requests to the REST endpoint, so a call that was retried twice
/// counts three; a `batch` of 50 commands counts one. Subtract two readings to count the
/// requests of one piece of work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// HTTP requests sent to the REST endpoint (every attempt).
    pub requests: u64,
    /// Answers 503 `QUERY_LIMIT_EXCEEDED`: the portal's request bucket was full.
    pub query_limit: u64,
    /// Answers 429 `OPERATION_TIME_LIMIT`: a method's operating time was spent.
    pub operating_limit: u64,
    /// Answers 401 `expired_token`.
    pub expired_token: u64,
    /// Attempts that were sends again of a failed one.
    pub retries: u64,
}

impl Stats {
    /// The counts since `earlier` (a reading of the same client).
    pub fn since(&self, earlier: &Stats) -> Stats {
        Stats {
            requests: self.requests.saturating_sub(earlier.requests),
            query_limit: self.query_limit.saturating_sub(earlier.query_limit),
            operating_limit: self.operating_limit.saturating_sub(earlier.operating_limit),
            expired_token: self.expired_token.saturating_sub(earlier.expired_token),
            retries: self.retries.saturating_sub(earlier.retries),
        }
    }
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    query_limit: AtomicU64,
    operating_limit: AtomicU64,
    expired_token: AtomicU64,
    retries: AtomicU64,
}

/// One event the transport counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    Request,
    QueryLimit,
    OperatingLimit,
    ExpiredToken,
    Retry,
}

impl Counters {
    pub(crate) fn add(&self, what: Count) {
        let counter = match what {
            Count::Request => &self.requests,
            Count::QueryLimit => &self.query_limit,
            Count::OperatingLimit => &self.operating_limit,
            Count::ExpiredToken => &self.expired_token,
            Count::Retry => &self.retries,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            query_limit: self.query_limit.load(Ordering::Relaxed),
            operating_limit: self.operating_limit.load(Ordering::Relaxed),
            expired_token: self.expired_token.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_event_and_subtracts_readings() {
        let c = Counters::default();
        c.add(Count::Request);
        let before = c.snapshot();
        c.add(Count::Request);
        c.add(Count::QueryLimit);
        c.add(Count::Retry);
        let now = c.snapshot();
        assert_eq!(now.requests, 2);
        let d = now.since(&before);
        assert_eq!(
            (d.requests, d.query_limit, d.retries, d.operating_limit),
            (1, 1, 1, 0)
        );
        assert_eq!(before.since(&now), Stats::default(), "never negative");
    }
}
