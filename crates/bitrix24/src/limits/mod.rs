//! Staying inside the portal's two budgets instead of running into them.
//!
//! - [`rate`]: the request rate. The cloud drains a per-portal bucket at 2 requests/s and
//!   refuses with 503 past 50 (Enterprise: 5/s, 250). A GCRA limiter with the same numbers lets
//!   a client burst like the bucket allows and then paces it at the drain rate.
//! - [`operating`]: the operating time. Each method's run time over 10 minutes is capped (480 s
//!   on the cloud), counted per sub-command inside a `batch`. Calls wait when the reported use
//!   plus what is already in flight would reach the cap, instead of getting a 429.

pub(crate) mod operating;
pub(crate) mod rate;

pub(crate) use operating::OperatingTracker;
pub use rate::RateLimits;
