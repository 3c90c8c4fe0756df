//! `crm.activity.todo.add` (orders-timeline.md §4.3): top-level parameters, `deadline`
//! required, `{"id": N}`; the row is a provider activity (`TYPE_ID` 6, `CRM_TODO`).

use crate::error::ApiError;
use crate::methods::crm::store::{self, Kind};
use crate::methods::crm::values;
use crate::methods::engine::required;
use crate::methods::{Call, Output};
use crate::php::value::{as_string, elements, intval};
use rusqlite::{params, OptionalExtension};
use serde_json::json;

/// `CCrmActivityType::Provider`.
pub const PROVIDER_TYPE: i64 = 6;

/// `crm.activity.todo.add`. Checks in the controller's order: the owner identifier
/// (`NOT_FOUND`), the deadline (`WRONG_DATETIME_FORMAT`), then the owner itself.
pub fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let owner_type_id = intval(required(call, "ownerTypeId")?);
    let owner_id = intval(required(call, "ownerId")?);
    let deadline_text = as_string(required(call, "deadline")?).unwrap_or_default();
    let kind = Kind::from_type_id(owner_type_id)
        .filter(|_| owner_id > 0)
        .ok_or_else(|| ApiError::bad_request("NOT_FOUND", "Owner identifier is not valid"))?;
    let offset = call.portal.config.utc_offset;
    let deadline = values::parse_datetime(&deadline_text, offset).ok_or_else(|| {
        ApiError::bad_request(
            "WRONG_DATETIME_FORMAT",
            format!("Wrong datetime format: '{deadline_text}'"),
        )
    })?;
    if !store::exists(call.db, kind, owner_id)? {
        return Err(ApiError::bad_request(
            "OWNER_NOT_FOUND",
            "Owner was not found",
        ));
    }
    let text = |name: &str| call.param(name).and_then(as_string).unwrap_or_default();
    let title = text("title");
    let description = text("description");
    let responsible = call
        .param("responsibleId")
        .map(intval)
        .filter(|id| *id > 0)
        .unwrap_or(call.caller.user_id);
    // An unknown parent is dropped silently, as the controller does.
    let parent = call.param("parentActivityId").map_or(0, intval);
    let parent = if parent > 0
        && call
            .db
            .query_row("SELECT 1 FROM crm_activity WHERE ID = ?1", [parent], |_| {
                Ok(())
            })
            .optional()?
            .is_some()
    {
        parent
    } else {
        0
    };
    let pings: Vec<i64> = call
        .param("pingOffsets")
        .map(elements)
        .unwrap_or_default()
        .into_iter()
        .map(intval)
        .collect();
    // colorId "1"-"7"; anything else is ignored.
    let color = call
        .param("colorId")
        .and_then(as_string)
        .filter(|c| matches!(c.as_str(), "1" | "2" | "3" | "4" | "5" | "6" | "7"));
    let settings = json!({"PING_OFFSETS": pings, "COLOR": color});
    let now = call.unix_now();
    let user = call.caller.user_id;
    call.db.execute(
        "INSERT INTO crm_activity (OWNER_TYPE_ID, OWNER_ID, TYPE_ID, PROVIDER_ID, PROVIDER_TYPE_ID,
         SUBJECT, CREATED, LAST_UPDATED, START_TIME, END_TIME, DEADLINE, RESPONSIBLE_ID,
         DESCRIPTION, AUTHOR_ID, EDITOR_ID, PARENT_ID, SETTINGS)
         VALUES (?1, ?2, ?3, 'CRM_TODO', 'TODO', ?4, ?5, ?5, ?6, ?6, ?6, ?7, ?8, ?9, ?9, ?10, ?11)",
        params![
            owner_type_id,
            owner_id,
            PROVIDER_TYPE,
            title,
            now,
            deadline,
            responsible,
            description,
            user,
            parent,
            settings.to_string()
        ],
    )?;
    let id = call.db.last_insert_rowid();
    call.raise(
        "ONCRMACTIVITYADD",
        json!({"FIELDS": {"ID": id.to_string()}}),
    );
    Ok(Output::new(json!({ "id": id })))
}
