//! Entity ids: one generic `Id<Marker>` so a `LeadId` can never be passed where a `DealId` is
//! expected, decoded from the JSON string (`"ID": "123"`, classic methods) or number
//! (`"id": 123`, `crm.item.*`, `add` results) the portal sends, and sent back as a number.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, ErrorKind};

/// Marker types that tell ids apart. They have no values; they only appear as `Id<Marker>`.
pub mod marker {
    /// Marks lead ids.
    #[derive(Debug)]
    pub enum Lead {}
    /// Marks deal ids.
    #[derive(Debug)]
    pub enum Deal {}
    /// Marks contact ids.
    #[derive(Debug)]
    pub enum Contact {}
    /// Marks company ids.
    #[derive(Debug)]
    pub enum Company {}
    /// Marks user (employee) ids.
    #[derive(Debug)]
    pub enum User {}
    /// Marks the id of one multifield value (one phone, one e-mail...).
    #[derive(Debug)]
    pub enum Multifield {}
}

/// A positive integer id of the entity `M`.
///
/// The portal rejects ids that are not positive integers ("ID is not defined or invalid."), so
/// `0` is refused here too: parse and decode fail on it. Binding fields that use `0` for "none"
/// (a deal without a company has `"COMPANY_ID": "0"`) decode to `None` in the entity structs.
pub struct Id<M> {
    value: u64,
    // `fn() -> M` keeps `Id` Send, Sync and Copy whatever the marker is.
    marker: PhantomData<fn() -> M>,
}

/// A lead id (`crm.lead.*`, entity type 1).
pub type LeadId = Id<marker::Lead>;
/// A deal id (`crm.deal.*`, entity type 2).
pub type DealId = Id<marker::Deal>;
/// A contact id (`crm.contact.*`, entity type 3).
pub type ContactId = Id<marker::Contact>;
/// A company id (`crm.company.*`, entity type 4).
pub type CompanyId = Id<marker::Company>;
/// A user (employee) id: `ASSIGNED_BY_ID`, `CREATED_BY_ID`...
pub type UserId = Id<marker::User>;
/// The id of one multifield value, used to change or delete it on update.
pub type MultifieldId = Id<marker::Multifield>;

impl<M> Id<M> {
    /// The id `value`, or `None` for `0`.
    pub const fn new(value: u64) -> Option<Self> {
        if value == 0 {
            None
        } else {
            Some(Self {
                value,
                marker: PhantomData,
            })
        }
    }

    /// The id as a number.
    pub const fn get(self) -> u64 {
        self.value
    }
}

impl<M> Clone for Id<M> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<M> Copy for Id<M> {}

impl<M> PartialEq for Id<M> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<M> Eq for Id<M> {}

impl<M> PartialOrd for Id<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<M> Ord for Id<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<M> Hash for Id<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<M> fmt::Debug for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.value)
    }
}

impl<M> fmt::Display for Id<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.value, f)
    }
}

impl<M> FromStr for Id<M> {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::new(
                ErrorKind::InvalidInput,
                format!("`{s}` is not an id: ids are positive integers"),
            )
        };
        // `u64::from_str` accepts a leading `+`; the portal's ids never have one.
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse::<u64>().ok().and_then(Self::new).ok_or_else(bad)
    }
}

impl<M> From<Id<M>> for u64 {
    fn from(id: Id<M>) -> u64 {
        id.value
    }
}

impl<M> TryFrom<u64> for Id<M> {
    type Error = Error;

    fn try_from(value: u64) -> Result<Self, Error> {
        Self::new(value).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidInput,
                "0 is not an id: ids are positive integers",
            )
        })
    }
}

impl<M> From<Id<M>> for serde_json::Value {
    fn from(id: Id<M>) -> Self {
        Self::from(id.value)
    }
}

impl<M> Serialize for Id<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.value)
    }
}

impl<'de, M> Deserialize<'de> for Id<M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IdVisitor(PhantomData))
    }
}

struct IdVisitor<M>(PhantomData<fn() -> M>);

impl<M> Visitor<'_> for IdVisitor<M> {
    type Value = Id<M>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a positive integer id, as a number or a string")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Id::new(v).ok_or_else(|| E::custom("0 is not an id"))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        u64::try_from(v)
            .ok()
            .and_then(Id::new)
            .ok_or_else(|| E::custom(format!("{v} is not an id")))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        v.parse::<Id<M>>()
            .map_err(|_| E::custom(format!("`{v}` is not an id")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_strings_and_numbers_alike() {
        let a: LeadId = serde_json::from_str("\"123\"").unwrap();
        let b: LeadId = serde_json::from_str("123").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.get(), 123);
        assert_eq!(serde_json::to_string(&a).unwrap(), "123");
    }

    #[test]
    fn refuses_zero_negative_and_junk() {
        for bad in [
            "0", "\"0\"", "-5", "\"-5\"", "\"+5\"", "\"\"", "\"12a\"", "1.5", "null",
        ] {
            assert!(serde_json::from_str::<DealId>(bad).is_err(), "{bad}");
        }
        assert!("".parse::<UserId>().is_err());
        assert_eq!(
            "18446744073709551615".parse::<UserId>().unwrap().get(),
            u64::MAX
        );
        assert!("18446744073709551616".parse::<UserId>().is_err());
        assert!(ContactId::try_from(0).is_err());
    }
}
