//! Catalog products (`catalog.product.*`), their catalogs and prices, as the portal returns
//! them: what an order needs to put a product from the catalog on a deal's rows.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::crm::de;
use crate::crm::types::{yn, Amount, Id};

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

/// A catalog (`catalog.catalog.list`): products go into the one whose
/// [`product_iblock_id`](Self::product_iblock_id) is `None` (the other holds variations).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Catalog {
    /// `iblockId`: the `iblockId` of its products.
    pub iblock_id: u64,
    /// `name`.
    #[serde(default, deserialize_with = "de::string")]
    pub name: Option<String>,
    /// `productIblockId`: set only on a variations catalog, to its products' catalog.
    #[serde(default, deserialize_with = "de::binding")]
    pub product_iblock_id: Option<u64>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A catalog product (`catalog.product.get|list`, the `element` of `add`). Its price is
/// not a field: prices are [`Price`]s of price types.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CatalogProduct {
    /// `id`.
    pub id: ProductId,
    /// `iblockId`: its catalog.
    pub iblock_id: u64,
    /// `name`.
    #[serde(default, deserialize_with = "de::string")]
    pub name: Option<String>,
    /// `active`.
    #[serde(default, with = "yn::option")]
    pub active: Option<bool>,
    /// `xmlId`: an external id (the shop's SKU).
    #[serde(default, deserialize_with = "de::string")]
    pub xml_id: Option<String>,
    /// `measure`: the `catalog_measure.id` of its unit.
    #[serde(default, deserialize_with = "de::number")]
    pub measure: Option<u64>,
    /// `type`: 1 simple product, 7 service...
    #[serde(rename = "type", default, deserialize_with = "de::number")]
    pub product_type: Option<u8>,
    /// Every other field, as sent (`vatId`, `purchasingPrice`, `propertyN`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A price type (`catalog.priceType.list`); rows of a shop usually use the base one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PriceType {
    /// `id`.
    pub id: PriceTypeId,
    /// `name`.
    #[serde(default, deserialize_with = "de::string")]
    pub name: Option<String>,
    /// `base`: the portal's base price type.
    #[serde(default, with = "yn::option")]
    pub base: Option<bool>,
}

/// A product's price of one price type (`catalog.price.add|list`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Price {
    /// `id`.
    pub id: u64,
    /// `productId`.
    pub product_id: ProductId,
    /// `catalogGroupId`: the price type.
    pub catalog_group_id: PriceTypeId,
    /// `price`, exact.
    pub price: Amount,
    /// `currency`.
    pub currency: String,
}

/// A product to add to a catalog (`catalog.product.add`): its catalog and name, and
/// optionally its external id and unit.
#[derive(Debug, Clone)]
pub struct ProductFields {
    fields: Map<String, Value>,
}

impl ProductFields {
    /// A product named `name` in the catalog `iblock_id` (see [`Catalog::iblock_id`]).
    pub fn new(iblock_id: u64, name: impl Into<String>) -> Self {
        let mut fields = Map::new();
        fields.insert("iblockId".into(), Value::from(iblock_id));
        fields.insert("name".into(), Value::from(name.into()));
        Self { fields }
    }

    /// `xmlId`: an external id (the shop's SKU), to find the product again.
    pub fn xml_id(mut self, id: impl Into<String>) -> Self {
        self.fields.insert("xmlId".into(), Value::from(id.into()));
        self
    }

    /// `measure`: the `catalog_measure.id` of its unit.
    pub fn measure(mut self, measure_id: u64) -> Self {
        self.fields
            .insert("measure".into(), Value::from(measure_id));
        self
    }

    /// The `fields` to send.
    pub fn to_map(&self) -> Map<String, Value> {
        self.fields.clone()
    }
}
