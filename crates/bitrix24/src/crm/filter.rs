//! A typed filter for classic `crm.lead|deal|contact|company.list`.

use serde_json::{Map, Value};

use crate::crm::types::IntoWire;
use crate::error::{Error, ErrorKind, Result};

const MULTIFIELDS: [&str; 5] = ["PHONE", "EMAIL", "WEB", "IM", "LINK"];

/// Builds the `filter` parameter of a classic CRM list.
///
/// ```
/// use bitrix24::crm::Filter;
/// let f = Filter::new().eq("STATUS_ID", "NEW").gt("ID", 5).like("TITLE", "acme");
/// let map = f.into_map().unwrap();
/// assert_eq!(map["STATUS_ID"], "NEW");
/// assert_eq!(map[">ID"], 5);
/// assert_eq!(map["%TITLE"], "acme");
/// ```
///
/// Errors (a lower-case field, `%` in a [`Filter::like`] value, an operator on `PHONE`) are
/// kept and reported when the list is sent ([`List::filter`](crate::list::List::filter)), or
/// by [`Filter::into_map`] for your own parameters. `Filter` is deliberately not `Serialize`:
/// a serializer cannot report the mistake without a panic inside `json!`. Setting the same
/// operator and field twice keeps the last value.
///
/// # The classic filter
///
/// The classic filter is a map whose keys carry the operator before the field name
/// (`filter[>ID]=5`, `filter[%TITLE]=acme`). [`Filter`] writes those keys for you and catches,
/// before anything is sent, the mistakes the portal would silently swallow.
///
/// # Portal quirks (read from its source)
/// - **Unknown keys are silently dropped**, and keys are case-sensitive: `title` is unknown,
///   so `filter[title]=x` returns the *unfiltered* list. Field names here must therefore be
///   upper case (`TITLE`, `UF_CRM_1700000000`).
/// - **`!%` is not negated** on string fields (`PrepareWhere` never applies the negation in its
///   LIKE branch): [`Filter::not_like`] behaves like [`Filter::like`] on a real portal.
/// - **`PHONE`/`EMAIL`/`WEB`/`IM` only work as bare keys**, and then as a raw *prefix* match on
///   the stored text (no normalisation: `79991234567` does not find `+7 (999) 123-45-67`;
///   `_` is a wildcard; only the first value of a list is used). Any operator on them is
///   ignored by the portal and the whole list comes back, so this builder refuses it. For a
///   real phone lookup use [`find_by_phone`](crate::crm::phone::find_by_phone).
/// - LIKE operators on status, company and contact fields are turned into `=`; LIKE on numbers
///   falls back to `=`; dates accept only `= < > <= >=`.
/// - Classic lists have no OR: `LOGIC` is dropped. Use several calls, or `crm.item.list`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    map: Map<String, Value>,
    error: Option<String>,
}

impl Filter {
    /// An empty filter (every row).
    pub fn new() -> Self {
        Self::default()
    }

    /// `FIELD = value`. On `PHONE`/`EMAIL`/`WEB`/`IM` this is a raw prefix match (see the
    /// module docs). An empty value matches empty and NULL fields.
    pub fn eq(self, field: &str, value: impl IntoWire) -> Self {
        self.op("", field, value.into_wire())
    }

    /// `FIELD != value` (`!FIELD`; empty or NULL fields match too).
    pub fn ne(self, field: &str, value: impl IntoWire) -> Self {
        self.op("!", field, value.into_wire())
    }

    /// `FIELD > value` (`>FIELD`).
    pub fn gt(self, field: &str, value: impl IntoWire) -> Self {
        self.op(">", field, value.into_wire())
    }

    /// `FIELD >= value` (`>=FIELD`).
    pub fn ge(self, field: &str, value: impl IntoWire) -> Self {
        self.op(">=", field, value.into_wire())
    }

    /// `FIELD < value` (`<FIELD`).
    pub fn lt(self, field: &str, value: impl IntoWire) -> Self {
        self.op("<", field, value.into_wire())
    }

    /// `FIELD <= value` (`<=FIELD`).
    pub fn le(self, field: &str, value: impl IntoWire) -> Self {
        self.op("<=", field, value.into_wire())
    }

