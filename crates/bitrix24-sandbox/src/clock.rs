//! The sandbox clock: real time plus an offset that tests move forward, so codes (30 s) and
//! access tokens (3600 s) expire without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use time::{OffsetDateTime, UtcOffset};

/// A clock that can be advanced but never runs backwards.
#[derive(Debug, Default)]
pub struct Clock {
    offset_micros: AtomicI64,
}

impl Clock {
    /// Current sandbox time as fractional unix seconds.
    pub fn now(&self) -> f64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        (real + self.offset_micros.load(Ordering::Relaxed)) as f64 / 1e6
    }

    /// Current sandbox time as whole unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().floor() as i64
    }

    /// Moves the clock forward by `seconds` (negative values are ignored).
    pub fn advance(&self, seconds: f64) {
        if seconds > 0.0 {
            self.offset_micros
                .fetch_add((seconds * 1e6) as i64, Ordering::Relaxed);
        }
    }

    /// How far the clock has been moved ahead of real time, in seconds.
    pub fn offset(&self) -> f64 {
        self.offset_micros.load(Ordering::Relaxed) as f64 / 1e6
    }
}

/// Formats unix seconds as PHP `date('c')` in the portal's time zone,
/// e.g. `2026-05-11T21:06:22+03:00`.
pub fn iso(unix: i64, offset: UtcOffset) -> String {
    let dt = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset);
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
        dt.year(),
        dt.month() as u8,
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        sign,
        h.unsigned_abs(),
        m.unsigned_abs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_uses_portal_offset() {
        let off = UtcOffset::from_hms(3, 0, 0).unwrap();
        assert_eq!(iso(0, off), "1970-01-01T03:00:00+03:00");
    }

    #[test]
    fn advance_moves_forward_only() {
        let c = Clock::default();
        let before = c.now();
        c.advance(3600.0);
        c.advance(-100.0);
        assert!(c.now() - before >= 3600.0);
    }
}
