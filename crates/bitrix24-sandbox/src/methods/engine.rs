//! Conventions of the portal's D7 controllers (`crm.item.*`, `crm.item.productrow.*`,
//! `crm.timeline.logmessage.*`, `crm.activity.todo.*`, `catalog.*`): action parameters bound by
//! their exact name, a missing one answered with `"100"` (orders-timeline.md §0), and list
//! pages with `total` and `next` lifted to the top level.

use crate::error::ApiError;
use crate::methods::{Call, Output};
use serde_json::{json, Value};

/// The page size of controller lists.
pub const PAGE_SIZE: i64 = 50;

/// A required action parameter by its exact (case-sensitive) name; absent or `null` is
/// `"100"` "Could not find value for parameter {name}".
pub fn required<'a>(call: &'a Call<'_>, name: &str) -> Result<&'a Value, ApiError> {
    call.param(name)
        .filter(|v| !v.is_null())
        .ok_or_else(|| ApiError::missing_parameter(name))
}

/// A `Page` answer: `{"<key>": [rows]}` with `total` and, when more rows follow, `next`.
pub fn page(key: &str, rows: Vec<Value>, start: i64, page_size: i64, total: i64) -> Output {
    Output::page(
        json!({ key: rows }),
        next(start, page_size, total),
        Some(total),
    )
}

/// The `start` of the page after the one at `offset`, when rows follow (saturating: a `start`
/// near `i64::MAX` is simply past the end).
pub fn next(offset: i64, page_size: i64, total: i64) -> Option<i64> {
    let following = offset.max(0).saturating_add(page_size);
    (following < total).then_some(following)
}

/// The offset a `start` parameter asks for: whole pages, as `PageNavigation` counts them.
pub fn offset(start: i64, page_size: i64) -> i64 {
    if start <= 0 {
        0
    } else {
        (start / page_size) * page_size
    }
}
