//! The timeline (orders-timeline.md §4.1, §4.2): comments (`crm.timeline.comment.*`) and log
//! messages (`crm.timeline.logmessage.*`). To-dos are activities (`super::activity`).

pub mod comment;
pub mod logmessage;
pub mod owner;

use crate::methods::{Access, Registry};

/// Tables of comments and log messages.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS crm_timeline_comment (
    ID INTEGER PRIMARY KEY AUTOINCREMENT,
    ENTITY_TYPE_ID INTEGER NOT NULL,
    ENTITY_ID INTEGER NOT NULL,
    CREATED INTEGER NOT NULL,
    AUTHOR_ID INTEGER NOT NULL,
    COMMENT TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_timeline_comment_owner
    ON crm_timeline_comment(ENTITY_TYPE_ID, ENTITY_ID);
CREATE TABLE IF NOT EXISTS crm_timeline_logmessage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_type_id INTEGER NOT NULL,
    entity_id INTEGER NOT NULL,
    created INTEGER NOT NULL,
    author_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    icon_code TEXT NOT NULL,
    client_app_id INTEGER
);
CREATE INDEX IF NOT EXISTS crm_timeline_logmessage_owner
    ON crm_timeline_logmessage(entity_type_id, entity_id);
"#;

/// Registers comments and log messages.
pub fn register(r: &mut Registry) {
    r.add(
        "crm.timeline.comment.add",
        "crm",
        Access::Write,
        comment::add,
    );
    r.add(
        "crm.timeline.comment.update",
        "crm",
        Access::Write,
        comment::update,
    );
    r.add(
        "crm.timeline.comment.get",
        "crm",
        Access::Read,
        comment::get,
    );
    r.add(
        "crm.timeline.comment.list",
        "crm",
        Access::Read,
        comment::list,
    );
    r.add(
        "crm.timeline.comment.delete",
        "crm",
        Access::Write,
        comment::delete,
    );
    r.add(
        "crm.timeline.comment.fields",
        "crm",
        Access::Read,
        comment::fields,
    );
    r.add(
        "crm.timeline.logmessage.add",
        "crm",
        Access::Write,
        logmessage::add,
    );
    r.add(
        "crm.timeline.logmessage.get",
        "crm",
        Access::Read,
        logmessage::get,
    );
    r.add(
        "crm.timeline.logmessage.list",
        "crm",
        Access::Read,
        logmessage::list,
    );
    r.add(
        "crm.timeline.logmessage.delete",
        "crm",
        Access::Write,
        logmessage::delete,
    );
}

/// Forgets the entries of a deleted owner.
pub fn forget(conn: &rusqlite::Connection, type_id: i64, id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM crm_timeline_comment WHERE ENTITY_TYPE_ID = ?1 AND ENTITY_ID = ?2",
        [type_id, id],
    )?;
    conn.execute(
        "DELETE FROM crm_timeline_logmessage WHERE entity_type_id = ?1 AND entity_id = ?2",
        [type_id, id],
    )?;
    Ok(())
}
