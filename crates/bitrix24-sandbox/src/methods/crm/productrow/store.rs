//! SQL storage of product rows (`b_crm_product_row`): one table both APIs share.

use super::row::Row;
use rusqlite::{params, Connection, OptionalExtension};

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

const COLUMNS: &str = "ID, OWNER_TYPE, OWNER_ID, PRODUCT_ID, PRODUCT_NAME, PRICE, PRICE_ACCOUNT, \
    PRICE_EXCLUSIVE, PRICE_NETTO, PRICE_BRUTTO, QUANTITY, DISCOUNT_TYPE_ID, DISCOUNT_RATE, \
    DISCOUNT_SUM, TAX_RATE, TAX_INCLUDED, CUSTOMIZED, MEASURE_CODE, MEASURE_NAME, SORT, XML_ID, TYPE";

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

fn flag(b: bool) -> &'static str {
    if b {
        "Y"
    } else {
        "N"
    }
}

/// One row by id.
pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Row>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM crm_product_row WHERE ID = ?1"
    ))?
    .query_row([id], read)
    .optional()
}

/// The rows of an owner ordered by `SORT, ID` (`LoadRows`, and the order of an item's rows).
pub fn of_owner(conn: &Connection, owner_type: &str, owner_id: i64) -> rusqlite::Result<Vec<Row>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM crm_product_row WHERE OWNER_TYPE = ?1 AND OWNER_ID = ?2 \
         ORDER BY SORT, ID"
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
    let rows = conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM crm_product_row WHERE {where_sql} ORDER BY {order_sql} \
             LIMIT {limit} OFFSET {offset}"
        ))?
        .query_map(rusqlite::params_from_iter(params), read)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Inserts a row and returns its id.
pub fn insert(conn: &Connection, row: &Row) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO crm_product_row (OWNER_TYPE, OWNER_ID, PRODUCT_ID, PRODUCT_NAME, PRICE, \
         PRICE_ACCOUNT, PRICE_EXCLUSIVE, PRICE_NETTO, PRICE_BRUTTO, QUANTITY, DISCOUNT_TYPE_ID, \
         DISCOUNT_RATE, DISCOUNT_SUM, TAX_RATE, TAX_INCLUDED, CUSTOMIZED, MEASURE_CODE, \
         MEASURE_NAME, SORT, XML_ID, TYPE) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
         ?19, ?20, ?21)",
    )?
    .execute(params![
        row.owner_type,
        row.owner_id,
        row.product_id,
        row.product_name,
        row.price,
        row.price_account,
        row.price_exclusive,
        row.price_netto,
        row.price_brutto,
        row.quantity,
        row.discount_type_id,
        row.discount_rate,
        row.discount_sum,
        row.tax_rate,
        flag(row.tax_included),
        flag(row.customized),
        row.measure_code,
        row.measure_name,
        row.sort,
        row.xml_id,
        row.kind,
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Writes every field of an existing row (owner excepted).
pub fn update(conn: &Connection, row: &Row) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE crm_product_row SET PRODUCT_ID = ?1, PRODUCT_NAME = ?2, PRICE = ?3, \
         PRICE_ACCOUNT = ?4, PRICE_EXCLUSIVE = ?5, PRICE_NETTO = ?6, PRICE_BRUTTO = ?7, \
         QUANTITY = ?8, DISCOUNT_TYPE_ID = ?9, DISCOUNT_RATE = ?10, DISCOUNT_SUM = ?11, \
         TAX_RATE = ?12, TAX_INCLUDED = ?13, CUSTOMIZED = ?14, MEASURE_CODE = ?15, \
         MEASURE_NAME = ?16, SORT = ?17, XML_ID = ?18, TYPE = ?19 WHERE ID = ?20",
    )?
    .execute(params![
        row.product_id,
        row.product_name,
        row.price,
        row.price_account,
        row.price_exclusive,
        row.price_netto,
        row.price_brutto,
        row.quantity,
        row.discount_type_id,
        row.discount_rate,
        row.discount_sum,
        row.tax_rate,
        flag(row.tax_included),
        flag(row.customized),
        row.measure_code,
        row.measure_name,
        row.sort,
        row.xml_id,
        row.kind,
        row.id,
    ])?;
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
