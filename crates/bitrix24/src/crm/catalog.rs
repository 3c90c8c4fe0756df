//! Catalog products (`catalog.product.*`), their catalogs and prices, as the portal returns
//! them: what an order needs to put a product from the catalog on a deal's rows.

use crate::crm::types::Id;

/// Marker types of catalog ids (see [`Id`]).
pub mod marker {
    /// Marks catalog product ids (`catalog_product.id`, `productId` of a product row).
    #[derive(Debug)]
    pub enum Product {}
    /// Marks price type ids (`catalogGroupId` of a price; the base type is usually 1).
    #[derive(Debug)]
    pub enum PriceType {}
}

/// A catalog product id.
pub type ProductId = Id<marker::Product>;
/// A price type id.
pub type PriceTypeId = Id<marker::PriceType>;
