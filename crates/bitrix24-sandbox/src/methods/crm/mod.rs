//! CRM methods: classic `crm.{lead,deal,contact,company}.*`, `crm.item.*`, user fields,
//! directories and duplicate search.

pub mod directory;
pub mod duplicate;
pub mod entity;
pub mod fields;
pub mod filter;
pub mod item;
pub mod listing;
pub mod schema;
pub mod store;
pub mod userfield;
pub mod values;

use super::Registry;

/// Tables of the classic CRM entities, their multifields (`crm_fm`) and user fields.
pub const SCHEMA: &str = schema::SQL;

/// Registers the CRM methods.
pub fn register(r: &mut Registry) {
    directory::register(r);
    duplicate::register(r);
    item::register(r);
}
