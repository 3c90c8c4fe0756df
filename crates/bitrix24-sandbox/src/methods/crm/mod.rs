//! CRM methods: classic `crm.{lead,deal,contact,company}.*`, `crm.item.*`, user fields,
//! directories and duplicate search.

pub mod activity;
pub mod binding;
pub mod classic;
pub mod directory;
pub mod duplicate;
pub mod entity;
pub mod filter;
pub mod item;
pub mod multifield;
pub mod params;
pub mod productrow;
pub mod removal;
pub mod schema;
pub mod seed;
pub mod store;
pub mod timeline;
pub mod userfield;
pub mod values;
pub mod write;

pub use seed::seed_leads;

use super::Registry;

/// Tables of the classic CRM entities, their multifields (`crm_fm`) and user fields.
pub const SCHEMA: &str = schema::SQL;

/// An in-memory database with the tables CRM methods touch (the auth layer's and the CRM's),
/// for the unit tests of this module.
#[cfg(test)]
pub(crate) fn test_db() -> rusqlite::Connection {
    let schemas = [
        crate::auth::SCHEMA,
        SCHEMA,
        duplicate::SCHEMA,
        directory::SCHEMA,
        productrow::SCHEMA,
        binding::SCHEMA,
        timeline::SCHEMA,
        activity::SCHEMA,
        crate::methods::catalog::SCHEMA,
    ];
    crate::db::open(None, &schemas).expect("in-memory db")
}

/// Registers the CRM methods.
pub fn register(r: &mut Registry) {
    directory::register(r);
    duplicate::register(r);
    item::register(r);
    classic::register(r);
    userfield::register(r);
    productrow::register(r);
    binding::register(r);
    timeline::register(r);
    activity::register(r);
}
