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
    /// the first portal stops or the admin API removes them. Locked before `members` when both
    /// are.
    owned: Mutex<Vec<Owned>>,
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
    /// The fleet's first portal, which the others run beside.
    primary: bool,
}

impl Member {
    /// How the admin API lists this member, running as `portal`.
    fn listed(&self, portal: &Portal) -> FleetPortal {
        FleetPortal {
            url: self.url.clone(),
            domain: portal.config.domain.clone(),
            member_id: portal.config.member_id.clone(),
        }
    }
}

/// A portal the fleet keeps running, by the member id it is removed by.
#[derive(Debug)]
struct Owned {
    member_id: String,
    running: Box<dyn Running>,
}

/// Why [`Fleet::remove_portal`] removed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoveError {
    /// No running portal of the fleet has that member id or domain.
    Unknown(String),
    /// The fleet's first portal: the others were started from it and stop with it.
    Primary(FleetPortal),
    /// The portal the request was sent to: it would close the connection its answer goes
    /// back on.
    Answering(FleetPortal),
    /// A portal started in-process (`Sandbox::add_portal`, `join`, `start_many`, `serve
    /// --portals`): the handle that started it owns it.
    NotOwned(FleetPortal),
}

impl std::fmt::Display for RemoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoveError::Unknown(key) => write!(
                f,
                "no portal of this sandbox has the member_id or domain '{key}'; \
                 GET /_sandbox/portals lists them"
            ),
            RemoveError::Primary(p) => write!(
                f,
                "{} is the primary portal of this sandbox and cannot be deleted: the others run \
                 beside it; stop the sandbox to stop it",
                p.domain
            ),
            RemoveError::Answering(p) => write!(
                f,
                "{} cannot delete itself: send the DELETE to another portal of this sandbox, \
                 e.g. the primary",
                p.domain
            ),
            RemoveError::NotOwned(p) => write!(
                f,
                "{} was not started through POST /_sandbox/portals, so the admin API cannot \
                 stop it; stop it where it was started",
                p.domain
            ),
        }
    }
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
    /// Adds a started portal; `primary` for the fleet's first.
    pub(crate) fn register(&self, portal: &Arc<Portal>, url: &str, primary: bool) {
        let mut members = lock(&self.members);
        members.retain(|m| m.portal.strong_count() > 0);
        members.push(Member {
            portal: Arc::downgrade(portal),
            url: url.to_string(),
            primary,
        });
    }

    /// Sets how the admin API starts another portal.
    pub(crate) fn set_starter(&self, starter: Starter) {
        *lock(&self.starter) = Some(Arc::new(starter));
    }

    /// Starts another portal in this fleet (with other `limits` when given) and keeps it
    /// running until the first portal stops or [`Self::remove_portal`] removes it; `None` when the fleet has no first portal's
    /// settings to start it with.
    pub async fn start_portal(
        self: &Arc<Self>,
        limits: Option<Limits>,
    ) -> Option<Result<(FleetPortal, String, App), String>> {
        let starter = lock(&self.starter).clone()?;
        Some(match starter(limits, self.clone()).await {
            Ok(started) => {
                lock(&self.owned).push(Owned {
                    member_id: started.portal.member_id.clone(),
                    running: started.running,
                });
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
            .into_iter()
            .map(|o| o.running)
            .collect()
    }

    /// Stops a portal started through the admin API ([`Self::start_portal`]), named by its
    /// `member_id` or `domain`, and forgets it: its port closes and its data goes with it.
    /// The fleet's first portal, portals whose handle someone else holds, and `answering`
    /// (the portal the request came to) stay.
    pub async fn remove_portal(
        &self,
        key: &str,
        answering: &Portal,
    ) -> Result<FleetPortal, RemoveError> {
        let (portal, owned) = {
            let mut owned = lock(&self.owned);
            let mut members = lock(&self.members);
            let (at, found) = members
                .iter()
                .enumerate()
                .find_map(|(at, m)| {
                    let p = m.portal.upgrade()?;
                    let named =
                        p.config.member_id == key || p.config.domain.eq_ignore_ascii_case(key);
                    named.then_some((at, p))
                })
                .ok_or_else(|| RemoveError::Unknown(key.to_string()))?;
            let member = &members[at];
            let portal = member.listed(&found);
            if member.primary {
                return Err(RemoveError::Primary(portal));
            }
            if std::ptr::eq(&*found, answering) {
                return Err(RemoveError::Answering(portal));
            }
            let Some(kept) = owned.iter().position(|o| o.member_id == portal.member_id) else {
                return Err(RemoveError::NotOwned(portal));
            };
            members.remove(at);
            (portal, owned.remove(kept))
        };
        owned.running.stop().await;
        Ok(portal)
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
            .filter_map(|m| m.portal.upgrade().map(|p| m.listed(&p)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PortalConfig;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn portal(domain: &str, member_id: &str) -> Arc<Portal> {
        let config = PortalConfig {
            domain: domain.to_string(),
            member_id: member_id.to_string(),
            ..PortalConfig::default()
        };
        let conn = rusqlite::Connection::open_in_memory().expect("memory db");
        Arc::new(Portal::new(config, conn))
    }

    /// Holds its portal as a started `Sandbox` does, and says when it was stopped.
    #[derive(Debug)]
    struct Fake {
        portal: Arc<Portal>,
        stopped: Arc<AtomicBool>,
    }

    impl Running for Fake {
        fn stop(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
            Box::pin(async move {
                self.stopped.store(true, Ordering::SeqCst);
                drop(self.portal);
            })
        }
    }

    /// A fleet of a primary and one portal it keeps; returns the kept one's flag and handle.
    fn fleet() -> (Arc<Fleet>, Arc<Portal>, Arc<AtomicBool>, Weak<Portal>) {
        let fleet = Arc::new(Fleet::default());
        let primary = portal("primary:1", "m-primary");
        fleet.register(&primary, "http://primary:1", true);
        let kept = portal("kept:2", "m-kept");
        fleet.register(&kept, "http://kept:2", false);
        let stopped = Arc::new(AtomicBool::new(false));
        let weak = Arc::downgrade(&kept);
        lock(&fleet.owned).push(Owned {
            member_id: "m-kept".into(),
            running: Box::new(Fake {
                portal: kept,
                stopped: stopped.clone(),
            }),
        });
        (fleet, primary, stopped, weak)
    }

    #[tokio::test]
    async fn removing_a_kept_portal_stops_it_and_lets_its_data_go() {
        for key in ["m-kept", "KEPT:2"] {
            let (fleet, primary, stopped, weak) = fleet();
            let gone = fleet.remove_portal(key, &primary).await.expect(key);
            assert_eq!(gone.member_id, "m-kept");
            assert!(stopped.load(Ordering::SeqCst), "{key}: stopped");
            assert_eq!(weak.strong_count(), 0, "{key}: nothing holds its data");
            let left: Vec<String> = fleet.list().into_iter().map(|p| p.member_id).collect();
            assert_eq!(left, ["m-primary"]);
            assert!(lock(&fleet.owned).is_empty());
        }
    }

    #[tokio::test]
    async fn the_primary_the_answering_portal_and_unknown_names_are_refused() {
        let (fleet, primary, stopped, weak) = fleet();
        let kept = weak.upgrade().expect("running");
        assert!(matches!(
            fleet.remove_portal("m-primary", &kept).await,
            Err(RemoveError::Primary(p)) if p.member_id == "m-primary"
        ));
        assert!(matches!(
            fleet.remove_portal("m-kept", &kept).await,
            Err(RemoveError::Answering(p)) if p.member_id == "m-kept"
        ));
        assert_eq!(
            fleet.remove_portal("nope", &primary).await,
            Err(RemoveError::Unknown("nope".into()))
        );
        let joined = portal("joined:3", "m-joined");
        fleet.register(&joined, "http://joined:3", false);
        assert!(matches!(
            fleet.remove_portal("m-joined", &primary).await,
            Err(RemoveError::NotOwned(p)) if p.member_id == "m-joined"
        ));
        assert!(!stopped.load(Ordering::SeqCst));
        assert_eq!(fleet.list().len(), 3);
    }
}
