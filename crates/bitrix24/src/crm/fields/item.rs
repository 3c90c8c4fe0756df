//! [`ItemFields`]: the camelCase `fields` of `crm.item.add` and `crm.item.update`.

use serde_json::{Map, Value};

use crate::crm::types::{marker, Amount, IntoId, IntoWire, Source, StageId};
use crate::error::{Error, ErrorKind, Result};

/// The `fields` of `crm.item.add` / `crm.item.update` (any entity type: leads, deals, smart
/// processes...). Field names are camelCase here (`title`, `assignedById`, `ufCrm5_1700…`);
/// unknown names are silently ignored by the portal, so the typed setters are safer than
/// [`ItemFields::set`].
///
/// ```
/// use bitrix24::crm::ItemFields;
/// let fields = ItemFields::new().title("Order 7").set("ufCrm5_1700000000", "blue");
/// let map = fields.to_map().unwrap();
/// assert_eq!(map["title"], "Order 7");
/// assert!(ItemFields::new().set("TITLE", "x").to_map().is_err()); // classic spelling
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemFields {
    map: Map<String, Value>,
    error: Option<String>,
}

impl ItemFields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Any field by its camelCase name, for fields without a typed setter.
    pub fn set(mut self, name: &str, value: impl IntoWire) -> Self {
        match check_item_field(name) {
            Ok(()) => {
                self.map.insert(name.to_string(), value.into_wire());
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// `title`.
    pub fn title(self, title: impl Into<String>) -> Self {
        self.set("title", title.into())
    }

    /// `assignedById`: the responsible user, an id or a batch handle of one.
    pub fn assigned_by(self, user: impl IntoId<marker::User>) -> Self {
        self.set("assignedById", user.into_id_value())
    }

    /// `stageId`: a stage of the item's pipeline (a lead's status).
    pub fn stage(self, stage: StageId) -> Self {
        self.set("stageId", stage)
    }

    /// `categoryId`: the pipeline.
    pub fn category(self, id: u32) -> Self {
        self.set("categoryId", id)
    }

    /// `opportunity`, sent as exact decimal text.
    pub fn opportunity(self, amount: Amount) -> Self {
        self.set("opportunity", amount)
    }

    /// `currencyId`.
    pub fn currency(self, currency: impl Into<String>) -> Self {
        self.set("currencyId", currency.into())
    }

    /// `sourceId`.
    pub fn source(self, source: Source) -> Self {
        self.set("sourceId", source)
    }

    /// `companyId`: an id, or a batch handle of one.
    pub fn company(self, id: impl IntoId<marker::Company>) -> Self {
        self.set("companyId", id.into_id_value())
    }

    /// `contactId`: an id, or a batch handle of one.
    pub fn contact(self, id: impl IntoId<marker::Contact>) -> Self {
        self.set("contactId", id.into_id_value())
    }

    /// `comments`.
    pub fn comments(self, text: impl Into<String>) -> Self {
        self.set("comments", text.into())
    }

    /// `opened`: visible to every user.
    pub fn opened(self, opened: bool) -> Self {
        self.set("opened", opened)
    }

    /// The `fields` map, or the first mistake ([`ErrorKind::InvalidInput`]).
    pub fn to_map(&self) -> Result<Map<String, Value>> {
        match &self.error {
            Some(e) => Err(Error::new(ErrorKind::InvalidInput, e.clone())),
            None => Ok(self.map.clone()),
        }
    }
}

/// camelCase names: an ASCII lower-case letter first, then letters, digits and `_`.
fn check_item_field(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Ok(());
    }
    Err(format!(
        "`{name}` is not a crm.item field name: they are camelCase (`title`, `assignedById`, \
         `ufCrm5_1700000000`), and the portal silently drops unknown ones"
    ))
}
