//! The owner of a timeline entry: a type (a lowercase name, an UPPER name, a short code or an
//! entity type id) and an id (orders-timeline.md §4).

use crate::error::ApiError;
use crate::methods::crm::store::{self, Kind};
use rusqlite::Connection;

/// What a type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeOf {
    /// One of the four stored kinds.
    Stored(Kind),
    /// A defined type the sandbox has no items of (order, quote, smart process, ...).
    Empty(i64),
    /// Not a CRM type.
    Undefined,
}

/// `CCrmOwnerType::ResolveID`: names and short codes, case-insensitive.
pub fn resolve_name(name: &str) -> TypeOf {
    let upper = name.trim().to_uppercase();
    let kind = match upper.as_str() {
        "LEAD" | "L" | "1" => Some(Kind::Lead),
        "DEAL" | "D" | "2" => Some(Kind::Deal),
        "CONTACT" | "C" | "3" => Some(Kind::Contact),
        "COMPANY" | "CO" | "4" => Some(Kind::Company),
        _ => None,
    };
    if let Some(k) = kind {
        return TypeOf::Stored(k);
    }
    match upper.as_str() {
        "INVOICE" | "I" => TypeOf::Empty(5),
        "QUOTE" | "Q" => TypeOf::Empty(7),
        "ORDER" | "O" => TypeOf::Empty(14),
        "SMART_INVOICE" | "SI" => TypeOf::Empty(31),
        other => match other
            .strip_prefix("DYNAMIC_")
            .and_then(|n| n.parse::<i64>().ok())
        {
            Some(id) if id >= 128 => TypeOf::Empty(id),
            _ => match other.parse::<i64>() {
                Ok(id) => resolve_id(id),
                Err(_) => TypeOf::Undefined,
            },
        },
    }
}

/// An entity type id.
pub fn resolve_id(id: i64) -> TypeOf {
    match Kind::from_type_id(id) {
        Some(k) => TypeOf::Stored(k),
        None if matches!(id, 5 | 7 | 14 | 31) || id >= 128 => TypeOf::Empty(id),
        None => TypeOf::Undefined,
    }
}

/// The lowercase name `crm.timeline.comment.get` prints for a type id.
pub fn lower_name(type_id: i64) -> String {
    match type_id {
        1 => "lead".into(),
        2 => "deal".into(),
        3 => "contact".into(),
        4 => "company".into(),
        5 => "invoice".into(),
        7 => "quote".into(),
        14 => "order".into(),
        31 => "smart_invoice".into(),
        n => format!("dynamic_{n}"),
    }
}

/// `OWNER_NOT_FOUND` "Owner was not found".
pub fn not_found() -> ApiError {
    ApiError::bad_request("OWNER_NOT_FOUND", "Owner was not found")
}

/// The owner, checked: an undefined type, an id ≤ 0, and (the sandbox's reading of an
/// unconfirmed case, orders-timeline.md §10) an item that does not exist are all
/// `OWNER_NOT_FOUND`.
pub fn find(conn: &Connection, ty: TypeOf, id: i64) -> Result<(Kind, i64), ApiError> {
    match ty {
        TypeOf::Stored(kind) if id > 0 && store::exists(conn, kind, id)? => Ok((kind, id)),
        _ => Err(not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_codes_and_ids() {
        assert_eq!(resolve_name("deal"), TypeOf::Stored(Kind::Deal));
        assert_eq!(resolve_name("DEAL"), TypeOf::Stored(Kind::Deal));
        assert_eq!(resolve_name("D"), TypeOf::Stored(Kind::Deal));
        assert_eq!(resolve_name("dynamic_1046"), TypeOf::Empty(1046));
        assert_eq!(resolve_name("order"), TypeOf::Empty(14));
        assert_eq!(resolve_name("nothing"), TypeOf::Undefined);
        assert_eq!(resolve_id(3), TypeOf::Stored(Kind::Contact));
        assert_eq!(resolve_id(0), TypeOf::Undefined);
        assert_eq!(lower_name(2), "deal");
    }
}
