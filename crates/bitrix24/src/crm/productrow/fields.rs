//! [`ProductRowFields`]: a row to write, in the camelCase of `crm.item.productrow.*` or the
//! UPPER_CASE of the legacy `crm.deal.productrows.set`.

use serde_json::{Map, Value};

use crate::crm::catalog::marker;
use crate::crm::types::{Amount, IntoId};

/// A row's discount: an amount off each unit, or a percentage.
///
/// The portal computes the other half (`discountSum` from a rate, `discountRate` from a sum).
/// A 100 % discount leaves nothing to compute the sum from: the portal refuses it with
/// `CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_SUM_REQUIRED` unless the sum is given too
/// ([`Discount::Full`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Discount {
    /// A percentage off the price before the discount (`discountTypeId` 2).
    Percent(Amount),
    /// An amount off each unit (`discountTypeId` 1).
    Absolute(Amount),
    /// A percentage with its per-unit amount given too (a 100 % discount needs it).
    Full {
        /// The percentage.
        rate: Amount,
        /// The amount off each unit.
        sum: Amount,
    },
}

/// A product row to add or set, in the order of the deal's card.
///
/// The final unit price is required: the portal stores a row sent without one at price 0
/// without a word, so the constructors take it. It is the price the customer pays per unit,
/// **after the discount and with tax**; the portal works out the prices before discount and
/// without tax from it.
///
/// ```
/// use bitrix24::crm::productrow::{Discount, ProductRowFields};
/// use bitrix24::crm::types::Amount;
///
/// let sofa = ProductRowFields::new("Sofa", Amount::parse("80000")?)
///     .quantity(Amount::from(2))
///     .discount(Discount::Percent(Amount::from(20)))
///     .tax(Amount::from(20), true)
///     .measure(796, "pcs");
/// let wire = sofa.to_item_map();
/// assert_eq!(wire["price"], "80000");
/// assert_eq!(wire["discountTypeId"], 2);
/// assert_eq!(sofa.to_legacy_map()["DISCOUNT_RATE"], "20");
/// # Ok::<(), bitrix24::Error>(())
/// ```
///
/// A row without a price does not compile:
///
/// ```compile_fail
/// let row = bitrix24::crm::productrow::ProductRowFields::new("Sofa");
/// ```
#[derive(Debug, Clone)]
pub struct ProductRowFields {
    name: Option<String>,
    product: Option<Value>,
    price: Amount,
    quantity: Option<Amount>,
    discount: Option<Discount>,
    tax: Option<(Amount, bool)>,
    measure: Option<(u32, Option<String>)>,
    sort: Option<i64>,
    xml_id: Option<String>,
}

impl ProductRowFields {
    /// A row typed in by hand: `name` at the final unit `price`.
    pub fn new(name: impl Into<String>, price: Amount) -> Self {
        Self::with(Some(name.into()), None, price)
    }

    /// A row of a catalog product at the final unit `price` (the catalog's price is not
    /// copied onto rows); its name and unit come from the catalog unless set here.
    pub fn from_product(product: impl IntoId<marker::Product>, price: Amount) -> Self {
        Self::with(None, Some(product.into_id_value()), price)
    }

    fn with(name: Option<String>, product: Option<Value>, price: Amount) -> Self {
        Self {
            name,
            product,
            price,
            quantity: None,
            discount: None,
            tax: None,
            measure: None,
            sort: None,
            xml_id: None,
        }
    }

    /// The row's name (for a catalog product: instead of the catalog's).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// How many units (default 1; the portal keeps 4 decimals).
    pub fn quantity(mut self, quantity: Amount) -> Self {
        self.quantity = Some(quantity);
        self
    }

    /// The discount (default none).
    pub fn discount(mut self, discount: Discount) -> Self {
        self.discount = Some(discount);
        self
    }

    /// The tax rate in percent, and whether the tax is shown as included in the price.
    /// The price is taken as the price with tax either way.
    pub fn tax(mut self, rate: Amount, included: bool) -> Self {
        self.tax = Some((rate, included));
        self
    }

    /// The unit: its code (`catalog_measure.code`: 796 pieces, 163 grams...) and symbol. An
    /// unknown code becomes the product's unit or the portal's default.
    pub fn measure(mut self, code: u32, name: impl Into<String>) -> Self {
        self.measure = Some((code, Some(name.into())));
        self
    }

    /// The unit by its code only: the portal fills in its symbol.
    pub fn measure_code(mut self, code: u32) -> Self {
        self.measure = Some((code, None));
        self
    }

