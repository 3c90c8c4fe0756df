//! Typed CRM: entities, ids, fields, filters.

pub(crate) mod de;
pub mod entity;
pub mod multifield;
pub mod types;

pub use entity::{Company, Contact, CrmItem, Deal, EntityType, Lead};
pub use multifield::{
    EmailType, ImType, Multifield, MultifieldKind, PhoneType, ValueType, WebType,
};
