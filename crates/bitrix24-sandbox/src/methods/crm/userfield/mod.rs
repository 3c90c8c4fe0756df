//! User fields (`UF_CRM_*`): their values on entities, their definitions, and the
//! `crm.{lead,deal,contact,company}.userfield.{add,list,get,update,delete}` methods
//! (protocol.md §5.7) with the user-field part of `crm.X.fields`.

mod add;
mod definition;
mod records;
mod values;

pub use definition::normalize_name;
pub use records::{all, describe};
pub use values::{
    defs, externalize, forget, internalize, internalize_one, read, write, UfDef, TYPES,
};

use crate::methods::{Access, Handler, Registry};

/// Registers the user-field methods of the four entities.
pub fn register(r: &mut Registry) {
    const NAMES: [[&str; 5]; 4] = [
        [
            "crm.lead.userfield.add",
            "crm.lead.userfield.list",
            "crm.lead.userfield.get",
            "crm.lead.userfield.update",
            "crm.lead.userfield.delete",
        ],
        [
            "crm.deal.userfield.add",
            "crm.deal.userfield.list",
            "crm.deal.userfield.get",
            "crm.deal.userfield.update",
            "crm.deal.userfield.delete",
        ],
        [
            "crm.contact.userfield.add",
            "crm.contact.userfield.list",
            "crm.contact.userfield.get",
            "crm.contact.userfield.update",
            "crm.contact.userfield.delete",
        ],
        [
            "crm.company.userfield.add",
            "crm.company.userfield.list",
            "crm.company.userfield.get",
            "crm.company.userfield.update",
            "crm.company.userfield.delete",
        ],
    ];
    let handlers: [(Access, Handler); 5] = [
        (Access::Write, add::add),
        (Access::Read, records::list),
        (Access::Read, records::get),
        (Access::Write, records::update),
        (Access::Write, records::delete),
    ];
    for names in NAMES {
        for (name, (access, h)) in names.into_iter().zip(handlers) {
            r.add(name, "crm", access, h);
        }
    }
}
