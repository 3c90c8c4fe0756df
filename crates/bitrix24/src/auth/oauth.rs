//! An OAuth application: the authorize URL, and the code exchange and refresh at the OAuth
//! server's `/oauth/token/` (protocol.md §1b).

use super::redirect::State;
use super::token_response::TokenResponse;
use crate::error::{ApiErrorCode, Error, ErrorKind, Result};
use secrecy::{ExposeSecret, SecretString};
use std::net::IpAddr;
use std::time::Duration;
use url::Url;

/// The OAuth server of the cloud, used unless [`OAuthApp::with_oauth_server`] says otherwise.
pub const DEFAULT_OAUTH_SERVER: &str = "https://oauth.bitrix.info/";

/// Name used for token-endpoint errors, where a REST method name would be.
const TOKEN_ENDPOINT: &str = "oauth/token";

/// An OAuth application installed on a portal: its credentials, the portal, and the OAuth
/// server that issues its tokens. Cheap to clone. `Debug` hides the client secret.
#[derive(Clone)]
pub struct OAuthApp {
    client_id: String,
    client_secret: SecretString,
    portal: Url,
    oauth_server: Url,
    redirect_uri: Option<String>,
    http: reqwest::Client,
}

impl OAuthApp {
    /// An app with its `client_id`, `client_secret` and the portal it is installed on
    /// (`https://portal.bitrix24.com` or just `portal.bitrix24.com`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the client id is empty or the portal is not a URL.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: SecretString,
        portal: &str,
    ) -> Result<Self> {
        let client_id = client_id.into();
        if client_id.trim().is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the OAuth client_id is empty",
            ));
        }
        let http = token_http_client(None)?;
        Ok(Self {
            client_id,
            client_secret,
            portal: base_url(portal, "portal")?,
            oauth_server: base_url(DEFAULT_OAUTH_SERVER, "OAuth server")?,
            redirect_uri: None,
            http,
        })
    }

    /// Uses another OAuth server (e.g. `https://oauth.bitrix24.tech/` for some regions, or a
    /// sandbox in tests).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when `url` is not an http(s) URL.
    pub fn with_oauth_server(mut self, url: &str) -> Result<Self> {
        self.oauth_server = base_url(url, "OAuth server")?;
        Ok(self)
    }

    /// Records the redirect URI registered for the app. It is informational: the portal takes
    /// the redirect URI from the app's settings and the docs send none (protocol.md §1b).
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = Some(uri.into());
        self
    }

    /// Sends the token requests through `client`. Configure it not to follow redirects: the
    /// requests carry the client secret.
    ///
    /// The refreshes a [`Client`](crate::Client) triggers go through that client's HTTP client
    /// instead (see [`ClientBuilder::http_client`](crate::ClientBuilder::http_client)), so that
    /// a client bound to a source address sends everything from it; this one serves the code
    /// exchange and sessions used on their own.
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = client;
        self
    }

    /// This app as installed on another portal (`https://host[:port]` or a bare host): one
    /// marketplace app serves many portals, and a session keys its rate budget and points its
    /// authorize URL at its own portal.
    pub(crate) fn on_portal(&self, portal: &str) -> Result<Self> {
        let mut app = self.clone();
        app.portal = base_url(portal, "portal")?;
        Ok(app)
    }

    /// The app's `client_id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The portal, e.g. `https://portal.bitrix24.com/`.
    pub fn portal(&self) -> &Url {
        &self.portal
    }

    /// The OAuth server, e.g. `https://oauth.bitrix.info/`.
    pub fn oauth_server(&self) -> &Url {
        &self.oauth_server
    }

    /// The redirect URI given with [`OAuthApp::with_redirect_uri`].
    pub fn redirect_uri(&self) -> Option<&str> {
        self.redirect_uri.as_deref()
    }

    /// `{portal}/oauth/authorize/?client_id=…&state=…`: where to send the user's browser.
    pub fn authorize_url(&self, state: &State) -> String {
        self.authorize(Some(state.as_str()))
    }

    /// The authorize URL without a state, for errors that tell a person to authorize again
    /// (the state is optional on the portal; an app that checks it builds its own URL).
    pub(crate) fn reauthorize_url(&self) -> String {
        self.authorize(None)
    }

    fn authorize(&self, state: Option<&str>) -> String {
        let mut url = self.portal.clone();
        url.set_path("/oauth/authorize/");
        {
            let mut q = url.query_pairs_mut();
            q.clear().append_pair("client_id", &self.client_id);
            if let Some(s) = state {
                q.append_pair("state", s);
            }
        }
        url.to_string()
    }

    /// Exchanges the `code` of the redirect for tokens (`grant_type=authorization_code`).
    ///
    /// # Errors
    /// [`ErrorKind::ReauthorizationRequired`] when the code is wrong, used or older than 30 s
    /// (`invalid_grant`); [`ErrorKind::Api`] for other answers of the OAuth server (e.g.
    /// `invalid_client`); [`ErrorKind::Transport`] and [`ErrorKind::Decode`].
    pub async fn exchange_code(&self, code: &SecretString) -> Result<TokenResponse> {
        self.token_request(&self.http, "authorization_code", "code", code)
            .await
    }

    /// Exchanges a refresh token for a new pair (`grant_type=refresh_token`). The refresh
    /// token used stops working: store the new one before anything else.
    ///
    /// # Errors
    /// As [`OAuthApp::exchange_code`]; `invalid_grant` means the refresh token was used,
    /// revoked or expired.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenResponse> {
        self.refresh_via(None, refresh_token).await
    }

    /// [`OAuthApp::refresh`] through `http` (the HTTP client of the `Client` whose call needed
    /// the refresh), or through the app's own client when `None`.
    pub(crate) async fn refresh_via(
        &self,
        http: Option<&reqwest::Client>,
        refresh_token: &SecretString,
    ) -> Result<TokenResponse> {
        let http = http.unwrap_or(&self.http);
        self.token_request(http, "refresh_token", "refresh_token", refresh_token)
            .await
    }

    async fn token_request(
        &self,
        http: &reqwest::Client,
        grant_type: &str,
        key: &str,
        value: &SecretString,
    ) -> Result<TokenResponse> {
        let url = self.oauth_server.join("oauth/token/").map_err(|_| {
            Error::new(
                ErrorKind::InvalidInput,
                "the OAuth server URL cannot take a path",
            )
        })?;
        // GET with everything in the query is what the docs and the official PHP SDK do
        // (protocol.md §1b); `Error::transport` drops the URL, so the secret cannot leak.
        let resp = http
            .get(url)
            .query(&[
                ("grant_type", grant_type),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.expose_secret()),
                (key, value.expose_secret()),
            ])
            .send()
            .await
            .map_err(Error::transport)?;
        let status = resp.status().as_u16();
        let body = read_capped(resp, MAX_TOKEN_ANSWER).await?;
        tracing::debug!(grant_type, status, "OAuth token answer");
        parse_token_answer(status, &body, || self.reauthorize_url())
    }
}

