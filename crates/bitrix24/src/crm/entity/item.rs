//! An item of the universal `crm.item.*` API.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::crm::de;
use crate::crm::multifield::Multifield;
use crate::crm::types::date::datetime_option;
use crate::crm::types::{yn, Amount, CompanyId, ContactId, Source, StageId, UserId};

use super::EntityType;

/// An item as `crm.item.get` / `crm.item.list` return it (`{"item": {...}}` / `{"items":
/// [...]}`: pass the inner object). Fields are camelCase and ids are JSON numbers here.
///
/// The fields common to leads, deals, contacts and companies (entity types 1-4) are typed;
/// everything else (`ufCrm_...` user fields, `parentId{N}`, the flat `phone`/`email` aliases,
/// smart-process fields) lands in [`CrmItem::extra`]. The id is a plain number because its
/// entity type is only known at run time: check [`CrmItem::entity_type_id`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CrmItem {
    /// `id`.
    #[serde(deserialize_with = "de::number")]
    pub id: Option<u64>,
    /// `entityTypeId`.
    #[serde(deserialize_with = "de::opt")]
    pub entity_type_id: Option<EntityType>,
    /// `title`.
    #[serde(deserialize_with = "de::string")]
    pub title: Option<String>,
    /// `name` (leads, contacts).
    #[serde(deserialize_with = "de::string")]
    pub name: Option<String>,
    /// `secondName`.
    #[serde(deserialize_with = "de::string")]
    pub second_name: Option<String>,
    /// `lastName`.
    #[serde(deserialize_with = "de::string")]
    pub last_name: Option<String>,
    /// `stageId`: the lead status or deal stage.
    #[serde(deserialize_with = "de::opt")]
    pub stage_id: Option<StageId>,
    /// `categoryId`: the pipeline.
    #[serde(deserialize_with = "de::number")]
    pub category_id: Option<u32>,
    /// `sourceId`.
    #[serde(deserialize_with = "de::opt")]
    pub source_id: Option<Source>,
    /// `opportunity`, kept exactly as the JSON number was written.
    #[serde(deserialize_with = "de::opt")]
    pub opportunity: Option<Amount>,
    /// `currencyId`.
    #[serde(deserialize_with = "de::string")]
    pub currency_id: Option<String>,
    /// `isManualOpportunity`.
    #[serde(with = "yn::option")]
    pub is_manual_opportunity: Option<bool>,
    /// `assignedById`.
    #[serde(deserialize_with = "de::binding")]
    pub assigned_by_id: Option<UserId>,
    /// `createdBy`.
    #[serde(deserialize_with = "de::binding")]
    pub created_by: Option<UserId>,
    /// `updatedBy`.
    #[serde(deserialize_with = "de::binding")]
    pub updated_by: Option<UserId>,
    /// `createdTime`.
    #[serde(with = "datetime_option")]
    pub created_time: Option<OffsetDateTime>,
    /// `updatedTime`.
    #[serde(with = "datetime_option")]
    pub updated_time: Option<OffsetDateTime>,
    /// `movedTime`.
    #[serde(with = "datetime_option")]
    pub moved_time: Option<OffsetDateTime>,
    /// `companyId`.
    #[serde(deserialize_with = "de::binding")]
    pub company_id: Option<CompanyId>,
    /// `contactId`.
    #[serde(deserialize_with = "de::binding")]
    pub contact_id: Option<ContactId>,
    /// `contactIds`.
    #[serde(deserialize_with = "de::list")]
    pub contact_ids: Vec<ContactId>,
    /// `opened`.
    #[serde(with = "yn::option")]
    pub opened: Option<bool>,
    /// `comments`.
    #[serde(deserialize_with = "de::string")]
    pub comments: Option<String>,
    /// `hasPhone`.
    #[serde(with = "yn::option")]
    pub has_phone: Option<bool>,
    /// `hasEmail`.
    #[serde(with = "yn::option")]
    pub has_email: Option<bool>,
    /// `fm`: every multifield, present only when `select` is `*`.
    #[serde(deserialize_with = "de::list")]
    pub fm: Vec<Multifield>,
    /// Every other field, user fields included, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CrmItem {
    /// Decodes one item (the object under `item`, or one row of `items`).
    pub fn from_value(value: Value) -> crate::Result<Self> {
        de::decode(value, "a crm.item")
    }

    /// The multifield values of one kind (`fm` filtered by `typeId`).
    pub fn multifields(
        &self,
        kind: crate::crm::MultifieldKind,
    ) -> impl Iterator<Item = &Multifield> {
        self.fm.iter().filter(move |m| m.kind == kind)
    }
}
