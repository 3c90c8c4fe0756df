//! `crm.timeline.logmessage.*` (orders-timeline.md §4.2): D7 actions, `{logMessage}` answers,
//! lists of 10 newest first under `logMessages` (the code's `Page`; the docs print a bare
//! array), deletion only by the app that created the entry.

use super::owner::{self};
use crate::error::ApiError;
use crate::methods::engine::{self, required};
use crate::methods::{Call, Output};
use crate::php::value::{as_string, entries, intval, is_array};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};

/// Entries per page.
const PAGE: i64 = 10;

const COLUMNS: &str = "id, created, author_id, title, text, icon_code, client_app_id";

struct Entry {
    id: i64,
    created: i64,
    author_id: i64,
    title: String,
    text: String,
    icon_code: String,
    client_app_id: Option<i64>,
}

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        created: r.get(1)?,
        author_id: r.get(2)?,
        title: r.get(3)?,
        text: r.get(4)?,
        icon_code: r.get(5)?,
        client_app_id: r.get(6)?,
    })
}

fn render(call: &Call<'_>, e: &Entry) -> Value {
    json!({"id": e.id, "created": call.iso(e.created), "authorId": e.author_id,
        "title": e.title, "text": e.text, "iconCode": e.icon_code})
}

fn load(call: &Call<'_>, id: i64) -> rusqlite::Result<Option<Entry>> {
    call.db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM crm_timeline_logmessage WHERE id = ?1"
        ))?
        .query_row([id], read)
        .optional()
}

fn not_found(id: i64) -> ApiError {
    ApiError::bad_request(
        "NOT_FOUND",
        format!("Timeline logmessage not found for id `{id}`"),
    )
}

/// `crm.timeline.logmessage.add`: every field required ("Missing a required field", code
/// `0`), then the owner.
pub fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let fields = required(call, "fields")?.clone();
    if !is_array(&fields) {
        return Err(ApiError::bad_request(
            "0",
            "Missing a required field: entityTypeId",
        ));
    }
    let mut values = Vec::new();
    for name in ["entityTypeId", "entityId", "title", "text", "iconCode"] {
        let v = fields
            .get(name)
            .and_then(as_string)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                ApiError::bad_request("0", format!("Missing a required field: {name}"))
            })?;
        values.push(v);
    }
    let type_id = crate::php::value::intval_str(&values[0]);
    let entity_id = crate::php::value::intval_str(&values[1]);
    let (kind, entity_id) = owner::find(call.db, owner::resolve_id(type_id), entity_id)?;
    call.db.execute(
        "INSERT INTO crm_timeline_logmessage (entity_type_id, entity_id, created, author_id, title,
         text, icon_code, client_app_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            kind.type_id(),
            entity_id,
            call.unix_now(),
            call.caller.user_id,
            values[2],
            values[3],
            values[4],
            call.caller.app_id()
        ],
    )?;
    let id = call.db.last_insert_rowid();
    let entry = load(call, id)?.ok_or_else(|| not_found(id))?;
    Ok(Output::new(json!({ "logMessage": render(call, &entry) })))
}

/// `crm.timeline.logmessage.get`.
pub fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = intval(required(call, "id")?);
    let entry = load(call, id)?.ok_or_else(|| not_found(id))?;
    Ok(Output::new(json!({ "logMessage": render(call, &entry) })))
}

/// `crm.timeline.logmessage.list`: 10 a page, `order` by `id`/`created`, newest first.
pub fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let type_id = intval(required(call, "entityTypeId")?);
    let entity_id = intval(required(call, "entityId")?);
    let mut terms = Vec::new();
    if let Some(order) = call.param("order").filter(|o| is_array(o)) {
        for (key, dir) in entries(order) {
            let column = match key.as_str() {
                "id" => "id",
                "created" => "created",
                _ => {
                    return Err(ApiError::bad_request(
                        "INVALID_ARG_VALUE",
                        format!("Invalid order field '{key}'"),
                    ))
                }
            };
            let asc = as_string(dir)
                .unwrap_or_default()
                .eq_ignore_ascii_case("asc");
            terms.push(format!("{column} {}", if asc { "ASC" } else { "DESC" }));
        }
    }
    if terms.is_empty() {
        terms.push("id DESC".into());
    }
    let total: i64 = call.db.query_row(
        "SELECT COUNT(*) FROM crm_timeline_logmessage WHERE entity_type_id = ?1 AND entity_id = ?2",
        [type_id, entity_id],
        |r| r.get(0),
    )?;
    let offset = engine::offset(call.start, PAGE);
    let rows: Vec<Entry> = call
        .db
        .prepare(&format!(
            "SELECT {COLUMNS} FROM crm_timeline_logmessage WHERE entity_type_id = ?1 \
             AND entity_id = ?2 ORDER BY {} LIMIT {PAGE} OFFSET {offset}",
            terms.join(", ")
        ))?
        .query_map([type_id, entity_id], read)?
        .collect::<Result<_, _>>()?;
    let out: Vec<Value> = rows.iter().map(|e| render(call, e)).collect();
    Ok(engine::page("logMessages", out, offset, PAGE, total))
}

/// `crm.timeline.logmessage.delete`: `true`; an administrator, and only the app that created
/// the entry (`REMOVING_DISABLED`; an entry made through a webhook cannot be deleted).
pub fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = intval(required(call, "id")?);
    let entry = load(call, id)?.ok_or_else(|| not_found(id))?;
    if !call.caller.admin {
        return Err(ApiError::bad_request("ACCESS_DENIED", "Access denied."));
    }
    let mine = entry.client_app_id.is_some() && entry.client_app_id == call.caller.app_id();
    if !mine {
        return Err(ApiError::bad_request(
            "REMOVING_DISABLED",
            "Only the application that created the log message can delete it",
        ));
    }
    call.db
        .execute("DELETE FROM crm_timeline_logmessage WHERE id = ?1", [id])?;
    Ok(Output::new(true))
}
