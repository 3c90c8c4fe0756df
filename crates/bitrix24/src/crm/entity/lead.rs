//! A lead as `crm.lead.get` / `crm.lead.list` return it.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use crate::crm::de;
use crate::crm::multifield::Multifield;
use crate::crm::types::date::{date_option, datetime_option};
use crate::crm::types::{
    yn, Amount, CompanyId, ContactId, LeadId, LeadStatus, Semantic, Source, UserId,
};

/// A lead (`crm.lead.*`, entity type 1).
///
/// Decoding is lenient: every field is optional (a `list` returns only what `select` asked
/// for), `null` and `""` read as `None`, and fields this struct does not name, user fields
/// (`UF_CRM_...`) included, land in [`Lead::extra`]. Multifields are present only when selected
/// by name (`PHONE`, `EMAIL`...) or on `get`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub struct Lead {
    /// `ID`.
    #[serde(deserialize_with = "de::opt")]
    pub id: Option<LeadId>,
    /// `TITLE`.
    #[serde(deserialize_with = "de::string")]
    pub title: Option<String>,
    /// `HONORIFIC` (directory `HONORIFIC`).
    #[serde(deserialize_with = "de::string")]
    pub honorific: Option<String>,
    /// `NAME`.
    #[serde(deserialize_with = "de::string")]
    pub name: Option<String>,
    /// `SECOND_NAME`.
    #[serde(deserialize_with = "de::string")]
    pub second_name: Option<String>,
    /// `LAST_NAME`.
    #[serde(deserialize_with = "de::string")]
    pub last_name: Option<String>,
    /// `BIRTHDATE`.
    #[serde(with = "date_option")]
    pub birthdate: Option<Date>,
    /// `COMPANY_TITLE`: the company name typed into the lead.
    #[serde(deserialize_with = "de::string")]
    pub company_title: Option<String>,
    /// `POST`: the position.
    #[serde(deserialize_with = "de::string")]
    pub post: Option<String>,
    /// `STATUS_ID`.
    #[serde(deserialize_with = "de::opt")]
    pub status_id: Option<LeadStatus>,
    /// `STATUS_DESCRIPTION`.
    #[serde(deserialize_with = "de::string")]
    pub status_description: Option<String>,
    /// `STATUS_SEMANTIC_ID`: `P` in progress, `S` converted, `F` junk.
    #[serde(deserialize_with = "de::opt")]
    pub status_semantic_id: Option<Semantic>,
    /// `SOURCE_ID`.
    #[serde(deserialize_with = "de::opt")]
    pub source_id: Option<Source>,
    /// `SOURCE_DESCRIPTION`.
    #[serde(deserialize_with = "de::string")]
    pub source_description: Option<String>,
    /// `OPPORTUNITY`, exact.
    #[serde(deserialize_with = "de::opt")]
    pub opportunity: Option<Amount>,
    /// `CURRENCY_ID`.
    #[serde(deserialize_with = "de::string")]
    pub currency_id: Option<String>,
    /// `IS_MANUAL_OPPORTUNITY`.
    #[serde(with = "yn::option")]
    pub is_manual_opportunity: Option<bool>,
    /// `ASSIGNED_BY_ID`: the responsible user.
    #[serde(deserialize_with = "de::binding")]
    pub assigned_by_id: Option<UserId>,
    /// `CREATED_BY_ID`.
    #[serde(deserialize_with = "de::binding")]
    pub created_by_id: Option<UserId>,
    /// `MODIFY_BY_ID`.
    #[serde(deserialize_with = "de::binding")]
    pub modify_by_id: Option<UserId>,
    /// `COMPANY_ID`: the linked company, `None` when unset (`null` or `"0"`).
    #[serde(deserialize_with = "de::binding")]
    pub company_id: Option<CompanyId>,
    /// `CONTACT_ID`: the linked (first) contact.
    #[serde(deserialize_with = "de::binding")]
    pub contact_id: Option<ContactId>,
    /// `IS_RETURN_CUSTOMER`: set by the portal when a company or contact is linked.
    #[serde(with = "yn::option")]
    pub is_return_customer: Option<bool>,
    /// `OPENED`: visible to everyone.
    #[serde(with = "yn::option")]
    pub opened: Option<bool>,
    /// `COMMENTS` (may contain BB-code/HTML).
    #[serde(deserialize_with = "de::string")]
    pub comments: Option<String>,
    /// `HAS_PHONE`.
    #[serde(with = "yn::option")]
    pub has_phone: Option<bool>,
    /// `HAS_EMAIL`.
    #[serde(with = "yn::option")]
    pub has_email: Option<bool>,
    /// `HAS_IMOL`: has an open-line chat.
    #[serde(with = "yn::option")]
    pub has_imol: Option<bool>,
    /// `DATE_CREATE`.
    #[serde(with = "datetime_option")]
    pub date_create: Option<OffsetDateTime>,
    /// `DATE_MODIFY`.
    #[serde(with = "datetime_option")]
    pub date_modify: Option<OffsetDateTime>,
    /// `DATE_CLOSED`.
    #[serde(with = "datetime_option")]
    pub date_closed: Option<OffsetDateTime>,
    /// `MOVED_TIME`: when the status last changed.
    #[serde(with = "datetime_option")]
    pub moved_time: Option<OffsetDateTime>,
    /// `ADDRESS`.
    #[serde(deserialize_with = "de::string")]
    pub address: Option<String>,
    /// `ADDRESS_CITY`.
    #[serde(deserialize_with = "de::string")]
    pub address_city: Option<String>,
    /// `ADDRESS_COUNTRY`.
    #[serde(deserialize_with = "de::string")]
    pub address_country: Option<String>,
    /// `ORIGINATOR_ID`: the external system the lead came from.
    #[serde(deserialize_with = "de::string")]
    pub originator_id: Option<String>,
    /// `ORIGIN_ID`: the lead's id in that system.
    #[serde(deserialize_with = "de::string")]
    pub origin_id: Option<String>,
    /// `UTM_SOURCE`.
    #[serde(deserialize_with = "de::string")]
    pub utm_source: Option<String>,
    /// `UTM_MEDIUM`.
    #[serde(deserialize_with = "de::string")]
    pub utm_medium: Option<String>,
    /// `UTM_CAMPAIGN`.
    #[serde(deserialize_with = "de::string")]
    pub utm_campaign: Option<String>,
    /// `PHONE`.
    #[serde(deserialize_with = "de::list")]
    pub phone: Vec<Multifield>,
    /// `EMAIL`.
    #[serde(deserialize_with = "de::list")]
    pub email: Vec<Multifield>,
    /// `WEB`.
    #[serde(deserialize_with = "de::list")]
    pub web: Vec<Multifield>,
    /// `IM`.
    #[serde(deserialize_with = "de::list")]
    pub im: Vec<Multifield>,
    /// Every other field, user fields (`UF_CRM_...`) included, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

classic_entity!(Lead, "lead", "crm.lead");
