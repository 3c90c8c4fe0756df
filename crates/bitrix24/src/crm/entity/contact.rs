//! A contact as `crm.contact.get` / `crm.contact.list` return it.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};

use crate::crm::de;
use crate::crm::multifield::Multifield;
use crate::crm::types::date::{date_option, datetime_option};
use crate::crm::types::{yn, CompanyId, ContactId, ContactType, LeadId, Source, UserId};

/// A contact (`crm.contact.*`, entity type 3).
///
/// Decoding is lenient, as for [`Lead`](super::Lead): every field is optional, `null`/`""` are
/// `None`, and unnamed fields (user fields included) land in [`Contact::extra`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub struct Contact {
    /// `ID`.
    #[serde(deserialize_with = "de::opt")]
    pub id: Option<ContactId>,
    /// `HONORIFIC`.
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
    /// `TYPE_ID`.
    #[serde(deserialize_with = "de::opt")]
    pub type_id: Option<ContactType>,
    /// `POST`.
    #[serde(deserialize_with = "de::string")]
    pub post: Option<String>,
    /// `SOURCE_ID`.
    #[serde(deserialize_with = "de::opt")]
    pub source_id: Option<Source>,
    /// `SOURCE_DESCRIPTION`.
    #[serde(deserialize_with = "de::string")]
    pub source_description: Option<String>,
    /// `COMPANY_ID`: the first linked company.
    #[serde(deserialize_with = "de::binding")]
    pub company_id: Option<CompanyId>,
    /// `LEAD_ID`: the lead this contact was converted from.
    #[serde(deserialize_with = "de::binding")]
    pub lead_id: Option<LeadId>,
    /// `OPENED`.
    #[serde(with = "yn::option")]
    pub opened: Option<bool>,
    /// `EXPORT`: included in exports.
    #[serde(with = "yn::option")]
    pub export: Option<bool>,
    /// `COMMENTS`.
    #[serde(deserialize_with = "de::string")]
    pub comments: Option<String>,
    /// `HAS_PHONE`.
    #[serde(with = "yn::option")]
    pub has_phone: Option<bool>,
    /// `HAS_EMAIL`.
    #[serde(with = "yn::option")]
    pub has_email: Option<bool>,
    /// `HAS_IMOL`.
    #[serde(with = "yn::option")]
    pub has_imol: Option<bool>,
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
    /// `ADDRESS`.
    #[serde(deserialize_with = "de::string")]
    pub address: Option<String>,
    /// `ADDRESS_CITY`.
    #[serde(deserialize_with = "de::string")]
    pub address_city: Option<String>,
    /// `ADDRESS_COUNTRY`.
    #[serde(deserialize_with = "de::string")]
    pub address_country: Option<String>,
    /// `ORIGINATOR_ID`.
    #[serde(deserialize_with = "de::string")]
    pub originator_id: Option<String>,
    /// `ORIGIN_ID`.
    #[serde(deserialize_with = "de::string")]
    pub origin_id: Option<String>,
    /// `UTM_SOURCE`.
    #[serde(deserialize_with = "de::string")]
    pub utm_source: Option<String>,
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

classic_entity!(Contact, "contact", "crm.contact");
