//! Product rows of leads and deals (orders-timeline.md §1): `crm.item.productrow.*` and the
//! deprecated `crm.{deal,lead}.productrows.*`, on one table. Every row write saves the owner
//! (OPPORTUNITY recomputed unless manual, `ONCRM…UPDATE` raised).

pub mod fields;
pub mod item_api;
pub mod legacy;
pub mod owner;
pub mod prices;
pub mod row;
pub mod store;
pub mod totals;

use crate::methods::{Access, Registry};

pub use store::SCHEMA;

/// Registers both APIs.
pub fn register(r: &mut Registry) {
    r.add(
        "crm.item.productrow.fields",
        "crm",
        Access::Read,
        item_api::fields,
    );
    r.add(
        "crm.item.productrow.add",
        "crm",
        Access::Write,
        item_api::add,
    );
    r.add(
        "crm.item.productrow.update",
        "crm",
        Access::Write,
        item_api::update,
    );
    r.add(
        "crm.item.productrow.get",
        "crm",
        Access::Read,
        item_api::get,
    );
    r.add(
        "crm.item.productrow.list",
        "crm",
        Access::Read,
        item_api::list,
    );
    r.add(
        "crm.item.productrow.delete",
        "crm",
        Access::Write,
        item_api::delete,
    );
    r.add(
        "crm.item.productrow.set",
        "crm",
        Access::Write,
        item_api::set,
    );
    r.add(
        "crm.item.productrow.getavailableforpayment",
        "crm",
        Access::Read,
        item_api::available_for_payment,
    );
    r.add("crm.deal.productrows.get", "crm", Access::Read, legacy::get);
    r.add(
        "crm.deal.productrows.set",
        "crm",
        Access::Write,
        legacy::set,
    );
    r.add("crm.lead.productrows.get", "crm", Access::Read, legacy::get);
    r.add(
        "crm.lead.productrows.set",
        "crm",
        Access::Write,
        legacy::set,
    );
}

/// Forgets the rows of a deleted owner.
pub fn forget(
    conn: &rusqlite::Connection,
    kind: crate::methods::crm::store::Kind,
    id: i64,
) -> rusqlite::Result<()> {
    store::delete_owner(conn, owner::code_of(kind), id)
}
