//! Where the profiles live, chosen once from the store setting: `config.json` in the config
//! directory without a store, the table `b24_profiles` of the shared store with one. The
//! commands read and change profiles only through [`Profiles`], so none branches on it.
//!
//! With a store, new profiles go to the store, and the profiles of this machine's
//! `config.json` are still read for the names the store lacks (the store's default first):
//! a setup made before the store held profiles keeps working, and `logout` removes a name
//! from both.
//!
//! In the table a profile is kept as the file keeps it (its JSON, webhook URL or client
//! secret included): the database's access control protects the row as mode 0600 protects
//! the file. Nothing here prints a profile other than through its secret-free `Debug`.

use crate::config::{Config, Paths, Profile};
use crate::exit::{CliError, CliResult};
use crate::shared::{db_error, shared_database};
use bitrix24::postgres::Database;

/// The advisory-lock key serializing changes of `b24_profiles` ("b24prof"), so that the
/// default is set by exactly one of two first logins.
const PROFILES_LOCK: i64 = 0x6232_3470_726f_6600;

/// The profile store.
#[derive(Debug, Clone)]
pub enum Profiles {
    /// `config.json` in the config directory.
    File(Paths),
    /// The `b24_profiles` table of the shared store, over this machine's `config.json`.
    Shared(Database, Paths),
}

impl Profiles {
    /// The shared store's profiles when a store is set, else the config directory's.
    ///
    /// # Errors
    /// As [`shared_database`].
    pub async fn open(paths: &Paths) -> CliResult<Self> {
        Ok(match shared_database().await? {
            Some(db) => Profiles::Shared(db, paths.clone()),
            None => Profiles::File(paths.clone()),
        })
    }

    /// Every profile and the default (with a store: the store's, then the file's for the
    /// names the store lacks).
    ///
    /// # Errors
    /// [`CliError::Usage`] for a damaged config or row; [`CliError::Other`] when it cannot be
    /// read.
    pub async fn load(&self) -> CliResult<Config> {
        let (db, paths) = match self {
            Profiles::File(paths) => return Config::load(paths),
            Profiles::Shared(db, paths) => (db, paths),
        };
        let client = connection(db).await?;
        let rows = client
            .query(
                "SELECT name, profile, is_default FROM b24_profiles ORDER BY name",
                &[],
            )
            .await
            .map_err(|e| db_error("cannot read the profiles", e))?;
        let mut config = Config::load(paths)?;
        let mut default = None;
        for row in rows {
            let name: String = row.get(0);
            let text: String = row.get(1);
            // The parse error names the field, never its value.
            let profile: Profile = serde_json::from_str(&text).map_err(|e| {
                CliError::Usage(format!(
                    "profile '{name}' in the store is damaged ({e}); remove it with \
                     `b24 auth logout --profile {name}` and log in again"
                ))
            })?;
            if row.get::<_, bool>(2) {
                default = Some(name.clone());
            }
            config.profiles.insert(name, profile);
        }
        if default.is_some() {
            config.default = default;
        }
        Ok(config)
    }

    /// Saves `profile` as `name` (replacing one of that name); it becomes the default when
    /// there is none.
    ///
    /// # Errors
    /// [`CliError::Other`] when it cannot be written.
    pub async fn put(&self, name: &str, profile: &Profile) -> CliResult {
        let db = match self {
            Profiles::File(paths) => {
                let mut config = Config::load(paths)?;
                config.profiles.insert(name.to_string(), profile.clone());
                if config.default.is_none() {
                    config.default = Some(name.to_string());
                }
                return config.save(paths);
            }
            Profiles::Shared(db, _) => db,
        };
        let text = serde_json::to_string(profile).map_err(|e| CliError::Other(e.to_string()))?;
        let mut client = connection(db).await?;
        let fail = |e| db_error("cannot save the profile", e);
        let tx = client.transaction().await.map_err(fail)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PROFILES_LOCK])
            .await
            .map_err(fail)?;
        tx.execute(
            "INSERT INTO b24_profiles (name, profile) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET profile = excluded.profile, updated_at = now()",
            &[&name, &text],
        )
        .await
        .map_err(fail)?;
        tx.execute(
            "UPDATE b24_profiles SET is_default = true WHERE name = $1
             AND NOT EXISTS (SELECT 1 FROM b24_profiles WHERE is_default)",
            &[&name],
        )
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    /// Removes the profile `name` (no longer the default, if it was); with a store, from the
    /// store and from `config.json` both.
    ///
    /// # Errors
    /// [`CliError::Other`] when it cannot be written.
    pub async fn remove(&self, name: &str) -> CliResult {
        let (db, paths) = match self {
            Profiles::File(paths) => return remove_from_file(paths, name),
            Profiles::Shared(db, paths) => (db, paths),
        };
        if Config::load(paths)?.profiles.contains_key(name) {
            remove_from_file(paths, name)?;
        }
        connection(db)
            .await?
            .execute("DELETE FROM b24_profiles WHERE name = $1", &[&name])
            .await
            .map_err(|e| db_error("cannot remove the profile", e))?;
        Ok(())
    }
}

fn remove_from_file(paths: &Paths, name: &str) -> CliResult {
    let mut config = Config::load(paths)?;
    config.profiles.remove(name);
    if config.default.as_deref() == Some(name) {
        config.default = None;
    }
    config.save(paths)
}

async fn connection(db: &Database) -> CliResult<bitrix24::postgres::deadpool_postgres::Object> {
    db.pool()
        .get()
        .await
        .map_err(|e| db_error("cannot get a connection", e))
}
