//! [`Portals`]: one OAuth application installed on many portals. It handles the install and
//! uninstall calls, keeps each portal's tokens and application token in one
//! [`TokenStore`] keyed by `member_id`, verifies event calls per portal, and hands out one
//! [`Client`] per portal, each with its own rate limiter.
//!
//! ```no_run
//! # async fn demo(install_body: &[u8], event_body: &[u8]) -> bitrix24::Result<()> {
//! use bitrix24::auth::OAuthApp;
//! use bitrix24::portals::{Portals, Received};
//! use bitrix24::store::FileStore;
//! use bitrix24::SecretString;
//! use std::sync::Arc;
//!
//! let app = OAuthApp::new("app.abc", SecretString::from("secret"), "https://oauth.bitrix.info")?;
//! let portals = Portals::open(app, Arc::new(FileStore::new("portals.json")?)).await?;
//! let member_id = portals.install(install_body).await?; // the POST to the install URL
//! match portals.receive("", event_body).await? {
//!     Received::Event(event) => {
//!         let client = portals.client(&member_id).await?; // that portal, its own limiter
//!         # let _ = (event, client);
//!     }
//!     _ => {} // installed or uninstalled: done already
//! }
//! # Ok(()) }
//! ```
//!
//! Many processes on many machines can serve the same portals: over a `PostgresStore`
//! (feature `postgres`) every registry sees every install, each portal refreshes once however
//! many processes call it, under a lock of that portal alone (a refresh that hangs holds back
//! no other portal), and [`Portals::with_client_settings`] can hand every client one shared
//! `PostgresRateBudget` and `PostgresOperatingBudget`.
//!
//! The application token is kept in the portal's token record
//! ([`TokenRecord::application_token`](crate::store::TokenRecord::application_token)), written
//! with the first pair in one save under the portal's lock. Stores written by earlier versions
//! kept it in a side record `application_token#<member_id>`; it is still read from there, and
//! the side record goes with the next install or uninstall.

pub mod lifecycle;

use crate::auth::{OAuthApp, OAuthSession};
use crate::client::{Client, ClientBuilder};
use crate::error::{Error, ErrorKind, Result};
use crate::events::parse::{parse_event, Event, EventKind};
use crate::events::verify::{constant_time_eq, verify, Verifier};
use crate::store::{TokenRecord, TokenStore};
use lifecycle::{check_member_id, parse_install, side_key, Installation, APP_TOKEN_KEY};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

type Configure = dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync;

/// One application on many portals (see the module docs). Cheap to clone; clones share
/// the clients and the cache of application tokens.
#[derive(Clone)]
pub struct Portals {
    inner: Arc<Inner>,
}

struct Inner {
    app: OAuthApp,
    store: Arc<dyn TokenStore>,
    configure: Box<Configure>,
    clients: Mutex<HashMap<String, Client>>,
    // Read by the synchronous `Verifier`; filled by install, `preload` and store look-ups.
    app_tokens: Arc<Mutex<HashMap<String, SecretString>>>,
}

/// What [`Portals::receive`] did with a call.
#[derive(Debug)]
#[non_exhaustive]
pub enum Received {
    /// An install call: the portal `member_id` was stored.
    Installed(String),
    /// A verified `ONAPPUNINSTALL`: everything of portal `member_id` was purged.
    Uninstalled(String),
    /// Any other verified event, for the app to handle (boxed: events are large).
    Event(Box<Event>),
}

/// The portal a record's tokens are for: the origin of its `client_endpoint`, else its
/// `domain`; `None` when it names neither.
fn portal_of(record: &TokenRecord) -> Option<String> {
    let from_endpoint = url::Url::parse(record.client_endpoint.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| u.origin().ascii_serialization());
    from_endpoint.or_else(|| {
        let domain = record.domain.trim();
        (!domain.is_empty()).then(|| domain.to_string())
    })
}

impl fmt::Debug for Portals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Portals")
            .field("app", &self.inner.app)
            .field("store", &self.inner.store)
            .finish_non_exhaustive()
    }
}

impl Portals {
    /// A registry for `app` over `store`. Portals stored by earlier runs are found on first
    /// use; [`Portals::open`] also loads their application tokens for [`Portals::verifier`].
    pub fn new(app: OAuthApp, store: Arc<dyn TokenStore>) -> Self {
        Self {
            inner: Arc::new(Inner {
                app,
                store,
                configure: Box::new(|b| b),
                clients: Mutex::default(),
                app_tokens: Arc::default(),
            }),
        }
    }

