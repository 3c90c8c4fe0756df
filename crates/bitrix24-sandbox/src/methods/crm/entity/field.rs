//! The description of one standard field: its storage class, flags and the type
//! `crm.X.fields` reports.

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
