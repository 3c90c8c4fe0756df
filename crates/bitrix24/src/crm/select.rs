//! `select` and `order` for classic CRM lists.

use serde_json::{Map, Value};

use super::filter::check_field;
use crate::error::{Error, ErrorKind, Result};

/// Builds the `select` list of a classic CRM list.
///
/// ```
/// use bitrix24::crm::Select;
/// let s = Select::new().all().user_fields().phone().email().into_vec().unwrap();
/// assert_eq!(s, ["*", "UF_*", "PHONE", "EMAIL"]);
///
/// // A list of names converts too, each one checked.
/// let s: Select = ["ID", "NAME", "UF_*"].into();
/// assert_eq!(s.into_vec().unwrap(), ["ID", "NAME", "UF_*"]);
/// let s: Select = ["id"].into();
/// assert!(s.into_vec().is_err()); // classic field names are upper case
/// ```
///
/// # What `select` returns on a classic list
///
/// - nothing, or `*`: every standard field, **without** user fields and multifields;
/// - `UF_*`: every user field;
/// - `PHONE`, `EMAIL`, `WEB`, `IM`, `LINK`: that multifield, by name only (there is no
///   wildcard for multifields, and the key is absent for a row that has no such value);
/// - unknown names are ignored, and `ID` is always added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Select {
    fields: Vec<String>,
    error: Option<String>,
}

impl Select {
    /// An empty select (the portal then returns every standard field).
    pub fn new() -> Self {
        Self::default()
    }

    /// `*`: every standard field.
    pub fn all(self) -> Self {
        self.push("*")
    }

    /// `UF_*`: every user field.
    pub fn user_fields(self) -> Self {
        self.push("UF_*")
    }

    /// `PHONE`.
    pub fn phone(self) -> Self {
        self.push("PHONE")
    }

    /// `EMAIL`.
    pub fn email(self) -> Self {
        self.push("EMAIL")
    }

    /// `WEB`.
    pub fn web(self) -> Self {
        self.push("WEB")
    }

    /// `IM`.
    pub fn im(self) -> Self {
        self.push("IM")
    }

    /// One named field (upper case, as the portal wants it); `*` and `UF_*` are the
    /// wildcards of [`Select::all`] and [`Select::user_fields`].
    pub fn field(mut self, name: &str) -> Self {
        if name == "*" || name == "UF_*" {
            return self.push(name);
        }
        if let Err(e) = check_field(name) {
            self.error.get_or_insert(e);
            return self;
        }
        self.push(name)
    }

    fn push(mut self, name: &str) -> Self {
        if !self.fields.iter().any(|f| f == name) {
            self.fields.push(name.to_string());
        }
        self
    }

    /// The list, or the first invalid name ([`ErrorKind::InvalidInput`]).
    pub fn into_vec(self) -> Result<Vec<String>> {
        match self.error {
            Some(e) => Err(Error::new(ErrorKind::InvalidInput, e)),
            None => Ok(self.fields),
        }
    }
}

/// A list of names, each checked as by [`Select::field`].
impl<S: AsRef<str>, const N: usize> From<[S; N]> for Select {
    fn from(names: [S; N]) -> Self {
        names.iter().fold(Select::new(), |s, n| s.field(n.as_ref()))
    }
}

/// A list of names, each checked as by [`Select::field`].
impl<S: AsRef<str>> From<Vec<S>> for Select {
    fn from(names: Vec<S>) -> Self {
        names.iter().fold(Select::new(), |s, n| s.field(n.as_ref()))
    }
}

/// A list of names, each checked as by [`Select::field`].
impl<S: AsRef<str>> From<&[S]> for Select {
    fn from(names: &[S]) -> Self {
        names.iter().fold(Select::new(), |s, n| s.field(n.as_ref()))
    }
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `ASC`.
    Asc,
    /// `DESC`.
    Desc,
}

impl Direction {
    /// `ASC` or `DESC`. (The portal reads any text other than `ASC` as `DESC`.)
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }
}

/// Builds the `order` map: `{FIELD: "ASC"|"DESC"}`, applied in the order given.
///
/// Classic lists add no default order (rows come in database order); page with
/// `order(ID ASC)` for stable results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Order {
    map: Map<String, Value>,
    error: Option<String>,
}

impl Order {
    /// No order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ascending by `field`.
    pub fn asc(self, field: &str) -> Self {
        self.by(field, Direction::Asc)
    }

    /// Descending by `field`.
    pub fn desc(self, field: &str) -> Self {
        self.by(field, Direction::Desc)
    }

    /// By `field` in `direction`.
    pub fn by(mut self, field: &str, direction: Direction) -> Self {
        match check_field(field) {
            Ok(()) => {
                self.map
                    .insert(field.to_string(), Value::from(direction.as_str()));
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// The map, or the first invalid name ([`ErrorKind::InvalidInput`]).
    pub fn into_map(self) -> Result<Map<String, Value>> {
        match self.error {
            Some(e) => Err(Error::new(ErrorKind::InvalidInput, e)),
            None => Ok(self.map),
        }
    }
}
