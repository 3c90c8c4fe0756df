//! The inspector's pages, one file per section.

pub mod budgets;
pub mod crm;
pub mod events;
pub mod requests;
