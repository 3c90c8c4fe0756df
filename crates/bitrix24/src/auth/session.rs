//! `OAuthSession`: the access token of one portal, refreshed ahead of expiry and after
//! `expired_token`, once per expiry however many requests and processes notice it.

use super::oauth::OAuthApp;
use super::redirect::Redirect;
use super::tokens::TokenRecord;
use crate::error::{Error, ErrorKind, Result};
use crate::store::TokenStore;
use secrecy::SecretString;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use url::Url;

/// The refresh margin used unless [`OAuthSession::with_refresh_margin`] changes it.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The OAuth credentials of one portal (`member_id`) backed by a token store. Cheap to clone;
/// clones share the token and the single-flight refresh.
///
/// A refresh runs inside the store's exclusive section: the record is re-read there, and when
/// another process already refreshed, its pair is used instead of refreshing again. The new
/// pair is saved durably before the new access token is handed out.
#[derive(Clone)]
pub struct OAuthSession {
    inner: Arc<Inner>,
}

struct Inner {
    app: OAuthApp,
    store: Arc<dyn TokenStore>,
    member_id: String,
    margin_secs: AtomicI64,
    current: RwLock<Option<TokenRecord>>,
    /// The newest token generation the portal answered `expired_token` to (0: none). Calls
    /// that would send a token this old wait for the refresh instead: a stale token only
    /// earns another 401 and a second request.
    stale: AtomicU64,
    // Single flight in this process: one refresh at a time, later callers find its result.
    flight: Arc<tokio::sync::Mutex<()>>,
}

/// An access token and where to send requests with it. `Debug` hides the token.
#[derive(Clone)]
pub struct AccessToken {
    token: SecretString,
    endpoint: Url,
    generation: u64,
    expires_at: i64,
}

impl AccessToken {
    /// The token, for `Authorization: Bearer` (or the `auth` parameter).
    pub fn secret(&self) -> &SecretString {
        &self.token
    }

