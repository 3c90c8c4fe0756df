//! The computed prices of a product row, as `Accounting::calculateProductPrices` derives them
//! (orders-timeline.md §1.3): `price` is the final unit price (after discount, with tax);
//! the rest follows from it, the tax rate and the discount.

/// Discount type ids (`Crm\Discount`).
pub const MONETARY: i64 = 1;
/// Percent discount.
pub const PERCENTAGE: i64 = 2;

/// Prices are rounded to 8 decimals, rates to 4, quantities to 4.
const PRICE_PRECISION: i32 = 8;
const RATE_PRECISION: i32 = 4;
/// Quantity precision.
pub const QUANTITY_PRECISION: i32 = 4;

/// What the computation reads.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Input {
    /// Final unit price.
    pub price: f64,
    /// Tax rate in percent; `None` is no tax.
    pub tax_rate: Option<f64>,
    /// `1` absolute, `2` percent; anything else becomes percent with no discount.
    pub discount_type_id: i64,
    /// Discount in percent (`None`: not given).
    pub discount_rate: Option<f64>,
    /// Discount per unit (`None`: not given).
    pub discount_sum: Option<f64>,
    /// Given unit prices the legacy API lets a caller write (the new API never passes them).
    pub given_exclusive: Option<f64>,
    /// Given price before discount, without tax (legacy only).
    pub given_netto: Option<f64>,
    /// Given price before discount, with tax (legacy only).
    pub given_brutto: Option<f64>,
}

/// What it derives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prices {
    /// Final unit price, rounded.
    pub price: f64,
    /// After discount, without tax.
    pub exclusive: f64,
    /// Before discount, without tax.
    pub netto: f64,
    /// Before discount, with tax.
    pub brutto: f64,
    /// The discount type after normalisation.
    pub discount_type_id: i64,
    /// Discount in percent.
    pub discount_rate: f64,
    /// Discount per unit.
    pub discount_sum: f64,
    /// The tax rate, rounded (`None` stays `None`).
    pub tax_rate: Option<f64>,
}

/// A discount the portal refuses, with its error code and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Percent discount without a rate.
    RateRequired,
    /// Absolute discount without a sum, or a 100 % discount without the sum.
    SumRequired {
        /// True for the 100 % case (another text).
        full_rate: bool,
    },
}

impl Refused {
    /// The `ProductRow::ERROR_CODE_NORMALIZATION_*` code.
    pub fn code(self) -> &'static str {
        match self {
            Refused::RateRequired => "CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_RATE_REQUIRED",
            Refused::SumRequired { .. } => "CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_SUM_REQUIRED",
        }
    }

    /// The text of the error.
    pub fn text(self) -> &'static str {
        match self {
            Refused::RateRequired => {
                "Discount Rate (DISCOUNT_RATE) is required if Percentage Discount Type (DISCOUNT_TYPE_ID) is defined."
            }
            Refused::SumRequired { full_rate: false } => {
                "Discount Sum (DISCOUNT_SUM) is required if Monetary Discount Type (DISCOUNT_TYPE_ID) is defined."
            }
            Refused::SumRequired { full_rate: true } => {
                "Discount Sum (DISCOUNT_SUM) is required if Percentage Discount Type (DISCOUNT_TYPE_ID) is defined and Discount Rate (DISCOUNT_RATE) is 100%"
            }
        }
    }
}

/// PHP `round($x, $precision)`.
pub fn round(x: f64, precision: i32) -> f64 {
    let factor = 10f64.powi(precision);
    let r = (x * factor).round() / factor;
    if r.is_finite() {
        r
    } else {
        x
    }
}

