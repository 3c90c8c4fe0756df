//! Installing and uninstalling apps on the sandbox portal, with the calls the real portal
//! makes to the app (protocol.md §1d): ONAPPINSTALL to the install handler URL and
//! ONAPPUNINSTALL to the app's bound handlers.

use crate::auth::apps::{self, App, AppRegistration};
use crate::events::{self as delivery, form, AppInfo, Delivery};
use crate::state::Portal;
use rusqlite::{params, OptionalExtension};
use serde_json::json;
use std::sync::Arc;

/// The user who installs apps: the portal administrator.
const INSTALLER: i64 = 1;

/// Registers and installs an app. When it has an `install_url`, the portal POSTs the
/// ONAPPINSTALL payload there (form-encoded, `auth[...]` with both tokens and the
/// `application_token`, `data[VERSION|ACTIVE|INSTALLED|LANGUAGE_ID]`, `ts`) and this
/// returns after the handler answered. A failed POST is logged, not an error: the app is
/// installed all the same, as on the real portal.
pub async fn install_app(portal: &Arc<Portal>, reg: &AppRegistration) -> rusqlite::Result<App> {
    let (app, delivery) = {
        let db = portal.db();
        let app = apps::register_app(&db, reg)?;
        let delivery = if app.install_url.is_empty() {
            None
        } else {
            let info = app_info(&db, app.id)?;
            let auth = delivery::app_auth(&db, portal, &info, INSTALLER, true)?;
            let version: String =
                db.query_row("SELECT version FROM apps WHERE id = ?1", [app.id], |r| {
                    r.get(0)
                })?;
            let data = json!({"VERSION": version, "ACTIVE": "Y", "INSTALLED": "Y",
                              "LANGUAGE_ID": "en"});
            let body = delivery::payload("ONAPPINSTALL", None, &data, portal.unix(), auth);
            Some(Delivery {
                url: app.install_url.clone(),
                body: form::build_query(&body),
                event: "ONAPPINSTALL".into(),
            })
        };
        (app, delivery)
    };
    if let Some(d) = delivery {
        delivery::deliver(portal, &d).await;
    }
    Ok(app)
}

/// Uninstalls an app: POSTs ONAPPUNINSTALL (no tokens in `auth`: only `domain`,
/// `member_id`, `application_token`, `client_endpoint`, `server_endpoint`; `data` with
/// `LANGUAGE_ID` and `CLEAN=0`) to each of the app's ONAPPUNINSTALL handlers and waits for
/// them, then removes the app's tokens, bindings and queued events and marks it not
/// installed (the OAuth server then refuses it).
pub async fn uninstall_app(portal: &Arc<Portal>, app: &App) -> rusqlite::Result<()> {
    let ep = delivery::endpoints(portal);
    let deliveries: Vec<Delivery> = {
        let db = portal.db();
        let mut stmt = db.prepare(
            "SELECT id, handler FROM event_handlers
             WHERE app_id = ?1 AND event_name = 'ONAPPUNINSTALL' AND offline = 0
             ORDER BY id",
        )?;
        let handlers = stmt
            .query_map([app.id], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let auth = json!({
            "domain": ep.domain,
            "client_endpoint": ep.client_endpoint,
            "server_endpoint": ep.server_endpoint,
            "member_id": portal.config.member_id,
            "application_token": app.application_token,
        });
        let data = json!({"LANGUAGE_ID": "en", "CLEAN": "0"});
        handlers
            .into_iter()
            .map(|(id, url)| {
                let body = delivery::payload(
                    "ONAPPUNINSTALL",
                    Some(id),
                    &data,
                    portal.unix(),
                    auth.clone(),
                );
                Delivery {
                    url,
                    body: form::build_query(&body),
                    event: "ONAPPUNINSTALL".into(),
                }
            })
            .collect()
    };
    for d in &deliveries {
        delivery::deliver(portal, d).await;
    }
    let db = portal.db();
    db.execute_batch("BEGIN IMMEDIATE")?;
    let removed = (|| {
        for table in [
            "access_tokens",
            "refresh_tokens",
            "oauth_codes",
            "event_handlers",
            "event_offline",
        ] {
            db.execute(&format!("DELETE FROM {table} WHERE app_id = ?1"), [app.id])?;
        }
        db.execute("UPDATE apps SET installed = 0 WHERE id = ?1", [app.id])?;
        Ok(())
    })();
    match removed {
        Ok(()) => db.execute_batch("COMMIT"),
        Err(e) => {
            let _ = db.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn app_info(conn: &rusqlite::Connection, app_id: i64) -> rusqlite::Result<AppInfo> {
    conn.query_row(
        "SELECT id, scope, status, application_token FROM apps WHERE id = ?1",
        params![app_id],
        |r| {
            Ok(AppInfo {
                id: r.get(0)?,
                scope: r.get(1)?,
                status: r.get(2)?,
                application_token: r.get(3)?,
            })
        },
    )
    .optional()?
    .ok_or(rusqlite::Error::QueryReturnedNoRows)
}
