//! Keyset paging: `order[ID]=ASC`, `filter[>ID]=last`, `start=-1`, 50 chained pages per
//! `batch`; and the parallel variant over disjoint ID ranges.

use super::{ListRequest, Shape};
use crate::batch::{Batch, Ref};
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Rows per page of every classic list method (`IRestService::LIST_LIMIT`); no parameter
/// changes it.
const PAGE: usize = 50;
/// Pages chained in one batch.
const CHAIN: usize = 50;

struct Chain {
    client: Client,
    req: Arc<ListRequest>,
    /// The caller's filter without the cursor key, with the range's upper bound if any.
    filter: Map<String, Value>,
    last: u64,
    first: bool,
    done: bool,
}

/// Splits the caller's filter into the rest and the `>ID` start (0 when absent).
fn split_start(req: &ListRequest) -> Result<(Map<String, Value>, u64)> {
    let key = format!(">{}", req.shape.id_field());
    let mut filter = req.filter.clone();
    let start = match filter
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&key))
        .map(|(k, _)| k.clone())
    {
        Some(k) => {
            let v = filter.remove(&k).unwrap_or(Value::Null);
            let parsed = match &v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            parsed.ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!("filter `{k}` must be a non-negative integer for keyset paging"),
                )
            })?
        }
        None => 0,
    };
    Ok((filter, start))
}

/// One keyset chain from `bounds.0` (exclusive) to `bounds.1` (inclusive), or over the
/// caller's whole filter.
pub(super) fn chain(
    client: Client,
    req: ListRequest,
    bounds: Option<(u64, u64)>,
) -> BoxStream<'static, Result<Vec<Value>>> {
    chain_arc(client, Arc::new(req), bounds)
}

fn chain_arc(
    client: Client,
    req: Arc<ListRequest>,
    bounds: Option<(u64, u64)>,
) -> BoxStream<'static, Result<Vec<Value>>> {
    let (mut filter, start) = match split_start(&req) {
        Ok(x) => x,
        Err(e) => return stream::once(async move { Err(e.with_method(&req.method)) }).boxed(),
    };
    let last = match bounds {
        Some((lo, hi)) => {
            filter.insert(format!("<={}", req.shape.id_field()), Value::from(hi));
            lo.max(start)
        }
        None => start,
    };
    let state = Chain {
        client,
        req,
        filter,
        last,
        first: true,
        done: false,
    };
    stream::try_unfold(state, |mut s| async move {
        if s.done {
            return Ok(None);
        }
        let rows = if s.first {
            s.first = false;
            first_page(&mut s).await?
        } else {
            chained_pages(&mut s).await?
        };
        if rows.is_empty() && s.done {
            return Ok(None);
        }
        Ok(Some((rows, s)))
    })
    .boxed()
}

fn cursor_key(shape: Shape) -> String {
    format!(">{}", shape.id_field())
}

/// Checks a page against the cursor and advances it; true when the page was short (the end).
fn take_page(s: &mut Chain, rows: &[Value]) -> Result<bool> {
    let shape = s.req.shape;
    for row in rows {
        let id = shape.id_of(row)?;
        if id <= s.last {
            return Err(Error::new(
                ErrorKind::Pagination,
                format!(
                    "the list did not advance: ID {id} came after ID {} (is the filter or order \
                     ignored by this method?)",
                    s.last
                ),
            )
            .with_method(&s.req.method));
        }
        s.last = id;
    }
    Ok(rows.len() < PAGE)
}

/// The first page as a plain call: a short list costs one small request, not a batch.
async fn first_page(s: &mut Chain) -> Result<Vec<Value>> {
    let mut filter = s.filter.clone();
    filter.insert(cursor_key(s.req.shape), Value::from(s.last));
    let params = s
        .req
        .params(filter, Some((s.req.shape.id_field(), "ASC")), -1);
    let answer = s.client.call_raw(&s.req.method, &params).await?;
    let rows = s
        .req
        .shape
        .rows(answer.result)
        .map_err(|e| e.with_method(&s.req.method))?;
    s.done = take_page(s, &rows)?;
    Ok(rows)
}