/// Runs the computation.
pub fn compute(input: &Input) -> Result<Prices, Refused> {
    let mut type_id = input.discount_type_id;
    let (mut rate_in, mut sum_in) = (input.discount_rate, input.discount_sum);
    if type_id != MONETARY && type_id != PERCENTAGE {
        type_id = PERCENTAGE;
        rate_in = Some(0.0);
        sum_in = Some(0.0);
    }
    let tax = input.tax_rate.map(|t| round(t, RATE_PRECISION));
    let tax_factor = 1.0 + tax.unwrap_or(0.0) / 100.0;
    let price = input.price;
    let mut exclusive = input.given_exclusive.unwrap_or(0.0);
    if exclusive == 0.0 && price != 0.0 {
        exclusive = price / tax_factor;
    }
    let (rate, discount) = if type_id == PERCENTAGE {
        let rate = rate_in.ok_or(Refused::RateRequired)?;
        if rate == 100.0 {
            match sum_in.filter(|s| *s != 0.0) {
                Some(sum) => (rate, sum),
                None => return Err(Refused::SumRequired { full_rate: true }),
            }
        } else {
            (rate, exclusive * 100.0 / (100.0 - rate) - exclusive)
        }
    } else {
        let sum = sum_in.ok_or(Refused::SumRequired { full_rate: false })?;
        let rate = rate_in.unwrap_or_else(|| discount_rate(exclusive + sum, exclusive));
        (rate, sum)
    };
    let netto = input.given_netto.unwrap_or(exclusive + discount);
    let brutto = input.given_brutto.unwrap_or(netto * tax_factor);
    Ok(Prices {
        price: round(price, PRICE_PRECISION),
        exclusive: round(exclusive, PRICE_PRECISION),
        netto: round(netto, PRICE_PRECISION),
        brutto: round(brutto, PRICE_PRECISION),
        discount_type_id: type_id,
        discount_rate: round(rate, RATE_PRECISION),
        discount_sum: round(discount, PRICE_PRECISION),
        tax_rate: tax,
    })
}

/// `Accounting::calculateDiscountRate`.
fn discount_rate(original: f64, price: f64) -> f64 {
    if original == 0.0 {
        0.0
    } else if price == 0.0 {
        if original > 0.0 {
            100.0
        } else {
            -100.0
        }
    } else {
        100.0 * (original - price) / original
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 0.02
    }

    /// The two examples of the docs (orders-timeline.md §1.3), within their 2-decimal rounding.
    #[test]
    fn docs_examples() {
        let p = compute(&Input {
            price: 80000.0,
            tax_rate: Some(20.0),
            discount_type_id: PERCENTAGE,
            discount_rate: Some(20.0),
            discount_sum: Some(0.0),
            ..Input::default()
        })
        .expect("computes");
        assert!(close(p.exclusive, 66666.67), "{p:?}");
        assert!(close(p.netto, 83333.34), "{p:?}");
        assert!(close(p.brutto, 100000.01), "{p:?}");
        assert!(close(p.discount_sum, 16666.67), "{p:?}");
        let p = compute(&Input {
            price: 90000.0,
            tax_rate: Some(10.0),
            discount_type_id: PERCENTAGE,
            discount_rate: Some(10.0),
            discount_sum: None,
            ..Input::default()
        })
        .expect("computes");
        assert!(close(p.exclusive, 81818.18), "{p:?}");
        assert!(close(p.netto, 90909.09), "{p:?}");
        assert!(close(p.brutto, 100000.0), "{p:?}");
        assert!(close(p.discount_sum, 9090.91), "{p:?}");
    }

    #[test]
    fn absolute_discount_derives_the_rate() {
        let p = compute(&Input {
            price: 90.0,
            discount_type_id: MONETARY,
            discount_sum: Some(10.0),
            ..Input::default()
        })
        .expect("computes");
        assert_eq!(p.netto, 100.0);
        assert_eq!(p.discount_rate, 10.0);
        assert_eq!(p.tax_rate, None);
    }

    #[test]
    fn refused_discounts() {
        let base = Input {
            price: 10.0,
            ..Input::default()
        };
        let r = compute(&Input {
            discount_type_id: PERCENTAGE,
            ..base
        });
        assert_eq!(r, Err(Refused::RateRequired));
        let r = compute(&Input {
            discount_type_id: MONETARY,
            ..base
        });
        assert_eq!(r, Err(Refused::SumRequired { full_rate: false }));
        let r = compute(&Input {
            discount_type_id: PERCENTAGE,
            discount_rate: Some(100.0),
            discount_sum: Some(0.0),
            ..base
        });
        assert_eq!(r, Err(Refused::SumRequired { full_rate: true }));
        let p = compute(&Input {
            discount_type_id: 9,
            ..base
        })
        .expect("an unknown type is no discount");
        assert_eq!((p.discount_type_id, p.discount_rate), (PERCENTAGE, 0.0));
    }
}
