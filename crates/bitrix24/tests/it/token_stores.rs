//! The token stores: what they keep, that their section excludes, and how the file store
//! writes (mode 0600, atomic replace, damage reported without contents).

use bitrix24::store::{FileStore, MemoryStore, TokenRecord, TokenStore};
use bitrix24::ErrorKind;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

pub(crate) fn record(member: &str, refresh: &str, generation: u64) -> TokenRecord {
    let mut r = TokenRecord::new(
        member,
        SecretString::from(format!("access-{refresh}")),
        SecretString::from(refresh.to_string()),
        1_900_000_000,
    );
    r.domain = "p.bitrix24.com".into();
    r.scope = "crm,user".into();
    r.client_endpoint = "https://p.bitrix24.com/rest/".into();
    r.server_endpoint = "https://oauth.bitrix.info/rest/".into();
    r.user_id = Some(5);
    r.generation = generation;
    r
}

/// Every store keeps, replaces, lists and forgets records by member_id.
pub(crate) async fn keeps_records(store: &dyn TokenStore) {
    assert!(store.load("m1").await.expect("load").is_none());
    assert!(store.portals().await.expect("portals").is_empty());
    store
        .save(&record("m1", "r-one", 1))
        .await
        .expect("save m1");
    store
        .save(&record("m2", "r-two", 1))
        .await
        .expect("save m2");
    store
        .save(&record("m1", "r-three", 2))
        .await
        .expect("replace m1");
    let got = store.load("m1").await.expect("load").expect("present");
    assert_eq!(got.refresh_token.expose_secret(), "r-three");
    assert_eq!(got.access_token.expose_secret(), "access-r-three");
    assert_eq!(
        (got.generation, got.user_id, got.expires_at),
        (2, Some(5), 1_900_000_000)
    );
    assert_eq!(got.client_endpoint, "https://p.bitrix24.com/rest/");
    assert_eq!(got.scope, "crm,user");
    assert_eq!(store.portals().await.expect("portals"), vec!["m1", "m2"]);
    store.delete("m1").await.expect("delete");
    assert!(store.load("m1").await.expect("load").is_none());
    assert_eq!(store.portals().await.expect("portals"), vec!["m2"]);
    let e = store.save(&record("", "r", 1)).await.expect_err("no key");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

/// While one holder is in the section, a second one (`other` may be another instance on
/// the same storage) waits; it then sees what the first saved.
pub(crate) async fn section_excludes(one: Arc<dyn TokenStore>, other: Arc<dyn TokenStore>) {
    one.save(&record("m", "r-0", 0)).await.expect("seed");
    let mut first = one.lock("m").await.expect("lock");
    assert_eq!(
        first
            .load()
            .await
            .expect("load")
            .expect("seeded")
            .generation,
        0
    );
    let waiter = tokio::spawn(async move {
        let mut second = other.lock("m").await.expect("second lock");
        let seen = second.load().await.expect("load").expect("present");
        drop(second);
        seen
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "the second holder got in while the first was inside"
    );
    first
        .save_and_unlock(&record("m", "r-1", 1))
        .await
        .expect("save");
    let seen = waiter.await.expect("join");
    assert_eq!(seen.refresh_token.expose_secret(), "r-1");
    assert_eq!(seen.generation, 1);
    // The section of one portal refuses a record of another.
    let wrong = one.lock("m").await.expect("lock");
    let e = wrong
        .save_and_unlock(&record("x", "r", 1))
        .await
        .expect_err("foreign");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(one.load("x").await.expect("load").is_none());
}

#[tokio::test]
async fn memory_store_keeps_records_and_its_section_excludes() {
    keeps_records(&MemoryStore::new()).await;
    let store = MemoryStore::new();
    section_excludes(Arc::new(store.clone()), Arc::new(store)).await;
}

#[tokio::test]
async fn file_store_keeps_records_across_instances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    keeps_records(&FileStore::new(&path).expect("store")).await;
    // A new instance (as after a restart) reads what the first wrote.
    let again = FileStore::new(&path).expect("store");
    let m2 = again.load("m2").await.expect("load").expect("kept");
    assert_eq!(m2.refresh_token.expose_secret(), "r-two");
}

#[tokio::test]
async fn file_store_section_holds_between_separate_instances() {
    // Two instances share no in-process state, so only the OS lock keeps them apart.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    let a: Arc<dyn TokenStore> = Arc::new(FileStore::new(&path).expect("a"));
    let b: Arc<dyn TokenStore> = Arc::new(FileStore::new(&path).expect("b"));
    section_excludes(a, b).await;
}

#[cfg(unix)]
#[tokio::test]
async fn file_store_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    let store = FileStore::new(&path).expect("store");
    store.save(&record("m", "r", 1)).await.expect("save");
    for p in [path.clone(), dir.path().join("tokens.json.lock")] {
        let mode = std::fs::metadata(&p).expect("exists").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
}

#[tokio::test]
async fn file_store_replaces_atomically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    let store = FileStore::new(&path).expect("store");
    store.save(&record("m", "r-0", 0)).await.expect("seed");
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 1..=200u64 {
                // A long value makes a torn write likely to be seen if writes were in place.
                let refresh = format!("r-{i}-{}", "x".repeat(4096));
                store.save(&record("m", &refresh, i)).await.expect("save");
            }
        })
    };
    let mut reads = 0;
    while !writer.is_finished() {
        let text = std::fs::read_to_string(&path).expect("the file always exists");
        let value: serde_json::Value = serde_json::from_str(&text).expect("never partial");
        assert!(value["portals"]["m"]["refresh_token"].is_string());
        reads += 1;
        tokio::task::yield_now().await;
    }
    writer.await.expect("writer");
    assert!(reads > 0);
    let last = store.load("m").await.expect("load").expect("present");
    assert_eq!(last.generation, 200);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[tokio::test]
