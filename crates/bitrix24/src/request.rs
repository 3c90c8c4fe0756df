//! Request values: one typed operation that is either awaited on its own or pushed into a
//! [`Batch`], the same value for both.
//!
//! ```no_run
//! # async fn run(client: bitrix24::Client) -> bitrix24::Result<()> {
//! use bitrix24::batch::Batch;
//! use bitrix24::crm::LeadFields;
//!
//! // Awaited: one HTTP request.
//! let id = client.leads().add(LeadFields::new().title("Signup")).await?; // LeadId
//!
//! // Pushed: one command of a batch, read back through its typed handle.
//! let mut batch = Batch::new();
//! let lead = batch.push(client.leads().get(id));
//! let results = client.batch(batch).await?;
//! let lead = results.get(&lead)?; // Lead
//! # let _ = lead; Ok(()) }
//! ```
//!
//! A [`Request<T>`] is the method name, its parameters (or the mistake found while building
//! them, reported when it is sent, so builders stay infallible) and how its `result` becomes
//! a `T`. The entity services ([`Client::leads`], [`Client::deals`], [`Client::contacts`],
//! [`Client::companies`], [`Client::items`]) hand them out; [`Client::request`] makes one
//! for any other method.
//!
//! # Adding a typed request
//!
//! A typed operation is a function that returns a `Request<T>`; nothing else has to be
//! written for it to be awaitable, batchable and usable in
//! [`Client::batch_chunked`]:
//!
//! ```
//! use bitrix24::crm::types::DealId;
//! use bitrix24::request::Request;
//! use bitrix24::Client;
//! use serde_json::json;
//!
//! /// `crm.deal.productrows.get`: the product rows of a deal.
//! fn product_rows(client: &Client, deal: DealId) -> Request<Vec<serde_json::Value>> {
//!     client.request("crm.deal.productrows.get", json!({ "id": deal }))
//! }
//! # let client = Client::from_webhook("https://example.bitrix24.com/rest/1/secret/").unwrap();
//! # assert_eq!(product_rows(&client, DealId::new(7).unwrap()).method(), "crm.deal.productrows.get");
//! ```
//!
//! - The result type only needs `Deserialize`; it is decoded with the crate's usual errors
//!   (the JSON path and the expected type, never the data).
//! - When the value sits deeper in `result` (`crm.item.get` answers `{"item": {...}}`), say
//!   where with [`Request::at`]: `.at(&["item"])`. A batch handle of such a request points its
//!   references there too.
//! - When serde is not the right reader (an answer that carries nothing, `true`), give a
//!   [`Decoder`] with [`Request::with_decoder`].
//! - When building the parameters can fail (a field builder), pass the `Result` to
//!   [`Request::try_new`]: the mistake is reported when the request is sent or the batch is.
//! - Setters that take an id should take `impl IntoId<M>`
//!   ([`IntoId`](crate::crm::types::IntoId)), so a batch handle of that id fits too.

use crate::batch::{Batch, CommandParts, Handle, IntoBatchCommand};
use crate::client::Client;
use crate::decode::{decode_at, ignore_result, serde_decoder};
use crate::error::{Error, ErrorKind, Result};
use crate::response::Response;
use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::future::IntoFuture;

pub use crate::decode::Decoder;

/// One typed call: awaited, it sends one request and returns a `T`; pushed into a
/// [`Batch`], it becomes one command whose [`Handle<T>`] reads the same `T`. See the
/// [module docs](self).
pub struct Request<T> {
    client: Client,
    method: String,
    params: Result<Value>,
    path: &'static [&'static str],
    decode: Decoder<T>,
}

impl<T: DeserializeOwned> Request<T> {
    /// A request of `method` with `params` (anything `Serialize`, encoded with PHP bracket
    /// keys), its `result` decoded as `T`. A `params` that cannot be represented as JSON is
    /// reported when the request is sent.
    pub fn new(client: &Client, method: impl Into<String>, params: impl Serialize) -> Self {
        let params = serde_json::to_value(params).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the parameters cannot be serialized: {e}"),
            )
        });
        Self::try_new(client, method, params)
    }

    /// A request whose parameters were built by something that can fail (a field builder):
    /// the error is reported when the request is sent, or when its batch is.
    pub fn try_new(client: &Client, method: impl Into<String>, params: Result<Value>) -> Self {
        Self {
            client: client.clone(),
            method: method.into(),
            params,
            path: &[],
            decode: serde_decoder::<T>,
        }
    }
}

impl Request<()> {
    /// A request whose answer carries nothing to keep (`update`, `delete`: `true`).
    pub fn ignoring_result(
        client: &Client,
        method: impl Into<String>,
        params: Result<Value>,
    ) -> Self {
        Request::<Value>::try_new(client, method, params).with_decoder(ignore_result)
    }
}

impl<T> Request<T> {
    /// The same call, its answer read by `decode` instead (see [`Decoder`]).
    pub fn with_decoder<U>(self, decode: Decoder<U>) -> Request<U> {
        Request {
            client: self.client,
            method: self.method,
            params: self.params,
            path: self.path,
            decode,
        }
    }

