//! Owners of product rows, addressed by the short code of their type (orders-timeline.md
//! §1.1): `L` lead, `D` deal, `Q` estimate, `SI` new invoice, `T{hex}` smart process.

use crate::error::ApiError;
use crate::methods::crm::store::{self, Kind};
use rusqlite::Connection;

/// An owner whose rows the sandbox stores: a lead or a deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Lead or deal.
    pub kind: Kind,
    /// The owner's id.
    pub id: i64,
}

impl Owner {
    /// The short code stored with each row (`L`, `D`).
    pub fn code(self) -> &'static str {
        code_of(self.kind)
    }
}

/// The short code of a lead or deal.
pub fn code_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Lead => "L",
        Kind::Deal => "D",
        Kind::Contact => "C",
        Kind::Company => "CO",
    }
}

/// What a short code names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeOf {
    /// A lead or deal: rows are stored.
    Stored(Kind),
    /// A factory-based type the sandbox has no items of (estimate, new invoice, smart process):
    /// every owner id is missing.
    Empty,
    /// Unknown, not factory-based (old invoice `I`), or without product rows (contact, company).
    Unsupported,
}

fn resolve(code: &str) -> TypeOf {
    let upper = code.trim().to_uppercase();
    match upper.as_str() {
        "L" => TypeOf::Stored(Kind::Lead),
        "D" => TypeOf::Stored(Kind::Deal),
        "Q" | "SI" => TypeOf::Empty,
        other => match other
            .strip_prefix('T')
            .and_then(|hex| i64::from_str_radix(hex, 16).ok())
        {
            Some(type_id) if type_id >= 128 => TypeOf::Empty,
            _ => TypeOf::Unsupported,
        },
    }
}

/// `ENTITY_TYPE_NOT_SUPPORTED`, HTTP 400.
pub fn not_supported() -> ApiError {
    ApiError::bad_request("ENTITY_TYPE_NOT_SUPPORTED", "Entity type is not supported")
}

/// `OWNER_NOT_FOUND` "Owner was not found", HTTP 400.
pub fn not_found() -> ApiError {
    ApiError::bad_request("OWNER_NOT_FOUND", "Owner was not found")
}

/// The owner a short code and id name, checked in the controller's order: the type first
/// (`ENTITY_TYPE_NOT_SUPPORTED`), then the item (`OWNER_NOT_FOUND`).
pub fn find(conn: &Connection, code: &str, id: i64) -> Result<Owner, ApiError> {
    match resolve(code) {
        TypeOf::Unsupported => Err(not_supported()),
        TypeOf::Empty => Err(not_found()),
        TypeOf::Stored(kind) => {
            if id > 0 && store::exists(conn, kind, id)? {
                Ok(Owner { kind, id })
            } else {
                Err(not_found())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_resolve_case_insensitively() {
        assert_eq!(resolve("d"), TypeOf::Stored(Kind::Deal));
        assert_eq!(resolve("L"), TypeOf::Stored(Kind::Lead));
        assert_eq!(resolve("T80"), TypeOf::Empty);
        assert_eq!(resolve("t3ee"), TypeOf::Empty);
        assert_eq!(resolve("T7f"), TypeOf::Unsupported);
        assert_eq!(resolve("SI"), TypeOf::Empty);
        assert_eq!(resolve("I"), TypeOf::Unsupported);
        assert_eq!(resolve("C"), TypeOf::Unsupported);
        assert_eq!(resolve("DEAL"), TypeOf::Unsupported);
        assert_eq!(resolve(""), TypeOf::Unsupported);
    }
}