async fn damaged_file_is_an_error_that_quotes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tokens.json");
    std::fs::write(
        &path,
        r#"{"version":1,"portals":{"m":{"refresh_token":"leak-me""#,
    )
    .expect("write");
    let store = FileStore::new(&path).expect("store");
    let e = store.load("m").await.expect_err("damaged");
    assert_eq!(e.kind(), ErrorKind::TokenStore);
    let shown = format!("{e} {e:?}");
    assert!(
        shown.contains("tokens.json") && !shown.contains("leak-me"),
        "{shown}"
    );
    // A save must not overwrite a file it cannot read (the tokens in it may be the only ones).
    assert!(store.save(&record("m", "r", 1)).await.is_err());
    assert!(std::fs::read_to_string(&path)
        .expect("kept")
        .contains("leak-me"));
    let e = FileStore::new("/").expect_err("no file name");
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn records_and_stores_never_show_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = FileStore::new(dir.path().join("t.json")).expect("store");
    let memory = MemoryStore::new();
    let rec = record("m", "refresh-secret-value", 1);
    file.save(&rec).await.expect("save");
    memory.save(&rec).await.expect("save");
    let shown = format!("{rec:?} {file:?} {memory:?}");
    assert!(!shown.contains("secret-value"), "{shown}");
    assert!(shown.contains("generation"));
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use bitrix24::store::SqliteStore;

    #[tokio::test]
    async fn sqlite_store_keeps_records_and_its_section_excludes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.db");
        keeps_records(&SqliteStore::open(&path).await.expect("open")).await;
        let a: Arc<dyn TokenStore> = Arc::new(SqliteStore::open(&path).await.expect("a"));
        let b: Arc<dyn TokenStore> = Arc::new(SqliteStore::open(&path).await.expect("b"));
        section_excludes(a, b).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn sqlite_file_is_private_and_hides_secrets() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tokens.db");
        let store = SqliteStore::open(&path).await.expect("open");
        store
            .save(&record("m", "sql-secret", 1))
            .await
            .expect("save");
        let mode = std::fs::metadata(&path).expect("db").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(!format!("{store:?}").contains("sql-secret"));
        // A dropped section (a crash mid-refresh) leaves the previous record.
        let locked = store.lock("m").await.expect("lock");
        drop(locked);
        let kept = store.load("m").await.expect("load").expect("kept");
        assert_eq!(kept.refresh_token.expose_secret(), "sql-secret");
    }
}
