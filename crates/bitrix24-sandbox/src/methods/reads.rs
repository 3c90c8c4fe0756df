//! Which methods only read: the HTTP layer runs a request whose every command is one of these
//! on a read-only connection, beside the writer ([`crate::db::readers`]).
//!
//! The list is explicit rather than guessed from the name: a method left out is merely
//! serialized with the writes, while one wrongly listed fails loudly (the readers refuse to
//! write). `event.offline.get` is not a read: it marks the events it hands out.

use super::Registry;

/// The methods that never write, lower-case.
pub const READ_ONLY: &[&str] = &[
    "profile",
    "user.current",
    "app.info",
    "scope",
    "methods",
    "method.get",
    "server.time",
    "feature.get",
    "crm.lead.get",
    "crm.lead.list",
    "crm.lead.fields",
    "crm.deal.get",
    "crm.deal.list",
    "crm.deal.fields",
    "crm.contact.get",
    "crm.contact.list",
    "crm.contact.fields",
    "crm.company.get",
    "crm.company.list",
    "crm.company.fields",
    "crm.lead.userfield.list",
    "crm.lead.userfield.get",
    "crm.deal.userfield.list",
    "crm.deal.userfield.get",
    "crm.contact.userfield.list",
    "crm.contact.userfield.get",
    "crm.company.userfield.list",
    "crm.company.userfield.get",
    "crm.item.fields",
    "crm.item.get",
    "crm.item.list",
    "crm.duplicate.findbycomm",
    "crm.status.list",
    "crm.dealcategory.list",
    "crm.dealcategory.status",
    "crm.category.list",
    "crm.item.productrow.fields",
    "crm.item.productrow.get",
    "crm.item.productrow.list",
    "crm.item.productrow.getavailableforpayment",
    "crm.deal.productrows.get",
    "crm.lead.productrows.get",
    "crm.deal.contact.fields",
    "crm.deal.contact.items.get",
    "catalog.catalog.list",
    "catalog.pricetype.list",
    "catalog.price.list",
    "catalog.product.get",
    "catalog.product.list",
    "event.get",
    "events",
    "event.offline.list",
];

/// Marks the [`READ_ONLY`] methods of `r`; a listed name that is not registered is a bug of
/// the list (a renamed method), caught by this module's test.
pub fn mark(r: &mut Registry) {
    for name in READ_ONLY {
        r.mark_read_only(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_read_is_a_registered_method() {
        let r = Registry::standard();
        for name in READ_ONLY {
            let spec = r
                .get(name)
                .unwrap_or_else(|| panic!("{name} is not registered"));
            assert!(spec.read_only, "{name}");
        }
    }

    #[test]
    fn writes_and_batch_are_not_reads() {
        let r = Registry::standard();
        for name in ["crm.lead.add", "event.offline.get", "event.bind", "batch"] {
            assert!(!r.get(name).expect(name).read_only, "{name}");
        }
    }
}
