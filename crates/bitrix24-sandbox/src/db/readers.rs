//! The read path: a small pool of read-only connections to the portal's data file, beside the
//! one writer connection.
//!
//! In WAL mode a reader works on the snapshot that was committed when its transaction began and
//! never waits for the writer (nor the writer for it), so requests whose every command is a read
//! run side by side while writes stay serialized on the writer. A reader's transaction begins
//! after its request arrived, so it sees every write committed (and answered) before that.
//!
//! The readers are opened with `query_only`: a method wrongly marked as a read fails loudly
//! (`attempt to write a readonly database`) instead of writing outside the writer's lock.

use rusqlite::Connection;
use std::ops::Deref;
use std::path::Path;
use std::sync::{Condvar, Mutex};

/// Page cache of one reader (KiB, as `cache_size` takes a negative number): smaller than the
/// writer's, since the readers read the file through the memory map.
const READER_CACHE_KIB: i64 = 16 * 1024;

/// How much of the file the readers and the writer map into memory: a read of a mapped page
/// copies nothing, where a `pread` into each reader's own page cache would.
pub const MMAP_BYTES: i64 = 1 << 30;

/// Read-only connections to one database file; empty when the portal has no read path.
#[derive(Debug)]
pub struct Readers {
    idle: Mutex<Vec<Connection>>,
    returned: Condvar,
    size: usize,
}

impl Readers {
    /// No read path: every request runs on the writer.
    pub fn none() -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            returned: Condvar::new(),
            size: 0,
        }
    }

    /// Opens `count` read-only connections to the WAL-mode file at `path`.
    pub fn open(path: &Path, count: usize) -> rusqlite::Result<Self> {
        let mut conns = Vec::with_capacity(count);
        for _ in 0..count {
            let conn = Connection::open(path)?;
            conn.pragma_update(None, "query_only", "ON")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
            conn.pragma_update(None, "mmap_size", MMAP_BYTES)?;
            // Readers never wait for the writer in WAL mode; the timeout covers the moment a
            // checkpoint or the first open of the -shm file holds a lock.
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conns.push(conn);
        }
        Ok(Self {
            idle: Mutex::new(conns),
            returned: Condvar::new(),
            size: count,
        })
    }

    /// How many read connections there are (0: no read path).
    pub fn len(&self) -> usize {
        self.size
    }

    /// True when there is no read path.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// A reader, waiting for one to come back when all are busy; `None` when there is no read
    /// path. A poisoned lock is recovered: the connections hold no state between uses.
    pub fn get(&self) -> Option<Reader<'_>> {
        if self.size == 0 {
            return None;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(conn) = idle.pop() {
                return Some(Reader {
                    pool: self,
                    conn: Some(conn),
                });
            }
            idle = self.returned.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// One read-only connection, lent out of [`Readers`] and given back on drop.
#[derive(Debug)]
pub struct Reader<'a> {
    pool: &'a Readers,
    conn: Option<Connection>,
}

impl Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a lent reader holds its connection until dropped")
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // A transaction left open (a panicking method) would pin an old snapshot.
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(conn);
            self.pool.returned.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_db() -> (tempfile::TempDir, Connection, Readers) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("portal.db");
        let writer = crate::db::open(Some(&path), &["CREATE TABLE t (x INTEGER);"]).expect("db");
        let readers = Readers::open(&path, 2).expect("readers");
        (dir, writer, readers)
    }

    #[test]
    fn a_reader_sees_what_was_committed_before_it_began() {
        let (_dir, writer, readers) = file_db();
        writer.execute("INSERT INTO t VALUES (1)", []).unwrap();
        let r = readers.get().expect("a reader");
        let n: i64 = r
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn a_reader_does_not_wait_for_an_open_write_and_sees_its_own_snapshot() {
        let (_dir, writer, readers) = file_db();
        writer
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        let r = readers.get().expect("a reader");
        let n: i64 = r
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(n, 0, "the uncommitted row is not visible");
        writer.execute_batch("COMMIT").unwrap();
        let n: i64 = r
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(
            n, 1,
            "a new statement outside a transaction sees the commit"
        );
    }

    #[test]
    fn a_reader_refuses_to_write() {
        let (_dir, _writer, readers) = file_db();
        let r = readers.get().expect("a reader");
        let err = r.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
    }

    #[test]
    fn savepoints_work_on_a_reader() {
        let (_dir, _writer, readers) = file_db();
        let r = readers.get().expect("a reader");
        r.execute_batch("BEGIN; SAVEPOINT s; SELECT * FROM t; ROLLBACK TO s; RELEASE s; COMMIT")
            .unwrap();
    }

    #[test]
    fn a_returned_reader_serves_the_next_caller() {
        let (_dir, _writer, readers) = file_db();
        let a = readers.get().expect("first");
        let b = readers.get().expect("second");
        drop(a);
        let c = readers.get().expect("the first one again");
        drop((b, c));
        assert_eq!(readers.idle.lock().unwrap().len(), 2);
        assert!(Readers::none().get().is_none());
    }
}
