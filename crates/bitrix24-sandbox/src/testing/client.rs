//! `bitrix24` client types made by the sandbox (feature `client`): what a Rust test against
//! the sandbox needs in one call each, instead of scraping the consent page or assembling a
//! token record by hand.
//!
//! ```no_run
//! # async fn demo() -> bitrix24::Result<()> {
//! use bitrix24::Client;
//! use bitrix24_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::builder().start().await.expect("sandbox");
//! // As if user 1 had installed the ready-made app: tokens issued, kept in a memory store.
//! let session = sandbox.oauth_session(sandbox.app(), 1).await?;
//! let client = Client::builder().oauth(session).build()?;
//!
//! // Or the real dance: the consent page played like a browser, Allow pressed as user 2.
//! let app = sandbox.oauth_app(sandbox.app());
//! let redirect = sandbox.authorize(&app, 2).await?;
//! let store = std::sync::Arc::new(bitrix24::store::MemoryStore::new());
//! let session = bitrix24::auth::OAuthSession::from_redirect(app, store, &redirect).await?;
//! # let _ = (client, session); Ok(()) }
//! ```

use std::sync::Arc;

use bitrix24::auth::{parse_redirect, OAuthApp, OAuthSession, Redirect, State, TokenResponse};
use bitrix24::store::{MemoryStore, TokenRecord, TokenStore};
use bitrix24::{Error, ErrorKind, SecretString};
use serde_json::json;

use crate::auth::apps::App;
use crate::builder::Sandbox;

impl Sandbox {
    /// `app` as a [`OAuthApp`] with this sandbox as both its portal and its OAuth server
    /// (and its redirect URI, when it has one).
    pub fn oauth_app(&self, app: &App) -> OAuthApp {
        let secret = SecretString::from(app.client_secret.clone());
        let built = OAuthApp::new(app.client_id.clone(), secret, self.url())
            .and_then(|a| a.with_oauth_server(self.url()));
        // The sandbox's own URL is always an absolute http(s) URL, which both accept.
        let built = match built {
            Ok(a) => a,
            Err(e) => unreachable!("the sandbox URL {} was refused: {e}", self.url()),
        };
        if app.redirect_uri.is_empty() {
            built
        } else {
            built.with_redirect_uri(app.redirect_uri.clone())
        }
    }

    /// A webhook client for the ready-made webhook (user 1, every scope), with the
    /// client's default limits.
    ///
    /// # Errors
    /// As [`bitrix24::Client::from_webhook`] (never, for the sandbox's own URL).
    pub fn client(&self) -> bitrix24::Result<bitrix24::Client> {
        bitrix24::Client::from_webhook(&self.webhook_url())
    }

