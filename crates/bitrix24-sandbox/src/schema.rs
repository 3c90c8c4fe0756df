//! Every table of the portal, in dependency order: the auth layer's, then each method
//! module's. The tables belong to their modules; this list is what a running portal opens.

use crate::{auth, db, methods};
use rusqlite::Connection;
use std::path::Path;

/// The schemas of a complete portal, applied in this order.
pub const ALL: [&str; 10] = [
    auth::SCHEMA,
    methods::crm::SCHEMA,
    methods::crm::duplicate::SCHEMA,
    methods::crm::directory::SCHEMA,
    methods::events::SCHEMA,
    methods::crm::productrow::SCHEMA,
    methods::crm::binding::SCHEMA,
    methods::crm::timeline::SCHEMA,
    methods::crm::activity::SCHEMA,
    methods::catalog::SCHEMA,
];

/// Opens (or creates) a portal database with every table. `None` gives a private in-memory
/// database.
pub fn open(path: Option<&Path>) -> rusqlite::Result<Connection> {
    db::open(path, &ALL)
}

/// Opens (or creates) a portal's store with every table and `readers` read-only connections
/// ([`db::open_store`]).
pub fn open_store(path: Option<&Path>, readers: usize) -> Result<db::Store, db::StoreError> {
    db::open_store(path, &ALL, readers)
}
