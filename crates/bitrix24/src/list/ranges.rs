//! Keyset chains over ID ranges, several at once, re-split as they finish: [`RangeStream`].
//!
//! The ID space `(start, max]` is cut into ranges `(after, up_to]`; each range is paged by
//! keyset (50 chained pages per request) and several ranges run at once, as fast as the rate
//! limiter allows. IDs are not uniform (deletions leave holes), so ranges finish at different
//! times: when one finishes, the range with the most IDs left is cut in two at its middle and
//! the upper half becomes a new range. A request already in flight for the cut range may bring
//! rows above the cut; they are dropped there, because the new range fetches them.
//!
//! The stream reports what happens as [`RangeEvent`]s: rows of a range (always ascending, each
//! above the range's rows before), cuts and completions. A consumer that wants one ordered
//! output keeps each range apart (one temporary file per range, say) and joins them in the
//! order of their lower bounds; one that saves the ranges' positions can resume them later
//! with [`ListRequest::resume_ranges`].

use super::keyset::{fetch_range, max_id, start_of};
use super::ListRequest;
use crate::client::Client;
use crate::decode::decode_owned;
use crate::error::Result;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use futures::{FutureExt, Stream};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A range worth cutting has more IDs left than one request brings rows (50 pages of 50):
/// below that, its own chain finishes it in one more request anyway.
const MIN_SPLIT: u64 = 2_500;

/// An ID range `(after, up_to]` of a list and how far it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdRange {
    /// The last ID fetched (the range's lower bound before the first row), exclusive.
    pub after: u64,
    /// The highest ID of the range, inclusive.
    pub up_to: u64,
}

/// What happened in a [`RangeStream`]. Ranges are numbered from 0 in the order they were
/// made (the first ones in ascending ID order; cuts add new numbers).
///
/// Deliberately exhaustive: a consumer that journals ranges must handle every event, so a new
/// one has to be a compile error for it rather than fall into a wildcard arm.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeEvent<T> {
    /// Range `range` starts as `bounds` (one event per range the stream starts with, before
    /// any other event; ranges made by cuts are announced by [`RangeEvent::Split`]).
    Planned {
        /// The range.
        range: usize,
        /// Where it starts and ends.
        bounds: IdRange,
    },
    /// Rows of range `range`, ascending, all above the range's earlier rows; `last_id` is the
    /// ID of the last one (the range's new `after`).
    Rows {
        /// The range.
        range: usize,
        /// The rows.
        rows: Vec<T>,
        /// The ID of the last row.
        last_id: u64,
    },
    /// Range `from` was cut at `at`: it now ends at `at`, and the new range `range` covers
    /// `(at, up_to]`.
    Split {
        /// The range that was cut.
        from: usize,
        /// The number of the new range.
        range: usize,
        /// The new upper bound of `from` and lower bound of `range`.
        at: u64,
        /// The upper bound of the new range.
        up_to: u64,
    },
    /// Range `range` has no more rows.
    Done {
        /// The range.
        range: usize,
    },
}

/// The ranges of a list fetched several at once, made by [`ListRequest::split_ranges`] or
/// [`ListRequest::resume_ranges`]; see the [list module docs](super) for the strategies.
///
/// The ID space `(start, max]` is cut into ranges; several are paged at once, and when one
/// finishes, the range with the most IDs left is cut in two at its middle. The stream reports
/// rows per range (ascending within a range), cuts and completions; a consumer that wants one
/// ordered output keeps each range apart and joins them in the order of their lower bounds.
pub struct RangeStream<T> {
    state: Option<Running>,
    start: Option<BoxFuture<'static, Result<Running>>>,
    _rows: PhantomData<fn() -> T>,
}

struct Range {
    after: u64,
    up_to: u64,
    done: bool,
    busy: bool,
}

type Fetch = BoxFuture<'static, (usize, u64, Result<(Vec<Value>, bool)>)>;

struct Running {
    client: Client,
    req: Arc<ListRequest>,
    ranges: Vec<Range>,
    parallel: usize,
    in_flight: FuturesUnordered<Fetch>,
    ready: VecDeque<RangeEvent<Value>>,
    failed: bool,
}

impl ListRequest {
    /// Every row through `parallel` keyset chains over ID ranges that are re-cut as they
    /// finish; see [`RangeStream`]. No more ranges are made than the ID span needs requests
    /// (2,500 IDs each), so a short list costs one probe and one request. The list must be in
    /// ascending ID order (no other `order`). Rows added above the highest ID at the start
    /// are not included.
    pub fn split_ranges<T: DeserializeOwned>(
        self,
        client: &Client,
        parallel: usize,
    ) -> RangeStream<T> {
        let client = client.clone();
        let start = async move {
            self.check()?;
            let req = Arc::new(self);
            let start = start_of(&req)?;
            let max = max_id(&client, &req)
                .await
                .map_err(|e| e.with_method(&req.method))?
                .unwrap_or(start);
            // No more ranges than requests the span needs: a short list stays one request.
            let needed = max.saturating_sub(start).div_ceil(MIN_SPLIT).max(1);
            let n = parallel
                .max(1)
                .min(usize::try_from(needed).unwrap_or(usize::MAX));
            let ranges = super::keyset::ranges(start, max, n)
                .into_iter()
                .map(|(after, up_to)| IdRange { after, up_to })
                .collect();
            Ok(Running::new(client, req, ranges, n))
        };
        RangeStream::starting(start.boxed())
    }

