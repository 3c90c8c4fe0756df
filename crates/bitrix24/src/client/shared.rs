//! What a [`Client`](super::Client) and all its clones share: the connection pool, the
//! credentials, the limiters and the retry budget.

use crate::auth::Auth;
use crate::limiter::OperatingTracker;
use crate::retry::{RetryBudget, RetryPolicy};
use governor::DefaultDirectRateLimiter;

/// The shared state behind a client's `Arc`.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) auth: Auth,
    pub(crate) limiter: Option<DefaultDirectRateLimiter>,
    pub(crate) operating: OperatingTracker,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
}
