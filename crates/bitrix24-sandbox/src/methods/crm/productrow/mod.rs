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

use crate::methods::Registry;

pub use store::SCHEMA;

/// Registers both APIs.
pub fn register(r: &mut Registry) {
    r.add("crm.item.productrow.fields", "crm", item_api::fields);
    r.add("crm.item.productrow.add", "crm", item_api::add);
    r.add("crm.item.productrow.update", "crm", item_api::update);
    r.add("crm.item.productrow.get", "crm", item_api::get);
    r.add("crm.item.productrow.list", "crm", item_api::list);
    r.add("crm.item.productrow.delete", "crm", item_api::delete);
    r.add("crm.item.productrow.set", "crm", item_api::set);
    r.add(
        "crm.item.productrow.getavailableforpayment",
        "crm",
        item_api::available_for_payment,
    );
    r.add("crm.deal.productrows.get", "crm", legacy::get);
    r.add("crm.deal.productrows.set", "crm", legacy::set);
    r.add("crm.lead.productrows.get", "crm", legacy::get);
    r.add("crm.lead.productrows.set", "crm", legacy::set);
}

/// Forgets the rows of a deleted owner.
pub fn forget(
    conn: &rusqlite::Connection,
    kind: crate::methods::crm::store::Kind,
    id: i64,
) -> rusqlite::Result<()> {
    store::delete_owner(conn, owner::code_of(kind), id)
}
