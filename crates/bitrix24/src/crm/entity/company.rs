//! A company as `crm.company.get` / `crm.company.list` return it.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::crm::de;
use crate::crm::multifield::Multifield;
use crate::crm::types::date::datetime_option;
use crate::crm::types::{yn, Amount, CompanyId, CompanyType, LeadId, UserId};

/// A company (`crm.company.*`, entity type 4).
///
/// Decoding is lenient, as for [`Lead`](super::Lead): every field is optional, `null`/`""` are
/// `None`, and unnamed fields (user fields included) land in [`Company::extra`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub struct Company {
    /// `ID`.
    #[serde(deserialize_with = "de::opt")]
    pub id: Option<CompanyId>,
    /// `TITLE`.
    #[serde(deserialize_with = "de::string")]
    pub title: Option<String>,
    /// `COMPANY_TYPE`.
    #[serde(deserialize_with = "de::opt")]
    pub company_type: Option<CompanyType>,
    /// `INDUSTRY` (directory `INDUSTRY`).
    #[serde(deserialize_with = "de::string")]
    pub industry: Option<String>,
    /// `EMPLOYEES` (directory `EMPLOYEES`, e.g. `EMPLOYEES_2`).
    #[serde(deserialize_with = "de::string")]
    pub employees: Option<String>,
    /// `REVENUE`, exact.
    #[serde(deserialize_with = "de::opt")]
    pub revenue: Option<Amount>,
    /// `CURRENCY_ID`.
    #[serde(deserialize_with = "de::string")]
    pub currency_id: Option<String>,
    /// `IS_MY_COMPANY`: one of the portal owner's own companies.
    #[serde(with = "yn::option")]
    pub is_my_company: Option<bool>,
    /// `LEAD_ID`: the lead this company was converted from.
    #[serde(deserialize_with = "de::binding")]
    pub lead_id: Option<LeadId>,
    /// `OPENED`.
    #[serde(with = "yn::option")]
    pub opened: Option<bool>,
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

classic_entity!(Company, "company", "crm.company");
