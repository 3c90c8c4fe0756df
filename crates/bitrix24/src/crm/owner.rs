//! [`Owner`]: the CRM record product rows, timeline comments and to-dos belong to, in the
//! forms the methods want it (the short code `D` of `crm.item.productrow.*`, the name
//! `deal` of `crm.timeline.comment.*`, the number 2 of `crm.activity.todo.add`).

use serde_json::Value;

use crate::crm::types::{marker, IntoId};
use crate::crm::EntityType;
use crate::error::{Error, ErrorKind, Result};

/// The record a product row, a timeline comment or a to-do belongs to: its type and its id
/// (known now, or the [batch handle](crate::batch::Handle) of the command that creates it).
///
/// ```
/// use bitrix24::crm::Owner;
/// use bitrix24::crm::types::DealId;
/// let deal = Owner::deal(DealId::new(7).unwrap());
/// assert_eq!(deal.short_code().unwrap(), "D");
/// assert_eq!(Owner::item(0x80, 3).short_code().unwrap(), "T80"); // a smart process
/// ```
#[derive(Debug, Clone)]
pub struct Owner {
    kind: Kind,
    id: Value,
}

#[derive(Debug, Clone)]
enum Kind {
    Type(EntityType),
    /// A short code as the caller wrote it, sent as is: the portal judges it.
    Code(String),
}

impl Owner {
    /// A lead.
    pub fn lead(id: impl IntoId<marker::Lead>) -> Self {
        Self::typed(EntityType::Lead, id.into_id_value())
    }

    /// A deal.
    pub fn deal(id: impl IntoId<marker::Deal>) -> Self {
        Self::typed(EntityType::Deal, id.into_id_value())
    }

    /// A contact (timeline comments and to-dos; contacts have no product rows).
    pub fn contact(id: impl IntoId<marker::Contact>) -> Self {
        Self::typed(EntityType::Contact, id.into_id_value())
    }

    /// A company (timeline comments and to-dos; companies have no product rows).
    pub fn company(id: impl IntoId<marker::Company>) -> Self {
        Self::typed(EntityType::Company, id.into_id_value())
    }

    /// An item of any entity type: an estimate (7), a smart invoice (31), a smart process
    /// (128 and up), or one of the four above by number.
    pub fn item(entity_type: impl Into<EntityType>, id: u64) -> Self {
        Self::typed(entity_type.into(), Value::from(id))
    }

    /// An owner given by the short code of its type (`D`, `L`, `Q`, `SI`, `T80`...), sent as
    /// written: a code the portal does not know comes back as its
    /// `ENTITY_TYPE_NOT_SUPPORTED` error.
    pub fn from_short_code(code: impl Into<String>, id: u64) -> Self {
        Self {
            kind: Kind::Code(code.into()),
            id: Value::from(id),
        }
    }

    fn typed(entity_type: EntityType, id: Value) -> Self {
        Self {
            kind: Kind::Type(entity_type),
            id,
        }
    }

    /// The entity type, when it is known (not for an unknown short code).
    pub fn entity_type(&self) -> Option<EntityType> {
        match &self.kind {
            Kind::Type(t) => Some(*t),
            Kind::Code(code) => type_of_code(code),
        }
    }

    /// The short code of the type (`ownerType` of `crm.item.productrow.*`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an entity type that has no short code (the old
    /// invoices, 5, and numbers that name no type).
    pub fn short_code(&self) -> Result<String> {
        match &self.kind {
            Kind::Code(code) => Ok(code.clone()),
            Kind::Type(t) => code_of_type(*t).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "{t} has no product rows: they belong to leads (1), deals (2), estimates \
                         (7), smart invoices (31) and smart processes (128 and up)"
                    ),
                )
            }),
        }
    }

    /// The type's id (`ownerTypeId` of `crm.activity.todo.add`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a short code that names no known type.
    pub(crate) fn type_id(&self) -> Result<u32> {
        self.entity_type()
            .map(EntityType::id)
            .ok_or_else(|| self.unknown_code())
    }

    /// The lower-case type name of `crm.timeline.comment.*` (`deal`, `dynamic_128`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a short code that names no known type.
    pub(crate) fn type_name(&self) -> Result<String> {
        let t = self.entity_type().ok_or_else(|| self.unknown_code())?;
        Ok(match t.name() {
            Some(name) => name.to_ascii_lowercase(),
            None if t.id() == 7 => "quote".into(),
            None => format!("dynamic_{}", t.id()),
        })
    }

    /// The id to send: a number, or a `$result[…]` reference inside a batch.
    pub(crate) fn id_value(&self) -> Value {
        self.id.clone()
    }

    fn unknown_code(&self) -> Error {
        let code = match &self.kind {
            Kind::Code(c) => c.as_str(),
            Kind::Type(_) => "",
        };
        Error::new(
            ErrorKind::InvalidInput,
            format!(
                "`{code}` is not the short code of a CRM type (L, D, C, CO, Q, SI or T followed \
                 by the hex type id)"
            ),
        )
    }
}

/// `CCrmOwnerTypeAbbr` of the types that can own product rows.
fn code_of_type(t: EntityType) -> Option<String> {
    match t.id() {
        1 => Some("L".into()),
        2 => Some("D".into()),
        7 => Some("Q".into()),
        31 => Some("SI".into()),
        n if n >= 128 => Some(format!("T{n:x}")),
        _ => None,
    }
}

/// The reverse of the short codes, case-insensitively as the portal reads them.
fn type_of_code(code: &str) -> Option<EntityType> {
    let upper = code.trim().to_ascii_uppercase();
    let id = match upper.as_str() {
        "L" => 1,
        "D" => 2,
        "C" => 3,
        "CO" => 4,
        "Q" => 7,
        "SI" => 31,
        other => other
            .strip_prefix('T')
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .filter(|n| *n >= 128)?,
    };
    Some(EntityType::from_id(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::types::DealId;

    #[test]
    fn each_method_gets_the_form_it_wants() {
        let deal = Owner::deal(DealId::new(7).unwrap());
        assert_eq!(deal.short_code().unwrap(), "D");
        assert_eq!(deal.type_id().unwrap(), 2);
        assert_eq!(deal.type_name().unwrap(), "deal");
        assert_eq!(deal.id_value(), Value::from(7));
        let spa = Owner::item(0x80, 3);
        assert_eq!(spa.short_code().unwrap(), "T80");
        assert_eq!(spa.type_name().unwrap(), "dynamic_128");
        assert_eq!(Owner::from_short_code("t80", 1).type_id().unwrap(), 128);
    }

    #[test]
    fn types_without_rows_and_unknown_codes_are_refused_where_they_are_decided() {
        let e = Owner::item(5, 1).short_code().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("no product rows"), "{e}");
        // A code is the portal's to judge for product rows, but a comment needs its name.
        let odd = Owner::from_short_code("XX", 1);
        assert_eq!(odd.short_code().unwrap(), "XX");
        assert!(odd.type_name().is_err() && odd.type_id().is_err());
    }
}
