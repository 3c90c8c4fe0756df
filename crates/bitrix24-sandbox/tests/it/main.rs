//! The sandbox's integration tests, in one binary: each module was a test binary of its own,
//! and every one of them linked axum, rusqlite and reqwest again. Shared helpers live in
//! `common/`.

mod common;

mod admin;
mod auth;
mod batch;
mod catalog;
mod crm_classic;
mod crm_deal_contacts;
mod crm_directories;
mod crm_item;
mod crm_item_filters;
mod crm_lists;
mod crm_multifields;
mod crm_productrows;
mod crm_timeline;
mod crm_userfields;
mod durability;
mod edge_numbers;
mod envelope;
mod events_bind;
mod events_delivery;
mod events_offline;
mod faults;
mod fleet;
mod fuzz_seeds;
mod inspector;
mod inspector_browser;
mod limits;
mod oauth;
mod oauth_faults;
mod random_bodies;
mod read_path;
mod system;
mod users;
