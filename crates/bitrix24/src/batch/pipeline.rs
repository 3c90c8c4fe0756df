//! Several batches in flight at once: [`Pipeline`].
//!
//! Each submitted batch runs in its own task: it takes a place in the adaptive
//! [`Window`](super::window), waits for the rate limiter (so the portal's bucket is never
//! overrun, however many are submitted), and is sent with the client's usual retry rules — a
//! batch with a write is never sent again unless it provably did not run. Results come back
//! in the order they finish, each with the [`Ticket`] its submission returned, so a caller
//! can journal every batch as soon as it is answered.

use super::window::{Feedback, Window};
use super::{Batch, BatchResults};
use crate::error::{Error, ErrorKind, Result};
use crate::transport::{Call, Transport};
use futures::stream::{FuturesUnordered, StreamExt};
use std::sync::Arc;
use tokio::task::JoinHandle;

/// The most batches in flight by default: what fast_bitrix24 keeps, and a standard portal's
/// whole burst. A client whose rate limits allow a larger burst (Enterprise: 250) keeps up
/// to that burst in flight instead.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 50;
/// A window of at most `max` batches in flight, starting full: at its cap. The portal's
/// bucket is built to take a burst (50, or 250 on Enterprise) at once, and the rate limiter,
/// not the window, keeps the bucket from overflowing; what the window guards against is a
/// server that queues, which only answers can show. Starting lower (8, doubling per round
/// trip) cost three round trips before the window was full: about a second at 300 ms, half
/// the time of a 5,000-row import under Enterprise limits.
fn full_window(max: usize) -> Arc<Window> {
    Arc::new(Window::new(max, max))
}

/// Identifies a submitted batch in [`Pipeline::next`]'s answers (numbered from 0 in the
/// order of submission).
pub type Ticket = u64;

/// Batches sent concurrently, admitted by the rate limiter and an adaptive window; made by
/// [`Client::pipeline`](crate::Client::pipeline).
///
/// ```no_run
/// # async fn run(client: bitrix24::Client, batches: Vec<bitrix24::batch::Batch>) -> bitrix24::Result<()> {
/// let mut pipeline = client.pipeline();
/// let mut todo = batches.into_iter();
/// loop {
///     while pipeline.wants_more() {
///         match todo.next() {
///             Some(batch) => {
///                 pipeline.submit(batch);
///             }
///             None => break,
///         }
///     }
///     match pipeline.next().await {
///         Some((ticket, results)) => println!("batch {ticket}: {} failed", results?.failed_keys().count()),
///         None => break,
///     }
/// }
/// # Ok(()) }
/// ```
pub struct Pipeline {
    transport: Arc<Transport>,
    window: Arc<Window>,
    running: FuturesUnordered<JoinHandle<(Ticket, Result<BatchResults>)>>,
    next_ticket: Ticket,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("running", &self.running.len())
            .field("window", &self.window.limit())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    pub(crate) fn new(transport: Arc<Transport>) -> Self {
        let cap = transport.limits.burst().map_or(DEFAULT_MAX_IN_FLIGHT, |b| {
            DEFAULT_MAX_IN_FLIGHT.max(usize::try_from(b).unwrap_or(usize::MAX))
        });
        Self {
            transport,
            window: full_window(cap),
            running: FuturesUnordered::new(),
            next_ticket: 0,
        }
    }

    /// Caps the batches in flight at `n` (at least 1; default [`DEFAULT_MAX_IN_FLIGHT`], or
    /// the rate limits' burst when that is larger).
    /// `1` sends one batch after the other.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        let n = n.max(1);
        self.window = full_window(n);
        self
    }

    /// Whether the caller should submit another batch now: fewer batches are submitted and
    /// unanswered than the window allows in flight (plus one waiting, so a place that frees
    /// up never idles). Submitting more is allowed; they wait for a place.
    pub fn wants_more(&self) -> bool {
        self.running.len() <= self.window.limit()
    }

    /// Batches submitted and not yet returned by [`Pipeline::next`].
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// Whether nothing is submitted and unreturned.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// The window's current size (batches it lets the portal hold at once).
    pub fn window(&self) -> usize {
        self.window.limit()
    }

    /// Starts sending `batch` and returns its ticket. Mistakes inside the batch (more than 50
    /// commands, a bad key) come back from [`Pipeline::next`] as its result, without a request.
    pub fn submit(&mut self, batch: Batch) -> Ticket {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        let transport = self.transport.clone();
        let window = self.window.clone();
        self.running.push(tokio::spawn(async move {
            (ticket, send(&transport, &window, batch).await)
        }));
        ticket
    }

    /// The next batch to finish, in the order they finish; `None` when none is running.
    pub async fn next(&mut self) -> Option<(Ticket, Result<BatchResults>)> {
        let joined = self.running.next().await?;
        Some(joined.unwrap_or_else(|e| {
            // A task only ends this way when it panicked or the runtime shuts down; the
            // ticket is lost with it, so report it as a failure of the whole pipeline.
            (
                Ticket::MAX,
                Err(
                    Error::new(ErrorKind::Transport, "a batch task of the pipeline failed")
                        .with_source(e),
                ),
            )
        }))
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Dropping the pipeline cancels what it still runs, like dropping any future.
        for task in self.running.iter() {
            task.abort();
        }
    }
}

/// Sends one batch inside the window and reports to it what the answer said.
pub(crate) async fn send(
    transport: &Transport,
    window: &Window,
    batch: Batch,
) -> Result<BatchResults> {
    let methods = batch.methods();
    if batch.is_empty() {
        batch.encode()?;
        return BatchResults::from_value(&serde_json::json!({}), methods, false);
    }
    let (body, read_only, halt) = batch.encode()?;
    let place = window.acquire().await;
    let (answer, seen) = transport
        .execute_measured(Call {
            method: "batch",
            body,
            read_only,
            commands: Some(&methods),
        })
        .await;
    let feedback = match (&answer, seen.last_exchange) {
        _ if seen.pushed_back => Feedback::PushedBack,
        (Ok(_), Some(rtt)) => Feedback::Answered(rtt),
        _ => Feedback::Neutral,
    };
    place.finish(feedback);
    BatchResults::from_owned(answer?.result, methods, halt)
}
