//! Users, applications and incoming webhooks registered on the sandbox portal.

use super::secret;
use rusqlite::{params, Connection, OptionalExtension};

/// Scopes of the ready-made webhook (and of webhooks created without a scope).
pub const DEFAULT_WEBHOOK_SCOPE: &str = "crm,catalog,user,user_brief,user_basic,department";

/// What to register an OAuth application with.
#[derive(Debug, Clone)]
pub struct AppRegistration {
    /// Display name.
    pub name: String,
    /// Where `/oauth/authorize/` sends the browser with `code` (taken from the app settings,
    /// never from the request, as on the real portal).
    pub redirect_uri: String,
    /// Comma-separated scopes granted to the app, e.g. `crm,user`.
    pub scope: String,
    /// The app's install handler URL, posted to when the app is installed (may be empty).
    pub install_url: String,
}

impl Default for AppRegistration {
    fn default() -> Self {
        Self {
            name: "Sandbox app".into(),
            redirect_uri: "http://127.0.0.1/callback".into(),
            scope: "crm,user,event,placement".into(),
            install_url: String::new(),
        }
    }
}

/// A registered application and its credentials.
#[derive(Clone, PartialEq)]
pub struct App {
    /// Row id.
    pub id: i64,
    /// `client_id`, e.g. `local.6571c0d2a1b3e4.12345678`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// The token events carry in `auth[application_token]`.
    pub application_token: String,
    /// Redirect URI from the app settings.
    pub redirect_uri: String,
    /// Granted scopes, comma-separated.
    pub scope: String,
    /// Install handler URL (may be empty).
    pub install_url: String,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("id", &self.id)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// An incoming webhook.
#[derive(Clone, PartialEq)]
pub struct Webhook {
    /// Row id.
    pub id: i64,
    /// The user it runs as.
    pub user_id: i64,
    /// The secret path segment.
    pub secret: String,
    /// Granted scopes, comma-separated.
    pub scope: String,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Creates the default users when the portal is new: 1 is an administrator, 2 is not.
pub fn seed_users(conn: &Connection, now: i64) -> rusqlite::Result<()> {
    let users: [(i64, &str, &str, &str, i64); 2] = [
        (1, "Alex", "Admin", "admin@sandbox.bitrix24.test", 1),
        (2, "Maria", "Manager", "manager@sandbox.bitrix24.test", 0),
    ];
    for (id, name, last, email, admin) in users {
        conn.execute(
            "INSERT OR IGNORE INTO users (id, name, last_name, email, admin, date_register)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, name, last, email, admin, now],
        )?;
    }
    Ok(())
}

/// Whether the portal has a user with this id.
pub fn user_exists(conn: &Connection, user_id: i64) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM users WHERE id = ?1", [user_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Registers `app` of another portal here with the same `client_id` and `client_secret` (a
/// marketplace app installed on several portals) and a fresh `application_token`, which is
/// per installation.
pub fn register_shared_app(conn: &Connection, app: &App) -> rusqlite::Result<App> {
    let application_token = secret::hex(32);
    conn.execute(
        "INSERT INTO apps (client_id, client_secret, code, name, redirect_uri, install_url, scope,
                           application_token)
         VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7)",
        params![
            app.client_id,
            app.client_secret,
            "Shared app",
            app.redirect_uri,
            app.install_url,
            app.scope,
            application_token,
        ],
    )?;
    Ok(App {
        id: conn.last_insert_rowid(),
        application_token,
        ..app.clone()
    })
}

/// Registers (installs) an OAuth application with fresh credentials.
pub fn register_app(conn: &Connection, reg: &AppRegistration) -> rusqlite::Result<App> {
    let client_id = format!("local.{}.{}", secret::hex(14), secret::alnum(8));
    let client_secret = secret::alnum(50);
    let application_token = secret::hex(32);
    conn.execute(
        "INSERT INTO apps (client_id, client_secret, code, name, redirect_uri, install_url, scope,
                           application_token)
         VALUES (?1, ?2, ?1, ?3, ?4, ?5, ?6, ?7)",
        params![
            client_id,
            client_secret,
            reg.name,
            reg.redirect_uri,
            reg.install_url,
            reg.scope,
            application_token
        ],
    )?;
    Ok(App {
        id: conn.last_insert_rowid(),
        client_id,
        client_secret,
        application_token,
        redirect_uri: reg.redirect_uri.clone(),
        scope: reg.scope.clone(),
        install_url: reg.install_url.clone(),
    })
}

/// Finds an app by `client_id`.
pub fn app_by_client_id(conn: &Connection, client_id: &str) -> rusqlite::Result<Option<App>> {
    app_where(conn, "client_id = ?1", client_id)
}

/// Finds an app by row id.
pub fn app_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<App>> {
    app_where(conn, "id = ?1", &id.to_string())
}

fn app_where(conn: &Connection, cond: &str, arg: &str) -> rusqlite::Result<Option<App>> {
    conn.query_row(
        &format!(
            "SELECT id, client_id, client_secret, application_token, redirect_uri, scope,
                    install_url FROM apps WHERE {cond}"
        ),
        [arg],
        |r| {
            Ok(App {
                id: r.get(0)?,
                client_id: r.get(1)?,
                client_secret: r.get(2)?,
                application_token: r.get(3)?,
                redirect_uri: r.get(4)?,
                scope: r.get(5)?,
                install_url: r.get(6)?,
            })
        },
    )
    .optional()
}

/// Creates an incoming webhook for `user_id` with the given scopes.
pub fn create_webhook(conn: &Connection, user_id: i64, scope: &str) -> rusqlite::Result<Webhook> {
    let secret = secret::alnum(16);
    conn.execute(
        "INSERT INTO webhooks (user_id, secret, scope) VALUES (?1, ?2, ?3)",
        params![user_id, secret, scope],
    )?;
    Ok(Webhook {
        id: conn.last_insert_rowid(),
        user_id,
        secret,
        scope: scope.to_string(),
    })
}

/// The first webhook of a user, if any (the binary reuses it across restarts).
pub fn first_webhook(conn: &Connection) -> rusqlite::Result<Option<Webhook>> {
    conn.query_row(
        "SELECT id, user_id, secret, scope FROM webhooks ORDER BY id LIMIT 1",
        [],
        |r| {
            Ok(Webhook {
                id: r.get(0)?,
                user_id: r.get(1)?,
                secret: r.get(2)?,
                scope: r.get(3)?,
            })
        },
    )
    .optional()
}

/// The first registered app, if any (the binary reuses it across restarts).
pub fn first_app(conn: &Connection) -> rusqlite::Result<Option<App>> {
    app_where(conn, "id = (SELECT MIN(id) FROM apps) AND ?1 = ?1", "")
}
