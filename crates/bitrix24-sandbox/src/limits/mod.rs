//! The portal's two limits: the request-rate leaky bucket (503 `QUERY_LIMIT_EXCEEDED`) and the
//! per-method operating-time budget (429 `OPERATION_TIME_LIMIT`).

pub mod bucket;
pub mod operating;

pub use bucket::RateBucket;
pub use operating::OperatingLimiter;
