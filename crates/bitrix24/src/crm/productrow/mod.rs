//! Product rows of deals, leads, estimates and smart processes: [`ProductRowFields`] to
//! write, [`ProductRow`] as stored, with the prices the portal computed. The requests are
//! on [`Client::product_rows`](crate::Client::product_rows).
//!
//! ```no_run
//! # async fn run(client: bitrix24::Client, deal: bitrix24::crm::types::DealId) -> bitrix24::Result<()> {
//! use bitrix24::crm::productrow::{Discount, ProductRowFields};
//! use bitrix24::crm::types::Amount;
//! use bitrix24::crm::Owner;
//!
//! let rows = client
//!     .product_rows()
//!     .set(
//!         &Owner::deal(deal),
//!         [
//!             ProductRowFields::new("Sofa", Amount::parse("80000")?)
//!                 .discount(Discount::Percent(Amount::from(20)))
//!                 .tax(Amount::from(20), true),
//!             ProductRowFields::new("Delivery", Amount::parse("1500")?),
//!         ],
//!     )
//!     .await?; // every row of the deal now, with new ids
//! assert_eq!(rows[0].price_netto.as_str(), "83333.33333333");
//! # Ok(()) }
//! ```

mod fields;
mod row;

pub use fields::{Discount, ProductRowFields};
pub use row::{DiscountType, ProductRow, ProductRowId, RowMarker};
