//! The integration tests of `b24`, in one binary (one link of the sandbox, axum and rusqlite
//! instead of one per file): each module drives the built `b24` binary against an in-process
//! sandbox, or its embedded one for `demo`.

mod cli_auth;
mod cli_commands;
mod cli_events;
mod cli_export;
mod cli_import;
mod cli_import_fleet;
mod cli_pipe;
mod cli_postgres;
mod cli_postgres_jobs;
mod cli_support;
mod demo;
mod login_browser;
