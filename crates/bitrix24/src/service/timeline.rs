//! Timeline comments (`crm.timeline.comment.*`) and to-dos (`crm.activity.todo.add`,
//! `crm.activity.get`): `client.timeline()`, `client.activities()`.

use serde_json::{json, Value};

use crate::client::Client;
use crate::crm::timeline::{marker, Activity, ActivityId, CommentId, TimelineComment, TodoFields};
use crate::crm::types::IntoId;
use crate::crm::Owner;
use crate::request::Request;

/// The timeline of CRM records: `client.timeline()`.
#[derive(Debug, Clone)]
pub struct Timeline {
    client: Client,
}

impl Timeline {
    /// `crm.timeline.comment.add`: a comment (BB code) on `owner`'s timeline; returns its id.
    /// An empty text is refused by the portal (`INVALID_ARG_VALUE`), an owner that does not
    /// exist too (`OWNER_NOT_FOUND`).
    pub fn comment(&self, owner: &Owner, text: impl Into<String>) -> Request<CommentId> {
        let text = text.into();
        let params = owner.type_name().map(|entity_type| {
            json!({ "fields": {
                "ENTITY_ID": owner.id_value(),
                "ENTITY_TYPE": entity_type,
                "COMMENT": text,
            }})
        });
        Request::try_new(&self.client, "crm.timeline.comment.add", params)
    }

    /// `crm.timeline.comment.get`: one comment.
    pub fn get_comment(&self, id: impl IntoId<marker::Comment>) -> Request<TimelineComment> {
        let params = json!({ "id": id.into_id_value() });
        Request::new(&self.client, "crm.timeline.comment.get", params)
    }

    /// `crm.timeline.comment.list`: the comments on `owner`, newest first, one page of up to
    /// 50.
    pub fn comments(&self, owner: &Owner) -> Request<Vec<TimelineComment>> {
        let params = owner.type_name().map(|entity_type| {
            json!({
                "filter": { "ENTITY_ID": owner.id_value(), "ENTITY_TYPE": entity_type },
                "order": { "ID": "DESC" },
            })
        });
        Request::try_new(&self.client, "crm.timeline.comment.list", params)
    }

    /// `crm.timeline.comment.delete`: deletes a comment.
    pub fn delete_comment(&self, id: impl IntoId<marker::Comment>) -> Request<()> {
        let params = json!({ "id": id.into_id_value() });
        Request::ignoring_result(&self.client, "crm.timeline.comment.delete", Ok(params))
    }
}

/// Activities (to-dos, calls, meetings) of CRM records: `client.activities()`.
#[derive(Debug, Clone)]
pub struct Activities {
    client: Client,
}

impl Activities {
    /// `crm.activity.todo.add`: a to-do on `owner`, due at the deadline of `todo`; returns
    /// its id. A deadline the portal cannot read fails with `WRONG_DATETIME_FORMAT`.
    pub fn todo(&self, owner: &Owner, todo: TodoFields) -> Request<ActivityId> {
        let params = owner.type_id().map(|type_id| {
            let mut params = todo.into_params();
            params.insert("ownerTypeId".into(), Value::from(type_id));
            params.insert("ownerId".into(), owner.id_value());
            Value::Object(params)
        });
        Request::try_new(&self.client, "crm.activity.todo.add", params).at(&["id"])
    }

    /// `crm.activity.get`: one activity (a to-do has `PROVIDER_ID` `CRM_TODO`).
    pub fn get(&self, id: impl IntoId<marker::Activity>) -> Request<Activity> {
        let params = json!({ "id": id.into_id_value() });
        Request::new(&self.client, "crm.activity.get", params)
    }

    /// `crm.activity.delete`: deletes an activity.
    pub fn delete(&self, id: impl IntoId<marker::Activity>) -> Request<()> {
        let params = json!({ "id": id.into_id_value() });
        Request::ignoring_result(&self.client, "crm.activity.delete", Ok(params))
    }
}

impl Client {
    /// Timeline comments as [request values](crate::request); see [`Timeline`].
    pub fn timeline(&self) -> Timeline {
        Timeline {
            client: self.clone(),
        }
    }

    /// To-dos and other activities as [request values](crate::request); see [`Activities`].
    pub fn activities(&self) -> Activities {
        Activities {
            client: self.clone(),
        }
    }
}