    /// Plays the browser on the consent page of `app` for `state`: opens
    /// `app.authorize_url(state)` acting as `user_id`, presses Allow and returns the
    /// redirect's `Location` (`…?code=…&state=…`), unchecked, for
    /// [`parse_redirect`].
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when the sandbox cannot be reached; [`ErrorKind::Api`] when
    /// the consent page refuses (an unknown app or user: the page's text is in the message).
    pub async fn consent(
        &self,
        app: &OAuthApp,
        state: &State,
        user_id: i64,
    ) -> bitrix24::Result<String> {
        // Redirects are not followed: the Location is the answer, and nothing needs to
        // listen at the redirect URI.
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| transport("cannot build an HTTP client", e))?;
        let page_url = format!("{}&user_id={user_id}", app.authorize_url(state));
        let page = browser
            .get(page_url)
            .send()
            .await
            .map_err(|e| transport("the consent page", e))?;
        let status = page.status().as_u16();
        let html = page
            .text()
            .await
            .map_err(|e| transport("the consent page", e))?;
        // The portal shows its refusals (an unknown app or user) as a page without the form.
        if status != 200 || hidden_field(&html, "token").is_none() {
            return Err(refused("the consent page", status, &html));
        }
        let mut form = Vec::new();
        for name in ["client_id", "state", "user_id", "token"] {
            let value = hidden_field(&html, name).ok_or_else(|| {
                Error::new(
                    ErrorKind::Decode,
                    format!("the consent page has no `{name}` field"),
                )
            })?;
            form.push((name, value));
        }
        form.push(("decision", "allow".to_string()));
        let resp = browser
            .post(format!("{}/oauth/authorize/", self.url()))
            .form(&form)
            .send()
            .await
            .map_err(|e| transport("pressing Allow", e))?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string);
        match location {
            Some(location) => Ok(location),
            None => {
                let body = resp.text().await.unwrap_or_default();
                Err(refused("pressing Allow", status, &body))
            }
        }
    }

    /// The whole consent dance for `app` as `user_id`, with a fresh [`State`] checked on the
    /// way back: the [`Redirect`] to hand to [`OAuthSession::from_redirect`].
    ///
    /// # Errors
    /// As [`Sandbox::consent`], and [`ErrorKind::OAuthRedirect`] for a redirect that does
    /// not carry the state.
    pub async fn authorize(&self, app: &OAuthApp, user_id: i64) -> bitrix24::Result<Redirect> {
        let state = State::new();
        let location = self.consent(app, &state, user_id).await?;
        parse_redirect(&location, &state)
    }

    /// A session for `app` acting as `user_id`, from tokens issued directly (no browser):
    /// kept in a new [`MemoryStore`]. For another store, see [`Sandbox::oauth_session_in`].
    ///
    /// # Errors
    /// As [`Sandbox::oauth_session_in`].
    pub async fn oauth_session(&self, app: &App, user_id: i64) -> bitrix24::Result<OAuthSession> {
        self.oauth_session_in(app, user_id, Arc::new(MemoryStore::new()))
            .await
    }

    /// A session for `app` acting as `user_id`, from tokens issued directly and saved in
    /// `store` as generation 1 under this portal's `member_id`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the sandbox cannot issue tokens (an unknown user),
    /// or the store's own error.
    pub async fn oauth_session_in(
        &self,
        app: &App,
        user_id: i64,
        store: Arc<dyn TokenStore>,
    ) -> bitrix24::Result<OAuthSession> {
        let pair = self.issue_tokens(app, user_id).map_err(|e| {
            Error::new(
                ErrorKind::InvalidInput,
                format!("the sandbox cannot issue tokens for user {user_id}"),
            )
            .with_source(e)
        })?;
        // The record is built the way a real token answer would be, so it stays right
        // whatever fields the record grows.
        let answer = json!({
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_in": (pair.expires - self.portal().unix()).max(1),
            "scope": pair.scope,
            "domain": self.domain(),
            "server_endpoint": self.rest_url(),
            "client_endpoint": self.rest_url(),
            "member_id": self.member_id(),
            "user_id": pair.user_id,
            "status": "L",
        });
        let answer: TokenResponse = serde_json::from_value(answer).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                "the issued tokens do not make a token answer",
            )
            .with_source(e)
        })?;
        store
            .save(&TokenRecord::from_response(&answer, self.domain(), 1))
            .await?;
        Ok(OAuthSession::new(
            self.oauth_app(app),
            store,
            self.member_id(),
        ))
    }
}

/// The value of `<input type="hidden" name="NAME" value="...">` on the consent page, with
/// the page's HTML escaping undone.
fn hidden_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let rest = html.get(start..)?;
    let value = rest.get(..rest.find('"')?)?;
    Some(
        value
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// The text of an HTML page's `<main>` (or of the whole page): tags dropped, runs of white
/// space made one space.
fn page_text(html: &str) -> String {
    let html = html
        .split_once("<main>")
        .and_then(|(_, rest)| rest.split_once("</main>"))
        .map_or(html, |(main, _)| main);
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn transport(what: &str, e: reqwest::Error) -> Error {
    // Without the URL: the authorize URL carries the state.
    Error::new(
        ErrorKind::Transport,
        format!("{what}: the sandbox could not be reached"),
    )
    .with_source(e.without_url())
}

/// A refusal of the consent page, with the start of its text without the markup (the
/// sandbox's own page, no secrets in it).
fn refused(what: &str, status: u16, body: &str) -> Error {
    let text: String = page_text(body).chars().take(300).collect();
    Error::new(
        ErrorKind::Api,
        format!("{what} answered HTTP {status}: {text}"),
    )
    .with_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_fields_are_read_and_unescaped() {
        let html = r#"<input type="hidden" name="state" value="a&amp;b&quot;c">
            <input type="hidden" name="token" value="t1">"#;
        assert_eq!(hidden_field(html, "state").as_deref(), Some("a&b\"c"));
        assert_eq!(hidden_field(html, "token").as_deref(), Some("t1"));
        assert_eq!(hidden_field(html, "user_id"), None);
        assert_eq!(
            hidden_field(r#"name="state" value="unterminated"#, "state"),
            None
        );
    }

    #[test]
    fn page_text_is_the_main_part_without_markup() {
        let html = "<html><head><style>h1{x:y}</style></head><body><main><h1>Error</h1>\n\
                    <p>User 9 not found.</p></main></body></html>";
        assert_eq!(page_text(html), "Error User 9 not found.");
        assert_eq!(page_text("<p>plain</p>"), "plain");
    }
}
