//! `crm.status.list`, `crm.category.list`, `crm.dealcategory.list`.

use crate::methods::Registry;

/// Tables of the directories.
pub const SCHEMA: &str = "";

/// Registers the directory methods.
pub fn register(_r: &mut Registry) {}
