//! [`DealContact`]: one contact bound to a deal (`crm.deal.contact.items.get`).

use serde::Deserialize;

use crate::crm::de;
use crate::crm::types::{yn, ContactId};

/// A contact of a deal: a deal has any number, one of them primary (the deal's
/// `CONTACT_ID`), in the order of [`sort`](Self::sort).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub struct DealContact {
    /// `CONTACT_ID`.
    pub contact_id: ContactId,
    /// `SORT`.
    #[serde(default, deserialize_with = "de::number")]
    pub sort: Option<i64>,
    /// `ROLE_ID`.
    #[serde(default, deserialize_with = "de::number")]
    pub role_id: Option<i64>,
    /// `IS_PRIMARY`.
    #[serde(with = "yn")]
    pub is_primary: bool,
}
