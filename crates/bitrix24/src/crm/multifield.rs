//! Multifields: the lists of phones, e-mails, web sites and messengers of leads, contacts and
//! companies.
//!
//! Classic methods return `"PHONE": [{"ID": "11658", "VALUE_TYPE": "WORK", "VALUE": "+1545...",
//! "TYPE_ID": "PHONE"}]` with every value a string; `crm.item.*` returns
//! `"fm": [{"id": 11658, "valueType": "WORK", "value": "...", "typeId": "PHONE"}]`. Both decode
//! into [`Multifield`], whose value type is typed by its `TYPE_ID`.

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;

use crate::crm::types::{wire_enum, MultifieldId};

wire_enum! {
    /// Which multifield a value belongs to (`TYPE_ID`).
    MultifieldKind {
        Phone = "PHONE",
        Email = "EMAIL",
        Web = "WEB",
        Im = "IM",
        Link = "LINK",
    }
}

wire_enum! {
    /// The kind of a phone number (`VALUE_TYPE` of `PHONE`).
    PhoneType {
        Work = "WORK",
        Mobile = "MOBILE",
        Fax = "FAX",
        Home = "HOME",
        Pager = "PAGER",
        Mailing = "MAILING",
        Other = "OTHER",
    }
}

wire_enum! {
    /// The kind of an e-mail address (`VALUE_TYPE` of `EMAIL`).
    EmailType {
        Work = "WORK",
        Home = "HOME",
        Mailing = "MAILING",
        Other = "OTHER",
    }
}

wire_enum! {
    /// The kind of a web address (`VALUE_TYPE` of `WEB`).
    WebType {
        Work = "WORK",
        Home = "HOME",
        Vk = "VK",
        LiveJournal = "LIVEJOURNAL",
        Twitter = "TWITTER",
        Other = "OTHER",
    }
}

wire_enum! {
    /// The messenger of an IM handle (`VALUE_TYPE` of `IM`).
    ImType {
        Telegram = "TELEGRAM",
        Vk = "VK",
        Skype = "SKYPE",
        Viber = "VIBER",
        Bitrix24 = "BITRIX24",
        OpenLine = "OPENLINE",
        Imol = "IMOL",
        Icq = "ICQ",
        Msn = "MSN",
        Jabber = "JABBER",
        Other = "OTHER",
    }
}

/// A `VALUE_TYPE`, typed by the multifield it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueType {
    /// Of a phone.
    Phone(PhoneType),
    /// Of an e-mail.
    Email(EmailType),
    /// Of a web address.
    Web(WebType),
    /// Of a messenger handle.
    Im(ImType),
    /// Of a `LINK` or an unknown multifield, as written.
    Other(String),
}

impl ValueType {
    /// Types `raw` by the multifield `kind`.
    pub fn new(kind: &MultifieldKind, raw: &str) -> Self {
        match kind {
            MultifieldKind::Phone => Self::Phone(raw.into()),
            MultifieldKind::Email => Self::Email(raw.into()),
            MultifieldKind::Web => Self::Web(raw.into()),
            MultifieldKind::Im => Self::Im(raw.into()),
            _ => Self::Other(raw.to_string()),
        }
    }

    /// The value as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Phone(t) => t.as_str(),
            Self::Email(t) => t.as_str(),
            Self::Web(t) => t.as_str(),
            Self::Im(t) => t.as_str(),
            Self::Other(s) => s,
        }
    }

    /// The multifield this value type belongs to.
    pub fn kind(&self) -> MultifieldKind {
        match self {
            Self::Phone(_) => MultifieldKind::Phone,
            Self::Email(_) => MultifieldKind::Email,
            Self::Web(_) => MultifieldKind::Web,
            Self::Im(_) => MultifieldKind::Im,
            Self::Other(_) => MultifieldKind::Link,
        }
    }
}

/// One stored phone, e-mail, web address or messenger handle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Multifield {
    /// Its id: pass it to the update builders to change or delete this value.
    pub id: Option<MultifieldId>,
    /// `TYPE_ID`: which multifield.
    pub kind: MultifieldKind,
    /// `VALUE_TYPE`, typed by `kind`.
    pub value_type: ValueType,
    /// `VALUE`, exactly as stored (the portal keeps the user's formatting).
    pub value: String,
}

/// The wire shape, in both spellings.
#[derive(Deserialize)]
struct Raw {
    #[serde(alias = "id", default, deserialize_with = "crate::crm::de::opt")]
    #[serde(rename = "ID")]
    id: Option<MultifieldId>,
    #[serde(rename = "TYPE_ID", alias = "typeId", default)]
    #[serde(deserialize_with = "crate::crm::de::string")]
    type_id: Option<String>,
    #[serde(rename = "VALUE_TYPE", alias = "valueType", default)]
    #[serde(deserialize_with = "crate::crm::de::string")]
    value_type: Option<String>,
    #[serde(rename = "VALUE", alias = "value", default)]
    #[serde(deserialize_with = "crate::crm::de::string")]
    value: Option<String>,
}

impl<'de> Deserialize<'de> for Multifield {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(d).map_err(D::Error::custom)?;
        let kind = MultifieldKind::from(raw.type_id.as_deref().unwrap_or(""));
        Ok(Self {
            id: raw.id,
            value_type: ValueType::new(&kind, raw.value_type.as_deref().unwrap_or("")),
            kind,
            value: raw.value.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_and_item_shapes_decode_alike() {
        let classic: Multifield = serde_json::from_str(
            r#"{"ID":"11658","VALUE_TYPE":"MOBILE","VALUE":"+15454777777","TYPE_ID":"PHONE"}"#,
        )
        .unwrap();
        let item: Multifield = serde_json::from_str(
            r#"{"id":11658,"valueType":"MOBILE","value":"+15454777777","typeId":"PHONE"}"#,
        )
        .unwrap();
        assert_eq!(classic, item);
        assert_eq!(classic.value_type, ValueType::Phone(PhoneType::Mobile));
        assert_eq!(classic.id.map(|i| i.get()), Some(11658));
    }

    #[test]
    fn value_types_follow_the_type_id() {
        let im: Multifield =
            serde_json::from_str(r#"{"TYPE_ID":"IM","VALUE_TYPE":"TELEGRAM","VALUE":"@x"}"#)
                .unwrap();
        assert_eq!(im.value_type, ValueType::Im(ImType::Telegram));
        assert_eq!(im.id, None);
        let odd: Multifield =
            serde_json::from_str(r#"{"TYPE_ID":"FAXMODEM","VALUE_TYPE":"WORK"}"#).unwrap();
        assert_eq!(odd.kind, MultifieldKind::Unknown("FAXMODEM".into()));
        assert_eq!(odd.value_type, ValueType::Other("WORK".into()));
        assert_eq!(odd.value, "");
    }
}
