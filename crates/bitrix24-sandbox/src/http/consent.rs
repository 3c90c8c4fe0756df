//! The HTML of `/oauth/authorize/`: the consent page and the error page.
//!
//! The page is small and stable for headless-browser tests: the Allow button is
//! `button#allow`, the Deny button `button#deny`, an error is shown in `#error`.

use crate::auth::consent::Consent;

const STYLE: &str = "body{font-family:system-ui,sans-serif;background:#eef2f4;margin:0;\
color:#333}main{max-width:420px;margin:64px auto;background:#fff;border-radius:10px;\
padding:28px 32px;box-shadow:0 2px 12px rgba(0,0,0,.08)}h1{font-size:20px;margin:0 0 12px}\
.scopes{padding-left:20px}.scopes li{font-family:monospace;margin:2px 0}\
.user{color:#666;font-size:13px}.actions{display:flex;gap:12px;margin-top:22px}\
button{flex:1;font-size:15px;padding:10px;border-radius:6px;border:1px solid #bbb;\
background:#fff;cursor:pointer}#allow{background:#2fc6f6;border-color:#2fc6f6;color:#fff}\
#error{color:#b00020}";

/// The consent page for `consent`, with the hidden fields the Allow/Deny form posts back.
pub fn page(consent: &Consent, state: &str, token: &str) -> String {
    let scopes: String = crate::auth::split_scope(&consent.scope)
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let body = format!(
        "<h1>Allow <b id=\"app-name\">{app}</b> to access the portal?</h1>\
         <p>The application asks for these scopes:</p>\
         <ul class=\"scopes\" id=\"scopes\">{scopes}</ul>\
         <p class=\"user\">Acting as user {uid} ({user}). The sandbox has no login: \
         add <code>user_id=N</code> to the address to act as another user.</p>\
         <form method=\"post\" action=\"/oauth/authorize/\">\
         <input type=\"hidden\" name=\"client_id\" value=\"{client_id}\">\
         <input type=\"hidden\" name=\"state\" value=\"{state}\">\
         <input type=\"hidden\" name=\"user_id\" value=\"{uid}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <div class=\"actions\">\
         <button id=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         <button id=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         </div></form>",
        app = escape(&consent.app_name),
        uid = consent.user_id,
        user = escape(&consent.user_name),
        client_id = escape(&consent.client_id),
        state = escape(state),
        token = escape(token),
    );
    document("Application access", &body)
}

/// The page shown instead of a redirect when authorization cannot go on.
pub fn error(message: &str) -> String {
    let body = format!(
        "<h1>Authorization failed</h1><p id=\"error\">{}</p>",
        escape(message)
    );
    document("Authorization failed", &body)
}

/// The page of an app registered without a redirect URI: the code is shown for copying.
pub fn code(code: &str) -> String {
    let body = format!(
        "<h1>Authorization code</h1><p>Copy this code into the application \
         (it works once, within 30 seconds):</p><p><code id=\"code\">{}</code></p>",
        escape(code)
    );
    document("Authorization code", &body)
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} - Bitrix24 sandbox</title><style>{STYLE}</style></head>\
         <body><main>{body}</main></body></html>"
    )
}

/// Escapes text for HTML content and double- or single-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consent(name: &str) -> Consent {
        Consent {
            app_id: 1,
            client_id: "local.1".into(),
            app_name: name.into(),
            scope: "crm,user".into(),
            redirect_uri: "http://x/cb".into(),
            user_id: 1,
            user_name: "Alex Admin".into(),
        }
    }

    #[test]
    fn page_escapes_app_name_and_state() {
        let html = page(&consent("<script>x</script>"), "\"><img>", "t");
        assert!(!html.contains("<script>x"));
        assert!(html.contains("&lt;script&gt;x"));
        assert!(html.contains("value=\"&quot;&gt;&lt;img&gt;\""));
    }

    #[test]
    fn page_lists_scopes_and_has_the_buttons() {
        let html = page(&consent("Demo"), "s", "tok");
        assert!(html.contains("<li>crm</li><li>user</li>"));
        assert!(html.contains("<button id=\"allow\" type=\"submit\""));
        assert!(html.contains("name=\"token\" value=\"tok\""));
    }
}
