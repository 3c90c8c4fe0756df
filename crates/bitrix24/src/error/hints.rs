//! What to do about the portal's errors whose text alone does not say it: appended to an
//! [`Error`](super::Error)'s `Display` after the portal's own description.

use super::ApiErrorCode;

/// The advice for `code`, when there is one.
pub(super) fn for_code(code: &ApiErrorCode) -> Option<&'static str> {
    let ApiErrorCode::Unknown(code) = code else {
        return None;
    };
    Some(match code.as_str() {
        "ENTITY_TYPE_NOT_SUPPORTED" => {
            "product rows belong to leads, deals, estimates, smart invoices and smart processes, \
             named by the short code L, D, Q, SI or T followed by the hex type id: use \
             Owner::deal, Owner::lead or Owner::item"
        }
        "OWNER_NOT_FOUND" => {
            "no record of that type has this id: check the owner's type and id (was it deleted?)"
        }
        "CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_SUM_REQUIRED" => {
            "an absolute or 100 % discount needs its amount per unit: use Discount::Absolute(sum) \
             or Discount::Full { rate, sum }"
        }
        "CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_RATE_REQUIRED" => {
            "a percentage discount needs its rate: use Discount::Percent(rate)"
        }
        "WRONG_DATETIME_FORMAT" => {
            "send the date and time as YYYY-MM-DDThh:mm:ss±hh:mm (a time::OffsetDateTime does)"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{ApiErrorCode, Error};

    #[test]
    fn the_advice_follows_the_portals_own_text() {
        let e = Error::api(
            ApiErrorCode::from("CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_SUM_REQUIRED"),
            "Discount Sum (DISCOUNT_SUM) is required",
            Some(400),
        )
        .with_method("crm.item.productrow.set");
        assert_eq!(
            e.to_string(),
            "Bitrix24 error CRM_PRODUCTROW_NORMALIZATION_DISCOUNT_SUM_REQUIRED (HTTP 400) in \
             crm.item.productrow.set: Discount Sum (DISCOUNT_SUM) is required; an absolute or \
             100 % discount needs its amount per unit: use Discount::Absolute(sum) or \
             Discount::Full { rate, sum }"
        );
        let plain = Error::api(ApiErrorCode::from("SOMETHING_ELSE"), "text", Some(400));
        assert_eq!(
            plain.to_string(),
            "Bitrix24 error SOMETHING_ELSE (HTTP 400): text"
        );
    }
}
