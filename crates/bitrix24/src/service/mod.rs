//! Entity services: `client.leads()`, `client.deals()`, `client.contacts()`,
//! `client.companies()` and `client.items(entity_type)`, each handing out
//! [request values](crate::request) for add, get, update, delete and a typed [`List`](crate::list::List).
//!
//! ```no_run
//! # async fn run(client: bitrix24::Client) -> bitrix24::Result<()> {
//! use bitrix24::crm::{LeadFields, PhoneType};
//!
//! let id = client
//!     .leads()
//!     .add(LeadFields::new().title("Signup").name("Иван").phone("+7 903 227-88-74", PhoneType::Mobile))
//!     .await?; // LeadId
//! let lead = client.leads().get(id).await?; // Lead
//! client.leads().update(id, LeadFields::new().comments("called back")).await?;
//! client.leads().delete(id).await?;
//! # let _ = lead; Ok(()) }
//! ```
//!
//! The services are cheap (a client clone) and hold no state: call `client.leads()` wherever
//! you need it.

mod classic;
mod items;
mod product_rows;

pub use classic::{Companies, Contacts, Deals, Leads};
pub use items::Items;
pub use product_rows::ProductRows;
