//! One module per `b24` command.

pub mod demo;
pub mod sandbox;
