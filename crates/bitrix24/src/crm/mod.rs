//! Typed CRM: entities, ids, field builders, filters and phone search.
//!
//! - [`types`]: ids that decode from strings or numbers, Y/N flags, dates, exact money and the
//!   directory enums (`STATUS_ID`, `SOURCE_ID`...), each with an `Unknown` variant;
//! - [`Lead`], [`Deal`], [`Contact`], [`Company`] and [`CrmItem`]: lenient entity structs;
//! - [`LeadFields`] and friends: builders for `fields` of add/update, multifields included;
//! - [`Filter`], [`Select`], [`Order`]: classic list parameters that refuse what the portal
//!   would silently ignore;
//! - [`phone`]: the portal's phone normalisation and duplicate search.
//!
//! ```no_run
//! use bitrix24::crm::types::{Amount, LeadId, LeadStatus};
//! use bitrix24::crm::{find_by_phone, Filter, Lead, LeadFields, PhoneType, Select};
//! use serde_json::json;
//!
//! # async fn run() -> bitrix24::Result<()> {
//! let client = bitrix24::Client::from_webhook("https://example.bitrix24.com/rest/1/secret/")?;
//!
//! // Write: typed setters, multifields, exact money.
//! let fields = LeadFields::new()
//!     .title("Website order")
//!     .name("Иван")
//!     .opportunity(Amount::parse("1250.50")?)
//!     .phone("8 903 227-88-74", PhoneType::Mobile);
//! let id: LeadId = client.call("crm.lead.add", &fields.add_params()?).await?.result;
//!
//! // Read: ids, flags, dates and multifields decoded; user fields in `extra`.
//! let lead: Lead = client.call("crm.lead.get", &json!({ "id": id })).await?.result;
//! assert_eq!(lead.name.as_deref(), Some("Иван"));
//!
//! // List: operator keys written for you, silently-dropped mistakes refused. (Take the
//! // map out with `?` rather than putting a builder inside `json!`, which panics on errors.)
//! let params = json!({
//!     "filter": Filter::new().eq("STATUS_ID", LeadStatus::New).gt("ID", id).into_map()?,
//!     "select": Select::new().all().phone().into_vec()?,
//! });
//! let _newer: Vec<Lead> = client.call("crm.lead.list", &params).await?.result;
//!
//! // Phone search in any spelling, across leads, contacts and companies.
//! let found = find_by_phone(&client, "+7 (903) 227-88-74").await?;
//! assert!(found.leads.contains(&id));
//! # Ok(()) }
//! ```

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
