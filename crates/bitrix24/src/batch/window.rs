//! How many batch requests a [`Pipeline`](super::Pipeline) keeps at the portal at once.
//!
//! The rate limiter decides *when* a request may leave; the window decides how many may be
//! unanswered at the same time. A real portal answers a 50-command batch in hundreds of
//! milliseconds to seconds, so one request at a time leaves most of the rate budget unused
//! (2 requests/s needs about `2 × latency` in flight, a burst of 50 needs 50), while too many
//! only queue inside the server. The window adapts like TCP's congestion window:
//! - slow start (when it starts below its cap; a [`Pipeline`](super::Pipeline) starts at the cap):
//!   it grows by one with every good answer (doubling per round trip) until the
//!   first sign of pressure;
//! - pressure is a 503 `QUERY_LIMIT_EXCEEDED` or 429 `OPERATION_TIME_LIMIT` met by a request
//!   (the portal's bucket is shared with other apps and hosts), or an answer much slower than
//!   the fastest seen (the server queues): the window shrinks (halves, or by a tenth for
//!   slowness) and from then on grows by one per window of good answers.

use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

/// An answer slower than this many times the fastest one counts as the server queueing.
const SLOW_FACTOR: f64 = 3.0;

/// The adaptive limit and the requests holding a place in it.
#[derive(Debug)]
pub(crate) struct Window {
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    limit: f64,
    max: f64,
    in_use: usize,
    slow_start: bool,
    fastest: Option<Duration>,
    /// Bumped at every shrink on pushback: requests that were already in flight then met the
    /// same full bucket, so their pushback must not shrink the window again.
    epoch: u64,
}

/// What the answer of one request says about the portal's load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Feedback {
    /// Answered (successfully or with a command's error) after this exchange time.
    Answered(Duration),
    /// The portal pushed back (503 or 429) at least once while the request was sent.
    PushedBack,
    /// Failed in a way that says nothing about load (a transport error, a bad parameter).
    Neutral,
}

impl Window {
    /// A window starting at `initial` requests, never above `max` (both at least 1).
    pub(crate) fn new(initial: usize, max: usize) -> Self {
        let max = max.max(1) as f64;
        Self {
            state: Mutex::new(State {
                limit: (initial.max(1) as f64).min(max),
                max,
                in_use: 0,
                slow_start: true,
                fastest: None,
                epoch: 0,
            }),
            freed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a place in the window.
    pub(crate) async fn acquire(&self) -> Place<'_> {
        loop {
            let notified = self.freed.notified();
            {
                let mut s = self.lock();
                if (s.in_use as f64) < s.limit.floor().max(1.0) {
                    s.in_use += 1;
                    return Place {
                        window: self,
                        epoch: s.epoch,
                        done: false,
                    };
                }
            }
            notified.await;
        }
    }

    /// The current limit, rounded down (for reports and tests).
    pub(crate) fn limit(&self) -> usize {
        self.lock().limit.floor().max(1.0) as usize
    }

    fn release(&self, feedback: Feedback, epoch: u64) {
        {
            let mut s = self.lock();
            s.in_use = s.in_use.saturating_sub(1);
            match feedback {
                Feedback::Answered(rtt) => {
                    let fastest = *s.fastest.get_or_insert(rtt);
                    if rtt < fastest {
                        s.fastest = Some(rtt);
                    }
                    if rtt.as_secs_f64() > SLOW_FACTOR * fastest.as_secs_f64().max(0.001) {
                        s.slow_start = false;
                        s.limit = (s.limit * 0.9).max(1.0);
                    } else if s.slow_start {
                        s.limit = (s.limit + 1.0).min(s.max);
                    } else {
                        s.limit = (s.limit + 1.0 / s.limit).min(s.max);
                    }
                }
                Feedback::PushedBack if epoch == s.epoch => {
                    s.slow_start = false;
                    s.limit = (s.limit / 2.0).max(1.0);
                    s.epoch += 1;
                }
                Feedback::PushedBack => {}
                Feedback::Neutral => {}
            }
        }
        self.freed.notify_waiters();
    }
}

/// A place in the window; give it back with [`Place::finish`]. Dropped unfinished (the
/// request was cancelled), it is given back without feedback.
#[derive(Debug)]
pub(crate) struct Place<'a> {
    window: &'a Window,
    epoch: u64,
    done: bool,
}

impl Place<'_> {
    /// Gives the place back with what the answer said.
    pub(crate) fn finish(mut self, feedback: Feedback) {
        self.done = true;
        self.window.release(feedback, self.epoch);
    }
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.window.release(Feedback::Neutral, self.epoch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(300);

    #[tokio::test]
    async fn slow_start_doubles_per_round_trip_up_to_the_cap() {
        let w = Window::new(2, 10);
        for _ in 0..3 {
            let places = vec![w.acquire().await, w.acquire().await];
            for p in places {
                p.finish(Feedback::Answered(MS));
            }
        }
        assert_eq!(w.limit(), 8);
        for _ in 0..10 {
            w.acquire().await.finish(Feedback::Answered(MS));
        }
        assert_eq!(w.limit(), 10, "capped");
    }

    #[tokio::test]
    async fn pushback_halves_then_growth_is_additive() {
        let w = Window::new(16, 50);
        w.acquire().await.finish(Feedback::PushedBack);
        assert_eq!(w.limit(), 8);
        for _ in 0..8 {
            w.acquire().await.finish(Feedback::Answered(MS));
        }
        assert_eq!(w.limit(), 8, "about one more per window of answers");
        for _ in 0..9 {
            w.acquire().await.finish(Feedback::Answered(MS));
        }
        assert_eq!(w.limit(), 9);
        for _ in 0..10 {
            w.acquire().await.finish(Feedback::PushedBack);
        }
        assert_eq!(w.limit(), 1, "never below one");
    }

    #[tokio::test]
    async fn requests_in_flight_together_shrink_the_window_once() {
        let w = Window::new(16, 50);
        let places: Vec<_> = futures::future::join_all((0..10).map(|_| w.acquire())).await;
        for p in places {
            p.finish(Feedback::PushedBack);
        }
        assert_eq!(w.limit(), 8, "one halving for one full bucket");
        w.acquire().await.finish(Feedback::PushedBack);
        assert_eq!(
            w.limit(),
            4,
            "a request sent after the halving counts again"
        );
    }

    #[tokio::test]
    async fn a_queueing_server_shrinks_the_window() {
        let w = Window::new(10, 50);
        w.acquire().await.finish(Feedback::Answered(MS));
        assert_eq!(w.limit(), 11);
        w.acquire().await.finish(Feedback::Answered(MS * 4));
        w.acquire().await.finish(Feedback::Answered(MS * 4));
        assert_eq!(w.limit(), 8, "a tenth less each time: 11 * 0.9 * 0.9");
        for _ in 0..5 {
            w.acquire().await.finish(Feedback::Answered(MS));
        }
        assert_eq!(w.limit(), 9, "additive growth from now on, not slow start");
    }

    #[tokio::test]
    async fn a_full_window_waits_for_a_place() {
        let w = std::sync::Arc::new(Window::new(1, 1));
        let first = w.acquire().await;
        let w2 = w.clone();
        let waiter = tokio::spawn(async move {
            w2.acquire().await.finish(Feedback::Neutral);
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "the only place is taken");
        drop(first);
        waiter.await.unwrap();
    }
}
