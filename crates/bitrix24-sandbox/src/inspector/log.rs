//! The request log: the last N REST requests in a ring buffer, already masked (see
//! [`super::mask`]), so nothing secret is ever held in it.

use serde::Serialize;
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The default number of requests kept.
pub const DEFAULT_CAPACITY: usize = 1000;

/// Who made a request, as far as the sandbox found out.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Who {
    /// An incoming webhook.
    Webhook {
        /// Webhook id.
        webhook_id: i64,
        /// The user it acts as.
        user_id: i64,
    },
    /// An OAuth application.
    App {
        /// The app's `client_id`.
        client_id: String,
        /// The user the token belongs to.
        user_id: i64,
    },
    /// Not authenticated (refused before or by the auth check).
    Unknown,
}

impl std::fmt::Display for Who {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Who::Webhook {
                webhook_id,
                user_id,
            } => write!(f, "webhook #{webhook_id}, user {user_id}"),
            Who::App { client_id, user_id } => write!(f, "app {client_id}, user {user_id}"),
            Who::Unknown => f.write_str("—"),
        }
    }
}

/// One logged REST request. Every field is masked before the entry is built.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Sequence number, from 1, never reused.
    pub id: u64,
    /// Sandbox-clock time the request arrived, unix seconds.
    pub at: f64,
    /// HTTP method (`GET`, `POST`).
    pub http_method: String,
    /// The request path, webhook secret masked.
    pub path: String,
    /// The REST method, lower-case (`(no route)` for paths the portal has no route for).
    pub method: String,
    /// Who called.
    pub who: Who,
    /// HTTP status of the answer; 0 when the connection was dropped.
    pub status: u16,
    /// Wall-clock time from arrival to the answer, milliseconds.
    pub duration_ms: f64,
    /// `time.processing` of the answer, seconds.
    pub processing: Option<f64>,
    /// `time.operating` of the answer: operating seconds used by this caller and method in the
    /// current ten-minute window.
    pub operating: Option<f64>,
    /// The decoded parameters (query and body merged, PHP keys resolved); `None` when the
    /// request was refused before its body was read.
    pub params: Option<Value>,
    /// The answer when it was JSON.
    pub answer: Option<Value>,
    /// The answer when it was not JSON (an HTML error page, XML), or a note why it is absent.
    pub answer_text: Option<String>,
    /// The `error` code of an error answer.
    pub error: Option<String>,
}

impl Entry {
    /// True when the request was a `batch`.
    pub fn is_batch(&self) -> bool {
        self.method == "batch"
    }
}

/// A ring buffer of [`Entry`]; `capacity` 0 turns logging off.
#[derive(Debug)]
pub struct RequestLog {
    capacity: usize,
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    next_id: u64,
    entries: VecDeque<Arc<Entry>>,
}

impl RequestLog {
    /// A log keeping the last `capacity` requests.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Ring {
                next_id: 1,
                entries: VecDeque::new(),
            }),
        }
    }

    /// Whether requests are recorded at all.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    /// How many requests are kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds an entry, giving it the next id (the `id` passed in is ignored); the oldest entry
    /// goes when the log is full.
    pub fn push(&self, mut entry: Entry) -> u64 {
        if !self.enabled() {
            return 0;
        }
        let mut ring = self.lock();
        entry.id = ring.next_id;
        ring.next_id += 1;
        if ring.entries.len() >= self.capacity {
            ring.entries.pop_front();
        }
        let id = entry.id;
        ring.entries.push_back(Arc::new(entry));
        id
    }

    /// Every kept entry, oldest first.
    pub fn all(&self) -> Vec<Arc<Entry>> {
        self.lock().entries.iter().cloned().collect()
    }

    /// The entries with an id above `id`, oldest first.
    pub fn after(&self, id: u64) -> Vec<Arc<Entry>> {
        let ring = self.lock();
        ring.entries.iter().filter(|e| e.id > id).cloned().collect()
    }

    /// One entry by id, while it is kept.
    pub fn get(&self, id: u64) -> Option<Arc<Entry>> {
        let ring = self.lock();
        let first = ring.entries.front()?.id;
        let index = usize::try_from(id.checked_sub(first)?).ok()?;
        ring.entries.get(index).filter(|e| e.id == id).cloned()
    }

    /// Forgets every entry (ids go on counting).
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for RequestLog {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            id: 0,
            at: 0.0,
            http_method: "POST".into(),
            path: "/rest/x".into(),
            method: "x".into(),
            who: Who::Unknown,
            status: 200,
            duration_ms: 0.0,
            processing: None,
            operating: None,
            params: None,
            answer: None,
            answer_text: None,
            error: None,
        }
    }

    #[test]
    fn keeps_the_last_n_and_finds_by_id() {
        let log = RequestLog::new(3);
        for _ in 0..5 {
            log.push(entry());
        }
        let ids: Vec<u64> = log.all().iter().map(|e| e.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        assert_eq!(log.get(4).map(|e| e.id), Some(4));
        assert!(log.get(2).is_none());
        assert!(log.get(6).is_none());
        assert_eq!(log.after(4).len(), 1);
    }

    #[test]
    fn capacity_zero_records_nothing() {
        let log = RequestLog::new(0);
        log.push(entry());
        assert!(log.all().is_empty());
    }
}
