//! The sandbox clock: real time plus an offset that tests move forward, so codes (30 s) and
//! access tokens (3600 s) expire and the rate bucket drains without sleeping.
//!
//! It runs on the monotonic clock from the wall-clock time read at start-up, so a change of
//! the machine's time never moves it backwards. A test that wants exact figures (the rate
//! bucket after a burst, say) freezes it: then time passes only when the test advances it.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use time::{OffsetDateTime, UtcOffset};

/// The largest single move of the clock: 100 years. Beyond that an `f64` of unix seconds
/// loses its microseconds and no test needs it.
pub const MAX_ADVANCE_SECONDS: f64 = 100.0 * 365.25 * 86_400.0;

/// A clock that can be advanced and frozen but never runs backwards.
#[derive(Debug)]
pub struct Clock {
    /// Wall-clock time at start-up, unix microseconds.
    start_unix_micros: i64,
    /// The monotonic instant of `start_unix_micros`.
    start: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    /// Microseconds added to real time (negative after a freeze was lifted: the clock then
    /// lags real time by the frozen span).
    offset_micros: i64,
    /// While frozen, the real microseconds since start-up at which time stopped.
    frozen_at: Option<i64>,
}

/// Why the clock refused a move.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClockError {
    /// Not a finite number of seconds, or negative: the clock never runs backwards.
    #[error("seconds must be a finite number from 0 to {MAX_ADVANCE_SECONDS} (the clock never runs backwards), got {0}")]
    OutOfRange(f64),
}

impl Default for Clock {
    fn default() -> Self {
        let start_unix_micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2))
            .unwrap_or(0);
        Self {
            start_unix_micros,
            start: Instant::now(),
            state: Mutex::new(State {
                offset_micros: 0,
                frozen_at: None,
            }),
        }
    }
}

impl Clock {
    /// Current sandbox time as fractional unix seconds.
    pub fn now(&self) -> f64 {
        self.now_micros() as f64 / 1e6
    }

    /// Current sandbox time as whole unix seconds.
    pub fn unix(&self) -> i64 {
        self.now_micros().div_euclid(1_000_000)
    }

    fn now_micros(&self) -> i64 {
        let s = *self.lock();
        let real = s.frozen_at.unwrap_or_else(|| self.real_micros());
        self.start_unix_micros
            .saturating_add(real)
            .saturating_add(s.offset_micros)
    }

    /// Real microseconds since start-up.
    fn real_micros(&self) -> i64 {
        i64::try_from(self.start.elapsed().as_micros()).unwrap_or(i64::MAX / 2)
    }

    /// Moves the clock forward by `seconds`. Refuses NaN, infinities, negative values and
    /// moves over [`MAX_ADVANCE_SECONDS`] (the clock would overflow or run backwards).
    pub fn try_advance(&self, seconds: f64) -> Result<(), ClockError> {
        if !(0.0..=MAX_ADVANCE_SECONDS).contains(&seconds) {
            return Err(ClockError::OutOfRange(seconds));
        }
        let mut s = self.lock();
        // In range, so the product fits an i64 with room to spare.
        s.offset_micros = s.offset_micros.saturating_add((seconds * 1e6) as i64);
        Ok(())
    }

    /// Moves the clock forward by `seconds`; values [`Self::try_advance`] refuses (negative,
    /// NaN, infinite, over 100 years) are ignored.
    pub fn advance(&self, seconds: f64) {
        let _ = self.try_advance(seconds);
    }

    /// Stops time: from now on the clock moves only when advanced. Idempotent.
    pub fn freeze(&self) {
        let real = self.real_micros();
        let mut s = self.lock();
        if s.frozen_at.is_none() {
            s.frozen_at = Some(real);
        }
    }

    /// Lets real time run again from the frozen moment (no jump: the clock goes on from where
    /// it stood). Idempotent.
    pub fn resume(&self) {
        let real = self.real_micros();
        let mut s = self.lock();
        if let Some(at) = s.frozen_at.take() {
            s.offset_micros = s.offset_micros.saturating_sub(real - at);
        }
    }

    /// Whether time is frozen.
    pub fn is_frozen(&self) -> bool {
        self.lock().frozen_at.is_some()
    }

    /// How far the clock stands ahead of real time, in seconds (negative after a freeze).
    pub fn offset(&self) -> f64 {
        let s = *self.lock();
        let lag = s.frozen_at.map_or(0, |at| at - self.real_micros());
        s.offset_micros.saturating_add(lag) as f64 / 1e6
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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

    #[test]
    fn bad_moves_are_refused_and_change_nothing() {
        let c = Clock::default();
        c.freeze();
        let before = c.now();
        for bad in [
            -1.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            MAX_ADVANCE_SECONDS * 2.0,
        ] {
            assert!(c.try_advance(bad).is_err(), "{bad} refused");
        }
        assert_eq!(c.now(), before);
        // The largest move is allowed, and several of them saturate instead of wrapping.
        for _ in 0..4 {
            c.try_advance(MAX_ADVANCE_SECONDS).expect("in range");
        }
        assert!(c.now() > before + 3.0 * MAX_ADVANCE_SECONDS);
        assert!(c.unix() > 0);
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let c = Clock::default();
        c.freeze();
        assert!(c.is_frozen());
        let t0 = c.now();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(c.now(), t0, "frozen");
        c.try_advance(0.5).unwrap();
        assert!((c.now() - t0 - 0.5).abs() < 1e-6, "moved by exactly 0.5 s");
        c.resume();
        assert!(!c.is_frozen());
        assert!(c.now() >= t0 + 0.5, "no jump back when time runs again");
    }
}
