//! [`ProductRow`]: a row as the portal stored it, with the prices it computed.

use std::fmt;

use serde::de::{Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::crm::catalog::ProductId;
use crate::crm::de;
use crate::crm::types::{yn, Amount, Id};

/// Marks product row ids (see [`Id`]).
#[derive(Debug)]
pub enum RowMarker {}

/// A product row id (`id` of `crm.item.productrow.*`, `ID` of `crm.deal.productrows.get`).
/// `crm.item.productrow.set` gives every row of the owner a new one.
pub type ProductRowId = Id<RowMarker>;

/// How a row's discount is given (`discountTypeId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DiscountType {
    /// `1`: an amount off each unit (`discountSum`).
    Absolute,
    /// `2`: a percentage (`discountRate`), the portal's default.
    Percent,
    /// Any other number, as sent.
    Unknown(i64),
}

impl DiscountType {
    /// The number on the wire.
    pub fn id(self) -> i64 {
        match self {
            Self::Absolute => 1,
            Self::Percent => 2,
            Self::Unknown(n) => n,
        }
    }
}

impl<'de> Deserialize<'de> for DiscountType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = match Value::deserialize(d)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| D::Error::custom("expected a discount type id (1 or 2)"))?;
        Ok(match n {
            1 => Self::Absolute,
            2 => Self::Percent,
            n => Self::Unknown(n),
        })
    }
}

impl fmt::Display for DiscountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absolute => f.write_str("absolute"),
            Self::Percent => f.write_str("percent"),
            Self::Unknown(n) => write!(f, "discount type {n}"),
        }
    }
}

