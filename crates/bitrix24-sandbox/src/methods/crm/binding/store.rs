//! SQL storage of deal–contact bindings (`b_crm_deal_contact`): at most one binding per
//! contact, exactly one primary when there are any, and the deal's deprecated `CONTACT_ID`
//! kept equal to the primary contact after every change (`DealContactTable::bindContacts`).

use rusqlite::{params, Connection};

/// The table.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS crm_deal_contact (
    DEAL_ID INTEGER NOT NULL,
    CONTACT_ID INTEGER NOT NULL,
    SORT INTEGER NOT NULL DEFAULT 0,
    ROLE_ID INTEGER NOT NULL DEFAULT 0,
    IS_PRIMARY TEXT NOT NULL DEFAULT 'N',
    PRIMARY KEY (DEAL_ID, CONTACT_ID)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS crm_deal_contact_contact ON crm_deal_contact(CONTACT_ID);
"#;

/// One binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The bound contact.
    pub contact_id: i64,
    /// Position in the card.
    pub sort: i64,
    /// Role (always 0: roles are not used).
    pub role_id: i64,
    /// The primary contact.
    pub primary: bool,
}

/// The bindings of a deal ordered by `SORT` (then contact id, for a stable order).
pub fn items(conn: &Connection, deal_id: i64) -> rusqlite::Result<Vec<Binding>> {
    conn.prepare_cached(
        "SELECT CONTACT_ID, SORT, ROLE_ID, IS_PRIMARY FROM crm_deal_contact WHERE DEAL_ID = ?1 \
         ORDER BY SORT, CONTACT_ID",
    )?
    .query_map([deal_id], |r| {
        Ok(Binding {
            contact_id: r.get(0)?,
            sort: r.get(1)?,
            role_id: r.get(2)?,
            primary: r.get::<_, String>(3)? == "Y",
        })
    })?
    .collect()
}

/// The bound contact ids in card order.
pub fn contact_ids(conn: &Connection, deal_id: i64) -> rusqlite::Result<Vec<i64>> {
    Ok(items(conn, deal_id)?
        .into_iter()
        .map(|b| b.contact_id)
        .collect())
}

/// A binding as a caller asked for it (`items.set`, `CONTACT_IDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// The contact.
    pub contact_id: i64,
    /// Explicit sort, if given.
    pub sort: Option<i64>,
    /// `IS_PRIMARY = Y` given.
    pub primary: bool,
}

/// `EntityBinding::normalizeEntityBindings`: duplicates dropped (the first wins), the first
/// item marked primary wins (else the first item is primary), sort defaults to `(i+1)·10`.
pub fn normalize(wanted: &[Wanted]) -> Vec<Binding> {
    let mut out: Vec<Binding> = Vec::new();
    for (i, w) in wanted.iter().enumerate() {
        if w.contact_id <= 0 || out.iter().any(|b| b.contact_id == w.contact_id) {
            continue;
        }
        out.push(Binding {
            contact_id: w.contact_id,
            sort: w.sort.unwrap_or((i as i64 + 1) * 10),
            role_id: 0,
            primary: w.primary,
        });
    }
    let first_primary = out.iter().position(|b| b.primary).unwrap_or(0);
    for (i, b) in out.iter_mut().enumerate() {
        b.primary = i == first_primary;
    }
    out
}

/// Replaces every binding of a deal.
pub fn replace(conn: &Connection, deal_id: i64, bindings: &[Binding]) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM crm_deal_contact WHERE DEAL_ID = ?1")?
        .execute([deal_id])?;
    for b in bindings {
        insert(conn, deal_id, b)?;
    }
    sync_primary(conn, deal_id)
}

/// Replaces the bindings with a list of ids: the first primary, sort `(i+1)·10`.
pub fn replace_ids(conn: &Connection, deal_id: i64, ids: &[i64]) -> rusqlite::Result<()> {
    let wanted: Vec<Wanted> = ids
        .iter()
        .map(|&contact_id| Wanted {
            contact_id,
            sort: None,
            primary: false,
        })
        .collect();
    replace(conn, deal_id, &normalize(&wanted))
}

fn insert(conn: &Connection, deal_id: i64, b: &Binding) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO crm_deal_contact (DEAL_ID, CONTACT_ID, SORT, ROLE_ID, IS_PRIMARY) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        deal_id,
        b.contact_id,
        b.sort,
        b.role_id,
        if b.primary { "Y" } else { "N" }
    ])?;
    Ok(())
}

