//! Builders for the `fields` of `crm.lead|deal|contact|company.add` and `.update`.

mod entity;
mod item;

use std::marker::PhantomData;

use serde_json::{json, Map, Value};

use crate::crm::filter::check_field;
use crate::crm::multifield::MultifieldKind;
use crate::crm::phone::PhoneFormat;
use crate::crm::types::{marker, IntoId, IntoWire, MultifieldId};
use crate::error::{Error, ErrorKind, Result};

pub use entity::HasMultifields;
pub use item::ItemFields;

/// The longest multifield value the portal stores.
const MAX_MULTIFIELD_LEN: usize = 250;

/// The `fields` of an add or update of the entity `M` (`crm.lead|deal|contact|company.add`
/// and `.update`): [`LeadFields`], [`DealFields`], [`ContactFields`], [`CompanyFields`].
///
/// ```
/// use bitrix24::crm::{LeadFields, PhoneType};
/// let fields = LeadFields::new()
///     .title("Website order")
///     .name("Иван")
///     .phone("+7 903 227-88-74", PhoneType::Work)
///     .opened(true);
/// let map = fields.to_map().unwrap();
/// assert_eq!(map["NAME"], "Иван");
/// assert_eq!(map["OPENED"], "Y");
/// assert_eq!(map["PHONE"][0]["VALUE_TYPE"], "WORK");
/// ```
///
/// # Multifields on update: a merge, not a replace
/// `PHONE`, `EMAIL`, `WEB` and `IM` are lists, and an update *merges* into them:
/// - a value without an id ([`Fields::phone`]...) is **added**; the ones already stored stay.
///   Adding a value identical to a stored one (same type and text) is silently ignored;
/// - a value with the id of a stored one ([`Fields::update_phone`]...) **replaces** it;
/// - [`Fields::delete_multifield`] (`{ID, DELETE: "Y"}`) **removes** one stored value;
/// - values not mentioned are kept. To replace all phones, delete every old id and add the new
///   ones in the same update. The ids are in [`Multifield::id`](crate::crm::Multifield::id).
///
/// Unknown, read-only and (on update) immutable fields are silently ignored by the portal, so a
/// typo in [`Fields::set`] is not an error there; the typed setters avoid that.
pub struct Fields<M> {
    map: Map<String, Value>,
    multi: Vec<MultiWrite>,
    params: Map<String, Value>,
    phone_format: PhoneFormat,
    error: Option<String>,
    marker: PhantomData<fn() -> M>,
}

/// Fields of a lead.
pub type LeadFields = Fields<marker::Lead>;
/// Fields of a deal.
pub type DealFields = Fields<marker::Deal>;
/// Fields of a contact.
pub type ContactFields = Fields<marker::Contact>;
/// Fields of a company.
pub type CompanyFields = Fields<marker::Company>;

#[derive(Debug, Clone, PartialEq)]
enum MultiOp {
    Add {
        value: String,
        value_type: String,
    },
    Update {
        id: MultifieldId,
        value: String,
        value_type: String,
    },
    Delete {
        id: MultifieldId,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct MultiWrite {
    kind: MultifieldKind,
    op: MultiOp,
}

impl<M> Default for Fields<M> {
    fn default() -> Self {
        Self {
            map: Map::new(),
            multi: Vec::new(),
            params: Map::new(),
            phone_format: PhoneFormat::default(),
            error: None,
            marker: PhantomData,
        }
    }
}

impl<M> Clone for Fields<M> {
    fn clone(&self) -> Self {
        Self {
            map: self.map.clone(),
            multi: self.multi.clone(),
            params: self.params.clone(),
            phone_format: self.phone_format.clone(),
            error: self.error.clone(),
            marker: PhantomData,
        }
    }
}

impl<M> std::fmt::Debug for Fields<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fields")
            .field("fields", &self.map)
            .field("multifields", &self.multi)
            .field("params", &self.params)
            .field("error", &self.error)
            .finish()
    }
}

impl<M> Fields<M> {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Any field by its upper-case name, for fields without a typed setter. Unknown names are
    /// silently ignored by the portal, so check the spelling against `crm.X.fields`.
    pub fn set(mut self, name: &str, value: impl IntoWire) -> Self {
        match check_field(name) {
            Ok(()) => {
                self.map.insert(name.to_string(), value.into_wire());
            }
            Err(e) => self.fail(e),
        }
        self
    }

