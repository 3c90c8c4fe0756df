//! Staying inside the portal's two budgets instead of running into them.
//!
//! - [`rate`]: the request rate. The cloud drains a per-portal bucket at 2 requests/s and
//!   refuses with 503 past 50 (Enterprise: 5/s, 250). A GCRA limiter with the same numbers lets
//!   a client burst like the bucket allows and then paces it at the drain rate.
//! - [`budget`]: where that limiter's state lives: in this process ([`LocalRateBudget`], the
//!   default), or shared by many processes ([`RateBudget`] implementations such as
//!   `PostgresRateBudget` with the `postgres` feature).
//! - [`operating_budget`]: reports of the operating time shared between clients
//!   ([`OperatingBudget`]; `PostgresOperatingBudget` with the `postgres` feature).
//! - [`operating`]: the operating time. Each method's run time over 10 minutes is capped (480 s
//!   on the cloud), counted per sub-command inside a `batch`. Calls wait when the reported use
//!   plus what is already in flight would reach the cap, instead of getting a 429.

mod budget;
pub(crate) mod operating;
mod operating_budget;
#[cfg(feature = "postgres")]
mod postgres_operating;
#[cfg(feature = "postgres")]
mod postgres_rate;
pub(crate) mod rate;

pub use budget::{LocalRateBudget, RateBudget};
pub(crate) use operating::OperatingTracker;
pub(crate) use operating_budget::clean_seconds;
pub use operating_budget::{
    LocalOperatingBudget, OperatingBudget, OperatingReport, OPERATING_IN_FLIGHT_TTL,
};
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres_operating::PostgresOperatingBudget;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use postgres_rate::PostgresRateBudget;
pub use rate::RateLimits;