    /// [`Portals::new`], then [`Portals::preload`].
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`] when the store cannot be read.
    pub async fn open(app: OAuthApp, store: Arc<dyn TokenStore>) -> Result<Self> {
        let portals = Self::new(app, store);
        portals.preload().await?;
        Ok(portals)
    }

    /// Settings for every portal's client (limits, retries, timeout): `f` gets a builder
    /// and returns it changed; the credentials are added after it. Call before the first
    /// [`Portals::client`]: clients already built keep their settings.
    pub fn with_client_settings(
        self,
        f: impl Fn(ClientBuilder) -> ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        let inner = Inner {
            app: self.inner.app.clone(),
            store: self.inner.store.clone(),
            configure: Box::new(f),
            clients: Mutex::default(),
            app_tokens: self.inner.app_tokens.clone(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Loads the application token of every stored portal into memory, for
    /// [`Portals::verifier`]; returns how many portals there are.
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`] when the store cannot be read.
    pub async fn preload(&self) -> Result<usize> {
        let ids = self.portals().await?;
        for id in &ids {
            self.application_token(id).await?;
        }
        Ok(ids.len())
    }

    /// The `member_id` of every installed portal.
    ///
    /// # Errors
    /// [`ErrorKind::TokenStore`] when the store cannot be read.
    pub async fn portals(&self) -> Result<Vec<String>> {
        let all = self.inner.store.portals().await?;
        Ok(all
            .into_iter()
            .filter(|k| !k.starts_with(APP_TOKEN_KEY))
            .collect())
    }

    /// The client of portal `member_id`: built once, then shared, so the portal's calls
    /// share one rate limiter and other portals' calls never wait for it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when no such portal is installed;
    /// [`ErrorKind::TokenStore`] when the store cannot be read.
    pub async fn client(&self, member_id: &str) -> Result<Client> {
        check_member_id(member_id)?;
        if let Some(c) = self.clients().get(member_id) {
            return Ok(c.clone());
        }
        let Some(record) = self.inner.store.load(member_id).await? else {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("no portal with member_id {member_id} is installed"),
            ));
        };
        // The session is on this portal, not on the app's: its rate and operating budgets
        // are keyed by the portal's host, so portals sharing one budget keep their buckets
        // apart, and a reauthorization points at this portal.
        let app = match portal_of(&record).map(|p| self.inner.app.on_portal(&p)) {
            Some(Ok(app)) => app,
            Some(Err(_)) | None => {
                tracing::warn!(
                    member_id,
                    "the stored record names no usable portal (client_endpoint, domain); \
                     its client is keyed by the app's portal"
                );
                self.inner.app.clone()
            }
        };
        let session = OAuthSession::new(app, self.inner.store.clone(), member_id);
        let client = (self.inner.configure)(Client::builder())
            .oauth(session)
            .build()?;
        // Two tasks may have built one each; the first stored wins so all share one limiter.
        Ok(self
            .clients()
            .entry(member_id.to_string())
            .or_insert(client)
            .clone())
    }

    /// Handles an install call (an `ONAPPINSTALL` body, or the install page's POST body; see
    /// [`Portals::install_page`] for its query) and returns the portal's `member_id`.
    ///
    /// A portal seen for the first time is trusted (the application token is learnt from
    /// this very call, as the docs prescribe). For a portal already installed, the call must
    /// carry the stored application token, or prove itself: its refresh token must be
    /// accepted by the OAuth server for this app and name the same `member_id` (a reinstall
    /// gives a new application token; a forger has no refresh token of this app).
    ///
    /// # Errors
    /// [`ErrorKind::Event`] for a malformed call or an unproven reinstall;
    /// [`ErrorKind::TokenStore`] when nothing could be saved.
    pub async fn install(&self, body: &[u8]) -> Result<String> {
        self.install_page("", body).await
    }

    /// [`Portals::install`] for the install page, whose `DOMAIN` and `PROTOCOL` arrive in the
    /// query string.
    ///
    /// # Errors
    /// As [`Portals::install`].
    pub async fn install_page(&self, query: &str, body: &[u8]) -> Result<String> {
        let mut install = parse_install(query, body)?;
        check_member_id(&install.member_id)?;
        let member_id = install.member_id.clone();
        let stored = self.application_token(&member_id).await?;
        let same = stored.as_ref().is_some_and(|s| {
            constant_time_eq(
                s.expose_secret().as_bytes(),
                install.application_token.expose_secret().as_bytes(),
            )
        });
        if stored.is_some() && !same {
            self.prove_reinstall(&mut install).await?;
        }
        // The pair and the application token in one save: a crash leaves both or neither.
        let mut locked = self.inner.store.lock(&member_id).await?;
        let generation = locked.load().await?.map_or(0, |r| r.generation) + 1;
        locked
            .save_and_unlock(&install.token_record(generation))
            .await?;
        // The side record of an earlier version is superseded by the field.
        self.inner.store.delete(&side_key(&member_id)).await?;
        self.tokens()
            .insert(member_id.clone(), install.application_token.clone());
        // A client built before holds a session whose cached tokens are now stale.
        self.clients().remove(&member_id);
        tracing::info!(member_id = %member_id, "app installed on a portal");
        Ok(member_id)
    }

    /// Handles a verified-or-not `ONAPPUNINSTALL`: verifies it against the stored application
    /// token, then deletes that portal's tokens, application token and client (and nothing
    /// of any other portal). Returns the `member_id`.
    ///
    /// # Errors
    /// [`ErrorKind::Event`] when the event is not `ONAPPUNINSTALL`, comes from an unknown
    /// portal or does not verify; [`ErrorKind::TokenStore`] when the store fails.
    pub async fn uninstall(&self, event: &Event) -> Result<String> {
        if !matches!(event.kind, EventKind::AppUninstall(_)) {
            return Err(Error::new(
                ErrorKind::Event,
                format!("a {} call is not an uninstall call", event.name),
            ));
        }
        let member_id = self.verify(event).await?;
        self.inner.store.delete(&member_id).await?;
        self.inner.store.delete(&side_key(&member_id)).await?;
        self.tokens().remove(&member_id);
        self.clients().remove(&member_id);
        tracing::info!(member_id = %member_id, "app uninstalled from a portal; its tokens are purged");
        Ok(member_id)
    }

    /// Parses any call the portal makes to the app and does what it says: an install call
    /// installs, a verified `ONAPPUNINSTALL` uninstalls, any other verified event is returned.
    ///
    /// # Errors
    /// [`ErrorKind::Event`] for a malformed or unverified call (answer it with 400 or 401 and
    /// handle nothing), and those of [`Portals::install_page`] and [`Portals::uninstall`].
    pub async fn receive(&self, query: &str, body: &[u8]) -> Result<Received> {
        let event = match parse_event(body) {
            Ok(e) => e,
            // The install page has no `event` field; for anything else that is no event
            // either, the install parser's error says what the body lacks.
            Err(_) => {
                return self
                    .install_page(query, body)
                    .await
                    .map(Received::Installed)
            }
        };
        match event.kind {
            EventKind::AppInstall(_) => self.install(body).await.map(Received::Installed),
            EventKind::AppUninstall(_) => self.uninstall(&event).await.map(Received::Uninstalled),
            _ => {
                self.verify(&event).await?;
                Ok(Received::Event(Box::new(event)))
            }
        }
    }

    /// Checks an event against the application token stored for its portal (looked up in
    /// the store when not cached) and returns the portal's `member_id`.
    ///
    /// # Errors
    /// [`ErrorKind::Event`] when the event names no portal, an unknown one, or does not
    /// verify; [`ErrorKind::TokenStore`] when the store fails.
    pub async fn verify(&self, event: &Event) -> Result<String> {
        let unknown = |why: String| {
            Error::new(
                ErrorKind::Event,
                format!("the {} call {why}; it was refused", event.name),
            )
        };
        let Some(member_id) = event.auth.member_id.clone() else {
            return Err(unknown("has no auth[member_id]".into()));
        };
        match self.application_token(&member_id).await? {
            Some(token) => verify(event, &token).map(|()| member_id),
            None => Err(unknown(format!(
                "comes from an unknown portal (member_id {member_id})"
            ))),
        }
    }

    /// A synchronous [`Verifier`] for the axum handler (`events::axum::handler`, feature
    /// `axum`), checking each call against the application token of its portal. It knows the
    /// portals installed through this registry and those loaded by [`Portals::preload`] (or
    /// [`Portals::open`]).
    pub fn verifier(&self) -> Verifier {
        let tokens = self.inner.app_tokens.clone();
        Verifier::by_portal(move |member_id| {
            tokens
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(member_id)
                .cloned()
        })
    }

    /// The stored application token of `member_id`, cached after the first look-up.
    async fn application_token(&self, member_id: &str) -> Result<Option<SecretString>> {
        if member_id.starts_with(APP_TOKEN_KEY) {
            return Ok(None);
        }
        if let Some(t) = self.tokens().get(member_id) {
            return Ok(Some(t.clone()));
        }
        let token = match self.inner.store.load(member_id).await? {
            Some(TokenRecord {
                application_token: Some(t),
                ..
            }) => Some(t),
            // Written by an earlier version: the token is in a side record.
            _ => self
                .inner
                .store
                .load(&side_key(member_id))
                .await?
                .map(|r| r.access_token),
        };
        if let Some(t) = &token {
            self.tokens().insert(member_id.to_string(), t.clone());
        }
        Ok(token)
    }

    /// A reinstall with a new application token must hold a refresh token this app can use
    /// on this portal; the refreshed pair replaces the one the call carried.
    async fn prove_reinstall(&self, install: &mut Installation) -> Result<()> {
        let refused = || {
            Error::new(
                ErrorKind::Event,
                format!(
                    "an install call for the already installed portal {} has another \
                     application token and tokens the OAuth server does not accept for this \
                     app; it was refused",
                    install.member_id
                ),
            )
        };
        let answer = match self.inner.app.refresh(&install.refresh_token).await {
            Ok(a) => a,
            Err(e) if matches!(e.kind(), ErrorKind::Transport) => return Err(e),
            Err(e) => return Err(refused().with_source(e)),
        };
        if answer.member_id != install.member_id {
            return Err(refused());
        }
        install.access_token = answer.access_token;
        install.refresh_token = answer.refresh_token;
        install.expires_in = answer.expires_in.or(install.expires_in);
        Ok(())
    }

    fn clients(&self) -> MutexGuard<'_, HashMap<String, Client>> {
        // Every update is one insert or remove, so a poisoned map is still consistent.
        self.inner.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn tokens(&self) -> MutexGuard<'_, HashMap<String, SecretString>> {
        self.inner
            .app_tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }
}
