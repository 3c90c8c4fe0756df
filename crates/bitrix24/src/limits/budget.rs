//! The request-rate budget as a trait, so that clients in many processes can share one
//! bucket: [`RateBudget::admit`] takes one request from the budget of a key and resolves when
//! the request may leave.
//!
//! - [`LocalRateBudget`] (the default): in this process, a GCRA limiter per key.
//! - `PostgresRateBudget` (feature `postgres`): one row per key in PostgreSQL, shared by every
//!   process and machine that uses the database.
//!
//! Implement it to keep the budget elsewhere (Redis, say): take one request from the bucket of
//! `key` shaped by `limits` ([`RateLimits::gcra`] gives the emission interval and the burst
//! tolerance), and resolve once the request may be sent.

use super::rate::RateLimits;
use crate::error::Result;
use futures::future::BoxFuture;
use futures::FutureExt;
use governor::DefaultDirectRateLimiter;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A request-rate budget shared by every client that holds it. Object-safe: clients hold an
/// `Arc<dyn RateBudget>`.
pub trait RateBudget: Send + Sync + std::fmt::Debug {
    /// Takes one request from the budget of `key` (by default the portal's host; see
    /// [`ClientBuilder::egress_group`](crate::ClientBuilder::egress_group)), shaped by
    /// `limits`, and resolves when it may be sent. With [`RateLimits::off`] it resolves at
    /// once.
    ///
    /// # Errors
    /// Whatever keeps the budget from being read (for a shared one, its database); the call
    /// then fails with that error rather than going out unpaced.
    fn admit<'a>(&'a self, key: &'a str, limits: RateLimits) -> BoxFuture<'a, Result<()>>;
}

/// The budget of this process: one GCRA limiter per key, created on first use with the limits
/// of that use. Clients that share one `Arc<LocalRateBudget>` share the buckets; a client
/// built without a budget gets one of its own.
#[derive(Debug, Default)]
pub struct LocalRateBudget {
    limiters: Mutex<HashMap<(String, RateLimits), Arc<DefaultDirectRateLimiter>>>,
}

impl LocalRateBudget {
    /// An empty budget.
    pub fn new() -> Self {
        Self::default()
    }

    fn limiter(&self, key: &str, limits: RateLimits) -> Option<Arc<DefaultDirectRateLimiter>> {
        let mut map = self.limiters.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = map.get(&(key.to_string(), limits)) {
            return Some(l.clone());
        }
        let limiter = Arc::new(limits.build()?);
        map.insert((key.to_string(), limits), limiter.clone());
        Some(limiter)
    }
}

impl RateBudget for LocalRateBudget {
    fn admit<'a>(&'a self, key: &'a str, limits: RateLimits) -> BoxFuture<'a, Result<()>> {
        let limiter = self.limiter(key, limits);
        async move {
            if let Some(l) = limiter {
                l.until_ready().await;
            }
            Ok(())
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_have_separate_buckets_and_clones_share_them() {
        let budget = LocalRateBudget::new();
        let limits = RateLimits::custom(1.0, 2);
        // Burst 2 less the margin of one: one request at once per key.
        let a = budget.limiter("a", limits).unwrap();
        assert!(a.check().is_ok());
        assert!(a.check().is_err());
        let again = budget.limiter("a", limits).unwrap();
        assert!(again.check().is_err(), "the same key is the same bucket");
        assert!(budget.limiter("b", limits).unwrap().check().is_ok());
        assert!(budget.limiter("a", RateLimits::off()).is_none());
        budget.admit("x", RateLimits::off()).await.unwrap();
    }
}
