//! Readers of the answers several services share.

use serde_json::Value;

use crate::decode::kind_of;
use crate::error::{Error, ErrorKind, Result};

/// A [`Decoder`](crate::request::Decoder) for methods that answer `true` on success
/// (`crm.deal.productrows.set`, `crm.deal.contact.items.set`); anything else is not what
/// they promise.
pub(super) fn expect_true(value: &Value, what: &str) -> Result<()> {
    match value {
        Value::Bool(true) => Ok(()),
        other => Err(Error::new(
            ErrorKind::Decode,
            format!(
                "unexpected answer at `{what}`: expected true, found {}",
                kind_of(other)
            ),
        )),
    }
}
