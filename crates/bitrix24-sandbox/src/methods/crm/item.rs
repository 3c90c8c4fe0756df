//! `crm.item.*`: the universal CRM API over the same entities, camelCase.

use crate::methods::Registry;

/// Registers `crm.item.*`.
pub fn register(_r: &mut Registry) {}
