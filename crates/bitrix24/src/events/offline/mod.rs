//! The offline event queue (protocol.md §7.3), consumed **at least once**.
//!
//! [`OfflineConsumer::run_once`] reserves a batch with `event.offline.get` and `clear=0`,
//! remembers its `process_id` in a [`Checkpoint`] before handling anything, hands each event
//! to your function, then clears the handled ones (`event.offline.clear` with their
//! `message_id[]`) and reports the failed ones (`event.offline.error`). A process that dies
//! in between leaves the rows reserved under the remembered `process_id`; the next run reads
//! that batch again first, so an event may be handled twice but is never lost. Make the
//! handler idempotent (the queue keeps one row per object, with its latest state).
//!
//! A fleet of workers over many portals takes turns per portal with `OfflineLeases`
//! (feature `postgres`), which also keeps each portal's checkpoint.
//!
//! The queue needs app (OAuth) auth as an administrator, an offline binding
//! ([`bind`](super::bind::bind) with [`Binding::offline`](super::bind::Binding::offline)) and,
//! on the real portal, a plan with `rest_offline_extended` for `clear=0`.
//!
//! ```no_run
//! # async fn demo(client: bitrix24::Client) -> bitrix24::Result<()> {
//! use bitrix24::events::offline::{FileCheckpoint, OfflineConsumer};
//!
//! let consumer = OfflineConsumer::new(client)
//!     .limit(50)
//!     .checkpoint(FileCheckpoint::new("offline.pid"));
//! let stats = consumer
//!     .drain(|event| async move {
//!         println!("{} {:?}", event.name, event.kind);
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .await?;
//! println!("{} handled, {} failed", stats.handled, stats.failed);
//! # Ok(()) }
//! ```

mod checkpoint;
pub(crate) mod event;
#[cfg(feature = "postgres")]
mod lease;

pub use checkpoint::{Checkpoint, FileCheckpoint, MemoryCheckpoint};
pub use event::OfflineEvent;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use lease::{LeaseCheckpoint, OfflineLeases};

use crate::client::Client;
use crate::encode;
use crate::error::{Error, ErrorKind, Result};
use event::decode_row;
use serde_json::{json, Value};
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

/// Message ids per `event.offline.clear` / `event.offline.error` call.
const CHUNK: usize = 50;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// The batch's `process_id` (none when nothing was reserved).
    pub process_id: Option<String>,
    /// True when the batch was one an earlier run had reserved and not finished.
    pub resumed: bool,
    /// Events in the batch.
    pub received: usize,
    /// Events handled and cleared.
    pub handled: usize,
    /// Events whose handler failed, reported with `event.offline.error`.
    pub failed: usize,
}

/// Reads the offline queue at least once (see the module docs).
#[derive(Debug, Clone)]
pub struct OfflineConsumer {
    client: Client,
    limit: u32,
    errors: bool,
    keep_failed: bool,
    auth_connector: Option<String>,
    checkpoint: Arc<dyn Checkpoint>,
}

impl OfflineConsumer {
    /// A consumer with batches of 50 and a [`MemoryCheckpoint`] (set a durable one with
    /// [`OfflineConsumer::checkpoint`] to survive a crash).
    pub fn new(client: Client) -> Self {
        Self {
            client,
            limit: 50,
            errors: false,
            keep_failed: false,
            auth_connector: None,
            checkpoint: Arc::new(MemoryCheckpoint::new()),
        }
    }

