//! Named profiles in `config.json` in the user's config directory, and the token database
//! beside it. Both hold secrets, so both are written with mode 0600 (the config atomically).
//! With a shared store both live in its database instead ([`crate::profiles`]).
//!
//! Directory: `$B24_CONFIG_DIR`, else `$XDG_CONFIG_HOME/b24`, else `$HOME/.config/b24`.

use crate::exit::{CliError, CliResult};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One way of reaching a portal.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Profile {
    /// An incoming webhook URL (it contains the secret).
    Webhook {
        /// The webhook URL.
        url: String,
    },
    /// An OAuth application; its tokens live in the token database under `member_id`.
    Oauth {
        /// Portal URL, e.g. `https://example.bitrix24.com`.
        portal: String,
        /// OAuth server URL (`https://oauth.bitrix.info` for the cloud).
        oauth_server: String,
        /// Application client id.
        client_id: String,
        /// Application client secret.
        client_secret: String,
        /// The portal's member id, known after the first login.
        member_id: String,
    },
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Profile::Webhook { .. } => f.write_str("Profile::Webhook(..)"),
            Profile::Oauth {
                portal, client_id, ..
            } => f
                .debug_struct("Profile::Oauth")
                .field("portal", portal)
                .field("client_id", client_id)
                .finish_non_exhaustive(),
        }
    }
}

/// The config file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Config {
    /// The profile used when none is named.
    #[serde(default)]
    pub default: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Where the CLI keeps its files.
#[derive(Debug, Clone)]
pub struct Paths {
    dir: PathBuf,
}

impl Paths {
    /// Resolves the config directory from the environment.
    pub fn from_env() -> CliResult<Self> {
        let dir = if let Some(d) = std::env::var_os("B24_CONFIG_DIR") {
            PathBuf::from(d)
        } else if let Some(d) = std::env::var_os("XDG_CONFIG_HOME") {
            PathBuf::from(d).join("b24")
        } else if let Some(h) = std::env::var_os("HOME") {
            PathBuf::from(h).join(".config").join("b24")
        } else {
            return Err(CliError::Usage(
                "cannot find a config directory: set B24_CONFIG_DIR or HOME".into(),
            ));
        };
        Ok(Self { dir })
    }

    /// The config directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `config.json`.
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    /// The SQLite token database.
    pub fn token_db(&self) -> PathBuf {
        self.dir.join("tokens.db")
    }
}

impl Config {
    /// Reads the config, or an empty one when there is none yet.
    pub fn load(paths: &Paths) -> CliResult<Self> {
        let file = paths.config_file();
        match std::fs::read(&file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                CliError::Usage(format!(
                    "{} is not a valid b24 config ({e}); fix or delete it",
                    file.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(CliError::Other(format!(
                "cannot read {}: {e}",
                file.display()
            ))),
        }
    }

    /// Writes the config atomically with mode 0600.
    pub fn save(&self, paths: &Paths) -> CliResult {
        std::fs::create_dir_all(paths.dir())?;
        let file = paths.config_file();
        let tmp = paths
            .dir()
            .join(format!(".config.json.{}.tmp", std::process::id()));
        let text = serde_json::to_vec_pretty(self).map_err(|e| CliError::Other(e.to_string()))?;
        {
            let mut f = open_private(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &file)?;
        Ok(())
    }

    /// The profile to use: `name`, else `$B24_PROFILE`, else the default, else the only one.
    pub fn select(&self, name: Option<&str>) -> CliResult<(String, Profile)> {
        let env = std::env::var("B24_PROFILE").ok();
        let wanted = name
            .map(str::to_string)
            .or(env)
            .or_else(|| self.default.clone())
            .or_else(|| {
                (self.profiles.len() == 1)
                    .then(|| self.profiles.keys().next().cloned())
                    .flatten()
            });
        let Some(wanted) = wanted else {
            return Err(CliError::Auth(
                "no profile configured: run `b24 auth login …` or `b24 auth webhook URL`, \
                 or set B24_WEBHOOK"
                    .into(),
            ));
        };
        match self.profiles.get(&wanted) {
            Some(p) => Ok((wanted, p.clone())),
            None => Err(CliError::Usage(format!(
                "unknown profile '{wanted}'; known profiles: {}",
                if self.profiles.is_empty() {
                    "none".to_string()
                } else {
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                }
            ))),
        }
    }
}

/// Creates a file readable and writable by the owner only.
pub fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_is_private_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths {
            dir: dir.path().join("b24"),
        };
        let mut c = Config::default();
        c.profiles.insert(
            "hook".into(),
            Profile::Webhook {
                url: "https://p.example/rest/1/secret/".into(),
            },
        );
        c.save(&paths).unwrap();
        let back = Config::load(&paths).unwrap();
        assert_eq!(back.profiles, c.profiles);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(paths.config_file())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{:?}", back.profiles).contains("secret"));
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let mut c = Config::default();
        c.profiles
            .insert("a".into(), Profile::Webhook { url: "x".into() });
        c.profiles
            .insert("b".into(), Profile::Webhook { url: "y".into() });
        let err = c.select(Some("zzz")).unwrap_err();
        assert!(err.to_string().contains("known profiles: a, b"), "{err}");
    }
}
