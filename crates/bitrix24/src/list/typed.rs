//! [`List<T>`]: a list of one entity, bound to its client and its row type, built with the
//! checked [`Filter`], [`Select`] and [`Order`]; what `client.leads().list()` returns.

use std::future::IntoFuture;
use std::marker::PhantomData;

use futures::future::BoxFuture;
use futures::TryStreamExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ListRequest, ListStream, RangeStream};
use crate::client::Client;
use crate::crm::{Filter, Order, Select};
use crate::error::Result;

/// A list of rows of type `T` (`Lead`, `Deal`...), from an entity service
/// (`client.leads().list()`).
///
/// ```no_run
/// # async fn run(client: bitrix24::Client) -> bitrix24::Result<()> {
/// use bitrix24::crm::{Filter, Order};
/// use futures::TryStreamExt;
///
/// // Streamed with constant memory, however long the list:
/// let mut rows = client
///     .leads()
///     .list()
///     .filter(Filter::new().eq("STATUS_ID", "NEW"))
///     .select(["ID", "NAME"])
///     .stream();
/// while let Some(lead) = rows.try_next().await? {
///     println!("{:?} {:?}", lead.id, lead.name);
/// }
///
/// // Or awaited as a whole, for lists you know are short:
/// let newest = client.deals().list().order(Order::new().desc("ID")).await?;
/// # let _ = newest; Ok(()) }
/// ```
///
/// Mistakes in the filter, select or order (a lower-case field, an operator the portal would
/// ignore) are reported by the stream's first item, before anything is sent.
pub struct List<T> {
    client: Client,
    request: ListRequest,
    rows: PhantomData<fn() -> T>,
}

impl<T> List<T> {
    pub(crate) fn new(client: &Client, request: ListRequest) -> Self {
        Self {
            client: client.clone(),
            request,
            rows: PhantomData,
        }
    }

    fn map(mut self, f: impl FnOnce(ListRequest) -> ListRequest) -> Self {
        self.request = f(self.request);
        self
    }

    /// Keeps the rows that match `filter` (several calls add up).
    pub fn filter(self, filter: Filter) -> Self {
        self.map(|r| r.filter(filter))
    }

    /// One filter condition, unchecked: `key` with its operator prefix (`">DATE_CREATE"`).
    /// The portal silently ignores a key it does not know; prefer [`List::filter`].
    pub fn raw_filter(self, key: impl Into<String>, value: impl Serialize) -> Self {
        self.map(|r| r.raw_filter(key, value))
    }

    /// The fields to return: a [`Select`], or a list of names (`["ID", "NAME"]`), each
    /// checked. Without it the portal returns every standard field but no user fields and
    /// no multifields.
    pub fn select(self, select: impl Into<Select>) -> Self {
        self.map(|r| r.select(select))
    }

    /// The fields to return, unchecked (camelCase fields of `crm.item.list`).
    pub fn raw_select<S: Into<String>>(self, fields: impl IntoIterator<Item = S>) -> Self {
        self.map(|r| r.raw_select(fields))
    }

    /// The sort order. Anything but ascending ID pages by offset: slower, and rows changed
    /// meanwhile may repeat or go missing.
    pub fn order(self, order: Order) -> Self {
        self.map(|r| r.order(order))
    }

    /// Any other top-level parameter of the list method.
    pub fn param(self, key: impl Into<String>, value: impl Serialize) -> Self {
        self.map(|r| r.param(key, value))
    }

    /// The untyped request underneath, for [`ListRequest`]'s other strategies.
    pub fn into_request(self) -> ListRequest {
        self.request
    }
}

impl<T: DeserializeOwned + Send + 'static> List<T> {
    /// Every row, fetched as it is read (see the [module docs](crate::list)).
    pub fn stream(self) -> ListStream<T> {
        self.request.stream(&self.client)
    }

    /// Every row through `n` concurrent keyset chains over disjoint ID ranges; rows of one
    /// range come in ID order, ranges interleave ([`ListRequest::parallel`]).
    pub fn parallel(self, n: usize) -> ListStream<T> {
        self.request.parallel(&self.client, n)
    }

    /// Every row over re-cut ID ranges, each range reported apart
    /// ([`ListRequest::split_ranges`]).
    pub fn split_ranges(self, parallel: usize) -> RangeStream<T> {
        self.request.split_ranges(&self.client, parallel)
    }
}

/// Awaiting a list collects every row into a `Vec`: for lists known to be short. Use
/// [`List::stream`] for the others.
impl<T: DeserializeOwned + Send + 'static> IntoFuture for List<T> {
    type Output = Result<Vec<T>>;
    type IntoFuture = BoxFuture<'static, Result<Vec<T>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.stream().try_collect())
    }
}

impl<T> std::fmt::Debug for List<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("List")
            .field("method", &self.request.method)
            .finish_non_exhaustive()
    }
}