    /// Events per batch (at least 1).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = n.max(1);
        self
    }

    /// Where the `process_id` of the current batch is kept.
    pub fn checkpoint(mut self, checkpoint: impl Checkpoint + 'static) -> Self {
        self.checkpoint = Arc::new(checkpoint);
        self
    }

    /// Reads the rows marked as errors by `event.offline.error` (`error=1`) instead of the
    /// pending ones.
    pub fn errors(mut self, errors: bool) -> Self {
        self.errors = errors;
        self
    }

    /// What happens to events whose handler failed: by default they are reported with
    /// `event.offline.error` (they leave the pending queue; read them with
    /// [`OfflineConsumer::errors`]). With `true` they stay reserved and the checkpoint keeps
    /// the batch, so the next run delivers them again (and [`OfflineConsumer::drain`] stops):
    /// for failures that are not the event's fault, such as a closed output.
    pub fn keep_failed(mut self, keep: bool) -> Self {
        self.keep_failed = keep;
        self
    }

    /// Reads the queue of this `auth_connector`.
    pub fn auth_connector(mut self, connector: impl Into<String>) -> Self {
        self.auth_connector = Some(connector.into());
        self
    }

    /// Handles one batch: the unfinished one of an earlier run if the checkpoint names it,
    /// else a newly reserved one. Returns with `received == 0` when the queue is empty.
    ///
    /// # Errors
    /// The portal's errors ([`ErrorKind::Api`], e.g. `ACCESS_DENIED` for a non-admin,
    /// `WRONG_AUTH_TYPE` for a webhook), [`ErrorKind::Decode`] for an answer without a
    /// `process_id`, and the checkpoint's errors. After an error the checkpoint still names
    /// the batch, so the next run finishes it.
    pub async fn run_once<F, Fut, E>(&self, mut handler: F) -> Result<Stats>
    where
        F: FnMut(OfflineEvent) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: Display,
    {
        let remembered = self.checkpoint.load().await?;
        let resumed = remembered.is_some();
        let (process_id, rows) = match remembered {
            Some(pid) => {
                let rows = self.get(Some(&pid)).await?.1;
                (pid, rows)
            }
            None => {
                let (pid, rows) = self.get(None).await?;
                let Some(pid) = pid else {
                    return Err(Error::new(
                        ErrorKind::Decode,
                        "event.offline.get with clear=0 answered without a process_id",
                    )
                    .with_method("event.offline.get"));
                };
                if !rows.is_empty() {
                    // Before anything is handled: from here on a crash must find this batch.
                    self.checkpoint.save(Some(&pid)).await?;
                }
                (pid, rows)
            }
        };
        let mut stats = Stats {
            process_id: (resumed || !rows.is_empty()).then(|| process_id.clone()),
            resumed,
            received: rows.len(),
            ..Stats::default()
        };
        let (mut done, mut failed) = (Vec::new(), Vec::new());
        for row in rows {
            let event = match decode_row(&row) {
                Some(e) => e,
                None => {
                    tracing::warn!("an offline event row without MESSAGE_ID was skipped");
                    continue;
                }
            };
            let message_id = event.message_id.clone();
            match handler(event).await {
                Ok(()) => done.push(message_id),
                Err(e) => {
                    tracing::warn!(message_id = %message_id, error = %e, "offline event handler failed");
                    failed.push(message_id);
                }
            }
        }
        for chunk in done.chunks(CHUNK) {
            self.report("event.offline.clear", &process_id, chunk)
                .await?;
        }
        stats.handled = done.len();
        stats.failed = failed.len();
        if self.keep_failed && !failed.is_empty() {
            // The failed rows stay reserved under the remembered process_id.
            return Ok(stats);
        }
        for chunk in failed.chunks(CHUNK) {
            self.report("event.offline.error", &process_id, chunk)
                .await?;
        }
        if resumed || stats.received > 0 {
            self.checkpoint.save(None).await?;
        }
        Ok(stats)
    }

    /// Runs [`OfflineConsumer::run_once`] until a fresh batch comes back empty; returns the
    /// totals. A batch whose events all fail stops it too (they are marked as errors).
    ///
    /// # Errors
    /// As [`OfflineConsumer::run_once`].
    pub async fn drain<F, Fut, E>(&self, mut handler: F) -> Result<Stats>
    where
        F: FnMut(OfflineEvent) -> Fut,
        Fut: Future<Output = std::result::Result<(), E>>,
        E: Display,
    {
        let mut total = Stats::default();
        loop {
            let s = self.run_once(&mut handler).await?;
            total.received += s.received;
            total.handled += s.handled;
            total.failed += s.failed;
            total.resumed |= s.resumed;
            if s.received > 0 {
                total.process_id = s.process_id;
            }
            if s.received == 0 && !s.resumed {
                return Ok(total);
            }
            // Failed rows leave the pending queue, but in `errors` mode they come straight back,
            // and kept ones would be re-read at once.
            if (s.received > 0 && s.handled == 0) || (self.keep_failed && s.failed > 0) {
                return Ok(total);
            }
        }
    }

    /// Batches reserved but neither cleared nor failed, other than the checkpoint's: the
    /// `process_id` of each, oldest row first (read with `event.offline.list`). A reservation
    /// whose answer was lost (a timeout) leaves such a batch, unseen for the portal's 30 days.
    ///
    /// # Errors
    /// The portal's errors.
    pub async fn orphans(&self) -> Result<Vec<String>> {
        let current = self.checkpoint.load().await?;
        let mut found: Vec<String> = Vec::new();
        let mut start = 0u64;
        loop {
            // `>PROCESS_ID` = '' keeps the reserved rows: pending ones have an empty id.
            let params = json!({
                "filter": {">PROCESS_ID": "", "ERROR": 0},
                "order": {"ID": "ASC"},
                "start": start,
            });
            let page = self.client.call_raw("event.offline.list", &params).await?;
            for row in page
                .result
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let Some(pid) = row.get("PROCESS_ID").and_then(Value::as_str) else {
                    continue;
                };
                if !pid.is_empty()
                    && current.as_deref() != Some(pid)
                    && !found.iter().any(|f| f == pid)
                {
                    found.push(pid.to_string());
                }
            }
            match page.next {
                Some(next) if next > start => start = next,
                _ => return Ok(found),
            }
        }
    }

    /// Makes `process_id` (one of [`OfflineConsumer::orphans`]) the batch the next run
    /// finishes. Only when no other consumer is alive: a live consumer's batch would be
    /// handled twice (never lost).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the checkpoint already names another unfinished batch
    /// (finish it first); the checkpoint's errors.
    pub async fn adopt(&self, process_id: &str) -> Result<()> {
        match self.checkpoint.load().await? {
            Some(pid) if pid != process_id => Err(Error::new(
                ErrorKind::InvalidInput,
                "the checkpoint names another unfinished batch; run the consumer first",
            )),
            _ => self.checkpoint.save(Some(process_id)).await,
        }
    }

    /// `event.offline.get` with `clear=0`; a new reservation unless `process_id` is given.
    async fn get(&self, process_id: Option<&str>) -> Result<(Option<String>, Vec<Value>)> {
        let params = json!({
            "clear": 0,
            "limit": self.limit,
            "process_id": process_id,
            "error": self.errors.then_some(1),
            "auth_connector": self.auth_connector,
        });
        let body = encode::to_form(&params)?;
        // A new reservation is not a read: resent after a lost answer it would reserve a
        // second batch and orphan the first, so it is never retried. Re-reading a named
        // batch is.
        let answer = self
            .client
            .send("event.offline.get", body, process_id.is_some())
            .await?
            .result;
        let pid = match answer.get("process_id") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            _ => None,
        };
        let rows = match answer.get("events") {
            Some(Value::Array(rows)) => rows.clone(),
            // PHP sends an empty array as `[]`, but an empty map as `{}` is the same thing.
            Some(Value::Object(m)) => m.values().cloned().collect(),
            _ => Vec::new(),
        };
        Ok((pid, rows))
    }

    async fn report(&self, method: &str, process_id: &str, message_ids: &[String]) -> Result<()> {
        let params = json!({"process_id": process_id, "message_id": message_ids});
        // Both are idempotent: clearing or failing a row twice changes nothing more.
        let body = encode::to_form(&params)?;
        self.client.send(method, body, true).await.map(drop)
    }
}
