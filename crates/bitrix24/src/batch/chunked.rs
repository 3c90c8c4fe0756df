//! Any number of independent commands, 50 per `batch` request, several requests in flight
//! (the [`Pipeline`](super::Pipeline)); results in the order of the commands.

use super::{Batch, BatchResults, Handle, Pipeline, MAX_COMMANDS};
use crate::decode::{serde_decoder, Decoder};
use crate::error::{Error, ErrorKind, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One independent call of any method for
/// [`Client::batch_chunked`](crate::Client::batch_chunked), its result decoded as the list's
/// `T`. Typed [request values](crate::request::Request) go into `batch_chunked` as they are.
#[derive(Debug)]
pub struct BatchCommand {
    method: String,
    params: Result<Value>,
}

/// What [`Client::batch_chunked`](crate::Client::batch_chunked) takes: a
/// [`Request<T>`](crate::request::Request), or a [`BatchCommand`] decoded as any `T`.
pub trait IntoBatchCommand<T> {
    /// The method, the parameters (or the mistake found building them), where `T` is in the
    /// result and how it is decoded.
    #[doc(hidden)]
    fn into_parts(self) -> CommandParts<T>;
}

/// The pieces of one command; see [`IntoBatchCommand`].
#[doc(hidden)]
#[derive(Debug)]
pub struct CommandParts<T> {
    pub(crate) method: String,
    pub(crate) params: Result<Value>,
    pub(crate) path: &'static [&'static str],
    pub(crate) decode: Decoder<T>,
}

impl<T: DeserializeOwned> IntoBatchCommand<T> for BatchCommand {
    fn into_parts(self) -> CommandParts<T> {
        CommandParts {
            method: self.method,
            params: self.params,
            path: &[],
            decode: serde_decoder::<T>,
        }
    }
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
pub(crate) async fn run<T>(
    mut pipeline: Pipeline,
    commands: Vec<CommandParts<T>>,
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
            handles.push(batch.push_parts(
                Some(&key),
                &cmd.method,
                Ok(params),
                cmd.path,
                cmd.decode,
            ));
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
