//! Lists as streams: every row of a list method, fetched page by page behind a
//! [`futures::Stream`] that owns a client clone (so it can be spawned) and holds at most one
//! batch of rows (about 2,500) at a time.
//!
//! Strategies:
//! - **keyset** (default): `order[ID]=ASC`, `filter[>ID]=<last ID>`, `start=-1` (no count),
//!   the recipe of the docs for big exports. After a first plain page, 50 pages are chained
//!   in one `batch` (page k filters on `$result[k-1][49][ID]`), about 2,500 rows per request.
//!   A short page ends the list; later pages of that batch are ignored, because the portal
//!   substitutes the deepest value it finds for a missing `[49]` and they are garbage.
//! - **parallel keyset** ([`ListRequest::parallel`]): the ID range up to the current maximum
//!   is split into N disjoint ranges run as N chains at once, as fast as the rate limit
//!   allows. Rows come in no global order (each range is in ascending ID order).
//! - **re-cut ranges** ([`ListRequest::split_ranges`]): like the parallel keyset, but each
//!   range is reported apart and the range with the most IDs left is cut in two whenever a
//!   chain finishes early, so every chain stays busy; the events say which rows belong to
//!   which range, so a consumer can write one ordered output and resume it
//!   ([`RangeStream`]).
//! - **offset** (when [`ListRequest::order`] sorts by something else): `start=0, 50, ..`
//!   following `next`, one request per page; rows in the caller's order. A list changed
//!   while paging can skip or repeat rows, which keyset paging cannot.
//!
//! A cursor that does not advance (the same last ID, or a `next` not above `start`) ends the
//! stream with [`crate::ErrorKind::Pagination`] instead of looping.

mod keyset;
mod offset;
mod ranges;
mod typed;

pub use ranges::{IdRange, RangeEvent, RangeStream};
pub use typed::List;

use crate::client::Client;
use crate::crm::{Filter, Order, Select};
use crate::decode::decode_owned;
use crate::error::{Error, ErrorKind, Result};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use futures::Stream;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Where a method puts its rows and how it names the ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// `result` is the list, rows have `ID` (classic `crm.*.list`, most list methods).
    Classic,
    /// `result.items` is the list, rows have `id` (`crm.item.list`).
    Items,
}

impl Shape {
    fn id_field(self) -> &'static str {
        match self {
            Shape::Classic => "ID",
            Shape::Items => "id",
        }
    }

    /// The rows of a page.
    fn rows(self, result: Value) -> Result<Vec<Value>> {
        let list = match (self, result) {
            (Shape::Classic, v) => v,
            (Shape::Items, Value::Object(mut m)) => m.remove("items").unwrap_or(Value::Null),
            (Shape::Items, other) => other,
        };
        match list {
            Value::Array(rows) => Ok(rows),
            // An empty PHP array may print as `[]` or, for item lists, be absent.
            Value::Null => Ok(Vec::new()),
            Value::Object(m) if m.is_empty() => Ok(Vec::new()),
            other => Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "a list page is not a list: {}",
                    crate::response::excerpt(other.to_string().as_bytes(), 200)
                ),
            )),
        }
    }

    /// The ID of a row.
    fn id_of(self, row: &Value) -> Result<u64> {
        let v = row
            .get(self.id_field())
            .or_else(|| row.get(self.id_field().to_lowercase()));
        let id = match v {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        id.ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                format!(
                    "a row has no numeric `{}`; keyset paging needs it in `select`",
                    self.id_field()
                ),
            )
        })
    }
}

/// A list call to stream: the method, its filter, select, order and other parameters.
#[derive(Debug, Clone)]
pub struct ListRequest {
    method: String,
    shape: Shape,
    filter: Map<String, Value>,
    select: Vec<String>,
    order: Vec<(String, String)>,
    extra: Map<String, Value>,
    error: Option<String>,
}

impl ListRequest {
    /// A classic list method (`crm.lead.list`, `crm.deal.list`, `crm.contact.list`,
    /// `crm.company.list`, ...): rows in `result`, ID in `ID`.
    pub fn new(method: impl Into<String>) -> Self {
        Self::with_shape(method.into(), Shape::Classic)
    }

    /// `crm.item.list` and methods like it: rows in `result.items`, ID in `id`. Set the
    /// entity with `.param("entityTypeId", 1)`; field names are camelCase there, so filter
    /// and select with [`ListRequest::raw_filter`] and [`ListRequest::raw_select`] (or use
    /// [`Client::items`](crate::Client::items)).
    pub fn items(method: impl Into<String>) -> Self {
        Self::with_shape(method.into(), Shape::Items)
    }

    fn with_shape(method: String, shape: Shape) -> Self {
        Self {
            method,
            shape,
            filter: Map::new(),
            select: Vec::new(),
            order: Vec::new(),
            extra: Map::new(),
            error: None,
        }
    }

    /// Adds the conditions of a checked [`Filter`] (classic CRM field names); a mistake
    /// found while building it is reported when the list is sent. A `>ID` condition is where
    /// the keyset cursor starts.
    pub fn filter(mut self, filter: Filter) -> Self {
        match filter.into_map() {
            Ok(map) => self.filter.extend(map),
            Err(e) => self.fail(e.to_string()),
        }
        self
    }

