//! The CRM pages: leads, deals, contacts and companies (the records `crm.item.*` shows too)
//! with a search, and a record page with every stored field, its multifields (phones, e-mails,
//! web sites, messengers) and user-field values.

use crate::inspector::html::{self, esc, url, BASE};
use crate::methods::crm::entity::Kind;
use crate::php::form;
use crate::state::Portal;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde_json::Value;
use std::fmt::Write;
use std::sync::Arc;

/// Rows shown by a list (the newest first).
const LIST_ROWS: usize = 200;

/// The columns a list shows for each kind, after the ID.
fn list_columns(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Lead => &["TITLE", "NAME", "LAST_NAME", "STATUS_ID"],
        Kind::Deal => &["TITLE", "STAGE_ID", "OPPORTUNITY", "CURRENCY_ID"],
        Kind::Contact => &["NAME", "LAST_NAME"],
        Kind::Company => &["TITLE"],
    }
}

fn tabs(current: Option<Kind>) -> String {
    let mut out = String::from("<p>");
    for k in Kind::ALL {
        let class = if Some(k) == current {
            " class=\"on\""
        } else {
            ""
        };
        let _ = write!(
            out,
            "<a href=\"{BASE}/crm/{}\"{class}>{}</a> · ",
            k.name(),
            plural(k)
        );
    }
    out.push_str(
        "<span class=\"muted\">(crm.item.* with entityTypeId 1, 2, 3, 4 works on the same \
         records)</span></p>",
    );
    out
}

fn plural(kind: Kind) -> &'static str {
    match kind {
        Kind::Lead => "Leads",
        Kind::Deal => "Deals",
        Kind::Contact => "Contacts",
        Kind::Company => "Companies",
    }
}

/// A cell of any SQLite type as text; dates stored as unix seconds in the portal's zone.
fn cell(p: &Portal, column: &str, v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => String::new(),
        ValueRef::Integer(n) if is_date(column) => crate::clock::iso(n, p.config.utc_offset),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    }
}

fn is_date(column: &str) -> bool {
    column.starts_with("DATE_")
        || column.ends_with("_TIME")
        || column == "CLOSEDATE"
        || column == "BEGINDATE"
}

/// `GET /_sandbox/ui/crm`: the leads.
pub async fn index(state: State<Arc<Portal>>, q: RawQuery) -> Response {
    list(state, Path("lead".into()), q).await
}

/// `GET /_sandbox/ui/crm/{entity}?q=…`: the newest records of one kind, searched by ID, the
/// list columns and multifield values.
pub async fn list(
    State(p): State<Arc<Portal>>,
    Path(entity): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(kind) = Kind::from_name(&entity) else {
        return unknown(&entity);
    };
    let search = form::parse_str(q.as_deref().unwrap_or(""))
        .get("q")
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    let rows = match rows(&p, &p.db(), kind, &search) {
        Ok(r) => r,
        Err(e) => return failed(&e),
    };
    let columns = list_columns(kind);
    let mut body = tabs(Some(kind));
    let _ = write!(
        body,
        "<form class=\"filters\" method=\"get\"><input name=\"q\" value=\"{}\" \
         placeholder=\"ID, name, phone, e-mail\"> <button>Search</button></form>\
         <table id=\"records\"><thead><tr><th>ID</th>",
        esc(&search)
    );
    for c in columns {
        let _ = write!(body, "<th>{c}</th>");
    }
    body.push_str("<th>Phones, e-mails</th><th>Created</th></tr></thead><tbody>");
    if rows.is_empty() {
        body.push_str("<tr><td colspan=\"9\" class=\"muted\">No records.</td></tr>");
    }
    for r in &rows {
        let _ = write!(
            body,
            "<tr><td><a href=\"{BASE}/crm/{name}/{id}\">{id}</a></td>",
            name = kind.name(),
            id = r.id
        );
        for v in &r.values {
            let _ = write!(body, "<td>{}</td>", esc(v));
        }
        let _ = write!(
            body,
            "<td>{}</td><td>{}</td></tr>",
            esc(&r.multifields),
            esc(&r.created)
        );
    }
    body.push_str("</tbody></table>");
    html::page(StatusCode::OK, plural(kind), "crm", &body)
}

struct Row {
    id: i64,
    values: Vec<String>,
    multifields: String,
    created: String,
}

fn rows(p: &Portal, db: &Connection, kind: Kind, search: &str) -> rusqlite::Result<Vec<Row>> {
    let columns = list_columns(kind);
    let like_cols: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST({c} AS TEXT) LIKE ?2"))
        .collect();
    let sql = format!(
        "SELECT ID, {cols}, DATE_CREATE, \
         (SELECT group_concat(value, ', ') FROM crm_fm f \
          WHERE f.entity_type_id = ?1 AND f.element_id = t.ID AND f.type_id IN ('PHONE','EMAIL')) \
         FROM {table} t \
         WHERE ?3 = '' OR CAST(ID AS TEXT) = ?3 OR {likes} OR ID IN \
           (SELECT element_id FROM crm_fm WHERE entity_type_id = ?1 AND value LIKE ?2) \
         ORDER BY ID DESC LIMIT {LIST_ROWS}",
        cols = columns.join(", "),
        table = kind.table(),
        likes = like_cols.join(" OR "),
    );
    let pattern = format!("%{}%", search.replace('%', "\\%"));
    let mut stmt = db.prepare(&sql)?;
    let n = columns.len();
    let rows = stmt.query_map(rusqlite::params![kind.type_id(), pattern, search], |r| {
        let mut values = Vec::with_capacity(n);
        for (i, c) in columns.iter().enumerate() {
            values.push(cell(p, c, r.get_ref(i + 1)?));
        }
        Ok(Row {
            id: r.get(0)?,
            values,
            created: cell(p, "DATE_CREATE", r.get_ref(n + 1)?),
            multifields: cell(p, "", r.get_ref(n + 2)?),
        })
    })?;
    rows.collect()
}

