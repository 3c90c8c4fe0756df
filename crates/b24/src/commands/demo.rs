//! `b24 demo`: the main job on an embedded sandbox (being written).

use crate::exit::CliResult;

/// Arguments of `b24 demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many leads to seed for the export part.
    #[arg(long, default_value_t = 5000)]
    pub leads: usize,
}

/// Runs the demo.
pub async fn run(_args: DemoArgs) -> CliResult {
    Err(crate::exit::CliError::Other("the demo is not written yet".into()))
}