    /// Continues ranges saved from the events of an earlier [`ListRequest::split_ranges`]
    /// (each range's last `after` and `up_to`), numbered in the order given; finished ranges
    /// may be left out.
    pub fn resume_ranges<T: DeserializeOwned>(
        self,
        client: &Client,
        ranges: Vec<IdRange>,
        parallel: usize,
    ) -> RangeStream<T> {
        let client = client.clone();
        let start = async move {
            self.check()?;
            Ok(Running::new(
                client,
                Arc::new(self),
                ranges,
                parallel.max(1),
            ))
        };
        RangeStream::starting(start.boxed())
    }
}

impl Running {
    fn new(client: Client, req: Arc<ListRequest>, ranges: Vec<IdRange>, parallel: usize) -> Self {
        let mut running = Self {
            client,
            req,
            ranges: ranges
                .into_iter()
                .map(|r| Range {
                    after: r.after,
                    up_to: r.up_to,
                    done: r.after >= r.up_to,
                    busy: false,
                })
                .collect(),
            parallel,
            in_flight: FuturesUnordered::new(),
            ready: VecDeque::new(),
            failed: false,
        };
        for i in 0..running.ranges.len() {
            let r = &running.ranges[i];
            let bounds = IdRange {
                after: r.after,
                up_to: r.up_to,
            };
            running
                .ready
                .push_back(RangeEvent::Planned { range: i, bounds });
        }
        for i in 0..running.ranges.len() {
            if running.ranges[i].done {
                running.ready.push_back(RangeEvent::Done { range: i });
            }
        }
        running.fill();
        running
    }

    /// Starts requests for idle ranges up to `parallel`, cutting big ranges when there are
    /// fewer ranges left than requests allowed.
    fn fill(&mut self) {
        loop {
            if self.in_flight.len() >= self.parallel {
                return;
            }
            let idle = self.ranges.iter().position(|r| !r.done && !r.busy);
            let i = match idle {
                Some(i) => i,
                None => match self.split() {
                    Some(i) => i,
                    None => return,
                },
            };
            self.start(i);
        }
    }

    /// Cuts the range with the most IDs left in two; the number of the new range.
    fn split(&mut self) -> Option<usize> {
        let (from, span) = self
            .ranges
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.done)
            .map(|(i, r)| (i, r.up_to - r.after))
            .max_by_key(|(_, span)| *span)?;
        if span < MIN_SPLIT {
            return None;
        }
        let at = self.ranges[from].after + span / 2;
        let up_to = self.ranges[from].up_to;
        self.ranges[from].up_to = at;
        let range = self.ranges.len();
        self.ranges.push(Range {
            after: at,
            up_to,
            done: false,
            busy: false,
        });
        self.ready.push_back(RangeEvent::Split {
            from,
            range,
            at,
            up_to,
        });
        Some(range)
    }

    fn start(&mut self, i: usize) {
        let r = &mut self.ranges[i];
        r.busy = true;
        let (client, req, after, up_to) = (self.client.clone(), self.req.clone(), r.after, r.up_to);
        self.in_flight.push(
            async move {
                let answer = fetch_range(&client, &req, after, up_to).await;
                (i, after, answer)
            }
            .boxed(),
        );
    }

    /// Applies the answer of range `i`'s request.
    fn answered(&mut self, i: usize, sent_after: u64, rows: Vec<Value>, short: bool) -> Result<()> {
        let shape = self.req.shape;
        let range = &mut self.ranges[i];
        range.busy = false;
        debug_assert_eq!(range.after, sent_after);
        let mut kept = Vec::with_capacity(rows.len());
        let mut beyond = false;
        for row in rows {
            if shape.id_of(&row)? > range.up_to {
                // The range was cut while this request was in flight: the new range has these.
                beyond = true;
                break;
            }
            kept.push(row);
        }
        if let Some(last) = kept.last() {
            range.after = shape.id_of(last)?;
        }
        let done = short || beyond || range.after >= range.up_to;
        if !kept.is_empty() {
            self.ready.push_back(RangeEvent::Rows {
                range: i,
                last_id: range.after,
                rows: kept,
            });
        }
        if done {
            range.done = true;
            self.ready.push_back(RangeEvent::Done { range: i });
        }
        Ok(())
    }
}

impl<T> RangeStream<T> {
    fn starting(start: BoxFuture<'static, Result<Running>>) -> Self {
        Self {
            state: None,
            start: Some(start),
            _rows: PhantomData,
        }
    }
}