/// The HTTP client of token requests, sending from `local_address` when given.
pub(crate) fn token_http_client(local_address: Option<IpAddr>) -> Result<reqwest::Client> {
    // No redirects: the token request carries the client secret in its query, and a
    // redirect would hand it to whatever host the answer names.
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .local_address(local_address)
        .build()
        .map_err(|e| {
            Error::new(ErrorKind::Transport, "could not build the HTTP client").with_source(e)
        })
}

/// The longest token answer read: a real one is under 2 KB, so anything near this is not a
/// token answer, and reading on would let a hostile server fill the memory.
const MAX_TOKEN_ANSWER: usize = 64 * 1024;

/// The body, chunk by chunk, refused once it passes `cap` bytes.
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>> {
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(Error::transport)? {
        if body.len() + chunk.len() > cap {
            return Err(Error::new(
                ErrorKind::Decode,
                format!(
                    "the OAuth server's answer is longer than {} KB, which no token answer is",
                    cap / 1024
                ),
            )
            .with_status(status)
            .with_method(TOKEN_ENDPOINT));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("portal", &self.portal.as_str())
            .field("oauth_server", &self.oauth_server.as_str())
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// An http(s) URL reduced to `scheme://host[:port]/`; a bare host gets `https://`.
fn base_url(input: &str, what: &str) -> Result<Url> {
    let input = input.trim();
    let with_scheme = if input.contains("://") {
        input.to_string()
    } else {
        format!("https://{input}")
    };
    let bad = || {
        Error::new(
            ErrorKind::InvalidInput,
            format!("the {what} must be an http(s) URL such as https://portal.bitrix24.com"),
        )
    };
    let mut url = Url::parse(&with_scheme).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad());
    }
    url.set_path("/");
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Turns an answer of `/oauth/token/` into tokens or the matching error.
fn parse_token_answer(
    status: u16,
    body: &[u8],
    authorize_url: impl FnOnce() -> String,
) -> Result<TokenResponse> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        // No excerpt: a 200 body that fails to parse may still hold tokens.
        Error::new(
            ErrorKind::Decode,
            format!(
                "the OAuth server answered with something that is not JSON ({} bytes)",
                body.len()
            ),
        )
        .with_status(status)
        .with_method(TOKEN_ENDPOINT)
    })?;
    if let Some(code) = value.get("error").and_then(|e| e.as_str()) {
        let code = ApiErrorCode::from(code);
        let description = value
            .get("error_description")
            .and_then(|d| d.as_str())
            .unwrap_or_default()
            .to_string();
        let api = Error::api(code.clone(), description, Some(status)).with_method(TOKEN_ENDPOINT);
        if code == ApiErrorCode::InvalidGrant {
            return Err(Error::new(
                ErrorKind::ReauthorizationRequired,
                "the OAuth server refused the grant (invalid_grant: the code or refresh token \
                 is wrong, used, revoked or expired)",
            )
            .with_status(status)
            .with_authorize_url(authorize_url())
            .with_source(api));
        }
        return Err(api);
    }
    if !(200..300).contains(&status) {
        let code = if status >= 500 {
            ApiErrorCode::InternalServerError
        } else {
            ApiErrorCode::Unknown(format!("HTTP {status}"))
        };
        return Err(Error::api(
            code,
            "the OAuth server answered with an error",
            Some(status),
        )
        .with_method(TOKEN_ENDPOINT));
    }
    let parsed: TokenResponse = serde_path_to_error::deserialize(&value).map_err(|e| {
        // Only the path: serde's message may quote the offending value.
        Error::new(
            ErrorKind::Decode,
            format!("the token answer has an unexpected shape at `{}`", e.path()),
        )
        .with_status(status)
        .with_method(TOKEN_ENDPOINT)
    })?;
    if parsed.access_token.expose_secret().is_empty()
        || parsed.refresh_token.expose_secret().is_empty()
    {
        return Err(Error::new(
            ErrorKind::Decode,
            "the token answer has an empty access_token or refresh_token",
        )
        .with_method(TOKEN_ENDPOINT));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> OAuthApp {
        OAuthApp::new(
            "local.1",
            SecretString::from("cl-secret"),
            "p.bitrix24.com/some/path?x=1",
        )
        .expect("app")
    }

    #[test]
    fn authorize_url_has_client_id_and_state_on_the_portal() {
        let st = State::from_saved("s t&1");
        assert_eq!(
            app().authorize_url(&st),
            "https://p.bitrix24.com/oauth/authorize/?client_id=local.1&state=s+t%261"
        );
        assert!(!format!("{:?}", app()).contains("cl-secret"));
    }

    #[test]
    fn bad_urls_and_ids_are_refused() {
        let s = || SecretString::from("x");
        for bad in ["ftp://p.com", "https://", "https://u:pw@p.com", ""] {
            let e = OAuthApp::new("id", s(), bad).expect_err(bad);
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
        }
        assert!(OAuthApp::new(" ", s(), "p.com").is_err());
        assert!(app().with_oauth_server("nope://x").is_err());
    }

    #[test]
    fn invalid_grant_asks_for_reauthorization_with_the_url() {
        let body = br#"{"error":"invalid_grant","error_description":"Refresh token is invalid"}"#;
        let e = parse_token_answer(400, body, || {
            "https://p/oauth/authorize/?client_id=a".into()
        })
        .expect_err("invalid_grant");
        assert_eq!(e.kind(), ErrorKind::ReauthorizationRequired);
        assert_eq!(
            e.authorize_url(),
            Some("https://p/oauth/authorize/?client_id=a")
        );
        let src = std::error::Error::source(&e).expect("source");
        assert!(src.to_string().contains("invalid_grant"), "{src}");
    }

    #[test]
    fn other_errors_are_api_errors() {
        let body = br#"{"error":"invalid_client","error_description":"Wrong client_secret"}"#;
        let e = parse_token_answer(401, body, String::new).expect_err("invalid_client");
        assert_eq!(e.kind(), ErrorKind::Api);
        assert_eq!(e.code(), Some(&ApiErrorCode::InvalidClient));
        assert_eq!(e.status(), Some(401));
        let e = parse_token_answer(502, b"<html>", String::new).expect_err("html");
        assert_eq!(e.kind(), ErrorKind::Decode);
        let e = parse_token_answer(503, b"{}", String::new).expect_err("5xx");
        assert_eq!(e.code(), Some(&ApiErrorCode::InternalServerError));
    }

    #[test]
    fn shape_errors_name_the_path_but_not_the_value() {
        let body = br#"{"access_token":"tok-visible","refresh_token":{"x":1}}"#;
        let e = parse_token_answer(200, body, String::new).expect_err("shape");
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(e.to_string().contains("refresh_token"), "{e}");
        assert!(!format!("{e} {e:?}").contains("tok-visible"));
        let e = parse_token_answer(
            200,
            br#"{"access_token":"","refresh_token":"r"}"#,
            String::new,
        )
        .expect_err("empty");
        assert_eq!(e.kind(), ErrorKind::Decode);
    }

    #[test]
    fn parses_the_documented_answer() {
        let body = br#"{"access_token":"a","expires":1780319382,"expires_in":3600,
            "scope":"crm","domain":"oauth.bitrix.info","server_endpoint":"https://oauth.bitrix.info/rest/",
            "status":"F","client_endpoint":"https://p.bitrix24.com/rest/","member_id":"m",
            "user_id":67,"refresh_token":"r"}"#;
        let t = parse_token_answer(200, body, String::new).expect("tokens");
        assert_eq!(t.client_endpoint, "https://p.bitrix24.com/rest/");
        assert_eq!((t.user_id, t.expires_in), (Some(67), Some(3600)));
        assert_eq!(t.member_id, "m");
    }
}
