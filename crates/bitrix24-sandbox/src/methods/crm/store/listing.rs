//! Lists: `select`, `order` and the classic navigation (server-behavior.md §2, §4).

use super::Record;
use crate::methods::crm::entity::{Field, Kind, MULTI_TYPES};
use crate::methods::crm::filter::{self, Cond, Target};
use crate::methods::crm::userfield::{self, UfDef};
use crate::methods::crm::values;
use crate::php::value::{as_string, elements, entries};
use rusqlite::Connection;
use serde_json::{Map, Value};

/// The page size of every v1 list (`IRestService::LIST_LIMIT`).
pub const PAGE_SIZE: i64 = 50;

/// Which user fields a list returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UfSelect {
    /// None (the default, and what `*` gives).
    #[default]
    None,
    /// `UF_*`: all of them.
    All,
    /// Only these names.
    Named(Vec<String>),
}

/// The columns a list returns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Select {
    /// Standard fields, in the portal's field order; `ID` always included.
    pub fields: Vec<&'static Field>,
    /// User fields.
    pub uf: UfSelect,
    /// Multifield types (`PHONE`, ...).
    pub multi: Vec<&'static str>,
}

impl Select {
    /// Every standard column, no user fields, no multifields (`select: ["*"]`).
    pub fn all(kind: Kind) -> Select {
        Select {
            fields: kind
                .fields()
                .iter()
                .filter(|f| f.storage.has_column())
                .collect(),
            uf: UfSelect::None,
            multi: Vec::new(),
        }
    }

    /// Parses a classic `select`: empty or `*` = all standard fields; `UF_*`; named user
    /// fields (exact name); PHONE/EMAIL/WEB/IM/LINK by exact upper-case name; other names are
    /// uppercased and unknown ones ignored.
    pub fn classic(kind: Kind, select: &Value, ufs: &[UfDef]) -> Select {
        let names: Vec<String> = elements(select).into_iter().filter_map(as_string).collect();
        let star = names.is_empty() || names.iter().any(|n| n == "*");
        let mut wanted: Vec<&'static str> = Vec::new();
        let mut out = Select::default();
        for n in &names {
            if n == "UF_*" {
                out.uf = UfSelect::All;
            } else if let Some(t) = MULTI_TYPES.iter().find(|t| **t == n) {
                if kind.has_multifields() && !out.multi.contains(t) {
                    out.multi.push(t);
                }
            } else if let Some(u) = ufs.iter().find(|u| &u.field_name == n) {
                match &mut out.uf {
                    UfSelect::None => out.uf = UfSelect::Named(vec![u.field_name.clone()]),
                    UfSelect::Named(list) => list.push(u.field_name.clone()),
                    UfSelect::All => {}
                }
            } else if let Some(f) = kind.field(&n.to_uppercase()) {
                if f.storage.has_column() {
                    wanted.push(f.name);
                }
            }
        }
        out.fields = kind
            .fields()
            .iter()
            .filter(|f| f.storage.has_column())
            .filter(|f| star || f.name == "ID" || wanted.contains(&f.name))
            .collect();
        out
    }
}

/// One `ORDER BY` term.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    /// What to sort by.
    pub target: Target,
    /// Ascending when true.
    pub asc: bool,
}

impl Order {
    /// Parses a classic `order`: keys uppercased, any direction other than `ASC` is `DESC`
    /// (user fields: other than `DESC` is `ASC`), unknown fields ignored.
    pub fn classic(kind: Kind, order: &Value, ufs: &[UfDef]) -> Vec<Order> {
        let mut out = Vec::new();
        for (key, dir) in entries(order) {
            let key = key.to_uppercase();
            let dir = as_string(dir).unwrap_or_default().trim().to_uppercase();
            if let Some(f) = kind.field(&key).filter(|f| f.storage.has_column()) {
                out.push(Order {
                    target: Target::Field(f),
                    asc: dir == "ASC",
                });
            } else if let Some(u) = ufs.iter().find(|u| u.field_name == key) {
                out.push(Order {
                    target: Target::Uf {
                        name: u.field_name.clone(),
                        storage: u.storage(),
                    },
                    asc: dir != "DESC",
                });
            }
        }
        out
    }
}

/// How much to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `start >= 0`: page `floor(start/50)+1` with a COUNT; a page past the end falls back to
    /// page 1 (the CDBResult quirk).
    Start(i64),
    /// `start < 0`: the first 50 rows, no COUNT, `total` 0 and no `next`.
    NoCount,
}

impl Paging {
    /// The classic paging of a `start` value.
    pub fn from_start(start: i64) -> Paging {
        if start < 0 {
            Paging::NoCount
        } else {
            Paging::Start(start)
        }
    }
}

/// A list query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Conditions, AND'ed.
    pub filter: Vec<Cond>,
    /// Sort terms; `ID ASC` is appended as the tie-breaker.
    pub order: Vec<Order>,
    /// Returned columns.
    pub select: Select,
    /// Navigation.
    pub paging: Paging,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The rows.
    pub rows: Vec<Record>,
    /// Matching rows (0 in the no-count mode).
    pub total: i64,
    /// The `start` of the next page, when there is one.
    pub next: Option<i64>,
}

