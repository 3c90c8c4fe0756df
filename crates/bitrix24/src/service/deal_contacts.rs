//! The contacts of a deal (`crm.deal.contact.*`): `client.deals().contacts(deal)`.

use serde_json::{json, Value};

use crate::client::Client;
use crate::crm::types::{marker, yn, IntoId};
use crate::crm::DealContact;
use crate::request::Request;
use crate::service::answers::expect_true;
use crate::service::Deals;

/// The contacts bound to one deal: `client.deals().contacts(deal)`. One of them is primary
/// (the deal's `CONTACT_ID`); `CONTACT_IDS` on add and update binds several at once.
#[derive(Debug, Clone)]
pub struct DealContacts {
    client: Client,
    deal: Value,
}

impl Deals {
    /// The contacts of `deal` (an id, or the handle of the batch command that creates it).
    pub fn contacts(&self, deal: impl IntoId<marker::Deal>) -> DealContacts {
        DealContacts {
            client: self.client.clone(),
            deal: deal.into_id_value(),
        }
    }
}

impl DealContacts {
    /// `crm.deal.contact.items.get`: the bindings, by `SORT`.
    pub fn list(&self) -> Request<Vec<DealContact>> {
        let params = json!({ "id": self.deal });
        Request::new(&self.client, "crm.deal.contact.items.get", params)
    }

    /// `crm.deal.contact.add`: binds a contact (primary if `primary`, or if the deal has no
    /// primary yet). `false` when it was already bound: nothing changed.
    pub fn add(&self, contact: impl IntoId<marker::Contact>, primary: bool) -> Request<bool> {
        let params = json!({ "id": self.deal, "fields": {
            "CONTACT_ID": contact.into_id_value(),
            "IS_PRIMARY": yn::to_wire(primary),
        }});
        Request::new(&self.client, "crm.deal.contact.add", params)
    }

    /// `crm.deal.contact.delete`: unbinds a contact (the first remaining one becomes primary
    /// if it was). `false` when it was not bound.
    pub fn remove(&self, contact: impl IntoId<marker::Contact>) -> Request<bool> {
        let params = json!({ "id": self.deal, "fields": { "CONTACT_ID": contact.into_id_value() }});
        Request::new(&self.client, "crm.deal.contact.delete", params)
    }

    /// `crm.deal.contact.items.set`: exactly these contacts, in this order, the first
    /// primary; the others are unbound.
    pub fn set<I: IntoId<marker::Contact>>(
        &self,
        contacts: impl IntoIterator<Item = I>,
    ) -> Request<()> {
        let items: Vec<Value> = contacts
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                json!({
                    "CONTACT_ID": c.into_id_value(),
                    "IS_PRIMARY": yn::to_wire(i == 0),
                    "SORT": (i + 1) * 10,
                })
            })
            .collect();
        let params = json!({ "id": self.deal, "items": items });
        Request::<Value>::try_new(&self.client, "crm.deal.contact.items.set", Ok(params))
            .with_decoder(expect_true)
    }

    /// `crm.deal.contact.items.delete`: unbinds every contact.
    pub fn clear(&self) -> Request<()> {
        let params = json!({ "id": self.deal });
        Request::<Value>::try_new(&self.client, "crm.deal.contact.items.delete", Ok(params))
            .with_decoder(expect_true)
    }
}