/// `GET /_sandbox/ui/crm/{entity}/{id}`: one record.
pub async fn record(
    State(p): State<Arc<Portal>>,
    Path((entity, id)): Path<(String, String)>,
) -> Response {
    let Some(kind) = Kind::from_name(&entity) else {
        return unknown(&entity);
    };
    let Ok(id) = id.parse::<i64>() else {
        return unknown(&id);
    };
    let db = p.db();
    let fields = match fields(&p, &db, kind, id) {
        Ok(Some(f)) => f,
        Ok(None) => {
            return html::page(
                StatusCode::NOT_FOUND,
                "Not found",
                "crm",
                &format!(
                    "{}<p>{} {id} does not exist.</p>",
                    tabs(Some(kind)),
                    kind.title()
                ),
            )
        }
        Err(e) => return failed(&e),
    };
    let mut body = tabs(Some(kind));
    let _ = write!(
        body,
        "<h1>{} {id}</h1><section><h2>Fields</h2><table>",
        kind.title()
    );
    for (k, v) in &fields {
        let _ = write!(body, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    body.push_str("</table></section><section><h2>Multifields</h2>");
    match multifields(&db, kind, id) {
        Ok(m) if m.is_empty() => body.push_str("<p class=\"muted\">None.</p>"),
        Ok(m) => {
            body.push_str(
                "<table id=\"multifields\"><thead><tr><th>ID</th><th>Type</th><th>Value type</th>\
                 <th>Value</th></tr></thead><tbody>",
            );
            for (fid, t, vt, v) in m {
                let _ = write!(
                    body,
                    "<tr><td>{fid}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&t),
                    esc(&vt),
                    esc(&v)
                );
            }
            body.push_str("</tbody></table>");
        }
        Err(e) => return failed(&e),
    }
    body.push_str("</section><section><h2>User fields</h2>");
    match user_fields(&p, &db, kind, id) {
        Ok(u) if u.is_empty() => body.push_str("<p class=\"muted\">None.</p>"),
        Ok(u) => {
            body.push_str("<table>");
            for (name, v) in u {
                let _ = write!(body, "<tr><th>{}</th><td>{}</td></tr>", esc(&name), esc(&v));
            }
            body.push_str("</table>");
        }
        Err(e) => return failed(&e),
    }
    body.push_str("</section>");
    let _ = write!(
        body,
        "<p><a href=\"{BASE}/requests?q={}\">Requests that mention this ID</a></p>",
        url(&id.to_string())
    );
    html::page(
        StatusCode::OK,
        &format!("{} {id}", kind.title()),
        "crm",
        &body,
    )
}

fn fields(
    p: &Portal,
    db: &Connection,
    kind: Kind,
    id: i64,
) -> rusqlite::Result<Option<Vec<(String, String)>>> {
    let mut stmt = db.prepare(&format!("SELECT * FROM {} WHERE ID = ?1", kind.table()))?;
    let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
    let mut rows = stmt.query([id])?;
    let Some(r) = rows.next()? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let v = cell(p, name, r.get_ref(i)?);
        if !v.is_empty() {
            out.push((name.clone(), v));
        }
    }
    Ok(Some(out))
}

type Multifield = (i64, String, String, String);

fn multifields(db: &Connection, kind: Kind, id: i64) -> rusqlite::Result<Vec<Multifield>> {
    let mut stmt = db.prepare(
        "SELECT id, type_id, value_type, value FROM crm_fm \
         WHERE entity_type_id = ?1 AND element_id = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map([kind.type_id(), id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    rows.collect()
}

fn user_fields(
    p: &Portal,
    db: &Connection,
    kind: Kind,
    id: i64,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = db.prepare(
        "SELECT field_name, value FROM crm_uf_value \
         WHERE entity_type_id = ?1 AND element_id = ?2 ORDER BY field_name, seq",
    )?;
    let rows = stmt.query_map([kind.type_id(), id], |r| {
        Ok((r.get::<_, String>(0)?, cell(p, "", r.get_ref(1)?)))
    })?;
    rows.collect()
}

fn unknown(what: &str) -> Response {
    html::page(
        StatusCode::NOT_FOUND,
        "Not found",
        "crm",
        &format!("{}<p>No such CRM page: {}.</p>", tabs(None), esc(what)),
    )
}

fn failed(e: &rusqlite::Error) -> Response {
    html::page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Database error",
        "crm",
        &format!(
            "<p class=\"err\">The sandbox database failed: {}</p>",
            esc(&e.to_string())
        ),
    )
}
