//! The shared state of one running sandbox portal.

use crate::clock::Clock;
use crate::config::PortalConfig;
use crate::db::readers::{Reader, Readers};
use crate::db::Store;
use crate::faults::Faults;
use crate::inspector::log::RequestLog;
use crate::limits::{OperatingLimiter, RateBucket};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// One emulated portal: its data, clock, limits and faults. The methods it answers are not
/// part of it: they are fixed by the program ([`crate::methods::registry`]), and they work
/// on a portal, so the portal does not know them.
#[derive(Debug)]
pub struct Portal {
    /// Fixed facts: domain, member id, time zone, limits.
    pub config: PortalConfig,
    /// The advanceable clock.
    pub clock: Clock,
    /// Request-rate bucket.
    pub rate: RateBucket,
    /// Operating-time budgets.
    pub operating: OperatingLimiter,
    /// Fault injection.
    pub faults: Faults,
    /// Request counters.
    pub stats: Stats,
    /// The last REST requests, masked, for the inspector.
    pub requests: RequestLog,
    db: Mutex<Connection>,
    readers: Readers,
    /// The temporary directory of a portal without a data file; dropped after the
    /// connections above (fields drop in declaration order).
    _temp: Option<tempfile::TempDir>,
}

impl Portal {
    /// Wraps an opened database with no read path: every request runs on `conn`.
    pub fn new(config: PortalConfig, conn: Connection) -> Self {
        Self::with_store(
            config,
            Store {
                writer: conn,
                readers: Readers::none(),
                temp: None,
            },
        )
    }

    /// Wraps an opened store: writes on its writer, reads on its readers.
    pub fn with_store(config: PortalConfig, store: Store) -> Self {
        Self {
            rate: RateBucket::new(config.limits),
            operating: OperatingLimiter::new(config.operating_limit),
            requests: RequestLog::new(config.request_log),
            config,
            clock: Clock::default(),
            faults: Faults::default(),
            stats: Stats::default(),
            db: Mutex::new(store.writer),
            readers: store.readers,
            _temp: store.temp,
        }
    }

    /// Exclusive access to the database. A poisoned lock is recovered: every write runs in a
    /// transaction, so a panicked writer left nothing half-done behind.
    pub fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection for a request that only reads: one of the read-only connections (waiting
    /// for one when all are busy), or the writer when the portal has no read path. It sees
    /// every write committed before it was taken.
    pub fn read_db(&self) -> ReadDb<'_> {
        match self.readers.get() {
            Some(reader) => ReadDb::Reader(reader),
            None => ReadDb::Writer(self.db()),
        }
    }

    /// How many read-only connections the portal has (0: everything runs on the writer).
    pub fn read_connections(&self) -> usize {
        self.readers.len()
    }

    /// Sandbox time in whole unix seconds.
    pub fn unix(&self) -> i64 {
        self.clock.unix()
    }
}

/// The connection a read runs on (see [`Portal::read_db`]).
#[derive(Debug)]
pub enum ReadDb<'a> {
    /// A read-only connection of the pool.
    Reader(Reader<'a>),
    /// The writer, for a portal without a read path.
    Writer(MutexGuard<'a, Connection>),
}

impl ReadDb<'_> {
    /// True when this is the writer (a portal without a read path).
    pub fn is_writer(&self) -> bool {
        matches!(self, ReadDb::Writer(_))
    }
}

impl Deref for ReadDb<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            ReadDb::Reader(r) => r,
            ReadDb::Writer(w) => w,
        }
    }
}

/// Counters of what the sandbox served, for tests and benchmarks.
#[derive(Debug, Default)]
pub struct Stats {
    http_requests: AtomicU64,
    by_method: Mutex<BTreeMap<String, u64>>,
    token_sources: Mutex<BTreeMap<IpAddr, u64>>,
}

impl Stats {
    /// Counts one REST HTTP request for `method`.
    pub fn count(&self, method: &str) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
        let mut m = self.by_method.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry(method.to_string()).or_default() += 1;
    }

    /// Counts one `/oauth/token/` request under `oauth.token` (not in [`Self::http_requests`],
    /// which counts REST calls only), and its source address (the TCP peer).
    pub fn count_token_request(&self, source: IpAddr) {
        let mut m = self.by_method.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry("oauth.token".to_string()).or_default() += 1;
        drop(m);
        let mut s = self.token_sources.lock().unwrap_or_else(|p| p.into_inner());
        *s.entry(source).or_default() += 1;
    }

    /// `/oauth/token/` requests per source address.
    pub fn token_requests_by_source(&self) -> BTreeMap<IpAddr, u64> {
        self.token_sources
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// REST HTTP requests served (a batch counts once).
    pub fn http_requests(&self) -> u64 {
        self.http_requests.load(Ordering::Relaxed)
    }

    /// HTTP requests per top-level method; the token endpoint counts as `oauth.token`.
    pub fn by_method(&self) -> BTreeMap<String, u64> {
        self.by_method
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets every counter back to zero.
    pub fn reset(&self) {
        self.http_requests.store(0, Ordering::Relaxed);
        self.by_method
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.token_sources
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
