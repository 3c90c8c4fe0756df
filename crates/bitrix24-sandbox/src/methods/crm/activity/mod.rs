//! Activities (orders-timeline.md §4.3): `crm.activity.todo.add` creates a to-do, and
//! `crm.activity.get/list/delete` show and remove what was created. Other activity types
//! (calls, e-mails, meetings) are not emulated.

pub mod read;
pub mod todo;

use crate::methods::{Access, Registry};

/// The activity table: one binding per activity (its owner).
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS crm_activity (
    ID INTEGER PRIMARY KEY AUTOINCREMENT,
    OWNER_TYPE_ID INTEGER NOT NULL,
    OWNER_ID INTEGER NOT NULL,
    TYPE_ID INTEGER NOT NULL,
    PROVIDER_ID TEXT NOT NULL,
    PROVIDER_TYPE_ID TEXT NOT NULL,
    SUBJECT TEXT NOT NULL,
    CREATED INTEGER NOT NULL,
    LAST_UPDATED INTEGER NOT NULL,
    START_TIME INTEGER,
    END_TIME INTEGER,
    DEADLINE INTEGER,
    COMPLETED TEXT NOT NULL DEFAULT 'N',
    STATUS INTEGER NOT NULL DEFAULT 1,
    RESPONSIBLE_ID INTEGER NOT NULL,
    PRIORITY INTEGER NOT NULL DEFAULT 2,
    DESCRIPTION TEXT NOT NULL DEFAULT '',
    DESCRIPTION_TYPE INTEGER NOT NULL DEFAULT 2,
    DIRECTION INTEGER NOT NULL DEFAULT 0,
    AUTHOR_ID INTEGER NOT NULL,
    EDITOR_ID INTEGER NOT NULL,
    PARENT_ID INTEGER NOT NULL DEFAULT 0,
    SETTINGS TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS crm_activity_owner ON crm_activity(OWNER_TYPE_ID, OWNER_ID);
"#;

/// Registers the activity methods.
pub fn register(r: &mut Registry) {
    r.add("crm.activity.todo.add", "crm", Access::Write, todo::add);
    r.add("crm.activity.get", "crm", Access::Read, read::get);
    r.add("crm.activity.list", "crm", Access::Read, read::list);
    r.add("crm.activity.delete", "crm", Access::Write, read::delete);
}

/// Forgets the activities of a deleted owner.
pub fn forget(conn: &rusqlite::Connection, type_id: i64, id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM crm_activity WHERE OWNER_TYPE_ID = ?1 AND OWNER_ID = ?2",
        [type_id, id],
    )?;
    Ok(())
}
