//! One module per `b24` command.

pub mod auth;
pub mod auth_login;
pub mod call;
pub mod demo;
pub mod events;
pub mod events_checkpoint;
pub mod export;
pub mod find_phone;
pub mod import;
pub mod list;
pub mod sandbox;
