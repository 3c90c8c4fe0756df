//! What a build without a feature leaves out, said in every run: one ignored test per
//! missing feature, whose reason names the tests it stands for. Run with `--include-ignored`,
//! it fails, as the tests it stands for were not compiled.

#[cfg(not(feature = "axum"))]
#[test]
#[ignore = "needs --features axum: events_axum, events_lifecycle, portals"]
fn axum_tests() {
    panic!("built without the axum feature: cargo test -p bitrix24 --features axum");
}

#[cfg(not(feature = "sqlite"))]
#[test]
#[ignore = "needs --features sqlite: token_stores::sqlite, refresh_race::separate_sqlite_store_instances_refresh_once"]
fn sqlite_tests() {
    panic!("built without the sqlite feature: cargo test -p bitrix24 --features sqlite");
}

#[cfg(not(feature = "phone"))]
#[test]
#[ignore = "needs --features phone: phone::e164_on_write_makes_stored_numbers_uniform"]
fn phone_tests() {
    panic!("built without the phone feature: cargo test -p bitrix24 --features phone");
}

#[cfg(not(feature = "postgres"))]
#[test]
#[ignore = "needs --features postgres (and a server: eval \"$(.ci/postgres start)\"): postgres_tokens, postgres_budget, postgres_offline, postgres_portals (also axum)"]
fn postgres_tests() {
    panic!("built without the postgres feature: cargo test -p bitrix24 --features postgres");
}
