//! Directory values decoded from the wire (`STATUS_ID`, `SOURCE_ID`, `TYPE_ID`...).
//!
//! Every one of these directories can be extended on a portal (custom statuses are `UC_XXXXXX`,
//! custom sources are whatever the admin typed), so each enum has an `Unknown(String)` variant
//! that keeps the value as written and sends it back unchanged. Parsing never fails.

/// Declares a forward-compatible string enum with `as_str`, `From<&str>`, infallible
/// `FromStr`, `Display`, serde (as the wire text) and `IntoWire`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("`", $wire, "`")] $variant,)*
            /// A value this crate does not know (a custom directory entry), as written.
            Unknown(String),
        }

        impl $name {
            /// The value as written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)*
                    // Custom entries are normal on real portals, so this is not worth a warning.
                    other => {
                        tracing::debug!(value = other, kind = stringify!($name), "custom directory value");
                        Self::Unknown(other.to_string())
                    }
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                // Ids of custom entries are sometimes numeric (`"SOURCE_ID": "1"`), and
                // crm.item.* may send them as numbers.
                match serde_json::Value::deserialize(d)? {
                    serde_json::Value::String(s) => Ok(Self::from(s.as_str())),
                    serde_json::Value::Number(n) => Ok(Self::from(n.to_string().as_str())),
                    other => Err(D::Error::custom(format!(
                        concat!("expected a ", stringify!($name), " value, found {}"),
                        other
                    ))),
                }
            }
        }

        impl $crate::crm::types::IntoWire for $name {
            fn into_wire(self) -> serde_json::Value {
                serde_json::Value::String(self.as_str().to_string())
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum! {
    /// A lead status (`STATUS_ID`, directory `STATUS`).
    LeadStatus {
        New = "NEW",
        InProcess = "IN_PROCESS",
        Processed = "PROCESSED",
        Junk = "JUNK",
        Converted = "CONVERTED",
    }
}

wire_enum! {
    /// Where a lead, contact or deal came from (`SOURCE_ID`, directory `SOURCE`).
    Source {
        Call = "CALL",
        Email = "EMAIL",
        Web = "WEB",
        Advertising = "ADVERTISING",
        Partner = "PARTNER",
        Recommendation = "RECOMMENDATION",
        TradeShow = "TRADE_SHOW",
        WebForm = "WEBFORM",
        Callback = "CALLBACK",
        RcGenerator = "RC_GENERATOR",
        Store = "STORE",
        Other = "OTHER",
    }
}

wire_enum! {
    /// The semantic group of a status or stage (`STATUS_SEMANTIC_ID`, `STAGE_SEMANTIC_ID`).
    Semantic {
        /// In progress.
        Process = "P",
        /// Won / converted.
        Success = "S",
        /// Lost / junk.
        Failure = "F",
    }
}

wire_enum! {
    /// A deal type (`TYPE_ID`, directory `DEAL_TYPE`).
    DealType {
        Sale = "SALE",
        Complex = "COMPLEX",
        Goods = "GOODS",
        Services = "SERVICES",
        Service = "SERVICE",
    }
}

wire_enum! {
    /// A contact type (`TYPE_ID`, directory `CONTACT_TYPE`).
    ContactType {
        Client = "CLIENT",
        Supplier = "SUPPLIER",
        Partner = "PARTNER",
        Other = "OTHER",
    }
}

wire_enum! {
    /// A company type (`COMPANY_TYPE`, directory `COMPANY_TYPE`).
    CompanyType {
        Customer = "CUSTOMER",
        Supplier = "SUPPLIER",
        Competitor = "COMPETITOR",
        Partner = "PARTNER",
        Other = "OTHER",
    }
}

/// A deal stage (`STAGE_ID`). In pipeline 0 stages are plain (`NEW`, `WON`); in pipeline N they
/// are prefixed `C{N}:` (`C9:UC_KN8KFI`), and every pipeline's stages are portal-defined, so
/// this is text with helpers rather than an enum.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct StageId(pub String);

impl StageId {
    /// The stage `code` in pipeline `category_id` (0 is the default pipeline).
    pub fn new(category_id: u32, code: &str) -> Self {
        if category_id == 0 {
            Self(code.to_string())
        } else {
            Self(format!("C{category_id}:{code}"))
        }
    }

    /// The pipeline the stage belongs to, read from its `C{N}:` prefix (0 without one).
    pub fn category_id(&self) -> u32 {
        self.split().0
    }

    /// The stage code without the pipeline prefix (`WON`, `UC_KN8KFI`).
    pub fn code(&self) -> &str {
        self.split().1
    }

    fn split(&self) -> (u32, &str) {
        self.0
            .strip_prefix('C')
            .and_then(|rest| rest.split_once(':'))
            .and_then(|(n, code)| n.parse().ok().map(|n| (n, code)))
            .unwrap_or((0, &self.0))
    }
}

impl std::fmt::Display for StageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl super::IntoWire for StageId {
    fn into_wire(self) -> serde_json::Value {
        serde_json::Value::String(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_custom_values_round_trip() {
        assert_eq!(LeadStatus::from("NEW"), LeadStatus::New);
        let custom: LeadStatus = serde_json::from_str("\"UC_4XK2\"").unwrap();
        assert_eq!(custom, LeadStatus::Unknown("UC_4XK2".into()));
        assert_eq!(serde_json::to_string(&custom).unwrap(), "\"UC_4XK2\"");
        assert_eq!(Source::from("TRADE_SHOW").to_string(), "TRADE_SHOW");
        let numeric: Source = serde_json::from_str("7").unwrap();
        assert_eq!(numeric.as_str(), "7");
        assert!(serde_json::from_str::<Source>("[]").is_err());
    }

    #[test]
    fn stages_know_their_pipeline() {
        let s = StageId("C9:UC_KN8KFI".into());
        assert_eq!((s.category_id(), s.code()), (9, "UC_KN8KFI"));
        let s = StageId("WON".into());
        assert_eq!((s.category_id(), s.code()), (0, "WON"));
        assert_eq!(StageId::new(3, "NEW").0, "C3:NEW");
        assert_eq!(StageId::new(0, "NEW").0, "NEW");
        // Not a pipeline prefix: kept whole.
        let s = StageId("CX:NEW".into());
        assert_eq!((s.category_id(), s.code()), (0, "CX:NEW"));
    }
}