    /// The position in the card (lower first).
    pub fn sort(mut self, sort: i64) -> Self {
        self.sort = Some(sort);
        self
    }

    /// An external id, e.g. the shop's basket line.
    pub fn xml_id(mut self, id: impl Into<String>) -> Self {
        self.xml_id = Some(id.into());
        self
    }

    /// The `(camelCase, UPPER_CASE)` pairs of what is set, in the portal's types.
    fn pairs(&self) -> Vec<(&'static str, &'static str, Value)> {
        let mut out = vec![("price", "PRICE", Value::from(self.price.clone()))];
        if let Some(id) = &self.product {
            out.push(("productId", "PRODUCT_ID", id.clone()));
        }
        if let Some(name) = &self.name {
            out.push(("productName", "PRODUCT_NAME", Value::from(name.as_str())));
        }
        if let Some(q) = &self.quantity {
            out.push(("quantity", "QUANTITY", Value::from(q.clone())));
        }
        match &self.discount {
            None => {}
            Some(Discount::Percent(rate)) => {
                out.push(("discountTypeId", "DISCOUNT_TYPE_ID", Value::from(2)));
                out.push(("discountRate", "DISCOUNT_RATE", Value::from(rate.clone())));
            }
            Some(Discount::Absolute(sum)) => {
                out.push(("discountTypeId", "DISCOUNT_TYPE_ID", Value::from(1)));
                out.push(("discountSum", "DISCOUNT_SUM", Value::from(sum.clone())));
            }
            Some(Discount::Full { rate, sum }) => {
                out.push(("discountTypeId", "DISCOUNT_TYPE_ID", Value::from(2)));
                out.push(("discountRate", "DISCOUNT_RATE", Value::from(rate.clone())));
                out.push(("discountSum", "DISCOUNT_SUM", Value::from(sum.clone())));
            }
        }
        if let Some((rate, included)) = &self.tax {
            out.push(("taxRate", "TAX_RATE", Value::from(rate.clone())));
            let flag = if *included { "Y" } else { "N" };
            out.push(("taxIncluded", "TAX_INCLUDED", Value::from(flag)));
        }
        if let Some((code, name)) = &self.measure {
            out.push(("measureCode", "MEASURE_CODE", Value::from(*code)));
            if let Some(name) = name {
                out.push(("measureName", "MEASURE_NAME", Value::from(name.as_str())));
            }
        }
        if let Some(sort) = self.sort {
            out.push(("sort", "SORT", Value::from(sort)));
        }
        if let Some(id) = &self.xml_id {
            out.push(("xmlId", "XML_ID", Value::from(id.as_str())));
        }
        out
    }

    /// The row as `crm.item.productrow.add|set` take it (camelCase keys).
    pub fn to_item_map(&self) -> Map<String, Value> {
        self.pairs()
            .into_iter()
            .map(|(camel, _, v)| (camel.to_string(), v))
            .collect()
    }

    /// The row as the legacy `crm.deal.productrows.set` takes it (UPPER_CASE keys).
    pub fn to_legacy_map(&self) -> Map<String, Value> {
        self.pairs()
            .into_iter()
            .map(|(_, upper, v)| (upper.to_string(), v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crm::catalog::ProductId;

    #[test]
    fn only_what_is_set_goes_out() {
        let row = ProductRowFields::new("Chair", Amount::parse("80.00").unwrap());
        let map = row.to_item_map();
        assert_eq!(map.len(), 2, "{map:?}");
        assert_eq!(map["productName"], "Chair");
        assert_eq!(map["price"], "80.00");
    }

    #[test]
    fn a_catalog_row_names_its_product_and_each_discount_its_type() {
        let product = ProductId::new(3).unwrap();
        let row = ProductRowFields::from_product(product, Amount::from(90))
            .discount(Discount::Absolute(Amount::from(10)))
            .sort(20);
        let map = row.to_item_map();
        assert_eq!(map["productId"], 3);
        assert!(!map.contains_key("productName"));
        assert_eq!(
            (&map["discountTypeId"], &map["discountSum"]),
            (&1.into(), &"10".into())
        );
        let full = ProductRowFields::new("Gift", Amount::from(0)).discount(Discount::Full {
            rate: Amount::from(100),
            sum: Amount::from(15),
        });
        let legacy = full.to_legacy_map();
        assert_eq!(legacy["DISCOUNT_RATE"], "100");
        assert_eq!(legacy["DISCOUNT_SUM"], "15");
    }
}
