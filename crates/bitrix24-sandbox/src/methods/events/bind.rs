//! `event.bind`, `event.unbind`, `event.get` and `event.test` (protocol.md §7.1,
//! server-behavior.md §8; `rest/lib/api/event.php`, `rest/lib/handlerhelper.php`).

use super::catalog::{not_found, visible_event};
use super::params;
use crate::error::ApiError;
use crate::methods::{Call, Output};
use crate::php::value::lookup;
use rusqlite::params as sql;
use serde_json::{json, Map, Value};

/// `event.bind`: binds an online handler URL or an offline queue; returns `true`.
pub fn bind(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let app_id = params::app_id(call)?;
    let name = params::required(call, "EVENT")?.to_uppercase();
    let offline = event_type(call)?;
    let handler = if offline {
        String::new()
    } else {
        params::required(call, "HANDLER")?
    };
    let auth_type = params::int(call, "AUTH_TYPE", 0).max(0);
    if offline {
        params::require_admin(
            call,
            "Offline events binding requires administrator access rights",
        )?;
    }
    if auth_type > 0 && auth_type != call.caller.user_id {
        params::require_admin(
            call,
            "Event binding with AUTH_TYPE requires administrator access rights",
        )?;
    }
    let spec = visible_event(call, &name)?;
    if offline && !spec.offline {
        return Err(not_found());
    }
    if !offline {
        check_handler(&handler)?;
    }
    let min_timeout = min_timeout(call);
    let inserted = call.db.execute(
        "INSERT OR IGNORE INTO event_handlers
             (app_id, event_name, handler, user_id, offline, min_timeout, date_create)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        sql![
            app_id,
            spec.name,
            handler,
            auth_type,
            i64::from(offline),
            min_timeout,
            call.unix_now()
        ],
    )?;
    if inserted == 0 {
        // `EventTable::checkUniq` on (APP_ID, EVENT_NAME, EVENT_HANDLER, USER_ID, CONNECTOR_ID).
        return Err(ApiError::core(
            "Unable to set event handler: Handler already binded",
        ));
    }
    Ok(Output::new(true))
}

/// `event.unbind`: removes matching bindings of the calling app; returns `{"count": n}`.
pub fn unbind(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let app_id = params::app_id(call)?;
    let name = params::required(call, "EVENT")?.to_uppercase();
    let offline = event_type(call)?;
    let handler = if offline {
        String::new()
    } else {
        params::required(call, "HANDLER")?
    };
    if offline {
        params::require_admin(
            call,
            "Offline events binding requires administrator access rights",
        )?;
    }
    // Without AUTH_TYPE every user's binding of that handler goes; with it, only that user's.
    let user = params::get(call, "AUTH_TYPE").map(crate::php::value::intval);
    let count = call.db.execute(
        "DELETE FROM event_handlers
         WHERE app_id = ?1 AND event_name = ?2 AND handler = ?3 AND offline = ?4
           AND (?5 IS NULL OR user_id = ?5)",
        sql![app_id, name, handler, i64::from(offline), user],
    )?;
    Ok(Output::new(json!({ "count": count })))
}

/// `event.get`: the calling app's bindings, oldest first.
pub fn get(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let app_id = params::app_id(call)?;
    let mut stmt = call.db.prepare(
        "SELECT event_name, handler, user_id, connector_id, offline
         FROM event_handlers WHERE app_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([app_id], |r| {
        let offline: i64 = r.get(4)?;
        Ok(if offline != 0 {
            json!({"event": r.get::<_, String>(0)?, "connector_id": r.get::<_, String>(3)?,
                   "offline": 1})
        } else {
            // AUTH_TYPE comes from the database as a string, as on the portal.
            json!({"event": r.get::<_, String>(0)?, "handler": r.get::<_, String>(1)?,
                   "auth_type": r.get::<_, i64>(2)?.to_string(), "offline": 0})
        })
    })?;
    let list = rows.collect::<Result<Vec<Value>, _>>()?;
    Ok(Output::new(Value::Array(list)))
}

/// `event.test`: raises `ONAPPTEST` for the calling app with the call's parameters under
/// `data[QUERY]`; returns `1`.
pub fn test(call: &mut Call<'_>) -> Result<Output, ApiError> {
    let query = Value::Object(call.params.clone());
    call.raise("ONAPPTEST", json!({ "QUERY": query }));
    Ok(Output::new(1))
}

/// `EVENT_TYPE`: `online` (default) or `offline`, case-insensitive; true for offline.
fn event_type(call: &Call<'_>) -> Result<bool, ApiError> {
    let t = params::text(call, "EVENT_TYPE").to_lowercase();
    match t.as_str() {
        "" | "online" => Ok(false),
        "offline" => Ok(true),
        _ => Err(ApiError::argument(
            "EVENT_TYPE",
            "Value of argument 'EVENT_TYPE' must be one of: online, offline",
        )),
    }
}

/// `OPTIONS[minTimeout]`: seconds between two `ONOFFLINEEVENT` calls (default 1).
fn min_timeout(call: &Call<'_>) -> i64 {
    let Some(Value::Object(options)) = params::get(call, "OPTIONS") else {
        return 1;
    };
    let opts: &Map<String, Value> = options;
    lookup(opts, &["minTimeout", "MINTIMEOUT", "mintimeout"])
        .map_or(1, crate::php::value::intval)
        .max(0)
}

/// `HandlerHelper::checkCallback`: the URL must have a host containing a dot (not first) and
/// the scheme http or https. As on the real portal, `http://localhost/…` (and `[::1]`) give
/// `ERROR_WRONG_HANDLER_URL`, while `127.0.0.1` passes: a test receiver binds 127.0.0.1.
pub fn check_handler(url: &str) -> Result<(), ApiError> {
    let wrong = || ApiError::new(400, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL");
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| wrong())?;
    let host = parsed.host_str().unwrap_or("");
    let dotted = host.find('.').is_some_and(|i| i > 0);
    if !dotted {
        return Err(wrong());
    }
    match parsed.scheme() {
        "http" | "https" => Ok(()),
        // The exact text of this error is not in the docs; the code is.
        _ => Err(ApiError::new(
            400,
            "ERROR_UNSUPPORTED_PROTOCOL",
            "Unsupported event handler protocol",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check_handler;

    #[test]
    fn handler_urls_follow_the_portal() {
        assert!(check_handler("https://app.example.com/h").is_ok());
        assert!(check_handler("http://127.0.0.1:8080/h").is_ok());
        let code = |u: &str| check_handler(u).err().map(|e| e.code);
        for host in ["localhost", "LOCALHOST", "[::1]"] {
            assert_eq!(
                code(&format!("http://{host}:8080/h")).as_deref(),
                Some("ERROR_WRONG_HANDLER_URL"),
                "{host}"
            );
        }
        assert_eq!(
            code("http://intranet/h").as_deref(),
            Some("ERROR_WRONG_HANDLER_URL")
        );
        assert_eq!(
            code("not a url").as_deref(),
            Some("ERROR_WRONG_HANDLER_URL")
        );
        assert_eq!(
            code("http://.example.com/").as_deref(),
            Some("ERROR_WRONG_HANDLER_URL")
        );
        assert_eq!(
            code("ftp://files.example.com/").as_deref(),
            Some("ERROR_UNSUPPORTED_PROTOCOL")
        );
    }
}
