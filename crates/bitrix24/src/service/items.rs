//! The universal `crm.item.*` service of one entity type: `client.items(entity_type)`.

use serde_json::json;

use crate::client::Client;
use crate::crm::{CrmItem, EntityType, ItemFields};
use crate::list::{List, ListRequest};
use crate::request::Request;

/// Items of one entity type through the universal `crm.item.*` methods (leads 1, deals 2,
/// contacts 3, companies 4, smart processes 128 and up): `client.items(entity_type)`.
///
/// Field names are camelCase here ([`ItemFields`]); ids are plain numbers, because the entity
/// type is only known at run time.
#[derive(Debug, Clone)]
pub struct Items {
    // Crate-visible so operations added in other files can send through them.
    pub(crate) client: Client,
    pub(crate) entity_type: EntityType,
}

impl Items {
    /// The entity type these items are of.
    pub fn entity_type(&self) -> EntityType {
        self.entity_type
    }

    /// `crm.item.add`: creates an item and returns it as stored.
    pub fn add(&self, fields: ItemFields) -> Request<CrmItem> {
        let params = fields
            .to_map()
            .map(|f| json!({ "entityTypeId": self.entity_type, "fields": f }));
        Request::try_new(&self.client, "crm.item.add", params).at(&["item"])
    }

    /// `crm.item.get`: one item. A missing one fails with `NOT_FOUND`
    /// ([`is_not_found`](crate::Error::is_not_found)).
    pub fn get(&self, id: u64) -> Request<CrmItem> {
        let params = json!({ "entityTypeId": self.entity_type, "id": id });
        Request::new(&self.client, "crm.item.get", params).at(&["item"])
    }

    /// `crm.item.update`: changes the given fields and returns the item as stored.
    pub fn update(&self, id: u64, fields: ItemFields) -> Request<CrmItem> {
        let params = fields
            .to_map()
            .map(|f| json!({ "entityTypeId": self.entity_type, "id": id, "fields": f }));
        Request::try_new(&self.client, "crm.item.update", params).at(&["item"])
    }

    /// `crm.item.delete`: deletes an item.
    pub fn delete(&self, id: u64) -> Request<()> {
        let params = json!({ "entityTypeId": self.entity_type, "id": id });
        Request::ignoring_result(&self.client, "crm.item.delete", Ok(params))
    }

    /// `crm.item.list`: every item that matches. The typed [`Filter`](crate::crm::Filter) and
    /// [`Select`](crate::crm::Select) check classic upper-case names, so filter and select
    /// with [`List::raw_filter`] and [`List::raw_select`] here (`"title"`, `">id"`).
    pub fn list(&self) -> List<CrmItem> {
        let request = ListRequest::items("crm.item.list").param("entityTypeId", self.entity_type);
        List::new(&self.client, request)
    }
}

impl Client {
    /// The items of `entity_type` (an [`EntityType`] or its number) through `crm.item.*`.
    pub fn items(&self, entity_type: impl Into<EntityType>) -> Items {
        Items {
            client: self.clone(),
            entity_type: entity_type.into(),
        }
    }
}