/// A product row as `crm.item.productrow.*` (camelCase) or the legacy
/// `crm.deal.productrows.get` (UPPER_CASE, ids as text) return it; both decode here.
///
/// Money is exact decimal text ([`Amount`]): the portal keeps 8 decimals and sends JSON
/// numbers, so `66666.66666667` stays `66666.66666667`. The four prices relate as the portal
/// computes them: [`price`](Self::price) is the final unit price (after the discount, with
/// tax); [`price_exclusive`](Self::price_exclusive) is that without tax;
/// [`price_netto`](Self::price_netto) is before the discount, without tax;
/// [`price_brutto`](Self::price_brutto) before the discount, with tax. The deal's
/// `OPPORTUNITY` is the sum of `price × quantity` over its rows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ProductRow {
    /// `id`.
    #[serde(alias = "ID")]
    pub id: ProductRowId,
    /// `ownerId`: the lead, deal... the row belongs to.
    #[serde(alias = "OWNER_ID", default, deserialize_with = "de::number")]
    pub owner_id: Option<u64>,
    /// `ownerType`: the owner's short code (`D`, `L`...).
    #[serde(alias = "OWNER_TYPE", default, deserialize_with = "de::string")]
    pub owner_type: Option<String>,
    /// `productId`: the catalog product, `None` for a row typed in by hand (`0`).
    #[serde(alias = "PRODUCT_ID", default, deserialize_with = "de::binding")]
    pub product_id: Option<ProductId>,
    /// `productName`.
    #[serde(alias = "PRODUCT_NAME", default, deserialize_with = "de::string")]
    pub product_name: Option<String>,
    /// `price`: the final unit price, after the discount and with tax.
    #[serde(alias = "PRICE")]
    pub price: Amount,
    /// `priceAccount`: `price` in the portal's report currency.
    #[serde(alias = "PRICE_ACCOUNT", default, deserialize_with = "de::opt")]
    pub price_account: Option<Amount>,
    /// `priceExclusive`: the unit price after the discount, without tax (computed).
    #[serde(alias = "PRICE_EXCLUSIVE")]
    pub price_exclusive: Amount,
    /// `priceNetto`: the unit price before the discount, without tax (computed).
    #[serde(alias = "PRICE_NETTO")]
    pub price_netto: Amount,
    /// `priceBrutto`: the unit price before the discount, with tax (computed).
    #[serde(alias = "PRICE_BRUTTO")]
    pub price_brutto: Amount,
    /// `quantity` (4 decimals).
    #[serde(alias = "QUANTITY")]
    pub quantity: Amount,
    /// `discountTypeId`.
    #[serde(rename = "discountTypeId", alias = "DISCOUNT_TYPE_ID")]
    pub discount_type: DiscountType,
    /// `discountRate`: the discount in percent (computed for an absolute discount).
    #[serde(alias = "DISCOUNT_RATE", default, deserialize_with = "de::opt")]
    pub discount_rate: Option<Amount>,
    /// `discountSum`: the discount per unit, as an amount (computed for a percentage).
    #[serde(alias = "DISCOUNT_SUM", default, deserialize_with = "de::opt")]
    pub discount_sum: Option<Amount>,
    /// `taxRate` in percent, `None` for no tax.
    #[serde(alias = "TAX_RATE", default, deserialize_with = "de::opt")]
    pub tax_rate: Option<Amount>,
    /// `taxIncluded`.
    #[serde(alias = "TAX_INCLUDED", default, with = "yn::option")]
    pub tax_included: Option<bool>,
    /// `measureCode`: the unit's code (796 pieces...).
    #[serde(alias = "MEASURE_CODE", default, deserialize_with = "de::number")]
    pub measure_code: Option<u32>,
    /// `measureName`: the unit's symbol.
    #[serde(alias = "MEASURE_NAME", default, deserialize_with = "de::string")]
    pub measure_name: Option<String>,
    /// `sort`.
    #[serde(alias = "SORT", default, deserialize_with = "de::number")]
    pub sort: Option<i64>,
    /// `xmlId`: an external id (`sale_basket_8147` for rows of a shop order).
    #[serde(alias = "XML_ID", default, deserialize_with = "de::string")]
    pub xml_id: Option<String>,
    /// `type`: 1 simple product, 2 bundle, 4 offer, 7 service...
    #[serde(
        rename = "type",
        alias = "TYPE",
        default,
        deserialize_with = "de::number"
    )]
    pub product_type: Option<u8>,
    /// `storeId` (`get` and `list` only).
    #[serde(alias = "STORE_ID", default, deserialize_with = "de::number")]
    pub store_id: Option<u64>,
    /// Every other field, as sent (`customized`, the legacy `ORIGINAL_PRODUCT_NAME`...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_computed_prices_keep_their_decimals() {
        let row: ProductRow = serde_json::from_value(json!({
            "id": 5, "ownerId": 7, "ownerType": "D", "productId": 0, "productName": "Sofa",
            "price": 80000, "priceAccount": 80000, "priceExclusive": 66666.66666667,
            "priceNetto": 83333.33333333, "priceBrutto": 100000.0, "quantity": 1,
            "discountTypeId": 2, "discountRate": 20, "discountSum": 16666.66666667,
            "taxRate": 20, "taxIncluded": "Y", "customized": "Y", "measureCode": 796,
            "measureName": "pcs", "sort": 10, "xmlId": "", "type": 1, "storeId": null
        }))
        .unwrap();
        assert_eq!(row.price_exclusive.as_str(), "66666.66666667");
        assert_eq!(row.price_brutto.as_str(), "100000");
        assert_eq!(row.discount_sum.unwrap().as_str(), "16666.66666667");
        assert_eq!(row.discount_type, DiscountType::Percent);
        assert_eq!(row.product_id, None);
        assert_eq!(row.tax_included, Some(true));
        assert_eq!(row.owner_type.as_deref(), Some("D"));
        assert_eq!(row.extra["customized"], "Y");
    }

    #[test]
    fn legacy_rows_decode_into_the_same_type() {
        let row: ProductRow = serde_json::from_value(json!({
            "ID": "12", "OWNER_ID": "7", "OWNER_TYPE": "D", "PRODUCT_ID": 3,
            "PRODUCT_NAME": "Chair", "ORIGINAL_PRODUCT_NAME": "Chair", "PRICE": 80.0,
            "PRICE_EXCLUSIVE": 80.0, "PRICE_NETTO": 80.0, "PRICE_BRUTTO": 80.0,
            "PRICE_ACCOUNT": "80.00", "QUANTITY": 2.0, "DISCOUNT_TYPE_ID": 2,
            "DISCOUNT_RATE": 0.0, "DISCOUNT_SUM": 0.0, "TAX_RATE": null, "TAX_INCLUDED": "N",
            "MEASURE_CODE": 796, "MEASURE_NAME": "pcs", "SORT": 10, "TYPE": 1
        }))
        .unwrap();
        assert_eq!(row.id.get(), 12);
        assert_eq!(row.owner_id, Some(7));
        assert_eq!(row.product_id.map(Id::get), Some(3));
        assert_eq!(row.price_account.unwrap().as_str(), "80.00");
        assert_eq!(row.quantity.as_str(), "2");
        assert_eq!(row.tax_rate, None);
    }

    #[test]
    fn a_row_without_its_price_does_not_decode() {
        let e = serde_json::from_value::<ProductRow>(json!({"id": 1, "quantity": 1}));
        assert!(e.is_err());
    }
}