impl<T: DeserializeOwned + 'static> Stream for RangeStream<T> {
    type Item = Result<RangeEvent<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Some(start) = this.start.as_mut() {
            match start.poll_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(running)) => {
                    this.start = None;
                    this.state = Some(running);
                }
                Poll::Ready(Err(e)) => {
                    this.start = None;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
        let Some(run) = this.state.as_mut() else {
            return Poll::Ready(None);
        };
        loop {
            if let Some(event) = run.ready.pop_front() {
                return Poll::Ready(Some(decode(event)));
            }
            if run.failed {
                return Poll::Ready(None);
            }
            run.fill();
            if !run.ready.is_empty() {
                continue;
            }
            match run.in_flight.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some((i, after, answer))) => {
                    let applied =
                        answer.and_then(|(rows, short)| run.answered(i, after, rows, short));
                    if let Err(e) = applied {
                        // The other requests are dropped with the stream; every row reported
                        // so far stays valid, and the ranges' positions say where to resume.
                        run.failed = true;
                        run.in_flight = FuturesUnordered::new();
                        return Poll::Ready(Some(Err(e)));
                    }
                }
            }
        }
    }
}

fn decode<T: DeserializeOwned + 'static>(event: RangeEvent<Value>) -> Result<RangeEvent<T>> {
    Ok(match event {
        RangeEvent::Planned { range, bounds } => RangeEvent::Planned { range, bounds },
        RangeEvent::Rows {
            range,
            rows,
            last_id,
        } => RangeEvent::Rows {
            range,
            rows: rows
                .into_iter()
                .map(|r| decode_owned::<T>(r, "row"))
                .collect::<Result<_>>()?,
            last_id,
        },
        RangeEvent::Split {
            from,
            range,
            at,
            up_to,
        } => RangeEvent::Split {
            from,
            range,
            at,
            up_to,
        },
        RangeEvent::Done { range } => RangeEvent::Done { range },
    })
}

impl<T> std::fmt::Debug for RangeStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ranges = self.state.as_ref().map_or(0, |s| s.ranges.len());
        f.debug_struct("RangeStream")
            .field("ranges", &ranges)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(ranges: Vec<(u64, u64)>) -> Running {
        let client = Client::from_webhook("https://p.example.com/rest/1/s/").unwrap();
        Running {
            client,
            req: Arc::new(ListRequest::new("crm.lead.list")),
            ranges: ranges
                .into_iter()
                .map(|(after, up_to)| Range {
                    after,
                    up_to,
                    done: false,
                    busy: true,
                })
                .collect(),
            parallel: 4,
            in_flight: FuturesUnordered::new(),
            ready: VecDeque::new(),
            failed: false,
        }
    }

    fn rows(ids: impl IntoIterator<Item = u64>) -> Vec<Value> {
        ids.into_iter()
            .map(|id| serde_json::json!({"ID": id.to_string()}))
            .collect()
    }

    #[test]
    fn the_range_with_most_ids_left_is_cut_in_the_middle() {
        let mut r = running(vec![(0, 10_000), (10_000, 30_000)]);
        assert_eq!(r.split(), Some(2));
        assert_eq!((r.ranges[1].after, r.ranges[1].up_to), (10_000, 20_000));
        assert_eq!((r.ranges[2].after, r.ranges[2].up_to), (20_000, 30_000));
        assert_eq!(
            r.ready.pop_front(),
            Some(RangeEvent::Split {
                from: 1,
                range: 2,
                at: 20_000,
                up_to: 30_000
            })
        );
        let mut small = running(vec![(0, 2_400)]);
        assert_eq!(small.split(), None, "too small to be worth a cut");
    }

    #[test]
    fn rows_above_a_cut_made_in_flight_are_left_to_the_new_range() {
        let mut r = running(vec![(0, 100_000)]);
        r.ranges[0].up_to = 50;
        r.answered(0, 0, rows([10, 49, 50, 51, 60]), false).unwrap();
        assert_eq!(
            r.ready.pop_front(),
            Some(RangeEvent::Rows {
                range: 0,
                rows: rows([10, 49, 50]),
                last_id: 50
            })
        );
        assert_eq!(r.ready.pop_front(), Some(RangeEvent::Done { range: 0 }));
    }

    #[test]
    fn a_short_page_ends_a_range_and_a_full_one_advances_it() {
        let mut r = running(vec![(0, 100_000), (100_000, 200_000)]);
        r.answered(0, 0, rows(1..=2_500), false).unwrap();
        assert!(!r.ranges[0].done);
        assert_eq!(r.ranges[0].after, 2_500);
        r.answered(1, 100_000, rows([100_001]), true).unwrap();
        assert!(r.ranges[1].done);
        r.ready.clear();
        r.answered(0, 2_500, Vec::new(), true).unwrap();
        assert_eq!(
            r.ready.pop_front(),
            Some(RangeEvent::Done { range: 0 }),
            "no empty Rows event"
        );
    }
}
