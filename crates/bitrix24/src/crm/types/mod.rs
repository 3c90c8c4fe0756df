//! The value types of the Bitrix24 wire: ids, Y/N flags, dates, money and directory enums,
//! decoded from whatever form the portal sends and encoded in the form it documents.

pub mod date;
mod enums;
mod id;
mod into_id;
mod money;
pub mod yn;

pub(crate) use enums::wire_enum;
pub use enums::{CompanyType, ContactType, DealType, LeadStatus, Semantic, Source, StageId};
pub use id::{marker, CompanyId, ContactId, DealId, Id, LeadId, MultifieldId, UserId};
pub use into_id::{IdOrHandle, IntoId};
pub use money::{Amount, Money};

use serde_json::Value;
use time::{Date, OffsetDateTime};

/// A Rust value the portal accepts in `fields[...]` and `filter[...]`, converted to the form it
/// documents: flags as `"Y"`/`"N"`, dates as `YYYY-MM-DD`, datetimes as
/// `YYYY-MM-DDThh:mm:ss±hh:mm`, amounts and money as exact text, ids as numbers.
pub trait IntoWire {
    /// The JSON value to send.
    fn into_wire(self) -> Value;
}

impl IntoWire for Value {
    fn into_wire(self) -> Value {
        self
    }
}

impl IntoWire for &str {
    fn into_wire(self) -> Value {
        Value::String(self.to_string())
    }
}

impl IntoWire for String {
    fn into_wire(self) -> Value {
        Value::String(self)
    }
}

impl IntoWire for &String {
    fn into_wire(self) -> Value {
        Value::String(self.clone())
    }
}

/// Flags go out as `"Y"`/`"N"`. Boolean *user fields* filtered through `crm.item.list` want
/// `1`/`0` instead: pass integers there.
impl IntoWire for bool {
    fn into_wire(self) -> Value {
        Value::String(yn::to_wire(self).to_string())
    }
}

macro_rules! into_wire_number {
    ($($t:ty),*) => {$(
        impl IntoWire for $t {
            fn into_wire(self) -> Value {
                Value::from(self)
            }
        }
    )*};
}
into_wire_number!(u8, u16, u32, u64, i8, i16, i32, i64);

impl<M> IntoWire for Id<M> {
    fn into_wire(self) -> Value {
        Value::from(self)
    }
}

/// A batch reference goes out as its text (`$result[key][ID]`), which the portal replaces.
impl IntoWire for crate::batch::Ref {
    fn into_wire(self) -> Value {
        Value::String(self.to_string())
    }
}

impl IntoWire for Amount {
    fn into_wire(self) -> Value {
        Value::from(self)
    }
}

impl IntoWire for Money {
    fn into_wire(self) -> Value {
        Value::from(self)
    }
}

impl IntoWire for OffsetDateTime {
    fn into_wire(self) -> Value {
        Value::String(date::format_datetime(self))
    }
}

impl IntoWire for Date {
    fn into_wire(self) -> Value {
        Value::String(date::format_date(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{date, datetime};

    #[test]
    fn values_take_their_documented_wire_form() {
        assert_eq!(true.into_wire(), json!("Y"));
        assert_eq!(false.into_wire(), json!("N"));
        assert_eq!(LeadId::new(5).unwrap().into_wire(), json!(5));
        assert_eq!(Amount::parse("10.50").unwrap().into_wire(), json!("10.50"));
        assert_eq!(date!(2024 - 01 - 02).into_wire(), json!("2024-01-02"));
        assert_eq!(
            datetime!(2024-01-02 03:04:05 +03:00).into_wire(),
            json!("2024-01-02T03:04:05+03:00")
        );
        assert_eq!(LeadStatus::InProcess.into_wire(), json!("IN_PROCESS"));
    }
}
