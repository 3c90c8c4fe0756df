//! CRM methods: classic `crm.{lead,deal,contact,company}.*`, `crm.item.*`, user fields,
//! directories and duplicate search.

use super::Registry;

/// Tables of the CRM module.
pub const SCHEMA: &str = "";

/// Registers the CRM methods.
pub fn register(_r: &mut Registry) {}