    /// A user field (`UF_CRM_...`). Money fields take [`Money`](crate::crm::types::Money)
    /// (`"100|USD"`); multiple fields take a `Value` array.
    pub fn user_field(self, name: &str, value: impl IntoWire) -> Self {
        if !name.starts_with("UF_") {
            let mut s = self;
            s.fail(format!(
                "`{name}` is not a user field name (they start with UF_)"
            ));
            return s;
        }
        self.set(name, value)
    }

    /// `ASSIGNED_BY_ID`: the responsible user (the calling user when not set on add).
    pub fn assigned_by(self, user: impl IntoId<marker::User>) -> Self {
        self.set("ASSIGNED_BY_ID", user.into_id_value())
    }

    /// `COMMENTS` (BB-code or HTML allowed).
    pub fn comments(self, text: impl Into<String>) -> Self {
        self.set("COMMENTS", text.into())
    }

    /// `OPENED`: visible to every user.
    pub fn opened(self, opened: bool) -> Self {
        self.set("OPENED", opened)
    }

    /// `ORIGINATOR_ID` and `ORIGIN_ID`: the external system and the record's id there.
    pub fn origin(self, originator: impl Into<String>, origin_id: impl Into<String>) -> Self {
        self.set("ORIGINATOR_ID", originator.into())
            .set("ORIGIN_ID", origin_id.into())
    }

    /// `params[REGISTER_SONET_EVENT]`: post to the activity stream and notify the
    /// responsible user.
    pub fn register_sonet_event(mut self, register: bool) -> Self {
        self.params
            .insert("REGISTER_SONET_EVENT".into(), register.into_wire());
        self
    }

    /// How phone numbers added or updated through this builder are written.
    pub fn phone_format(mut self, format: PhoneFormat) -> Self {
        self.phone_format = format;
        self
    }

    /// The `fields` map, or the first mistake ([`ErrorKind::InvalidInput`]).
    pub fn to_map(&self) -> Result<Map<String, Value>> {
        if let Some(e) = &self.error {
            return Err(Error::new(ErrorKind::InvalidInput, e.clone()));
        }
        let mut map = self.map.clone();
        for (n, w) in self.multi.iter().enumerate() {
            let key = w.kind.as_str();
            let entry = match &w.op {
                MultiOp::Add { value, value_type } => {
                    json!({"VALUE": self.value(&w.kind, value, n)?, "VALUE_TYPE": value_type})
                }
                MultiOp::Update {
                    id,
                    value,
                    value_type,
                } => json!({
                    "ID": id,
                    "VALUE": self.value(&w.kind, value, n)?,
                    "VALUE_TYPE": value_type,
                }),
                MultiOp::Delete { id } => json!({"ID": id, "DELETE": "Y"}),
            };
            if self.map.contains_key(key) {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("{key} was set both with set() and with the multifield methods"),
                ));
            }
            if let Value::Array(list) = map
                .entry(key.to_string())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                list.push(entry);
            }
        }
        Ok(map)
    }

    /// The parameters of `crm.X.add`: `{"fields": ..., "params": ...}`.
    pub fn add_params(&self) -> Result<Value> {
        Ok(json!({"fields": self.to_map()?, "params": self.params}))
    }

    /// The parameters of `crm.X.update` for the entity `id` (an id, or a batch handle of one).
    pub fn update_params(&self, id: impl IntoId<M>) -> Result<Value> {
        Ok(json!({"id": id.into_id_value(), "fields": self.to_map()?, "params": self.params}))
    }

    /// A multifield value checked, and formatted when it is a phone.
    fn value(&self, kind: &MultifieldKind, value: &str, n: usize) -> Result<String> {
        let value = match kind {
            MultifieldKind::Phone => self.phone_format.apply(value)?,
            _ => value.to_string(),
        };
        if value.chars().count() > MAX_MULTIFIELD_LEN {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "{kind} value #{} is longer than {MAX_MULTIFIELD_LEN} characters",
                    n + 1
                ),
            ));
        }
        Ok(value)
    }

    fn push_multi(&mut self, kind: MultifieldKind, op: MultiOp) {
        if let MultiOp::Add { value, .. } | MultiOp::Update { value, .. } = &op {
            // The portal skips an empty new value and treats an empty value with an id as a
            // delete: both are almost certainly a bug on the caller's side.
            if value.trim().is_empty() {
                return self.fail(format!(
                    "an empty {kind} value (use delete_multifield to remove a stored one)"
                ));
            }
        }
        self.multi.push(MultiWrite { kind, op });
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }
}
