//! Timeline comments (`crm.timeline.comment.*`) and to-do activities
//! (`crm.activity.todo.add`, read back through `crm.activity.get|list`): the note and the
//! follow-up an order leaves on its deal.

use serde::Deserialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::crm::de;
use crate::crm::types::date::datetime_option;
use crate::crm::types::{yn, Id, IntoWire, UserId};

/// Marker types of timeline ids (see [`Id`]).
pub mod marker {
    /// Marks timeline comment ids.
    #[derive(Debug)]
    pub enum Comment {}
    /// Marks activity ids (to-dos, calls, meetings...).
    #[derive(Debug)]
    pub enum Activity {}
}

/// A timeline comment id.
pub type CommentId = Id<marker::Comment>;
/// An activity id.
pub type ActivityId = Id<marker::Activity>;

/// A timeline comment as `crm.timeline.comment.get|list` return it (UPPER_CASE, ids as
/// text).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub struct TimelineComment {
    /// `ID`.
    pub id: CommentId,
    /// `ENTITY_ID`: the record it is on.
    #[serde(default, deserialize_with = "de::number")]
    pub entity_id: Option<u64>,
    /// `ENTITY_TYPE`: the record's type, lower case (`deal`).
    #[serde(default, deserialize_with = "de::string")]
    pub entity_type: Option<String>,
    /// `CREATED`.
    #[serde(default, with = "datetime_option")]
    pub created: Option<OffsetDateTime>,
    /// `COMMENT`: the text (BB code).
    #[serde(default, deserialize_with = "de::string")]
    pub comment: Option<String>,
    /// `AUTHOR_ID`.
    #[serde(default, deserialize_with = "de::binding")]
    pub author_id: Option<UserId>,
    /// Every other field, as sent (`FILES`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A to-do to add (`crm.activity.todo.add`): when it is due, and optionally its title, text
/// and who does it.
#[derive(Debug, Clone)]
pub struct TodoFields {
    params: Map<String, Value>,
}

impl TodoFields {
    /// A to-do due at `deadline`.
    pub fn new(deadline: OffsetDateTime) -> Self {
        let mut params = Map::new();
        params.insert("deadline".into(), deadline.into_wire());
        Self { params }
    }

    /// `title`.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.params
            .insert("title".into(), Value::from(title.into()));
        self
    }

    /// `description` (BB code).
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.params
            .insert("description".into(), Value::from(text.into()));
        self
    }

    /// `responsibleId`: the employee who does it (default: the caller).
    pub fn responsible(mut self, user: UserId) -> Self {
        self.params
            .insert("responsibleId".into(), Value::from(user));
        self
    }

    /// The parameters, without the owner.
    pub(crate) fn into_params(self) -> Map<String, Value> {
        self.params
    }
}

/// An activity as `crm.activity.get|list` return it (UPPER_CASE, values as text). A to-do
/// has [`provider_id`](Self::provider_id) `CRM_TODO`; its title is the
/// [`subject`](Self::subject).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub struct Activity {
    /// `ID`.
    pub id: ActivityId,
    /// `OWNER_ID`.
    #[serde(default, deserialize_with = "de::number")]
    pub owner_id: Option<u64>,
    /// `OWNER_TYPE_ID`: 2 for a deal.
    #[serde(default, deserialize_with = "de::number")]
    pub owner_type_id: Option<u32>,
    /// `PROVIDER_ID`: `CRM_TODO` for a to-do.
    #[serde(default, deserialize_with = "de::string")]
    pub provider_id: Option<String>,
    /// `SUBJECT`: a to-do's title.
    #[serde(default, deserialize_with = "de::string")]
    pub subject: Option<String>,
    /// `DESCRIPTION`.
    #[serde(default, deserialize_with = "de::string")]
    pub description: Option<String>,
    /// `DEADLINE`.
    #[serde(default, with = "datetime_option")]
    pub deadline: Option<OffsetDateTime>,
    /// `COMPLETED`.
    #[serde(default, with = "yn::option")]
    pub completed: Option<bool>,
    /// `RESPONSIBLE_ID`.
    #[serde(default, deserialize_with = "de::binding")]
    pub responsible_id: Option<UserId>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
