//! A deal as `crm.deal.get` / `crm.deal.list` return it.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use crate::crm::de;
use crate::crm::types::date::{date_option, datetime_option};
use crate::crm::types::{
    yn, Amount, CompanyId, ContactId, DealId, DealType, LeadId, Semantic, Source, StageId, UserId,
};

/// A deal (`crm.deal.*`, entity type 2). Deals have no multifields: phones and e-mails live on
/// the linked contact and company.
///
/// Decoding is lenient, as for [`Lead`](super::Lead): every field is optional, `null`/`""` are
/// `None`, and unnamed fields (user fields included) land in [`Deal::extra`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub struct Deal {
    /// `ID`.
    #[serde(deserialize_with = "de::opt")]
    pub id: Option<DealId>,
    /// `TITLE`.
    #[serde(deserialize_with = "de::string")]
    pub title: Option<String>,
    /// `TYPE_ID`.
    #[serde(deserialize_with = "de::opt")]
    pub type_id: Option<DealType>,
    /// `CATEGORY_ID`: the pipeline, 0 for the default one.
    #[serde(deserialize_with = "de::number")]
    pub category_id: Option<u32>,
    /// `STAGE_ID`: `C{N}:`-prefixed outside pipeline 0.
    #[serde(deserialize_with = "de::opt")]
    pub stage_id: Option<StageId>,
    /// `STAGE_SEMANTIC_ID`: `P` in progress, `S` won, `F` lost.
    #[serde(deserialize_with = "de::opt")]
    pub stage_semantic_id: Option<Semantic>,
    /// `IS_NEW`.
    #[serde(with = "yn::option")]
    pub is_new: Option<bool>,
    /// `IS_RECURRING`.
    #[serde(with = "yn::option")]
    pub is_recurring: Option<bool>,
    /// `IS_RETURN_CUSTOMER`.
    #[serde(with = "yn::option")]
    pub is_return_customer: Option<bool>,
    /// `IS_REPEATED_APPROACH`.
    #[serde(with = "yn::option")]
    pub is_repeated_approach: Option<bool>,
    /// `PROBABILITY`, in percent.
    #[serde(deserialize_with = "de::number")]
    pub probability: Option<u32>,
    /// `OPPORTUNITY`, exact.
    #[serde(deserialize_with = "de::opt")]
    pub opportunity: Option<Amount>,
    /// `CURRENCY_ID`.
    #[serde(deserialize_with = "de::string")]
    pub currency_id: Option<String>,
    /// `IS_MANUAL_OPPORTUNITY`.
    #[serde(with = "yn::option")]
    pub is_manual_opportunity: Option<bool>,
    /// `TAX_VALUE`, exact.
    #[serde(deserialize_with = "de::opt")]
    pub tax_value: Option<Amount>,
    /// `COMPANY_ID`, `None` when unset (`"0"`).
    #[serde(deserialize_with = "de::binding")]
    pub company_id: Option<CompanyId>,
    /// `CONTACT_ID`: the first linked contact.
    #[serde(deserialize_with = "de::binding")]
    pub contact_id: Option<ContactId>,
    /// `LEAD_ID`: the lead this deal was converted from.
    #[serde(deserialize_with = "de::binding")]
    pub lead_id: Option<LeadId>,
    /// `BEGINDATE`.
    #[serde(with = "date_option")]
    pub begindate: Option<Date>,
    /// `CLOSEDATE`.
    #[serde(with = "date_option")]
    pub closedate: Option<Date>,
    /// `OPENED`.
    #[serde(with = "yn::option")]
    pub opened: Option<bool>,
    /// `CLOSED`.
    #[serde(with = "yn::option")]
    pub closed: Option<bool>,
    /// `COMMENTS`.
    #[serde(deserialize_with = "de::string")]
    pub comments: Option<String>,
    /// `ADDITIONAL_INFO`.
    #[serde(deserialize_with = "de::string")]
    pub additional_info: Option<String>,
    /// `ASSIGNED_BY_ID`.
    #[serde(deserialize_with = "de::binding")]
    pub assigned_by_id: Option<UserId>,
    /// `CREATED_BY_ID`.
    #[serde(deserialize_with = "de::binding")]
    pub created_by_id: Option<UserId>,
    /// `MODIFY_BY_ID`.
    #[serde(deserialize_with = "de::binding")]
    pub modify_by_id: Option<UserId>,
    /// `DATE_CREATE`.
    #[serde(with = "datetime_option")]
    pub date_create: Option<OffsetDateTime>,
    /// `DATE_MODIFY`.
    #[serde(with = "datetime_option")]
    pub date_modify: Option<OffsetDateTime>,
    /// `MOVED_TIME`.
    #[serde(with = "datetime_option")]
    pub moved_time: Option<OffsetDateTime>,
    /// `SOURCE_ID`.
    #[serde(deserialize_with = "de::opt")]
    pub source_id: Option<Source>,
    /// `SOURCE_DESCRIPTION`.
    #[serde(deserialize_with = "de::string")]
    pub source_description: Option<String>,
    /// `ORIGINATOR_ID`.
    #[serde(deserialize_with = "de::string")]
    pub originator_id: Option<String>,
    /// `ORIGIN_ID`.
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
    /// Every other field, user fields (`UF_CRM_...`) included, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

classic_entity!(Deal, "deal", "crm.deal");
