//! Sending batches: [`Client::batch`] for one batch, [`Client::batch_chunked`] for any number
//! of independent commands.

use super::{Batch, BatchResults, Handle};
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// One independent command for [`Client::batch_chunked`].
#[derive(Debug)]
pub struct BatchCommand {
    method: String,
    params: Result<Value>,
}

impl BatchCommand {
    /// A command; a serialization error of `params` is reported when the commands are sent.
    pub fn new(method: impl Into<String>, params: &(impl Serialize + ?Sized)) -> Self {
        let params = serde_json::to_value(params).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the parameters cannot be serialized: {e}"),
            )
        });
        Self {
            method: method.into(),
            params,
        }
    }
}

impl Client {
    /// Sends a batch of at most 50 commands as one request.
    ///
    /// A batch made only of reads is retried like a read after an ambiguous failure; a batch
    /// with a write is not (unless [`RetryPolicy::retry_writes`](crate::RetryPolicy::retry_writes)).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a bad key, method or parameters, or more than 50
    /// commands; the errors of [`Client::call`] for the batch request itself. Errors of single
    /// commands are returned by [`BatchResults::get`].
    pub async fn batch(&self, batch: Batch) -> Result<BatchResults> {
        let methods: Map<String, Value> = batch
            .commands
            .iter()
            .map(|c| (c.key.clone(), Value::String(c.method.clone())))
            .collect();
        if batch.error.is_none() && batch.is_empty() {
            return BatchResults::from_value(&serde_json::json!({}), methods, false);
        }
        let (body, read_only, halt) = batch.encode()?;
        let answer = self.send("batch", body, read_only).await?;
        BatchResults::from_value(&answer.result, methods, halt)
    }

    /// Runs any number of independent commands, 50 per `batch` request, one request after the
    /// other (each waits for the rate limiter). Results come back in the order of `commands`.
    ///
    /// # Errors
    /// The outer error when a batch request itself fails; the commands of the chunks before
    /// it have run. Per-command errors are inside the returned list.
    pub async fn batch_chunked<T: DeserializeOwned>(
        &self,
        commands: impl IntoIterator<Item = BatchCommand>,
    ) -> Result<Vec<Result<T>>> {
        let commands: Vec<BatchCommand> = commands.into_iter().collect();
        let mut out = Vec::with_capacity(commands.len());
        let mut iter = commands.into_iter().peekable();
        while iter.peek().is_some() {
            let mut batch = Batch::new();
            let mut handles: Vec<Handle<T>> = Vec::with_capacity(super::MAX_COMMANDS);
            for (i, cmd) in iter.by_ref().take(super::MAX_COMMANDS).enumerate() {
                let params = cmd.params?;
                handles.push(batch.push::<T>(&i.to_string(), &cmd.method, &params));
            }
            let results = self.batch(batch).await?;
            out.extend(handles.iter().map(|h| results.get(h)));
        }
        Ok(out)
    }
}
