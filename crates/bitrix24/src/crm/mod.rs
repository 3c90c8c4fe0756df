//! Typed CRM: entities, ids, field builders, filters and phone search.
//!
//! - [`types`]: ids that decode from strings or numbers, Y/N flags, dates, exact money and the
//!   directory enums (`STATUS_ID`, `SOURCE_ID`...), each with an `Unknown` variant;
//! - [`Lead`], [`Deal`], [`Contact`], [`Company`] and [`CrmItem`]: lenient entity structs;
//! - [`LeadFields`] and friends: builders for `fields` of add/update, multifields included;
//! - [`Filter`], [`Select`], [`Order`]: classic list parameters that refuse what the portal
//!   would silently ignore;
//! - [`phone`]: the portal's phone normalisation and duplicate search;
//! - [`productrow`], [`catalog`], [`timeline`], [`DealContact`] and [`Owner`]: an order's
//!   product rows, the catalog products on them, its comment and to-do, the deal's contacts,
//!   and the record rows, comments and to-dos belong to.
//!
//! ```no_run
//! use bitrix24::crm::phone::find_by_phone;
//! use bitrix24::crm::types::{Amount, LeadStatus};
//! use bitrix24::crm::{Filter, LeadFields, PhoneType, Select};
//!
//! # async fn run() -> bitrix24::Result<()> {
//! let client = bitrix24::Client::from_webhook("https://example.bitrix24.com/rest/1/secret/")?;
//!
//! // Write: typed setters, multifields, exact money.
//! let fields = LeadFields::new()
//!     .title("Website order")
//!     .name("Иван")
//!     .opportunity(Amount::parse("1250.50")?)
//!     .phone("8 903 227-88-74", PhoneType::Mobile)
//!     .utm_source("google");
//! let id = client.leads().add(fields).await?;
//!
//! // Read: ids, flags, dates and multifields decoded; user fields in `extra`.
//! let lead = client.leads().get(id).await?;
//! assert_eq!(lead.name.as_deref(), Some("Иван"));
//!
//! // List: operator keys written for you, silently-dropped mistakes refused (reported by
//! // the list when it is sent).
//! let newer = client
//!     .leads()
//!     .list()
//!     .filter(Filter::new().eq("STATUS_ID", LeadStatus::New).gt("ID", id))
//!     .select(Select::new().all().phone())
//!     .await?;
//! # let _ = newer;
//!
//! // Phone search in any spelling, across leads, contacts and companies.
//! let found = find_by_phone(&client, "+7 (903) 227-88-74").await?;
//! assert!(found.leads.contains(&id));
//! # Ok(()) }
//! ```

pub mod catalog;
pub(crate) mod de;
mod deal_contact;
mod entity;
mod fields;
mod filter;
mod multifield;
mod owner;
pub mod phone;
pub mod productrow;
mod select;
pub mod timeline;
pub mod types;

pub use deal_contact::DealContact;
pub use entity::{Company, Contact, CrmItem, Deal, EntityType, Lead};
pub use fields::{
    CompanyFields, ContactFields, DealFields, Fields, HasMultifields, ItemFields, LeadFields,
};
pub use filter::Filter;
pub use multifield::{
    EmailType, ImType, Multifield, MultifieldKind, PhoneType, ValueType, WebType,
};
pub use owner::Owner;
pub use select::{Direction, Order, Select};
