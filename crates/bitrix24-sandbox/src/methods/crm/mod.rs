//! CRM methods: classic `crm.{lead,deal,contact,company}.*`, `crm.item.*`, user fields,
//! directories and duplicate search.

pub mod classic;
pub mod directory;
pub mod duplicate;
pub mod entity;
pub mod fields;
pub mod filter;
pub mod item;
pub mod listing;
pub mod multifield;
pub mod schema;
pub mod seed;
pub mod store;
pub mod userfield;
pub mod userfield_api;
pub mod userfield_rows;
pub mod values;
pub mod write;

pub use seed::seed_leads;

use super::Registry;

/// Tables of the classic CRM entities, their multifields (`crm_fm`) and user fields.
pub const SCHEMA: &str = schema::SQL;

/// Registers the CRM methods.
pub fn register(r: &mut Registry) {
    directory::register(r);
    duplicate::register(r);
    item::register(r);
    classic::register(r);
    userfield_api::register(r);
}
