//! Helpers for tests written in Rust: seed data in one call and, with the feature `client`,
//! get `bitrix24` client types straight from the sandbox (an OAuth app, the consent page
//! played like a browser, a session from freshly issued tokens).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use bitrix24_sandbox::Sandbox;
//! let sandbox = Sandbox::builder().start().await?;
//! sandbox.seed_leads(500)?; // 500 leads with phones in mixed formats and e-mails
//! # Ok(()) }
//! ```

#[cfg(feature = "client")]
mod client;

use crate::builder::Sandbox;

impl Sandbox {
    /// Inserts `count` leads straight into the portal's database (no HTTP, no rate limit):
    /// titles, names, phones in the formats people type (`+7 903 …`, `8 (903) …`,
    /// `7903…`), most with an e-mail, indexed for duplicate search like leads added over
    /// REST.
    ///
    /// # Errors
    /// The database's, which for an in-memory sandbox means a bug.
    pub fn seed_leads(&self, count: usize) -> rusqlite::Result<()> {
        let portal = self.portal();
        crate::methods::crm::seed::seed_leads(&portal.db(), count, portal.unix())
    }
}