    /// Adds a filter condition unchecked, key with its operator prefix (`">DATE_CREATE"`,
    /// `"STATUS_ID"`), for lists whose field names the typed [`Filter`] does not know
    /// (`crm.item.list`'s camelCase, other modules). The portal silently drops a key it does
    /// not know and returns the unfiltered list, so check the spelling.
    pub fn raw_filter(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.filter.insert(key.into(), v);
            }
            Err(e) => self.fail(format!("a filter value cannot be serialized: {e}")),
        }
        self
    }

    /// The fields to return, checked ([`Select`], or a list of classic names such as
    /// `["ID", "NAME"]`); the ID field is added when missing (the cursor needs it).
    pub fn select(mut self, select: impl Into<Select>) -> Self {
        match select.into().into_vec() {
            Ok(fields) => self.select = fields,
            Err(e) => self.fail(e.to_string()),
        }
        self
    }

    /// The fields to return, unchecked (camelCase `crm.item.list` fields, other modules).
    pub fn raw_select<S: Into<String>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        self.select = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Sorts by a checked [`Order`]. Any order other than ascending ID switches to offset
    /// paging.
    pub fn order(mut self, order: Order) -> Self {
        match order.into_map() {
            Ok(map) => {
                for (field, dir) in map {
                    let dir = dir.as_str().unwrap_or("ASC").to_string();
                    self.order.push((field, dir));
                }
            }
            Err(e) => self.fail(e.to_string()),
        }
        self
    }

    /// Sorts by `field` (`"ASC"`/`"DESC"`), unchecked. Any order other than ascending ID
    /// switches to offset paging.
    pub fn raw_order(mut self, field: impl Into<String>, direction: impl Into<String>) -> Self {
        self.order
            .push((field.into(), direction.into().to_uppercase()));
        self
    }

    /// Keeps the first mistake, reported when the list is sent.
    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }

    /// Any other top-level parameter (e.g. `entityTypeId`).
    pub fn param(mut self, key: impl Into<String>, value: impl Serialize) -> Self {
        match serde_json::to_value(value) {
            Ok(v) => {
                self.extra.insert(key.into(), v);
            }
            Err(e) => self.fail(format!("a parameter cannot be serialized: {e}")),
        }
        self
    }

    fn keyset_ok(&self) -> bool {
        let id = self.shape.id_field();
        self.order
            .iter()
            .all(|(f, d)| f.eq_ignore_ascii_case(id) && d == "ASC")
    }

    fn check(&self) -> Result<()> {
        crate::transport::validate_method(&self.method)?;
        match &self.error {
            Some(e) => {
                Err(Error::new(ErrorKind::InvalidInput, e.clone()).with_method(&self.method))
            }
            None => Ok(()),
        }
    }

    /// Every row, decoded as `T`, one request per 50 pages (keyset) or per page (offset).
    pub fn stream<T: DeserializeOwned + Send + 'static>(self, client: &Client) -> ListStream<T> {
        if let Err(e) = self.check() {
            return ListStream::failed(e);
        }
        let rows = if self.keyset_ok() {
            keyset::chain(client.clone(), self, None).boxed()
        } else {
            offset::pages(client.clone(), self).boxed()
        };
        ListStream::decoding(rows)
    }

    /// Every row through `n` concurrent keyset chains over disjoint ID ranges (see the module
    /// docs). Rows of one range come in ID order; ranges interleave. Falls back to
    /// [`ListRequest::stream`] for `n <= 1` or a non-ID order. Rows added after the start
    /// above the maximum ID seen then are not included.
    pub fn parallel<T: DeserializeOwned + Send + 'static>(
        self,
        client: &Client,
        n: usize,
    ) -> ListStream<T> {
        if n <= 1 || !self.keyset_ok() {
            return self.stream(client);
        }
        if let Err(e) = self.check() {
            return ListStream::failed(e);
        }
        ListStream::decoding(keyset::parallel(client.clone(), self, n.min(16)).boxed())
    }

    /// The parameters of one page: the caller's, plus `extra` keys.
    fn params(&self, filter: Map<String, Value>, order: Option<(&str, &str)>, start: i64) -> Value {
        let mut p = self.extra.clone();
        if !filter.is_empty() {
            p.insert("filter".into(), Value::Object(filter));
        }
        let mut select = self.select.clone();
        let id = self.shape.id_field();
        if !select.is_empty()
            && !select
                .iter()
                .any(|s| s == "*" || s.eq_ignore_ascii_case(id))
        {
            select.push(id.to_string());
        }
        if !select.is_empty() {
            p.insert("select".into(), serde_json::json!(select));
        }
        let mut o = Map::new();
        match order {
            Some((f, d)) => {
                o.insert(f.to_string(), Value::String(d.to_string()));
            }
            None => {
                for (f, d) in &self.order {
                    o.insert(f.clone(), Value::String(d.clone()));
                }
            }
        }
        if !o.is_empty() {
            p.insert("order".into(), Value::Object(o));
        }
        p.insert("start".into(), Value::from(start));
        Value::Object(p)
    }
}

/// A stream of list rows; see the [module docs](self).
pub struct ListStream<T> {
    inner: BoxStream<'static, Result<T>>,
}

impl<T: DeserializeOwned + Send + 'static> ListStream<T> {
    fn decoding(rows: BoxStream<'static, Result<Vec<Value>>>) -> Self {
        let inner = rows
            .map_ok(|rows| {
                futures::stream::iter(rows.into_iter().map(|r| decode_owned::<T>(r, "row")))
            })
            .try_flatten()
            .boxed();
        Self { inner }
    }

    fn failed(e: Error) -> Self {
        Self {
            inner: futures::stream::once(async move { Err(e) }).boxed(),
        }
    }
}

impl<T> Stream for ListStream<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<T> std::fmt::Debug for ListStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListStream").finish_non_exhaustive()
    }
}
