//! The four classic CRM entity kinds and the description of their standard fields, as
//! `crm.{lead,deal,contact,company}.fields` reports them (protocol.md §5.1, §5.2).
//!
//! Every stored field is a real column of the kind's table, named exactly as the field, so
//! filters and orders map to plain SQL (and `ID` is the rowid, which keeps keyset pages fast).

mod field;
mod fields;

pub use field::{Field, Storage, DEP, IMM, MUL, REQ, RO};

/// A classic CRM entity kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Lead, entity type 1.
    Lead,
    /// Deal, entity type 2.
    Deal,
    /// Contact, entity type 3.
    Contact,
    /// Company, entity type 4.
    Company,
}

impl Kind {
    /// Every kind, in entity-type-id order.
    pub const ALL: [Kind; 4] = [Kind::Lead, Kind::Deal, Kind::Contact, Kind::Company];

    /// The CRM entity type id (1 lead, 2 deal, 3 contact, 4 company).
    pub fn type_id(self) -> i64 {
        match self {
            Kind::Lead => 1,
            Kind::Deal => 2,
            Kind::Contact => 3,
            Kind::Company => 4,
        }
    }

    /// The kind of an entity type id.
    pub fn from_type_id(id: i64) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.type_id() == id)
    }

    /// The lower-case name used in method names, e.g. `lead`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Lead => "lead",
            Kind::Deal => "deal",
            Kind::Contact => "contact",
            Kind::Company => "company",
        }
    }

    /// The kind named in a method name (`lead`, `deal`, ...).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Upper-case name used in event names, e.g. `LEAD` in `ONCRMLEADADD`.
    pub fn upper(self) -> &'static str {
        match self {
            Kind::Lead => "LEAD",
            Kind::Deal => "DEAL",
            Kind::Contact => "CONTACT",
            Kind::Company => "COMPANY",
        }
    }

    /// Capitalised name used in messages, e.g. "Lead is not found".
    pub fn title(self) -> &'static str {
        match self {
            Kind::Lead => "Lead",
            Kind::Deal => "Deal",
            Kind::Contact => "Contact",
            Kind::Company => "Company",
        }
    }

    /// The SQL table holding this kind's rows.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Lead => "crm_lead",
            Kind::Deal => "crm_deal",
            Kind::Contact => "crm_contact",
            Kind::Company => "crm_company",
        }
    }

    /// The user-field entity id, e.g. `CRM_LEAD`.
    pub fn uf_entity(self) -> &'static str {
        match self {
            Kind::Lead => "CRM_LEAD",
            Kind::Deal => "CRM_DEAL",
            Kind::Contact => "CRM_CONTACT",
            Kind::Company => "CRM_COMPANY",
        }
    }

    /// The standard fields of this kind, in the portal's output order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Lead => fields::LEAD,
            Kind::Deal => fields::DEAL,
            Kind::Contact => fields::CONTACT,
            Kind::Company => fields::COMPANY,
        }
    }

    /// A standard field by exact (upper-case) name.
    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }

    /// True when the kind has PHONE/EMAIL/WEB/IM/LINK (deals have none).
    pub fn has_multifields(self) -> bool {
        self != Kind::Deal
    }
}

/// The multifield type ids, in the portal's output order.
pub const MULTI_TYPES: [&str; 5] = ["PHONE", "EMAIL", "WEB", "IM", "LINK"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_ids_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_type_id(k.type_id()), Some(k));
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_type_id(5), None);
    }

    #[test]
    fn every_kind_starts_with_a_read_only_id() {
        for k in Kind::ALL {
            let id = k.fields().first().expect("fields");
            assert_eq!(id.name, "ID");
            assert!(id.read_only());
        }
    }

    #[test]
    fn deals_have_no_multifields() {
        assert!(Kind::Deal.field("PHONE").is_none());
        assert!(Kind::Lead.field("PHONE").is_some());
        assert!(!Kind::Deal.has_multifields());
    }
}
