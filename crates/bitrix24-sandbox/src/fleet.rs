//! Several portals in one sandbox process, for many-portal tests.
//!
//! Each portal listens on its own port, so its URL names it: its `domain` is its `host:port`,
//! and every client (browser, CLI, library, another language) reaches the right portal from
//! the `domain` or `client_endpoint` it was given, without a resolver override or a path
//! convention the real portal does not have. The portals of one fleet share one OAuth server,
//! as every cloud portal shares `oauth.bitrix.info`: a portal's `/oauth/token/` also exchanges
//! the codes and refresh tokens of the other portals of its fleet, and answers with the
//! owning portal's `domain`, `member_id` and `client_endpoint`.

use crate::auth::apps::App;
use crate::config::Limits;
use crate::state::Portal;
use axum_server::tls_rustls::RustlsConfig;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// A running portal the fleet keeps alive (a started [`crate::Sandbox`]); stopping it stops
/// its server.
pub trait Running: Send + Sync + std::fmt::Debug {
    /// Stops the portal's server and waits for it.
    fn stop(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// A portal started through the admin API: what its caller needs to use it.
#[derive(Debug)]
pub struct Started {
    /// Where it listens, its domain and member id.
    pub portal: FleetPortal,
    /// Its ready-made incoming webhook URL.
    pub webhook_url: String,
    /// Its ready-made OAuth app.
    pub app: App,
    /// The running portal, kept by the fleet.
    pub running: Box<dyn Running>,
}

/// The future of a [`Starter`].
pub type StartFuture = Pin<Box<dyn Future<Output = Result<Started, String>> + Send>>;

/// Starts another portal in the given fleet, with other limits when given: set by the first
/// portal from its own settings (the builder), so that the admin API needs no builder.
pub type Starter = Box<dyn Fn(Option<Limits>, Arc<Fleet>) -> StartFuture + Send + Sync>;

/// The portals started together (the first one's and every portal joined to it).
#[derive(Default)]
pub struct Fleet {
    members: Mutex<Vec<Member>>,
    /// Portals started through the admin API: nobody else holds them, so the fleet does, until
    /// the first portal stops.
    owned: Mutex<Vec<Box<dyn Running>>>,
    /// How the admin API starts another portal: the first portal's settings, with a new port
    /// and no data file.
    starter: Mutex<Option<Arc<Starter>>>,
    /// The certificate of a fleet served over HTTPS, made by the first portal: clients trust
    /// one file for all portals.
    tls: Mutex<Option<RustlsConfig>>,
}

#[derive(Debug)]
struct Member {
    portal: Weak<Portal>,
    url: String,
}

/// One portal of a fleet, as the admin API and the inspector list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetPortal {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// The portal's domain.
    pub domain: String,
    /// The portal's `member_id`.
    pub member_id: String,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Fleet {
    /// Adds a started portal.
    pub(crate) fn register(&self, portal: &Arc<Portal>, url: &str) {
        let mut members = lock(&self.members);
        members.retain(|m| m.portal.strong_count() > 0);
        members.push(Member {
            portal: Arc::downgrade(portal),
            url: url.to_string(),
        });
    }

    /// Sets how the admin API starts another portal.
    pub(crate) fn set_starter(&self, starter: Starter) {
        *lock(&self.starter) = Some(Arc::new(starter));
    }

    /// Starts another portal in this fleet (with other `limits` when given) and keeps it
    /// running until the first portal stops; `None` when the fleet has no first portal's
    /// settings to start it with.
    pub async fn start_portal(
        self: &Arc<Self>,
        limits: Option<Limits>,
    ) -> Option<Result<(FleetPortal, String, App), String>> {
        let starter = lock(&self.starter).clone()?;
        Some(match starter(limits, self.clone()).await {
            Ok(started) => {
                lock(&self.owned).push(started.running);
                Ok((started.portal, started.webhook_url, started.app))
            }
            Err(e) => Err(e),
        })
    }

    /// The fleet's TLS configuration, once the first HTTPS portal made it.
    pub(crate) fn tls(&self) -> Option<RustlsConfig> {
        lock(&self.tls).clone()
    }

    /// Records the fleet's TLS configuration.
    pub(crate) fn set_tls(&self, config: RustlsConfig) {
        *lock(&self.tls) = Some(config);
    }

    /// Hands over the portals the fleet keeps, to stop them (when the first portal stops).
    pub(crate) fn stop_owned(&self) -> Vec<Box<dyn Running>> {
        std::mem::take(&mut *lock(&self.owned))
    }

    /// The running portals, in the order they started.
    pub fn portals(&self) -> Vec<Arc<Portal>> {
        lock(&self.members)
            .iter()
            .filter_map(|m| m.portal.upgrade())
            .collect()
    }

    /// The running portals with their URLs, in the order they started.
    pub fn list(&self) -> Vec<FleetPortal> {
        lock(&self.members)
            .iter()
            .filter_map(|m| {
                m.portal.upgrade().map(|p| FleetPortal {
                    url: m.url.clone(),
                    domain: p.config.domain.clone(),
                    member_id: p.config.member_id.clone(),
                })
            })
            .collect()
    }

    /// The running portals other than `portal`, in the order they started.
    pub fn others(&self, portal: &Portal) -> Vec<Arc<Portal>> {
        self.portals()
            .into_iter()
            .filter(|p| !std::ptr::eq(&**p, portal))
            .collect()
    }
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("portals", &self.list())
            .finish_non_exhaustive()
    }
}
