//! SQL storage of product rows (`b_crm_product_row`): one table both APIs share.

use super::row::Row;
use rusqlite::{params, Connection, OptionalExtension, ToSql};
use std::sync::OnceLock;

/// The table.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS crm_product_row (
    ID INTEGER PRIMARY KEY AUTOINCREMENT,
    OWNER_TYPE TEXT NOT NULL COLLATE NOCASE,
    OWNER_ID INTEGER NOT NULL,
    PRODUCT_ID INTEGER NOT NULL DEFAULT 0,
    PRODUCT_NAME TEXT NOT NULL DEFAULT '',
    PRICE REAL NOT NULL DEFAULT 0,
    PRICE_ACCOUNT REAL NOT NULL DEFAULT 0,
    PRICE_EXCLUSIVE REAL NOT NULL DEFAULT 0,
    PRICE_NETTO REAL NOT NULL DEFAULT 0,
    PRICE_BRUTTO REAL NOT NULL DEFAULT 0,
    QUANTITY REAL NOT NULL DEFAULT 1,
    DISCOUNT_TYPE_ID INTEGER NOT NULL DEFAULT 2,
    DISCOUNT_RATE REAL NOT NULL DEFAULT 0,
    DISCOUNT_SUM REAL NOT NULL DEFAULT 0,
    TAX_RATE REAL,
    TAX_INCLUDED TEXT NOT NULL DEFAULT 'N',
    CUSTOMIZED TEXT NOT NULL DEFAULT 'Y',
    MEASURE_CODE INTEGER NOT NULL DEFAULT 0,
    MEASURE_NAME TEXT NOT NULL DEFAULT '',
    SORT INTEGER NOT NULL DEFAULT 0,
    XML_ID TEXT NOT NULL DEFAULT '',
    TYPE INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS crm_product_row_owner ON crm_product_row(OWNER_TYPE, OWNER_ID);
"#;

/// Every column, in the order `read` and `values` follow: the id, the owner, then the
/// fields a write sets. `insert` writes all but the id, `update` all but the id and the owner.
pub const COLUMNS: [&str; 22] = [
    "ID",
    "OWNER_TYPE",
    "OWNER_ID",
    "PRODUCT_ID",
    "PRODUCT_NAME",
    "PRICE",
    "PRICE_ACCOUNT",
    "PRICE_EXCLUSIVE",
    "PRICE_NETTO",
    "PRICE_BRUTTO",
    "QUANTITY",
    "DISCOUNT_TYPE_ID",
    "DISCOUNT_RATE",
    "DISCOUNT_SUM",
    "TAX_RATE",
    "TAX_INCLUDED",
    "CUSTOMIZED",
    "MEASURE_CODE",
    "MEASURE_NAME",
    "SORT",
    "XML_ID",
    "TYPE",
];

/// The columns after the id: what `insert` writes.
const INSERTED: &[&str] = COLUMNS.split_at(1).1;
/// The columns after the id and the owner: what `update` writes (the owner is immutable).
const UPDATED: &[&str] = COLUMNS.split_at(3).1;

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        owner_type: r.get(1)?,
        owner_id: r.get(2)?,
        product_id: r.get(3)?,
        product_name: r.get(4)?,
        price: r.get(5)?,
        price_account: r.get(6)?,
        price_exclusive: r.get(7)?,
        price_netto: r.get(8)?,
        price_brutto: r.get(9)?,
        quantity: r.get(10)?,
        discount_type_id: r.get(11)?,
        discount_rate: r.get(12)?,
        discount_sum: r.get(13)?,
        tax_rate: r.get(14)?,
        tax_included: r.get::<_, String>(15)? == "Y",
        customized: r.get::<_, String>(16)? == "Y",
        measure_code: r.get(17)?,
        measure_name: r.get(18)?,
        sort: r.get(19)?,
        xml_id: r.get(20)?,
        kind: r.get(21)?,
    })
}

/// The values of [`INSERTED`], in its order.
fn values(row: &Row) -> [&dyn ToSql; 21] {
    [
        &row.owner_type,
        &row.owner_id,
        &row.product_id,
        &row.product_name,
        &row.price,
        &row.price_account,
        &row.price_exclusive,
        &row.price_netto,
        &row.price_brutto,
        &row.quantity,
        &row.discount_type_id,
        &row.discount_rate,
        &row.discount_sum,
        &row.tax_rate,
        flag(row.tax_included),
        flag(row.customized),
        &row.measure_code,
        &row.measure_name,
        &row.sort,
        &row.xml_id,
        &row.kind,
    ]
}

/// `Y`/`N`, as a value `values` can lend.
fn flag(b: bool) -> &'static &'static str {
    if b {
        &"Y"
    } else {
        &"N"
    }
}

/// The statements, written out once from [`COLUMNS`].
struct Statements {
    select: String,
    insert: String,
    update: String,
}