    /// The portal's REST endpoint, ending with `/`: append the method name.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The refresh generation this token belongs to.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Unix time (this machine's clock) the token is believed to expire at.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("endpoint", &self.endpoint.as_str())
            .field("generation", &self.generation)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl OAuthSession {
    /// A session for the portal `member_id` whose tokens are already in `store`.
    pub fn new(app: OAuthApp, store: Arc<dyn TokenStore>, member_id: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                app,
                store,
                member_id: member_id.into(),
                margin_secs: AtomicI64::new(DEFAULT_REFRESH_MARGIN.as_secs() as i64),
                current: RwLock::new(None),
                stale: AtomicU64::new(0),
                flight: Arc::default(),
            }),
        }
    }

    /// Exchanges the `code` of the OAuth redirect, saves the tokens in `store` and returns
    /// the session of that portal.
    ///
    /// # Errors
    /// Those of [`OAuthApp::exchange_code`]; [`ErrorKind::Decode`] when the answer names no
    /// portal (`member_id`); [`ErrorKind::TokenStore`] when the tokens cannot be saved.
    pub async fn from_code(
        app: OAuthApp,
        store: Arc<dyn TokenStore>,
        code: &SecretString,
    ) -> Result<Self> {
        Self::exchange(app, store, code, "", "").await
    }

    /// [`OAuthSession::from_code`] for a redirect read with
    /// [`parse_redirect`](super::parse_redirect), which also knows the portal's domain.
    ///
    /// # Errors
    /// As [`OAuthSession::from_code`].
    pub async fn from_redirect(
        app: OAuthApp,
        store: Arc<dyn TokenStore>,
        redirect: &Redirect,
    ) -> Result<Self> {
        Self::exchange(
            app,
            store,
            &redirect.code,
            &redirect.member_id,
            &redirect.domain,
        )
        .await
    }

    async fn exchange(
        app: OAuthApp,
        store: Arc<dyn TokenStore>,
        code: &SecretString,
        member_id: &str,
        domain: &str,
    ) -> Result<Self> {
        let answer = app.exchange_code(code).await?;
        let member_id = match (answer.member_id.as_str(), member_id) {
            ("", "") => {
                return Err(Error::new(
                    ErrorKind::Decode,
                    "the token answer names no portal (member_id is missing)",
                ))
            }
            ("", from_redirect) => from_redirect.to_string(),
            (from_answer, _) => from_answer.to_string(),
        };
        let domain = if domain.is_empty() {
            host_of(app.portal())
        } else {
            domain.to_string()
        };
        let mut locked = store.lock(&member_id).await?;
        let previous = locked.load().await?;
        let generation = previous.as_ref().map_or(0, |r| r.generation) + 1;
        let mut record = TokenRecord::from_response(&answer, &domain, generation);
        record.member_id = member_id.clone();
        // A new authorization of an installed app keeps the portal's application token.
        record.application_token = previous.and_then(|r| r.application_token);
        locked.save_and_unlock(&record).await?;
        let session = Self::new(app, store, member_id);
        session.remember(record);
        Ok(session)
    }

    /// Refreshes when fewer than `margin` remain before the access token expires (default
    /// 60 s), so that requests rarely meet `expired_token`.
    pub fn with_refresh_margin(self, margin: Duration) -> Self {
        let secs = i64::try_from(margin.as_secs()).unwrap_or(i64::MAX);
        self.inner.margin_secs.store(secs, Ordering::Relaxed);
        self
    }

    /// The portal's `member_id`.
    pub fn member_id(&self) -> &str {
        &self.inner.member_id
    }

    /// The application.
    pub fn app(&self) -> &OAuthApp {
        &self.inner.app
    }

    /// A usable access token: the current one, or a refreshed one when it expires within the
    /// margin.
    ///
    /// # Errors
    /// [`ErrorKind::ReauthorizationRequired`] (with the authorize URL) when the store holds no
    /// tokens for the portal or the refresh token no longer works; [`ErrorKind::TokenStore`],
    /// [`ErrorKind::Transport`], [`ErrorKind::Api`] from the refresh.
    pub async fn access_token(&self) -> Result<AccessToken> {
        self.access_token_via(None).await
    }

    /// [`OAuthSession::access_token`] for a client, whose refreshes go through its own HTTP
    /// client `via` (its source address, proxy) rather than the app's.
    pub(crate) async fn access_token_via(
        &self,
        via: Option<&reqwest::Client>,
    ) -> Result<AccessToken> {
        let record = self.current().await?;
        let record = if record.generation <= self.inner.stale.load(Ordering::Acquire) {
            // Another call already met `expired_token` with this token: join its refresh.
            self.refresh_past(record.generation, true, via).await?
        } else if record.expires_within(self.margin()) {
            self.refresh_past(record.generation, false, via).await?
        } else {
            record
        };
        self.token_of(&record)
    }

    /// Reports that the portal answered `expired_token` to a request sent with `used`, and
    /// returns the token to send it again with. However many callers report the same token,
    /// it is refreshed once.
    ///
    /// # Errors
    /// As [`OAuthSession::access_token`].
    pub async fn token_expired(&self, used: &AccessToken) -> Result<AccessToken> {
        self.inner
            .stale
            .fetch_max(used.generation, Ordering::AcqRel);
        let record = self.refresh_past(used.generation, true, None).await?;
        self.token_of(&record)
    }

    /// [`OAuthSession::token_expired`] for the transport, which only knows the generation;
    /// the refresh goes through `via` as in [`OAuthSession::access_token_via`].
    pub(crate) async fn refresh_after(
        &self,
        generation: u64,
        via: Option<&reqwest::Client>,
    ) -> Result<()> {
        self.inner.stale.fetch_max(generation, Ordering::AcqRel);
        self.refresh_past(generation, true, via).await.map(drop)
    }

    fn margin(&self) -> i64 {
        self.inner.margin_secs.load(Ordering::Relaxed)
    }

    fn cached(&self) -> Option<TokenRecord> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn remember(&self, record: TokenRecord) {
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(record);
    }

    async fn current(&self) -> Result<TokenRecord> {
        if let Some(r) = self.cached() {
            return Ok(r);
        }
        let _flight = self.inner.flight.lock().await;
        if let Some(r) = self.cached() {
            return Ok(r);
        }
        match self.inner.store.load(&self.inner.member_id).await? {
            Some(r) => {
                self.remember(r.clone());
                Ok(r)
            }
            None => Err(self.reauthorize("no OAuth tokens are stored for this portal")),
        }
    }

    /// A token newer than generation `seen` (when `forced`, after `expired_token`) or simply
    /// not expiring soon; refreshes only when neither this process nor another has one.
    /// The token request leaves through `via` when given, else through the app's client.
    async fn refresh_past(
        &self,
        seen: u64,
        forced: bool,
        via: Option<&reqwest::Client>,
    ) -> Result<TokenRecord> {
        // The section runs in its own task: a caller that gives up (timeout, dropped request)
        // must not cancel it between the refresh and the save, or the rotated pair is lost.
        let session = self.clone();
        let via = via.cloned();
        tokio::spawn(async move { session.refresh_section(seen, forced, via).await })
            .await
            .map_err(|e| {
                Error::new(ErrorKind::TokenStore, "the token refresh task failed").with_source(e)
            })?
    }

    async fn refresh_section(
        &self,
        seen: u64,
        forced: bool,
        via: Option<reqwest::Client>,
    ) -> Result<TokenRecord> {
        let margin = self.margin();
        let usable =
            |r: &TokenRecord| !r.expires_within(margin) && (!forced || r.generation > seen);
        let _flight = self.inner.flight.clone().lock_owned().await;
        if let Some(r) = self.cached().filter(|r| usable(r)) {
            return Ok(r);
        }
        let member_id = &self.inner.member_id;
        let mut locked = self.inner.store.lock(member_id).await?;
        let Some(stored) = locked.load().await? else {
            return Err(
                self.reauthorize("the OAuth tokens of this portal are no longer in the store")
            );
        };
        if usable(&stored) {
            // Another process refreshed while this one waited for the section.
            drop(locked);
            self.remember(stored.clone());
            return Ok(stored);
        }
        match self
            .inner
            .app
            .refresh_via(via.as_ref(), &stored.refresh_token)
            .await
        {
            Ok(answer) => {
                let mut fresh =
                    TokenRecord::from_response(&answer, &stored.domain, stored.generation + 1);
                fill_missing(&mut fresh, &stored);
                let saved = locked.save_and_unlock(&fresh).await;
                // Kept in memory even when the save failed: the old refresh token is spent, so
                // this copy is the only working one; the next refresh tries the store again.
                self.remember(fresh.clone());
                saved?;
                tracing::debug!(member_id = %member_id, generation = fresh.generation, "OAuth tokens refreshed");
                Ok(fresh)
            }
            Err(err) if err.kind() == ErrorKind::ReauthorizationRequired => {
                drop(locked);
                // A writer that does not use the section (another tool, an older version) may
                // have rotated the token meanwhile: look once more before giving up.
                if let Some(again) = self.inner.store.load(member_id).await? {
                    if !again.same_refresh_token(&stored) {
                        self.remember(again.clone());
                        return Ok(again);
                    }
                }
                Err(err)
            }
            Err(err) => Err(err),
        }
    }

    fn token_of(&self, record: &TokenRecord) -> Result<AccessToken> {
        Ok(AccessToken {
            token: record.access_token.clone(),
            endpoint: rest_endpoint(&record.client_endpoint, self.inner.app.portal())?,
            generation: record.generation,
            expires_at: record.expires_at,
        })
    }

    fn reauthorize(&self, why: &str) -> Error {
        Error::new(ErrorKind::ReauthorizationRequired, why.to_string())
            .with_authorize_url(self.inner.app.reauthorize_url())
    }

    /// The key for per-portal rate limiting: the portal's host, as for webhooks.
    pub(crate) fn portal_key(&self) -> String {
        host_of(self.inner.app.portal())
    }
}

