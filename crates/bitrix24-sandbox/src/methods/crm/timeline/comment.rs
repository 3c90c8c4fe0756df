//! `crm.timeline.comment.*` (orders-timeline.md §4.1). add and update are D7 actions (the
//! parameter must be spelled `fields`, a missing one is `"100"`); get, list and fields are the
//! classic proxy (UPPER_CASE, `""` errors). Each write raises
//! `ONCRMTIMELINECOMMENT{ADD,UPDATE,DELETE}` with `{"FIELDS": {"ID": id}}`, as the code sends it.

use super::owner::{self, TypeOf};
use crate::error::ApiError;
use crate::methods::engine::required;
use crate::methods::{Call, Output};
use crate::php::value::{as_string, entries, intval, is_array};
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Map, Value};

/// One stored comment.
struct Comment {
    id: i64,
    type_id: i64,
    entity_id: i64,
    created: i64,
    author_id: i64,
    text: String,
}

const COLUMNS: &str = "ID, ENTITY_TYPE_ID, ENTITY_ID, CREATED, AUTHOR_ID, COMMENT";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Comment> {
    Ok(Comment {
        id: r.get(0)?,
        type_id: r.get(1)?,
        entity_id: r.get(2)?,
        created: r.get(3)?,
        author_id: r.get(4)?,
        text: r.get(5)?,
    })
}

fn load(call: &Call<'_>, id: i64) -> rusqlite::Result<Option<Comment>> {
    call.db
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM crm_timeline_comment WHERE ID = ?1"
        ))?
        .query_row([id], read)
        .optional()
}

fn render(call: &Call<'_>, c: &Comment) -> Value {
    json!({
        "ID": c.id.to_string(),
        "ENTITY_ID": c.entity_id.to_string(),
        "ENTITY_TYPE": owner::lower_name(c.type_id),
        "CREATED": call.iso(c.created),
        "COMMENT": c.text,
        "AUTHOR_ID": c.author_id.to_string(),
    })
}

fn fields_param(call: &Call<'_>) -> Result<Map<String, Value>, ApiError> {
    match required(call, "fields")? {
        Value::Object(m) => Ok(m.clone()),
        _ => Err(ApiError::bad_request(
            "INVALID_ARG_VALUE",
            "Parameter 'fields' must be array",
        )),
    }
}

fn empty_comment() -> ApiError {
    ApiError::bad_request("INVALID_ARG_VALUE", "Empty comment message")
}

fn comment_text(fields: &Map<String, Value>) -> String {
    fields
        .get("COMMENT")
        .and_then(as_string)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// `crm.timeline.comment.add`: the new id. Owner first, then the text.
pub fn add(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let fields = fields_param(call)?;
    let ty = match fields
        .get("ENTITY_TYPE_ID")
        .map(intval)
        .filter(|id| *id > 0)
    {
        Some(id) => owner::resolve_id(id),
        None => fields
            .get("ENTITY_TYPE")
            .and_then(as_string)
            .map_or(TypeOf::Undefined, |n| owner::resolve_name(&n)),
    };
    let entity_id = fields.get("ENTITY_ID").map_or(0, intval);
    let (kind, entity_id) = owner::find(call.db, ty, entity_id)?;
    let text = comment_text(&fields);
    if text.is_empty() {
        return Err(empty_comment());
    }
    if fields.contains_key("FILES") {
        call.note("crm.timeline.comment.add: FILES ignored (the sandbox stores no files)");
    }
    call.db.execute(
        "INSERT INTO crm_timeline_comment (ENTITY_TYPE_ID, ENTITY_ID, CREATED, AUTHOR_ID, COMMENT)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            kind.type_id(),
            entity_id,
            call.unix_now(),
            call.caller.user_id,
            text
        ],
    )?;
    let id = call.db.last_insert_rowid();
    call.raise("ONCRMTIMELINECOMMENTADD", json!({"FIELDS": {"ID": id}}));
    Ok(Output::new(id))
}

fn comment_not_found() -> ApiError {
    ApiError::bad_request("NOT_FOUND", "Comment not found")
}

/// `crm.timeline.comment.update`: the id; only the author may change a comment.
pub fn update(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = intval(required(call, "id")?);
    let fields = fields_param(call)?;
    let comment = load(call, id)?.ok_or_else(comment_not_found)?;
    owner::find(
        call.db,
        owner::resolve_id(comment.type_id),
        comment.entity_id,
    )?;
    if comment.author_id != call.caller.user_id {
        return Err(ApiError::bad_request("ACCESS_DENIED", "Access denied."));
    }
    if fields.contains_key("COMMENT") {
        let text = comment_text(&fields);
        if text.is_empty() {
            return Err(empty_comment());
        }
        call.db.execute(
            "UPDATE crm_timeline_comment SET COMMENT = ?1 WHERE ID = ?2",
            params![text, id],
        )?;
    }
    call.raise("ONCRMTIMELINECOMMENTUPDATE", json!({"FIELDS": {"ID": id}}));
    Ok(Output::new(id))
}

