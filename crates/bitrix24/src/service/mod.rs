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
//!
//! # Adding an operation
//!
//! An operation of an entity is a method that returns a [`Request`](crate::request::Request)
//! (see [adding a typed request](crate::request#adding-a-typed-request)); put it in its own
//! file with its own `impl Deals { … }` block (an inherent impl may live in any module of
//! the crate), so each concern keeps its file:
//!
//! ```ignore
//! impl Deals {
//!     /// `crm.deal.productrows.get`: the product rows of a deal.
//!     pub fn product_rows(&self, id: impl IntoId<marker::Deal>) -> Request<Vec<ProductRow>> {
//!         Request::new(&self.client, "crm.deal.productrows.get", json!({ "id": id.into_id_value() }))
//!     }
//! }
//! ```

mod answers;
mod catalog;
mod classic;
mod deal_contacts;
mod items;
mod product_rows;
mod timeline;

pub use catalog::CatalogService;
pub use classic::{Companies, Contacts, Deals, Leads};
pub use deal_contacts::DealContacts;
pub use items::Items;
pub use product_rows::ProductRows;
pub use timeline::{Activities, Timeline};