impl std::fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthSession")
            .field("app", &self.inner.app)
            .field("member_id", &self.inner.member_id)
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

/// Fields a refresh answer may leave out are carried over from the record it replaced.
fn fill_missing(fresh: &mut TokenRecord, old: &TokenRecord) {
    if fresh.member_id != old.member_id {
        // The store key is what the session was built with; a different id in the answer
        // would file the pair under a portal nobody asks for.
        if !fresh.member_id.is_empty() {
            tracing::warn!("the refresh answer names another member_id; keeping the stored one");
        }
        fresh.member_id = old.member_id.clone();
    }
    for (new, prev) in [
        (&mut fresh.client_endpoint, &old.client_endpoint),
        (&mut fresh.server_endpoint, &old.server_endpoint),
        (&mut fresh.scope, &old.scope),
    ] {
        if new.is_empty() {
            new.clone_from(prev);
        }
    }
    if fresh.user_id.is_none() {
        fresh.user_id = old.user_id;
    }
    // Token answers never carry it: it belongs to the installation, not to the pair.
    if fresh.application_token.is_none() {
        fresh.application_token.clone_from(&old.application_token);
    }
}

/// The REST endpoint from `client_endpoint` (protocol.md §1b), or `{portal}/rest/` when the
/// server gave none; always ending with `/`.
fn rest_endpoint(client_endpoint: &str, portal: &Url) -> Result<Url> {
    let fallback = || portal.join("rest/");
    let url = if client_endpoint.trim().is_empty() {
        fallback()
    } else {
        let mut s = client_endpoint.trim().to_string();
        if !s.ends_with('/') {
            s.push('/');
        }
        Url::parse(&s)
    };
    match url {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        _ => Err(Error::new(
            ErrorKind::Decode,
            "the stored client_endpoint is not an http(s) URL",
        )),
    }
}

fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    }
}