fn statements() -> &'static Statements {
    static STATEMENTS: OnceLock<Statements> = OnceLock::new();
    STATEMENTS.get_or_init(|| {
        let marks: Vec<String> = (1..=INSERTED.len()).map(|i| format!("?{i}")).collect();
        let sets: Vec<String> = UPDATED
            .iter()
            .enumerate()
            .map(|(i, column)| format!("{column} = ?{}", i + 1))
            .collect();
        Statements {
            select: format!("SELECT {} FROM crm_product_row", COLUMNS.join(", ")),
            insert: format!(
                "INSERT INTO crm_product_row ({}) VALUES ({})",
                INSERTED.join(", "),
                marks.join(", ")
            ),
            update: format!(
                "UPDATE crm_product_row SET {} WHERE ID = ?{}",
                sets.join(", "),
                UPDATED.len() + 1
            ),
        }
    })
}

/// One row by id.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Row>> {
    let select = &statements().select;
    conn.prepare_cached(&format!("{select} WHERE ID = ?1"))?
        .query_row([id], read)
        .optional()
}

/// The rows of an owner ordered by `SORT, ID` (`LoadRows`, and the order of an item's rows).
pub fn of_owner(conn: &Connection, owner_type: &str, owner_id: i64) -> rusqlite::Result<Vec<Row>> {
    let select = &statements().select;
    conn.prepare_cached(&format!(
        "{select} WHERE OWNER_TYPE = ?1 AND OWNER_ID = ?2 ORDER BY SORT, ID"
    ))?
    .query_map(params![owner_type, owner_id], read)?
    .collect()
}

/// Rows matching a WHERE clause (over the table's own column names), ordered and paged.
pub fn query(
    conn: &Connection,
    where_sql: &str,
    params: &[rusqlite::types::Value],
    order_sql: &str,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<(Vec<Row>, i64)> {
    let total: i64 = conn
        .prepare(&format!(
            "SELECT COUNT(*) FROM crm_product_row WHERE {where_sql}"
        ))?
        .query_row(rusqlite::params_from_iter(params), |r| r.get(0))?;
    let select = &statements().select;
    let rows = conn
        .prepare(&format!(
            "{select} WHERE {where_sql} ORDER BY {order_sql} LIMIT {limit} OFFSET {offset}"
        ))?
        .query_map(rusqlite::params_from_iter(params), read)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Inserts a row and returns its id.
pub fn insert(conn: &Connection, row: &Row) -> rusqlite::Result<i64> {
    conn.prepare_cached(&statements().insert)?
        .execute(&values(row)[..])?;
    Ok(conn.last_insert_rowid())
}

/// Writes every field of an existing row (owner excepted).
pub fn update(conn: &Connection, row: &Row) -> rusqlite::Result<()> {
    let mut written = values(row)[INSERTED.len() - UPDATED.len()..].to_vec();
    written.push(&row.id);
    conn.prepare_cached(&statements().update)?
        .execute(&written[..])?;
    Ok(())
}

/// Deletes one row.
pub fn delete(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM crm_product_row WHERE ID = ?1")?
        .execute([id])?;
    Ok(())
}

/// Deletes every row of an owner (the owner was deleted, or `set` replaces them).
pub fn delete_owner(conn: &Connection, owner_type: &str, owner_id: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM crm_product_row WHERE OWNER_TYPE = ?1 AND OWNER_ID = ?2")?
        .execute(params![owner_type, owner_id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row whose every field differs from the column defaults and from the others, so a
    /// value written to or read from the wrong column shows.
    fn distinct(owner_type: &str, owner_id: i64, base: f64) -> Row {
        Row {
            id: 0,
            owner_type: owner_type.to_string(),
            owner_id,
            product_id: 11,
            product_name: format!("name {base}"),
            price: base + 0.1,
            price_account: base + 0.2,
            price_exclusive: base + 0.3,
            price_netto: base + 0.4,
            price_brutto: base + 0.5,
            quantity: base + 0.6,
            discount_type_id: 1,
            discount_rate: base + 0.7,
            discount_sum: base + 0.8,
            tax_rate: Some(base + 0.9),
            tax_included: true,
            customized: false,
            measure_code: 796,
            measure_name: format!("unit {base}"),
            sort: 30,
            xml_id: format!("xml {base}"),
            kind: 7,
        }
    }

    #[test]
    fn every_field_survives_insert_and_update_and_update_keeps_the_owner() {
        let conn = Connection::open_in_memory().expect("memory db");
        conn.execute_batch(SCHEMA).expect("schema");
        let mut row = distinct("D", 5, 100.0);
        row.id = insert(&conn, &row).expect("insert");
        assert_eq!(get(&conn, row.id).expect("get"), Some(row.clone()));
        let mut changed = distinct("L", 9, 200.0);
        changed.id = row.id;
        changed.product_id = 12;
        changed.discount_type_id = 2;
        changed.tax_included = false;
        changed.customized = true;
        changed.measure_code = 6;
        changed.sort = 40;
        changed.kind = 4;
        update(&conn, &changed).expect("update");
        let stored = get(&conn, row.id).expect("get").expect("still there");
        assert_eq!(
            stored,
            Row {
                owner_type: row.owner_type.clone(),
                owner_id: row.owner_id,
                ..changed
            }
        );
        assert_eq!(of_owner(&conn, "D", 5).expect("rows"), vec![stored]);
    }
}
