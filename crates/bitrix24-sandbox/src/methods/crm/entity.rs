//! The four classic CRM entity kinds and the description of their standard fields, as
//! `crm.{lead,deal,contact,company}.fields` reports them (protocol.md §5.1, §5.2).
//!
//! Every stored field is a real column of the kind's table, named exactly as the field, so
//! filters and orders map to plain SQL (and `ID` is the rowid, which keeps keyset pages fast).

use super::fields;

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

/// How a field is stored and converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// INTEGER column; read back as a decimal string.
    Int,
    /// REAL column holding a decimal(18,2); read back with two decimals (`"0.00"`).
    Money,
    /// TEXT column (COLLATE NOCASE, like the portal's case-insensitive MySQL collation).
    Text,
    /// TEXT `Y`/`N` flag.
    Flag,
    /// INTEGER unix seconds; read back as ISO 8601 in the portal offset.
    DateTime,
    /// TEXT `YYYY-MM-DD`; read back as ISO 8601 midnight (see `values::date_out`).
    Date,
    /// A multifield (PHONE, EMAIL, ...), kept in `crm_fm`, no column.
    Multi,
    /// A write-only list of ids (`CONTACT_IDS`, `COMPANY_IDS`), no column.
    Ids,
}

impl Storage {
    /// True when the field has a column in the entity table.
    pub fn has_column(self) -> bool {
        !matches!(self, Storage::Multi | Storage::Ids)
    }

    /// Numeric storage (LIKE operators fall back to `=` on these).
    pub fn is_numeric(self) -> bool {
        matches!(self, Storage::Int | Storage::Money)
    }
}

/// The field is read-only: dropped on add and update.
pub const RO: u8 = 1;
/// The field is immutable: dropped on update.
pub const IMM: u8 = 2;
/// The field is required.
pub const REQ: u8 = 4;
/// The field is multiple.
pub const MUL: u8 = 8;
/// The field is deprecated (reported as `isDeprecated`).
pub const DEP: u8 = 16;

/// One standard field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Upper-case field name, also the column name.
    pub name: &'static str,
    /// The `type` reported by `crm.X.fields` (`string`, `integer`, `crm_status`, ...).
    pub ty: &'static str,
    /// Storage class.
    pub storage: Storage,
    /// `RO`, `IMM`, `REQ`, `MUL`, `DEP` bits.
    pub flags: u8,
    /// English title.
    pub title: &'static str,
    /// Directory of a `crm_status` field (`statusType`).
    pub status_type: Option<&'static str>,
}

impl Field {
    /// A field description without a directory.
    pub const fn new(
        name: &'static str,
        ty: &'static str,
        storage: Storage,
        flags: u8,
        title: &'static str,
    ) -> Field {
        Field {
            name,
            ty,
            storage,
            flags,
            title,
            status_type: None,
        }
    }

    /// A `crm_status` field bound to a directory.
    pub const fn status(name: &'static str, directory: &'static str, title: &'static str) -> Field {
        Field {
            name,
            ty: "crm_status",
            storage: Storage::Text,
            flags: 0,
            title,
            status_type: Some(directory),
        }
    }

    /// Read-only fields are never written by a caller (except with `params[IMPORT]=Y`).
    pub fn read_only(&self) -> bool {
        self.flags & RO != 0
    }

    /// Immutable fields are written on add only.
    pub fn immutable(&self) -> bool {
        self.flags & IMM != 0
    }

    /// Multiple fields.
    pub fn multiple(&self) -> bool {
        self.flags & MUL != 0
    }

    /// Required fields.
    pub fn required(&self) -> bool {
        self.flags & REQ != 0
    }

    /// Fields whose LIKE filters the portal rewrites to `=` (server-behavior.md §4).
    pub fn like_becomes_equal(&self) -> bool {
        matches!(self.ty, "crm_status" | "crm_company" | "crm_contact")
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