    /// `FIELD IN (values)` (`@FIELD`). An empty list matches nothing.
    pub fn in_<V: IntoWire>(self, field: &str, values: impl IntoIterator<Item = V>) -> Self {
        let list = values.into_iter().map(IntoWire::into_wire).collect();
        self.op("@", field, Value::Array(list))
    }

    /// `FIELD NOT IN (values)` (`!@FIELD`).
    pub fn not_in<V: IntoWire>(self, field: &str, values: impl IntoIterator<Item = V>) -> Self {
        let list = values.into_iter().map(IntoWire::into_wire).collect();
        self.op("!@", field, Value::Array(list))
    }

    /// Contains `text` (`%FIELD`, SQL `LIKE '%text%'`, case-insensitive by the portal's
    /// collation). `text` must not contain `%`; use [`Filter::like_raw`] for your own pattern.
    pub fn like(self, field: &str, text: &str) -> Self {
        if text.contains('%') {
            return self.fail(format!(
                "`%` in the like() value for {field}: the portal adds the wildcards itself; \
                 use like_raw(\"{field}\", \"...%\") for your own pattern"
            ));
        }
        self.op("%", field, Value::String(text.to_string()))
    }

    /// Matches your own LIKE `pattern` (`=%FIELD`): `"mol%"` starts with, `"%mol"` ends with,
    /// `"%mol%"` contains. `_` matches any one character.
    pub fn like_raw(self, field: &str, pattern: &str) -> Self {
        self.op("=%", field, Value::String(pattern.to_string()))
    }

    /// Does not contain `text` (`!%FIELD`).
    ///
    /// **Quirk:** on a real portal this is *not* negated for string fields: it returns the rows
    /// that *do* contain `text`. Filter on the client side if you need the negation.
    pub fn not_like(self, field: &str, text: &str) -> Self {
        if text.contains('%') {
            return self.fail(format!(
                "`%` in the not_like() value for {field}: use not_like_raw for your own pattern"
            ));
        }
        self.op("!%", field, Value::String(text.to_string()))
    }

    /// Does not match your own LIKE `pattern` (`!=%FIELD`); the same quirk as
    /// [`Filter::not_like`] applies.
    pub fn not_like_raw(self, field: &str, pattern: &str) -> Self {
        self.op("!=%", field, Value::String(pattern.to_string()))
    }

    /// Any key and value, unchecked, for operators this builder does not name (`?TITLE`, the
    /// `'^%^'` "not empty" marker...).
    pub fn raw(mut self, key: impl Into<String>, value: impl IntoWire) -> Self {
        self.map.insert(key.into(), value.into_wire());
        self
    }

    /// The `filter` map, or the first mistake found while building it
    /// ([`ErrorKind::InvalidInput`]).
    pub fn into_map(self) -> Result<Map<String, Value>> {
        match self.error {
            Some(e) => Err(Error::new(ErrorKind::InvalidInput, e)),
            None => Ok(self.map),
        }
    }

    fn op(mut self, prefix: &str, field: &str, value: Value) -> Self {
        if self.error.is_some() {
            return self;
        }
        if let Err(e) = check_field(field) {
            return self.fail(e);
        }
        if !prefix.is_empty() && MULTIFIELDS.contains(&field) {
            return self.fail(format!(
                "`{prefix}{field}`: the portal ignores operators on {field} and returns the \
                 whole list; use eq(\"{field}\", ..) for a prefix match, or find_by_phone"
            ));
        }
        self.map.insert(format!("{prefix}{field}"), value);
        self
    }

    fn fail(mut self, message: String) -> Self {
        self.error.get_or_insert(message);
        self
    }
}

/// Field names of classic CRM lists: upper-case letters, digits and `_`.
pub(crate) fn check_field(field: &str) -> std::result::Result<(), String> {
    if field.is_empty() {
        return Err("an empty field name".into());
    }
    let ok = field
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if ok {
        return Ok(());
    }
    if field.chars().any(|c| c.is_ascii_lowercase()) {
        Err(format!(
            "`{field}`: classic CRM field names are upper case, and the portal silently drops \
             unknown ones; write `{}`",
            field.to_ascii_uppercase()
        ))
    } else {
        Err(format!(
            "`{field}` is not a field name (put the operator in the method, e.g. gt(\"ID\", 5))"
        ))
    }
}
