//! Offset paging for lists sorted by something other than ID: `start=0, 50, ..` following
//! `next` until the portal stops sending it. `next`, not an empty page, is the end marker:
//! a classic list asked for a page past the end answers with the first page again.

use super::ListRequest;
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use futures::stream::{self, BoxStream, StreamExt};
use serde_json::Value;

pub(super) fn pages(client: Client, req: ListRequest) -> BoxStream<'static, Result<Vec<Value>>> {
    let state = (client, req, Some(0u64));
    stream::try_unfold(state, |(client, req, start)| async move {
        let Some(start) = start else {
            return Ok(None);
        };
        let params = req.params(req.filter.clone(), None, start as i64);
        let answer = client.call_raw(&req.method, &params).await?;
        let next = match answer.next {
            Some(n) if n <= start => {
                return Err(Error::new(
                    ErrorKind::Pagination,
                    format!("the list did not advance: next={n} after start={start}"),
                )
                .with_method(&req.method))
            }
            other => other,
        };
        let rows = req
            .shape
            .rows(answer.result)
            .map_err(|e| e.with_method(&req.method))?;
        Ok(Some((rows, (client, req, next))))
    })
    .boxed()
}