/// Up to 50 pages in one batch, each filtering on the last ID of the one before.
async fn chained_pages(s: &mut Chain) -> Result<Vec<Value>> {
    let shape = s.req.shape;
    let id = shape.id_field();
    let mut batch = Batch::new();
    let mut handles = Vec::with_capacity(CHAIN);
    for k in 0..CHAIN {
        let mut filter = s.filter.clone();
        let cursor = if k == 0 {
            Value::from(s.last)
        } else {
            let mut r = Ref::result(&format!("p{}", k - 1));
            if shape == Shape::Items {
                r = r.at("items");
            }
            Value::String(r.at(PAGE - 1).at(id).to_string())
        };
        filter.insert(cursor_key(shape), cursor);
        let params = s.req.params(filter, Some((id, "ASC")), -1);
        handles.push(batch.push_call::<Value>(&format!("p{k}"), &s.req.method, &params));
    }
    let mut results = s.client.batch(batch).await?;
    let mut out = Vec::new();
    for h in &handles {
        let page = results.take_raw(h.key())?;
        let rows = shape.rows(page).map_err(|e| e.with_method(&s.req.method))?;
        let short = take_page(s, &rows)?;
        out.extend(rows);
        if short {
            // Later pages filtered on a substituted (garbage) value: ignore them.
            s.done = true;
            break;
        }
    }
    Ok(out)
}

/// One request of a range `(after, up_to]`: up to 50 chained pages. Returns the rows in
/// ascending ID order and whether the range is exhausted (a short page).
pub(super) async fn fetch_range(
    client: &Client,
    req: &Arc<ListRequest>,
    after: u64,
    up_to: u64,
) -> Result<(Vec<Value>, bool)> {
    let (mut filter, _) = split_start(req).map_err(|e| e.with_method(&req.method))?;
    filter.insert(format!("<={}", req.shape.id_field()), Value::from(up_to));
    let mut chain = Chain {
        client: client.clone(),
        req: req.clone(),
        filter,
        last: after,
        first: false,
        done: false,
    };
    let rows = chained_pages(&mut chain).await?;
    Ok((rows, chain.done))
}

/// The caller's `>ID` start (0 when absent).
pub(super) fn start_of(req: &ListRequest) -> Result<u64> {
    split_start(req).map(|(_, start)| start)
}

/// The largest ID matching the caller's filter (one `order[ID]=DESC` page).
pub(super) async fn max_id(client: &Client, req: &ListRequest) -> Result<Option<u64>> {
    let (mut filter, start) = split_start(req)?;
    filter.insert(cursor_key(req.shape), Value::from(start));
    let mut probe = req.clone();
    probe.select = vec![req.shape.id_field().to_string()];
    let params = probe.params(filter, Some((req.shape.id_field(), "DESC")), -1);
    let answer = client.call_raw(&req.method, &params).await?;
    let rows = req.shape.rows(answer.result)?;
    rows.first().map(|r| req.shape.id_of(r)).transpose()
}

/// The ID ranges `(lo, hi]` that split `(start, max]` into at most `n` parts.
pub(super) fn ranges(start: u64, max: u64, n: usize) -> Vec<(u64, u64)> {
    if max <= start || n == 0 {
        return Vec::new();
    }
    let span = max - start;
    let width = span.div_ceil(n as u64).max(1);
    let mut out = Vec::new();
    let mut lo = start;
    while lo < max {
        let hi = lo.saturating_add(width).min(max);
        out.push((lo, hi));
        lo = hi;
    }
    out
}

/// `n` chains over disjoint ID ranges, merged as rows arrive.
pub(super) fn parallel(
    client: Client,
    req: ListRequest,
    n: usize,
) -> BoxStream<'static, Result<Vec<Value>>> {
    let req = Arc::new(req);
    stream::once(async move {
        let start = split_start(&req)?.1;
        let max = max_id(&client, &req)
            .await
            .map_err(|e| e.with_method(&req.method))?;
        let chains: Vec<_> = ranges(start, max.unwrap_or(0), n)
            .into_iter()
            .map(|b| chain_arc(client.clone(), req.clone(), Some(b)))
            .collect();
        Ok::<_, Error>(stream::select_all(chains))
    })
    .try_flatten()
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_span_without_overlap() {
        assert_eq!(ranges(0, 10, 3), vec![(0, 4), (4, 8), (8, 10)]);
        assert_eq!(ranges(5, 6, 4), vec![(5, 6)]);
        assert!(ranges(10, 10, 4).is_empty());
        let r = ranges(100, 1_000_003, 7);
        assert_eq!(r.first().map(|x| x.0), Some(100));
        assert_eq!(r.last().map(|x| x.1), Some(1_000_003));
        assert!(r.windows(2).all(|w| w[0].1 == w[1].0));
    }
}
