//! Bulk seeding of realistic leads for benchmarks, the admin API and demos.
//!
//! Deterministic (a fixed LCG), one savepoint, prepared statements: a million leads take
//! seconds, not minutes.

use super::entity::Kind;
use rusqlite::{params, Connection};

const FIRST: [&str; 12] = [
    "Ivan",
    "Мария",
    "Алексей",
    "Anna",
    "Дмитрий",
    "John",
    "Ольга",
    "Peter",
    "Елена",
    "Sergey",
    "Наталья",
    "Kate",
];
const LAST: [&str; 12] = [
    "Petrov",
    "Иванова",
    "Смирнов",
    "Smith",
    "Кузнецов",
    "Brown",
    "Попова",
    "Sokolov",
    "Васильева",
    "Novak",
    "Морозов",
    "Lee",
];
const STATUSES: [(&str, &str); 5] = [
    ("NEW", "P"),
    ("IN_PROCESS", "P"),
    ("PROCESSED", "P"),
    ("JUNK", "F"),
    ("CONVERTED", "S"),
];
const SOURCES: [&str; 5] = ["CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER"];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let n = items.len().max(1) as u64;
        items.get((self.next() % n) as usize).copied().unwrap_or("")
    }
}

/// A phone in one of the formats people really type: `+7 903 123-45-67`,
/// `8 (903) 123-45-67`, `79031234567`.
fn phone(rng: &mut Lcg, i: usize) -> String {
    let code = 900 + rng.next() % 100;
    let n = (i as u64 * 7919 + rng.next()) % 10_000_000;
    let (a, b, c) = (n / 10_000, (n / 100) % 100, n % 100);
    match i % 3 {
        0 => format!("+7 {code} {a:03}-{b:02}-{c:02}"),
        1 => format!("8 ({code}) {a:03}-{b:02}-{c:02}"),
        _ => format!("7{code}{a:03}{b:02}{c:02}"),
    }
}

/// Inserts `count` leads created around `now` (unix seconds), each with a phone and most
/// with an e-mail, and indexes them for duplicate search.
pub fn seed_leads(conn: &Connection, count: usize, now: i64) -> rusqlite::Result<()> {
    conn.execute_batch("SAVEPOINT seed_leads")?;
    let result = insert_all(conn, count, now);
    match result {
        Ok(()) => conn.execute_batch("RELEASE seed_leads"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO seed_leads; RELEASE seed_leads");
            Err(e)
        }
    }
}

fn insert_all(conn: &Connection, count: usize, now: i64) -> rusqlite::Result<()> {
    let mut lead = conn.prepare(
        "INSERT INTO crm_lead (TITLE, NAME, LAST_NAME, SOURCE_ID, STATUS_ID, STATUS_SEMANTIC_ID,
           CURRENCY_ID, OPPORTUNITY, IS_MANUAL_OPPORTUNITY, HAS_PHONE, HAS_EMAIL, HAS_IMOL,
           ASSIGNED_BY_ID, CREATED_BY_ID, MODIFY_BY_ID, DATE_CREATE, DATE_MODIFY, OPENED,
           IS_RETURN_CUSTOMER, MOVED_BY_ID, MOVED_TIME)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'RUB', ?7, 'N', 'Y', ?8, 'N', ?9, 1, 1, ?10, ?10, 'Y',
           'N', 1, ?10)",
    )?;
    let mut fm = conn.prepare(
        "INSERT INTO crm_fm (entity_type_id, element_id, type_id, value_type, value)
         VALUES (1, ?1, ?2, ?3, ?4)",
    )?;
    let mut rng = Lcg(0x5eed);
    for i in 0..count {
        let first = rng.pick(&FIRST);
        let last = rng.pick(&LAST);
        let (status, semantic) = STATUSES
            .get((rng.next() % STATUSES.len() as u64) as usize)
            .copied()
            .unwrap_or(("NEW", "P"));
        let has_email = i % 4 != 3;
        let created = now - (count - i) as i64 * 30;
        let amount = (rng.next() % 100_000) as f64;
        lead.execute(params![
            format!("{first} {last}"),
            first,
            last,
            rng.pick(&SOURCES),
            status,
            semantic,
            amount,
            if has_email { "Y" } else { "N" },
            1 + (i % 2) as i64,
            created,
        ])?;
        let id = conn.last_insert_rowid();
        let vt = if i % 2 == 0 { "WORK" } else { "MOBILE" };
        fm.execute(params![id, "PHONE", vt, phone(&mut rng, i)])?;
        if has_email {
            let email = format!("lead{i}@example{}.com", i % 10);
            fm.execute(params![id, "EMAIL", "WORK", email])?;
        }
        super::duplicate::reindex(conn, Kind::Lead.type_id(), id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_leads_have_phones_in_mixed_formats() {
        let conn = crate::methods::crm::test_db();
        seed_leads(&conn, 30, 1_700_000_000).expect("seed");
        let leads: i64 = conn
            .query_row("SELECT COUNT(*) FROM crm_lead", [], |r| r.get(0))
            .expect("count");
        assert_eq!(leads, 30);
        let plus: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM crm_fm WHERE value LIKE '+7 %'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        let eight: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM crm_fm WHERE value LIKE '8 (%'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!((plus, eight), (10, 10));
        let cyrillic: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM crm_lead WHERE NAME GLOB '*[А-я]*'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert!(cyrillic > 0);
    }
}
