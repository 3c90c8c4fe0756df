//! Any number of independent commands, 50 per `batch` request, several requests in flight
//! (the [`Pipeline`](super::Pipeline)); results in the order of the commands.

use super::{Batch, BatchResults, Handle, Pipeline, MAX_COMMANDS};
use crate::error::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One independent command for [`Client::batch_chunked`](crate::Client::batch_chunked).
#[derive(Debug)]
pub struct BatchCommand {
    method: String,
    params: Result<Value>,
}

impl BatchCommand {
    /// A command; a serialization error of `params` is reported before anything is sent.
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

/// Builds every chunk first, so a bad command is reported before any chunk runs, then sends
/// them through `pipeline` and puts the results back in command order. A chunk whose request
/// failed as a whole gives each of its commands that error.
pub(crate) async fn run<T: DeserializeOwned>(
    mut pipeline: Pipeline,
    commands: Vec<BatchCommand>,
) -> Result<Vec<Result<T>>> {
    let total = commands.len();
    let mut chunks: Vec<(Batch, Vec<Handle<T>>)> = Vec::new();
    let mut commands = commands.into_iter().enumerate().peekable();
    while commands.peek().is_some() {
        let mut batch = Batch::new();
        let mut handles = Vec::with_capacity(MAX_COMMANDS);
        for (index, cmd) in commands.by_ref().take(MAX_COMMANDS) {
            let params = cmd.params.map_err(|e| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "command {index} of {total} ({}): {e}; nothing was sent",
                        cmd.method
                    ),
                )
            })?;
            let key = (index % MAX_COMMANDS).to_string();
            handles.push(batch.push::<T>(&key, &cmd.method, &params));
        }
        batch
            .check()
            .map_err(|e| Error::new(ErrorKind::InvalidInput, format!("{e}; nothing was sent")))?;
        chunks.push((batch, handles));
    }
    let mut answered: Vec<Option<Result<BatchResults>>> = (0..chunks.len()).map(|_| None).collect();
    let mut handles_of = Vec::with_capacity(chunks.len());
    let mut pending = chunks.into_iter();
    loop {
        while pipeline.wants_more() {
            let Some((batch, handles)) = pending.next() else {
                break;
            };
            pipeline.submit(batch);
            handles_of.push(handles);
        }
        let Some((ticket, results)) = pipeline.next().await else {
            break;
        };
        match usize::try_from(ticket)
            .ok()
            .and_then(|t| answered.get_mut(t))
        {
            Some(slot) => *slot = Some(results),
            // Only a task that died (a panic, a runtime shutting down) has no ticket.
            None => return Err(results.err().unwrap_or_else(lost)),
        }
    }
    let mut out = Vec::with_capacity(total);
    for (handles, answer) in handles_of.iter().zip(answered) {
        match answer {
            Some(Ok(results)) => out.extend(handles.iter().map(|h| results.get(h))),
            Some(Err(e)) => out.extend(handles.iter().map(|_| Err(e.for_each_command()))),
            None => out.extend(handles.iter().map(|_| Err(lost()))),
        }
    }
    Ok(out)
}

fn lost() -> Error {
    Error::new(
        ErrorKind::Transport,
        "a batch of the pipeline was lost: its commands may or may not have run",
    )
}
