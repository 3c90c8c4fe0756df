//! The services of the four classic entities (`crm.lead.*`, `crm.deal.*`, `crm.contact.*`,
//! `crm.company.*`), written once by a macro so each has concrete types in its signatures.

use serde_json::json;

use crate::client::Client;
use crate::crm::types::{marker, CompanyId, ContactId, DealId, IntoId, LeadId};
use crate::crm::{
    Company, CompanyFields, Contact, ContactFields, Deal, DealFields, Lead, LeadFields,
};
use crate::list::{List, ListRequest};
use crate::request::Request;

macro_rules! classic_service {
    (
        $(#[$doc:meta])*
        $service:ident, $accessor:ident, $marker:ty, $entity:ty, $fields:ty, $id:ty,
        $what:literal, $add:literal, $get:literal, $update:literal, $delete:literal, $list:literal
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $service {
            // Crate-visible so operations added in other files can send through it.
            pub(crate) client: Client,
        }

        impl $service {
            #[doc = concat!("`", $add, "`: creates a ", $what, " and returns its id.")]
            pub fn add(&self, fields: $fields) -> Request<$id> {
                Request::try_new(&self.client, $add, fields.add_params())
            }

            #[doc = concat!("`", $get, "`: one ", $what, " with every field, multifields and \
                user fields included. A missing one fails with an error whose \
                [`is_not_found`](crate::Error::is_not_found) is true.")]
            pub fn get(&self, id: impl IntoId<$marker>) -> Request<$entity> {
                Request::new(&self.client, $get, json!({ "id": id.into_id_value() }))
            }

            #[doc = concat!("`", $update, "`: changes the given fields of a ", $what, " \
                (multifields merge; see [`Fields`](crate::crm::Fields)).")]
            pub fn update(&self, id: impl IntoId<$marker>, fields: $fields) -> Request<()> {
                Request::ignoring_result(&self.client, $update, fields.update_params(id))
            }

            #[doc = concat!("`", $delete, "`: deletes a ", $what, ".")]
            pub fn delete(&self, id: impl IntoId<$marker>) -> Request<()> {
                Request::ignoring_result(
                    &self.client,
                    $delete,
                    Ok(json!({ "id": id.into_id_value() })),
                )
            }

            #[doc = concat!("`", $list, "`: every ", $what, " that matches, streamed or \
                collected; see [`List`].")]
            pub fn list(&self) -> List<$entity> {
                List::new(&self.client, ListRequest::new($list))
            }
        }

        impl Client {
            #[doc = concat!("The ", $what, "s of the portal: `", $add, "` and friends as \
                [request values](crate::request).")]
            pub fn $accessor(&self) -> $service {
                $service {
                    client: self.clone(),
                }
            }
        }
    };
}

classic_service!(
    /// Leads (`crm.lead.*`): `client.leads()`.
    Leads, leads, marker::Lead, Lead, LeadFields, LeadId,
    "lead", "crm.lead.add", "crm.lead.get", "crm.lead.update", "crm.lead.delete", "crm.lead.list"
);

classic_service!(
    /// Deals (`crm.deal.*`): `client.deals()`.
    Deals, deals, marker::Deal, Deal, DealFields, DealId,
    "deal", "crm.deal.add", "crm.deal.get", "crm.deal.update", "crm.deal.delete", "crm.deal.list"
);

classic_service!(
    /// Contacts (`crm.contact.*`): `client.contacts()`.
    Contacts, contacts, marker::Contact, Contact, ContactFields, ContactId,
    "contact", "crm.contact.add", "crm.contact.get", "crm.contact.update", "crm.contact.delete",
    "crm.contact.list"
);

classic_service!(
    /// Companies (`crm.company.*`): `client.companies()`.
    Companies, companies, marker::Company, Company, CompanyFields, CompanyId,
    "company", "crm.company.add", "crm.company.get", "crm.company.update", "crm.company.delete",
    "crm.company.list"
);

#[cfg(test)]
mod tests {
    use crate::batch::Batch;
    use crate::crm::types::ContactId;
    use crate::crm::{ContactFields, DealFields, LeadFields};
    use crate::Client;
    use serde_json::json;

    fn client() -> Client {
        Client::from_webhook("https://p.example.com/rest/1/s3cret/").unwrap()
    }

    #[test]
    fn each_operation_names_its_method_and_its_parameters() {
        let c = client();
        let add = c.leads().add(LeadFields::new().title("Signup"));
        assert_eq!(add.method(), "crm.lead.add");
        assert_eq!(add.params().unwrap()["fields"]["TITLE"], "Signup");
        let id = ContactId::new(9).unwrap();
        assert_eq!(c.contacts().get(id).params().unwrap(), &json!({"id": 9}));
        let upd = c.contacts().update(id, ContactFields::new().name("Иван"));
        assert_eq!(upd.method(), "crm.contact.update");
        assert_eq!(upd.params().unwrap()["id"], 9);
        assert_eq!(
            c.companies()
                .delete(crate::crm::types::CompanyId::new(3).unwrap())
                .method(),
            "crm.company.delete"
        );
    }

    #[test]
    fn a_builder_mistake_stays_in_the_request() {
        let bad = client()
            .leads()
            .add(LeadFields::new().set("title", "lower case"));
        assert!(bad.params().is_err());
    }

    #[test]
    fn handles_of_new_ids_go_where_ids_go() {
        let c = client();
        let mut batch = Batch::new();
        let contact = batch.push(c.contacts().add(ContactFields::new().name("Иван")));
        let deal = c
            .deals()
            .add(DealFields::new().title("Order 7").contact(&contact));
        assert_eq!(
            deal.params().unwrap()["fields"]["CONTACT_ID"],
            "$result[_0]"
        );
        let get = c.contacts().get(&contact);
        assert_eq!(get.params().unwrap()["id"], "$result[_0]");
    }
}