/// Binds one contact (`crm.deal.contact.add`). False when it is already bound (nothing
/// changes). Without `IS_PRIMARY = Y` it becomes primary only when the deal has none yet;
/// without a sort it goes last (highest sort + 10).
pub fn add(
    conn: &Connection,
    deal_id: i64,
    contact_id: i64,
    sort: Option<i64>,
    primary: bool,
) -> rusqlite::Result<bool> {
    let current = items(conn, deal_id)?;
    if current.iter().any(|b| b.contact_id == contact_id) {
        return Ok(false);
    }
    let primary = primary || !current.iter().any(|b| b.primary);
    if primary {
        conn.prepare_cached("UPDATE crm_deal_contact SET IS_PRIMARY = 'N' WHERE DEAL_ID = ?1")?
            .execute([deal_id])?;
    }
    let sort = sort.unwrap_or_else(|| current.iter().map(|b| b.sort).max().unwrap_or(0) + 10);
    insert(
        conn,
        deal_id,
        &Binding {
            contact_id,
            sort,
            role_id: 0,
            primary,
        },
    )?;
    sync_primary(conn, deal_id)?;
    Ok(true)
}

/// Unbinds one contact. False when it was not bound. When the primary goes, the first
/// remaining binding (by sort) becomes primary.
pub fn remove(conn: &Connection, deal_id: i64, contact_id: i64) -> rusqlite::Result<bool> {
    let removed = conn
        .prepare_cached("DELETE FROM crm_deal_contact WHERE DEAL_ID = ?1 AND CONTACT_ID = ?2")?
        .execute([deal_id, contact_id])?
        > 0;
    if removed {
        promote_if_needed(conn, deal_id)?;
        sync_primary(conn, deal_id)?;
    }
    Ok(removed)
}

fn promote_if_needed(conn: &Connection, deal_id: i64) -> rusqlite::Result<()> {
    let rest = items(conn, deal_id)?;
    if let Some(first) = rest.first().filter(|_| !rest.iter().any(|b| b.primary)) {
        conn.prepare_cached(
            "UPDATE crm_deal_contact SET IS_PRIMARY = 'Y' WHERE DEAL_ID = ?1 AND CONTACT_ID = ?2",
        )?
        .execute([deal_id, first.contact_id])?;
    }
    Ok(())
}

/// `CONTACT_ID` = the smallest primary contact id, or NULL without bindings.
fn sync_primary(conn: &Connection, deal_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE crm_deal SET CONTACT_ID = (SELECT MIN(CONTACT_ID) FROM crm_deal_contact \
         WHERE DEAL_ID = ?1 AND IS_PRIMARY = 'Y') WHERE ID = ?1",
    )?
    .execute([deal_id])?;
    Ok(())
}

/// Forgets the bindings of a deleted deal.
pub fn forget_deal(conn: &Connection, deal_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM crm_deal_contact WHERE DEAL_ID = ?1")?
        .execute([deal_id])?;
    Ok(())
}

/// Forgets a deleted contact in every deal it was bound to (each promotes a new primary).
pub fn forget_contact(conn: &Connection, contact_id: i64) -> rusqlite::Result<()> {
    let deals: Vec<i64> = conn
        .prepare_cached("SELECT DEAL_ID FROM crm_deal_contact WHERE CONTACT_ID = ?1")?
        .query_map([contact_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for deal in deals {
        remove(conn, deal, contact_id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(contact_id: i64, primary: bool) -> Wanted {
        Wanted {
            contact_id,
            sort: None,
            primary,
        }
    }

    #[test]
    fn normalize_picks_one_primary_and_default_sorts() {
        let b = normalize(&[w(5, false), w(6, false)]);
        assert_eq!(
            b.iter()
                .map(|b| (b.contact_id, b.sort, b.primary))
                .collect::<Vec<_>>(),
            [(5, 10, true), (6, 20, false)]
        );
        let b = normalize(&[w(5, false), w(6, true), w(7, true), w(6, false)]);
        assert_eq!(
            b.iter()
                .map(|b| (b.contact_id, b.primary))
                .collect::<Vec<_>>(),
            [(5, false), (6, true), (7, false)]
        );
    }
}