/// `crm.timeline.comment.delete`: `null`; the author or an administrator.
pub fn delete(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = intval(required(call, "id")?);
    let comment = load(call, id)?.ok_or_else(comment_not_found)?;
    if comment.author_id != call.caller.user_id && !call.caller.admin {
        return Err(ApiError::bad_request("ACCESS_DENIED", "Access denied."));
    }
    call.db
        .execute("DELETE FROM crm_timeline_comment WHERE ID = ?1", [id])?;
    call.raise("ONCRMTIMELINECOMMENTDELETE", json!({"FIELDS": {"ID": id}}));
    Ok(Output::new(Value::Null))
}

/// `crm.timeline.comment.get`: the UPPER_CASE comment.
pub fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let id = call.param_any(&["id", "ID"]).map_or(0, intval);
    if id <= 0 {
        return Err(ApiError::crm("ID is not defined or invalid."));
    }
    let comment = load(call, id)?.ok_or_else(|| ApiError::crm("Not found."))?;
    Ok(Output::new(render(call, &comment)))
}

/// `crm.timeline.comment.list`: `filter` must name the owner (`ENTITY_ID`, `ENTITY_TYPE`);
/// `order` by `ID`, `CREATED` or `AUTHOR_ID`; a bare array of 50 with `total`.
pub fn list(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let filter = crate::methods::crm::params::array_param(call, "filter")
        .filter(|f| is_array(f))
        .cloned()
        .unwrap_or(json!({}));
    let get = |key: &str| {
        entries(&filter)
            .into_iter()
            .find(|(k, _)| k.trim_start_matches('=') == key)
            .map(|(_, v)| v.clone())
    };
    let entity_id = get("ENTITY_ID").map_or(0, |v| intval(&v));
    let ty = get("ENTITY_TYPE")
        .and_then(|v| as_string(&v))
        .map_or(TypeOf::Undefined, |n| owner::resolve_name(&n));
    let type_id = match ty {
        TypeOf::Stored(k) => k.type_id(),
        TypeOf::Empty(id) => id,
        TypeOf::Undefined => 0,
    };
    if entity_id <= 0 || type_id == 0 {
        return Err(ApiError::crm(
            "The filter must contain ENTITY_ID and ENTITY_TYPE.",
        ));
    }
    let mut terms = Vec::new();
    if let Some(order) =
        crate::methods::crm::params::array_param(call, "order").filter(|o| is_array(o))
    {
        for (key, dir) in entries(order) {
            let column = key.to_uppercase();
            if !matches!(column.as_str(), "ID" | "CREATED" | "AUTHOR_ID") {
                continue;
            }
            let desc = as_string(dir)
                .unwrap_or_default()
                .eq_ignore_ascii_case("DESC");
            terms.push(format!("{column} {}", if desc { "DESC" } else { "ASC" }));
        }
    }
    terms.push("ID ASC".into());
    let total: i64 = call.db.query_row(
        "SELECT COUNT(*) FROM crm_timeline_comment WHERE ENTITY_TYPE_ID = ?1 AND ENTITY_ID = ?2",
        [type_id, entity_id],
        |r| r.get(0),
    )?;
    let offset = crate::methods::engine::offset(call.start, 50);
    let rows: Vec<Comment> = call
        .db
        .prepare(&format!(
            "SELECT {COLUMNS} FROM crm_timeline_comment WHERE ENTITY_TYPE_ID = ?1 AND ENTITY_ID = ?2 \
             ORDER BY {} LIMIT 50 OFFSET {offset}",
            terms.join(", ")
        ))?
        .query_map([type_id, entity_id], read)?
        .collect::<Result<_, _>>()?;
    let select: Vec<String> = crate::methods::crm::params::array_param(call, "select")
        .map(crate::php::value::elements)
        .unwrap_or_default()
        .into_iter()
        .filter_map(as_string)
        .map(|s| s.to_uppercase())
        .collect();
    let out: Vec<Value> = rows
        .iter()
        .map(|c| {
            let full = render(call, c);
            if select.is_empty() || select.iter().any(|s| s == "*") {
                return full;
            }
            let mut m = Map::new();
            for (k, v) in full.as_object().into_iter().flatten() {
                if k == "ID" || select.contains(k) {
                    m.insert(k.clone(), v.clone());
                }
            }
            Value::Object(m)
        })
        .collect();
    let next = crate::methods::engine::next(offset, 50, total);
    Ok(Output::page(Value::Array(out), next, Some(total)))
}

/// `crm.timeline.comment.fields`.
pub fn fields(_call: &mut Call<'_>) -> Result<Output, ApiError> {
    let f = |ty: &str,
             required: bool,
             read_only: bool,
             immutable: bool,
             multiple: bool,
             title: &str| {
        json!({"type": ty, "isRequired": required, "isReadOnly": read_only,
            "isImmutable": immutable, "isMultiple": multiple, "isDynamic": false, "title": title})
    };
    Ok(Output::new(json!({
        "ID": f("integer", false, true, false, false, "ID"),
        "CREATED": f("datetime", false, true, false, false, "Created on"),
        "ENTITY_ID": f("integer", true, false, true, false, "Entity ID"),
        "ENTITY_TYPE": f("string", true, false, true, false, "Entity type"),
        "AUTHOR_ID": f("user", false, false, true, false, "Author"),
        "COMMENT": f("string", false, false, false, false, "Comment"),
        "FILES": f("attached_diskfile", false, false, false, true, "Files"),
    })))
}
