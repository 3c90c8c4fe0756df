//! CRM entities as the portal returns them, and the entity types that name them.

/// The decoding and user-field accessors every classic entity shares.
macro_rules! classic_entity {
    ($ty:ident, $what:literal, $method:literal) => {
        impl $ty {
            #[doc = concat!("Decodes one ", $what, " from a `", $method, ".get` result or a `",
                $method, ".list` row; a field of the wrong shape is reported with its name.")]
            pub fn from_value(value: Value) -> crate::Result<Self> {
                de::decode(value, concat!("a ", $what))
            }

            /// The user field `name` (`UF_CRM_...`), if present and not empty.
            pub fn user_field(&self, name: &str) -> Option<&Value> {
                super::user_field(&self.extra, name)
            }

            #[doc = concat!("All user fields (`UF_*` keys of [`", stringify!($ty), "::extra`]).")]
            pub fn user_fields(&self) -> impl Iterator<Item = (&str, &Value)> {
                super::user_fields(&self.extra)
            }
        }
    };
}

mod company;
mod contact;
mod deal;
mod item;
mod lead;

pub use company::Company;
pub use contact::Contact;
pub use deal::Deal;
pub use item::CrmItem;
pub use lead::Lead;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A CRM entity type (`entityTypeId` of `crm.item.*`; the names are the `ENTITY_TYPE` of
/// `crm.duplicate.findbycomm` and the keys of its result).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EntityType {
    /// 1, `LEAD`.
    Lead,
    /// 2, `DEAL`.
    Deal,
    /// 3, `CONTACT`.
    Contact,
    /// 4, `COMPANY`.
    Company,
    /// Any other type id (quotes 7, smart invoices 31, smart processes 128 and up...).
    Other(u32),
}

impl EntityType {
    /// The numeric `entityTypeId`.
    pub const fn id(self) -> u32 {
        match self {
            Self::Lead => 1,
            Self::Deal => 2,
            Self::Contact => 3,
            Self::Company => 4,
            Self::Other(n) => n,
        }
    }

    /// The type of `entityTypeId` `id`.
    pub const fn from_id(id: u32) -> Self {
        match id {
            1 => Self::Lead,
            2 => Self::Deal,
            3 => Self::Contact,
            4 => Self::Company,
            n => Self::Other(n),
        }
    }

    /// The upper-case name (`LEAD`...) of the four classic types.
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Self::Lead => Some("LEAD"),
            Self::Deal => Some("DEAL"),
            Self::Contact => Some("CONTACT"),
            Self::Company => Some("COMPANY"),
            Self::Other(_) => None,
        }
    }
}

impl From<u32> for EntityType {
    fn from(id: u32) -> Self {
        Self::from_id(id)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "entity type {}", self.id()),
        }
    }
}

impl Serialize for EntityType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.id())
    }
}

impl<'de> Deserialize<'de> for EntityType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let v = Value::deserialize(d)?;
        let id = match &v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        id.and_then(|n| u32::try_from(n).ok())
            .map(Self::from_id)
            .ok_or_else(|| D::Error::custom(format!("expected an entity type id, found {v}")))
    }
}

/// `extra[name]`, skipping the `""` an empty user field comes back as.
fn user_field<'a>(extra: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    extra.get(name).filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    })
}

/// The `UF_*` entries of `extra`.
fn user_fields(extra: &Map<String, Value>) -> impl Iterator<Item = (&str, &Value)> {
    extra
        .iter()
        .filter(|(k, _)| k.starts_with("UF_"))
        .map(|(k, v)| (k.as_str(), v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_types_round_trip_their_ids() {
        for id in [1, 2, 3, 4, 7, 31, 128] {
            assert_eq!(EntityType::from_id(id).id(), id);
        }
        assert_eq!(EntityType::Contact.name(), Some("CONTACT"));
        assert_eq!(EntityType::from_id(177).to_string(), "entity type 177");
        let t: EntityType = serde_json::from_str("\"2\"").unwrap();
        assert_eq!(t, EntityType::Deal);
        assert!(serde_json::from_str::<EntityType>("-1").is_err());
    }
}
