//! The product catalog (`catalog.*`, scope `catalog`): `client.catalog()`.

use serde_json::json;

use crate::client::Client;
use crate::crm::catalog::{
    marker, Catalog, CatalogProduct, Price, PriceType, PriceTypeId, ProductFields,
};
use crate::crm::types::{Amount, IntoId};
use crate::request::Request;

/// The fields a product lookup asks for: `catalog.product.list` refuses a `select` without
/// `id` and `iblockId`, and returns only what is selected.
const PRODUCT_SELECT: [&str; 7] = [
    "id", "iblockId", "name", "active", "xmlId", "measure", "type",
];

/// Catalog products and their prices, for the rows of an order: `client.catalog()`.
///
/// ```no_run
/// # async fn run(client: bitrix24::Client) -> bitrix24::Result<()> {
/// use bitrix24::crm::productrow::ProductRowFields;
/// use bitrix24::crm::types::Amount;
///
/// let catalogs = client.catalog().catalogs().await?;
/// let products = catalogs.iter().find(|c| c.product_iblock_id.is_none()).expect("a catalog");
/// if let Some(sofa) = client.catalog().find_by_xml_id(products.iblock_id, "SKU-1").await?.first() {
///     let row = ProductRowFields::from_product(sofa.id, Amount::parse("80000")?);
/// #   let _ = row;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CatalogService {
    client: Client,
}

impl CatalogService {
    /// `catalog.catalog.list`: the portal's catalogs.
    pub fn catalogs(&self) -> Request<Vec<Catalog>> {
        Request::new(&self.client, "catalog.catalog.list", json!({})).at(&["catalogs"])
    }

    /// `catalog.product.get`: one product. A missing one fails with the portal's error.
    pub fn product(&self, id: impl IntoId<marker::Product>) -> Request<CatalogProduct> {
        let params = json!({ "id": id.into_id_value() });
        Request::new(&self.client, "catalog.product.get", params).at(&["product"])
    }

    /// `catalog.product.list`: the products of catalog `iblock_id` whose external id is
    /// `xml_id` (none, one, or several if it was reused).
    pub fn find_by_xml_id(&self, iblock_id: u64, xml_id: &str) -> Request<Vec<CatalogProduct>> {
        let params = json!({
            "select": PRODUCT_SELECT,
            "filter": { "iblockId": iblock_id, "xmlId": xml_id },
        });
        Request::new(&self.client, "catalog.product.list", params).at(&["products"])
    }

    /// `catalog.product.list`: the first 50 products of catalog `iblock_id`, by id.
    pub fn products(&self, iblock_id: u64) -> Request<Vec<CatalogProduct>> {
        let params = json!({
            "select": PRODUCT_SELECT,
            "filter": { "iblockId": iblock_id },
            "order": { "id": "ASC" },
        });
        Request::new(&self.client, "catalog.product.list", params).at(&["products"])
    }

    /// `catalog.product.add`: adds a product (an administrator's call) and returns it.
    pub fn add_product(&self, fields: ProductFields) -> Request<CatalogProduct> {
        let params = json!({ "fields": fields.to_map() });
        Request::new(&self.client, "catalog.product.add", params).at(&["element"])
    }

    /// `catalog.priceType.list`: the price types; the base one has `base`.
    pub fn price_types(&self) -> Request<Vec<PriceType>> {
        Request::new(&self.client, "catalog.priceType.list", json!({})).at(&["priceTypes"])
    }

    /// `catalog.price.add`: the product's price of one price type.
    pub fn add_price(
        &self,
        product: impl IntoId<marker::Product>,
        price_type: PriceTypeId,
        price: Amount,
        currency: &str,
    ) -> Request<Price> {
        let params = json!({ "fields": {
            "productId": product.into_id_value(),
            "catalogGroupId": price_type,
            "price": price,
            "currency": currency,
        }});
        Request::new(&self.client, "catalog.price.add", params).at(&["price"])
    }

    /// `catalog.price.list`: the prices of a product.
    pub fn prices(&self, product: impl IntoId<marker::Product>) -> Request<Vec<Price>> {
        let params = json!({
            "select": ["id", "productId", "catalogGroupId", "price", "currency"],
            "filter": { "productId": product.into_id_value() },
        });
        Request::new(&self.client, "catalog.price.list", params).at(&["prices"])
    }
}

impl Client {
    /// The product catalog (`catalog.*`) as [request values](crate::request); see
    /// [`CatalogService`].
    pub fn catalog(&self) -> CatalogService {
        CatalogService {
            client: self.clone(),
        }
    }
}