/// The page query of a list (exposed so tests can check its plan).
pub fn select_sql(kind: Kind, q: &Query, where_sql: &str, offset: i64) -> String {
    let mut terms: Vec<String> = q
        .order
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                o.target.sql(kind),
                if o.asc { "ASC" } else { "DESC" }
            )
        })
        .collect();
    if !q
        .order
        .iter()
        .any(|o| matches!(o.target, Target::Field(f) if f.name == "ID"))
    {
        terms.push("t.ID ASC".into());
    }
    let cols: Vec<String> = q
        .select
        .fields
        .iter()
        .map(|f| format!("t.{}", f.name))
        .collect();
    format!(
        "SELECT t.ID, {} FROM {} t WHERE {where_sql} ORDER BY {} LIMIT {PAGE_SIZE} OFFSET {offset}",
        if cols.is_empty() {
            "NULL".to_string()
        } else {
            cols.join(", ")
        },
        kind.table(),
        terms.join(", ")
    )
}

/// Runs a list query.
pub fn list(conn: &Connection, kind: Kind, q: &Query) -> rusqlite::Result<Page> {
    let mut params = Vec::new();
    let where_sql = filter::where_sql(kind, &q.filter, &mut params);
    let (offset, total, next) = match q.paging {
        Paging::NoCount => (0, 0, None),
        Paging::Start(start) => {
            let sql = format!("SELECT COUNT(*) FROM {} t WHERE {where_sql}", kind.table());
            let total: i64 = conn
                .prepare_cached(&sql)?
                .query_row(rusqlite::params_from_iter(params.iter()), |r| r.get(0))?;
            let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
            let mut page = start / PAGE_SIZE + 1;
            if page > pages {
                page = 1;
            }
            let next = (page < pages).then_some(page * PAGE_SIZE);
            ((page - 1) * PAGE_SIZE, total, next)
        }
    };
    let sql = select_sql(kind, q, &where_sql, offset);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let mut fields = Map::new();
        for (i, f) in q.select.fields.iter().enumerate() {
            fields.insert(f.name.to_string(), values::from_sql(f, r.get_ref(i + 1)?));
        }
        out.push(Record {
            id,
            fields,
            multi: Vec::new(),
            uf: Map::new(),
        });
    }
    drop(rows);
    for rec in &mut out {
        if !q.select.multi.is_empty() {
            rec.multi = super::read_multi(conn, kind, rec.id, Some(&q.select.multi))?;
        }
        match &q.select.uf {
            UfSelect::None => {}
            UfSelect::All => rec.uf = userfield::read(conn, kind, rec.id)?,
            UfSelect::Named(names) => {
                let all = userfield::read(conn, kind, rec.id)?;
                rec.uf = all.into_iter().filter(|(k, _)| names.contains(k)).collect();
            }
        }
    }
    Ok(Page {
        rows: out,
        total,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::UtcOffset;

    fn plan(conn: &Connection, filter: Value, order: Value) -> String {
        let mut notes = Vec::new();
        let q = Query {
            filter: filter::parse_classic(Kind::Lead, &filter, &[], UtcOffset::UTC, &mut notes),
            order: Order::classic(Kind::Lead, &order, &[]),
            select: Select::all(Kind::Lead),
            paging: Paging::NoCount,
        };
        let mut params = Vec::new();
        let w = filter::where_sql(Kind::Lead, &q.filter, &mut params);
        let sql = format!("EXPLAIN QUERY PLAN {}", select_sql(Kind::Lead, &q, &w, 0));
        let mut stmt = conn.prepare(&sql).expect("prepare");
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |r| {
                r.get::<_, String>(3)
            })
            .expect("plan");
        rows.map(|r| r.expect("row"))
            .collect::<Vec<_>>()
            .join(" | ")
    }

    /// The keyset page (`order[ID]=ASC`, `filter[>ID]=N`) is a rowid range, not a scan.
    #[test]
    fn keyset_page_uses_the_rowid_range() {
        let conn = crate::methods::crm::test_db();
        crate::methods::crm::seed::seed_leads(&conn, 200, 1_700_000_000).expect("seed");
        let p = plan(&conn, json!({">ID": "100"}), json!({"ID": "ASC"}));
        assert!(p.contains("rowid>?"), "{p}");
        assert!(!p.contains("TEMP B-TREE"), "{p}");
    }

    /// `filter[PHONE]` searches the crm_fm value index (LIKE prefix on a NOCASE column).
    #[test]
    fn phone_prefix_uses_the_value_index() {
        let conn = crate::methods::crm::test_db();
        crate::methods::crm::seed::seed_leads(&conn, 200, 1_700_000_000).expect("seed");
        let p = plan(&conn, json!({"PHONE": "+7 903"}), json!({}));
        assert!(p.contains("crm_fm_value"), "{p}");
        assert!(!p.contains("SCAN t"), "{p}");
    }
}
