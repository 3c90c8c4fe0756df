//! Deal–contact bindings (orders-timeline.md §3): the binding table, `crm.deal.contact.*`,
//! and what `CONTACT_IDS` (classic) and `contactIds` (`crm.item`) write through.

pub mod methods;
pub mod store;

use crate::methods::{Access, Registry};

pub use store::SCHEMA;

use crate::php::value::intval;
use serde_json::{Map, Value};

/// The contacts a deal write binds: its `CONTACT_IDS` list, else a lone `CONTACT_ID` as a
/// one-element list (`CCrmDeal::Add`; the sandbox reads update the same way). The
/// deprecated column is removed from `columns`: it follows the primary binding.
pub fn take_deal_contacts(
    columns: &mut Map<String, Value>,
    contact_ids: Option<Vec<i64>>,
) -> Option<Vec<i64>> {
    let single = columns.remove("CONTACT_ID");
    contact_ids.or_else(|| {
        single.map(|v| {
            let id = intval(&v);
            if id > 0 {
                vec![id]
            } else {
                Vec::new()
            }
        })
    })
}

/// Registers `crm.deal.contact.*`.
pub fn register(r: &mut Registry) {
    r.add(
        "crm.deal.contact.fields",
        "crm",
        Access::Read,
        methods::fields,
    );
    r.add("crm.deal.contact.add", "crm", Access::Write, methods::add);
    r.add(
        "crm.deal.contact.delete",
        "crm",
        Access::Write,
        methods::delete,
    );
    r.add(
        "crm.deal.contact.items.get",
        "crm",
        Access::Read,
        methods::items_get,
    );
    r.add(
        "crm.deal.contact.items.set",
        "crm",
        Access::Write,
        methods::items_set,
    );
    r.add(
        "crm.deal.contact.items.delete",
        "crm",
        Access::Write,
        methods::items_delete,
    );
}
