//! A query parameter holding a secret. tokio-postgres logs every query's parameters with
//! `Debug` at debug level (through the `log` crate), so a program that turns its logs up
//! would print the tokens of a record passed as a plain string; this one shows as
//! `[redacted]` and is sent as the text it holds.

use bytes::BytesMut;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// Text sent to the server as it is and never shown.
pub(crate) struct Redacted<'a>(pub &'a str);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl ToSql for Redacted<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.0.to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_nothing_and_writes_the_text() {
        let secret = Redacted("refresh-token-value");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        let mut out = BytesMut::new();
        secret.to_sql(&Type::TEXT, &mut out).expect("text");
        assert_eq!(&out[..], b"refresh-token-value");
        assert!(Redacted::accepts(&Type::TEXT) && !Redacted::accepts(&Type::INT8));
    }
}
