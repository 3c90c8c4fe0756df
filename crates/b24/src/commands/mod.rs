//! One module per `b24` command.

pub mod sandbox;