    /// Reads `T` at `path` inside `result` (object keys), e.g. `&["item"]` for
    /// `crm.item.get`'s `{"item": {...}}`.
    pub fn at(mut self, path: &'static [&'static str]) -> Self {
        self.path = path;
        self
    }

    /// The REST method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The parameters as they will be encoded, or the mistake found building them.
    pub fn params(&self) -> std::result::Result<&Value, &Error> {
        self.params.as_ref()
    }

    /// Sends the request and returns the decoded result (what `.await` does).
    ///
    /// # Errors
    /// As [`Client::call`]: [`ErrorKind::InvalidInput`] for parameters that cannot be sent
    /// (a builder's mistake), [`ErrorKind::Api`] for the portal's error answer,
    /// [`ErrorKind::Transport`], [`ErrorKind::Decode`].
    pub async fn send(self) -> Result<T> {
        Ok(self.send_full().await?.result)
    }

    /// Sends the request and returns the whole envelope (`next`, `total`, `time`).
    ///
    /// # Errors
    /// As [`Request::send`].
    pub async fn send_full(self) -> Result<Response<T>> {
        let method = self.method;
        let params = self.params.map_err(|e| e.with_method(&method))?;
        let raw = self.client.call_raw(&method, &params).await?;
        let (path, decode) = (self.path, self.decode);
        let result =
            decode_at(&raw.result, path, "result", decode).map_err(|e| e.with_method(&method))?;
        Ok(Response {
            result,
            next: raw.next,
            total: raw.total,
            time: raw.time,
        })
    }
}

impl<T: Send + 'static> IntoFuture for Request<T> {
    type Output = Result<T>;
    type IntoFuture = BoxFuture<'static, Result<T>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

impl<T> IntoBatchCommand<T> for Request<T> {
    fn into_parts(self) -> CommandParts<T> {
        CommandParts {
            method: self.method,
            params: self.params,
            path: self.path,
            decode: self.decode,
        }
    }
}

impl<T> std::fmt::Debug for Request<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The parameters may hold customer data; the method is enough to tell requests apart.
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("valid", &self.params.is_ok())
            .finish_non_exhaustive()
    }
}

impl Batch {
    /// Adds a typed request under the next automatic key (`_0`, `_1`...); read its result
    /// with the returned handle. A mistake in the request (a bad field, unencodable
    /// parameters) is reported when the batch is sent, so `push` stays infallible.
    pub fn push<T>(&mut self, request: Request<T>) -> Handle<T> {
        self.push_parts(
            None,
            &request.method,
            request.params,
            request.path,
            request.decode,
        )
    }

    /// [`Batch::push`] under a key of your choice (letters, digits, `_`, `-`, `.`), e.g. to
    /// find the command in the portal's answer or in
    /// [`BatchResults::failed_keys`](crate::batch::BatchResults::failed_keys).
    pub fn push_named<T>(&mut self, key: &str, request: Request<T>) -> Handle<T> {
        self.push_parts(
            Some(key),
            &request.method,
            request.params,
            request.path,
            request.decode,
        )
    }
}

impl Client {
    /// A typed [`Request`] of any method, for methods the crate has no typed request for:
    /// awaited, it returns `result` decoded as `T`; it also goes into a [`Batch`] and into
    /// [`Client::batch_chunked`]. See the [module docs](crate::request).
    ///
    /// ```no_run
    /// # async fn run(client: bitrix24::Client) -> bitrix24::Result<()> {
    /// let time: String = client.request("server.time", ()).await?;
    /// # let _ = time; Ok(()) }
    /// ```
    pub fn request<T: DeserializeOwned>(
        &self,
        method: impl Into<String>,
        params: impl Serialize,
    ) -> Request<T> {
        Request::new(self, method, params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client() -> Client {
        Client::from_webhook("https://p.example.com/rest/1/s3cret/").unwrap()
    }

    #[test]
    fn a_request_keeps_its_mistake_for_send_time_and_shows_no_data() {
        let c = client();
        let ok: Request<u64> = c.request("crm.lead.add", json!({"fields": {"NAME": "Иван"}}));
        assert_eq!(ok.method(), "crm.lead.add");
        assert_eq!(ok.params().unwrap()["fields"]["NAME"], "Иван");
        assert!(!format!("{ok:?}").contains("Иван"));
        let bad = Request::<u64>::try_new(
            &c,
            "crm.lead.add",
            Err(Error::new(ErrorKind::InvalidInput, "a bad field")),
        );
        assert!(bad.params().is_err());
    }

    #[tokio::test]
    async fn a_bad_request_fails_before_anything_is_sent() {
        let bad = Request::<u64>::try_new(
            &client(),
            "crm.lead.add",
            Err(Error::new(ErrorKind::InvalidInput, "a bad field")),
        );
        let e = bad.await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert_eq!(e.method(), Some("crm.lead.add"));
    }

    #[test]
    fn pushed_requests_take_automatic_keys_and_their_handles_read_at_the_path() {
        let c = client();
        let mut batch = Batch::new();
        let a = batch.push(c.request::<u64>("crm.lead.add", json!({})));
        let b = batch.push(
            c.request::<u64>("crm.item.get", json!({"id": 1}))
                .at(&["item", "id"]),
        );
        let named = batch.push_named("mine", c.request::<u64>("server.time", ()));
        assert_eq!((a.key(), b.key(), named.key()), ("_0", "_1", "mine"));
        assert_eq!(a.value_ref().to_string(), "$result[_0]");
        assert_eq!(b.value_ref().to_string(), "$result[_1][item][id]");
    }

    #[test]
    fn a_mistake_in_a_pushed_request_fails_the_batch() {
        let c = client();
        let mut batch = Batch::new();
        batch.push(Request::<u64>::try_new(
            &c,
            "crm.lead.add",
            Err(Error::new(ErrorKind::InvalidInput, "a bad field")),
        ));
        let e = batch.check().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("a bad field"), "{e}");
    }
}
