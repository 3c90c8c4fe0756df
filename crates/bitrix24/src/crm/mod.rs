//! Typed CRM: entities, ids, field builders, filters and phone search.
//!
//! - [`types`]: ids that decode from strings or numbers, Y/N flags, dates, exact money and the
//!   directory enums (`STATUS_ID`, `SOURCE_ID`...), each with an `Unknown` variant;
//! - [`Lead`], [`Deal`], [`Contact`], [`Company`] and [`CrmItem`]: lenient entity structs;
//! - [`LeadFields`] and friends: builders for `fields` of add/update, multifields included;
//! - [`Filter`], [`Select`], [`Order`]: classic list parameters that refuse what the portal
//!   would silently ignore;
//! - [`phone`]: the portal's phone normalisation and duplicate search.

pub(crate) mod de;
pub mod entity;
pub mod fields;
pub mod filter;
pub mod multifield;
pub mod phone;
pub mod select;
pub mod types;

pub use entity::{Company, Contact, CrmItem, Deal, EntityType, Lead};
pub use fields::{CompanyFields, ContactFields, DealFields, Fields, LeadFields};
pub use filter::Filter;
pub use multifield::{
    EmailType, ImType, Multifield, MultifieldKind, PhoneType, ValueType, WebType,
};
pub use phone::{find_by_phone, find_by_phones, normalize_for_search, PhoneFormat, PhoneMatches};
pub use select::{Direction, Order, Select};
