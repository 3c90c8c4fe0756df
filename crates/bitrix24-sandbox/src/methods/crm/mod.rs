//! CRM methods: classic `crm.{lead,deal,contact,company}.*`, `crm.item.*`, user fields,
//! directories and duplicate search.

pub mod directory;
pub mod duplicate;
pub mod item;

use super::Registry;

/// Tables of the classic CRM entities.
pub const SCHEMA: &str = "";

/// Registers the CRM methods.
pub fn register(r: &mut Registry) {
    directory::register(r);
    duplicate::register(r);
    item::register(r);
}
