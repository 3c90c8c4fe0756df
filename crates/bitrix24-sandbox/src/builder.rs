//! Starting a sandbox portal in-process: `Sandbox::builder()….start().await`.

use crate::auth::apps::{self, App, AppRegistration, Webhook};
use crate::auth::oauth::{self, TokenPair};
use crate::config::{Limits, PortalConfig};
use crate::faults::FaultConfig;
use crate::fleet::{Fleet, FleetPortal, Running, Started};
use crate::http::{self, Https};
use crate::state::Portal;
use crate::{db, events, install, schema, tls};
use axum::Extension;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

/// Scopes of the ready-made webhook (kept here for callers of the builder's old path).
pub use crate::auth::apps::DEFAULT_WEBHOOK_SCOPE;

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened or initialised.
    #[error("cannot open the sandbox database {path}: {source}")]
    Database {
        /// The data file, or `:memory:`.
        path: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source} (is the port in use? try another --port)")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The temporary directory for a portal without a data file could not be made.
    #[error("cannot create a temporary directory for the portal's data (set TMPDIR to a writable directory): {0}")]
    TempDir(#[source] std::io::Error),
    /// The TLS certificate could not be made or written.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
}

/// Configures a sandbox portal before it starts.
#[derive(Debug, Clone)]
pub struct SandboxBuilder {
    config: PortalConfig,
    data: Option<PathBuf>,
    addr: SocketAddr,
    tls_cert: Option<PathBuf>,
    faults: FaultConfig,
    read_connections: usize,
    fleet: Option<Arc<Fleet>>,
}

/// Read-only connections a portal opens by default: enough for the parallel exports of the
/// bulk benchmark (8 chains) to overlap their SQL on a few cores without holding a lot of
/// page cache per connection.
pub const DEFAULT_READ_CONNECTIONS: usize = 4;

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            config: PortalConfig::default(),
            data: None,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            tls_cert: None,
            faults: FaultConfig::default(),
            read_connections: DEFAULT_READ_CONNECTIONS,
            fleet: None,
        }
    }
}

impl SandboxBuilder {
    /// Request-rate limits (default: standard, 2/s with a bucket of 50).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Operating-time limit in seconds per ten minutes per (app or webhook, method).
    pub fn operating_limit(mut self, seconds: f64) -> Self {
        self.config.operating_limit = seconds;
        self
    }

    /// Keep data in this SQLite file (default: in memory).
    pub fn data_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.data = Some(path.into());
        self
    }

    /// Listen on this port of 127.0.0.1 (default: an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Listen on this address (default 127.0.0.1 with an ephemeral port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Serve HTTPS with a self-signed certificate written (PEM) to `cert_path`.
    pub fn tls(mut self, cert_path: impl Into<PathBuf>) -> Self {
        self.tls_cert = Some(cert_path.into());
        self
    }

    /// Turn on the `/_sandbox/` admin API, guarded by this key (header `X-Sandbox-Key`).
    pub fn admin_key(mut self, key: impl Into<String>) -> Self {
        self.config.admin_key = Some(key.into());
        self
    }

    /// The portal's domain, as apps see it in the OAuth redirect, the token answer, event
    /// payloads and `client_endpoint` (default: the listening `host:port`, which every client
    /// reaches). A name of your own must resolve to the sandbox for clients that follow it
    /// (a hosts entry, or reqwest's `ClientBuilder::resolve`).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.config.domain = domain.into();
        self
    }

    /// Fix the portal's `member_id` (default: random, kept in the data file).
    pub fn member_id(mut self, member_id: impl Into<String>) -> Self {
        self.config.member_id = member_id.into();
        self
    }

    /// Refuse webhooks over plain HTTP, as the real portal does (default: allowed).
    pub fn require_https_webhooks(mut self) -> Self {
        self.config.allow_http_webhooks = false;
        self
    }

    /// Largest request body accepted before 413 (default 32 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.config.max_body_bytes = bytes;
        self
    }

    /// How many REST requests the inspector's request log keeps (default 1000; 0 turns the
    /// log off).
    pub fn request_log(mut self, capacity: usize) -> Self {
        self.config.request_log = capacity;
        self
    }

    /// How many read-only connections serve requests that only read (default
    /// [`DEFAULT_READ_CONNECTIONS`]); 0 runs everything on the one writer connection, and keeps
    /// a portal without a data file in memory instead of a temporary file.
    pub fn read_connections(mut self, count: usize) -> Self {
        self.read_connections = count;
        self
    }

    /// Faults in force from the start.
    pub fn faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }

    /// Starts this portal as another portal of `other`'s fleet ([`crate::fleet`]): in the same
    /// process, on its own port (this builder's address; the default picks a free port), with
    /// its own data, domain, member id, webhook and app, its own limits and rate buckets, and
    /// the OAuth server shared with the fleet's other portals.
    pub fn join(self, other: &Sandbox) -> Self {
        self.in_fleet(other.fleet.clone())
    }

    pub(crate) fn in_fleet(mut self, fleet: Arc<Fleet>) -> Self {
        self.fleet = Some(fleet);
        self
    }

    /// Starts `count` portals (at least one) in one fleet with these settings: the first as
    /// this builder says, the others on free ports of the same address, without a data file
    /// (in a temporary file) and with their own domains and member ids. The first one is the
    /// fleet's primary: dropping it stops the portals started through its admin API.
    pub async fn start_many(self, count: usize) -> Result<Vec<Sandbox>, StartError> {
        let others = self.sibling();
        let first = self.start().await?;
        let mut all = Vec::with_capacity(count.max(1));
        for _ in 1..count {
            all.push(others.clone().join(&first).start().await?);
        }
        all.insert(0, first);
        Ok(all)
    }

    /// These settings for another portal of the same fleet: a free port of the same address,
    /// no data file, and its own domain and member id.
    fn sibling(&self) -> SandboxBuilder {
        let mut b = self.clone();
        b.data = None;
        b.addr.set_port(0);
        b.config.domain.clear();
        b.config.member_id.clear();
        b.fleet = None;
        b
    }

    /// Opens the data, binds the port and starts serving.
    pub async fn start(mut self) -> Result<Sandbox, StartError> {
        let template = self.sibling();
        let primary = self.fleet.is_none();
        let fleet = self.fleet.take().unwrap_or_default();
        let db_err = |path: &Option<PathBuf>, source| StartError::Database {
            path: path
                .as_ref()
                .map_or(":memory:".into(), |p| p.display().to_string()),
            source,
        };
        let store = schema::open_store(self.data.as_deref(), self.read_connections).map_err(
            |e| match e {
                db::StoreError::Sqlite(e) => db_err(&self.data, e),
                db::StoreError::TempDir(e) => StartError::TempDir(e),
            },
        )?;
        let now = crate::clock::Clock::default().unix();
        let (app, webhook) =
            init_portal(&store.writer, &mut self.config, now).map_err(|e| db_err(&self.data, e))?;

        let bind_err = |source| StartError::Bind {
            addr: self.addr,
            source,
        };
        let listener = std::net::TcpListener::bind(self.addr).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let addr = listener.local_addr().map_err(bind_err)?;
        let scheme = if self.tls_cert.is_some() {
            "https"
        } else {
            "http"
        };
        let url = format!("{scheme}://{}", authority(addr));
        if self.config.domain.is_empty() {
            self.config.domain = authority(reachable(addr));
        }
        self.config.https = self.tls_cert.is_some();
        let portal = Arc::new(Portal::with_store(self.config.clone(), store));
        portal.faults.set(self.faults.clone());

        let handle = axum_server::Handle::new();
        let router = http::router(portal.clone()).layer(Extension(fleet.clone()));
        let server = match &self.tls_cert {
            Some(cert_path) => {
                let rustls = match fleet.tls() {
                    Some(shared) => shared,
                    None => {
                        let made = tls::self_signed(cert_path).await.map_err(StartError::Tls)?;
                        fleet.set_tls(made.clone());
                        made
                    }
                };
                let app = router.layer(Extension(Https));
                let server = axum_server::from_tcp_rustls(listener, rustls)
                    .map_err(bind_err)?
                    .handle(handle.clone());
                tokio::spawn(async move {
                    let service = app.into_make_service_with_connect_info::<SocketAddr>();
                    if let Err(e) = server.serve(service).await {
                        tracing::error!(error = %e, "sandbox server stopped");
                    }
                })
            }
            None => {
                let server = axum_server::from_tcp(listener)
                    .map_err(bind_err)?
                    .handle(handle.clone());
                tokio::spawn(async move {
                    let service = router.into_make_service_with_connect_info::<SocketAddr>();
                    if let Err(e) = server.serve(service).await {
                        tracing::error!(error = %e, "sandbox server stopped");
                    }
                })
            }
        };
        fleet.register(&portal, &url, primary);
        if primary {
            fleet.set_starter(starter(template.clone()));
        }
        Ok(Sandbox {
            url,
            addr,
            portal,
            app,
            webhook,
            tls_cert: self.tls_cert,
            handle,
            task: Some(server),
            fleet,
            primary,
            sibling: template,
        })
    }
}

/// How the admin API starts another portal of a fleet: `template`, joined to it.
fn starter(template: SandboxBuilder) -> crate::fleet::Starter {
    Box::new(move |limits, fleet| {
        let mut builder = template.clone().in_fleet(fleet);
        if let Some(limits) = limits {
            builder = builder.limits(limits);
        }
        Box::pin(async move {
            let sandbox = builder.start().await.map_err(|e| e.to_string())?;
            Ok(Started {
                portal: FleetPortal {
                    url: sandbox.url.clone(),
                    domain: sandbox.domain().to_string(),
                    member_id: sandbox.member_id().to_string(),
                },
                webhook_url: sandbox.webhook_url(),
                app: sandbox.app.clone(),
                running: Box::new(sandbox),
            })
        })
    })
}

impl Running for Sandbox {
    fn stop(self: Box<Self>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(async move {
            let mut sandbox = *self;
            sandbox.stop_server().await;
        })
    }
}

/// `host:port` of `addr`, with IPv6 hosts in brackets.
fn authority(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]:{}", addr.port()),
        IpAddr::V4(ip) => format!("{ip}:{}", addr.port()),
    }
}

/// An address clients can call: a portal listening on every interface (0.0.0.0, ::) is named
/// by its loopback address; serving other machines needs an explicit domain.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Creates users, the member id, a default app and a default webhook when the data is new,
/// and reuses them when it is not.
fn init_portal(
    conn: &rusqlite::Connection,
    config: &mut PortalConfig,
    now: i64,
) -> rusqlite::Result<(App, Webhook)> {
    apps::seed_users(conn, now)?;
    if config.member_id.is_empty() {
        config.member_id = match db::meta_get(conn, "member_id")? {
            Some(id) => id,
            None => crate::auth::secret::hex(32),
        };
    }
    db::meta_set(conn, "member_id", &config.member_id)?;
    let app = match apps::first_app(conn)? {
        Some(app) => app,
        None => apps::register_app(conn, &AppRegistration::default())?,
    };
    let webhook = match apps::first_webhook(conn)? {
        Some(w) => w,
        None => apps::create_webhook(conn, 1, apps::DEFAULT_WEBHOOK_SCOPE)?,
    };
    Ok((app, webhook))
}

/// A running sandbox portal. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    url: String,
    addr: SocketAddr,
    portal: Arc<Portal>,
    app: App,
    webhook: Webhook,
    tls_cert: Option<PathBuf>,
    handle: axum_server::Handle<SocketAddr>,
    task: Option<tokio::task::JoinHandle<()>>,
    fleet: Arc<Fleet>,
    /// The first portal of its fleet: stopping it stops the portals the fleet keeps.
    primary: bool,
    /// This portal's settings for another portal of its fleet ([`Self::add_portal`]).
    sibling: SandboxBuilder,
}

impl Sandbox {
    /// A builder with the defaults: in-memory data, standard limits, 127.0.0.1, ephemeral port.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `client_endpoint`: `{url}/rest/`.
    pub fn rest_url(&self) -> String {
        format!("{}/rest/", self.url)
    }

    /// The ready-made incoming webhook URL (user 1), ending with `/`.
    pub fn webhook_url(&self) -> String {
        self.webhook_url_of(&self.webhook)
    }

    /// The URL of any webhook of this portal, ending with `/`.
    pub fn webhook_url_of(&self, webhook: &Webhook) -> String {
        format!("{}/rest/{}/{}/", self.url, webhook.user_id, webhook.secret)
    }

    /// The ready-made webhook.
    pub fn webhook(&self) -> &Webhook {
        &self.webhook
    }

    /// The ready-made OAuth application.
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The self-signed certificate file, when serving HTTPS.
    pub fn tls_cert(&self) -> Option<&std::path::Path> {
        self.tls_cert.as_deref()
    }

    /// The portal's `member_id`.
    pub fn member_id(&self) -> &str {
        &self.portal.config.member_id
    }

    /// The portal's domain: by default its listening `host:port`, e.g. `127.0.0.1:40123`.
    pub fn domain(&self) -> &str {
        &self.portal.config.domain
    }

    /// The shared portal state, for in-process tools (seeding, inspection).
    pub fn portal(&self) -> &Arc<Portal> {
        &self.portal
    }

    /// Registers another OAuth application.
    pub fn register_app(&self, reg: &AppRegistration) -> rusqlite::Result<App> {
        apps::register_app(&self.portal.db(), reg)
    }

    /// Creates another incoming webhook.
    pub fn create_webhook(&self, user_id: i64, scope: &str) -> rusqlite::Result<Webhook> {
        apps::create_webhook(&self.portal.db(), user_id, scope)
    }

    /// Issues a token pair for `app` and `user_id` directly, skipping the browser dance.
    pub fn issue_tokens(&self, app: &App, user_id: i64) -> rusqlite::Result<TokenPair> {
        oauth::issue_tokens(
            &self.portal.db(),
            app.id,
            user_id,
            &app.scope,
            self.portal.unix(),
        )
    }

    /// Moves the sandbox clock forward: codes and tokens expire and the rate bucket drains
    /// without sleeping. Negative, NaN, infinite and over-100-year moves are ignored.
    pub fn advance_clock(&self, seconds: f64) {
        self.portal.clock.advance(seconds);
    }

    /// Stops the sandbox clock: time passes only through [`Self::advance_clock`], so a test
    /// gets exact figures from the rate bucket (and token expiry) whatever the machine's
    /// speed. Clients that pace themselves on real time see 503s against a frozen clock.
    pub fn freeze_clock(&self) {
        self.portal.clock.freeze();
    }

    /// Lets real time run again from where the frozen clock stands.
    pub fn resume_clock(&self) {
        self.portal.clock.resume();
    }

    /// Replaces the faults in force.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.portal.faults.set(faults);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.portal.faults.clear();
    }

    /// Changes the request-rate limits (the bucket starts empty).
    pub fn set_limits(&self, limits: Limits) {
        self.portal.rate.set_limits(limits);
    }

    /// Changes the operating-time limit (seconds per ten minutes).
    pub fn set_operating_limit(&self, seconds: f64) {
        self.portal.operating.set_limit(seconds);
    }

    /// REST HTTP requests served so far (a batch counts once).
    pub fn http_requests(&self) -> u64 {
        self.portal.stats.http_requests()
    }

    /// Requests served per method (REST methods, and `oauth.token` for every token request).
    pub fn requests_by_method(&self) -> std::collections::BTreeMap<String, u64> {
        self.portal.stats.by_method()
    }

    /// `/oauth/token/` requests per source address (the TCP peer), so a test acting as several
    /// hosts sees which one refreshed.
    pub fn token_requests_by_source(&self) -> std::collections::BTreeMap<std::net::IpAddr, u64> {
        self.portal.stats.token_requests_by_source()
    }

    /// Requests refused with 503 by the rate limiter so far.
    pub fn refused_by_rate_limit(&self) -> u64 {
        self.portal.rate.refused()
    }

    /// Registers and installs an app. When it has an `install_url`, the portal POSTs the
    /// ONAPPINSTALL payload there (form-encoded, `auth[...]` with both tokens and the
    /// `application_token`, `data[VERSION|ACTIVE|INSTALLED|LANGUAGE_ID]`, `ts`) and this
    /// returns after the handler answered. A failed POST is logged, not an error: the app is
    /// installed all the same, as on the real portal.
    pub async fn install_app(&self, reg: &AppRegistration) -> rusqlite::Result<App> {
        install::install_app(&self.portal, reg).await
    }

    /// Uninstalls an app: POSTs ONAPPUNINSTALL (no tokens in `auth`: only `domain`,
    /// `member_id`, `application_token`, `client_endpoint`, `server_endpoint`; `data` with
    /// `LANGUAGE_ID` and `CLEAN=0`) to each of the app's ONAPPUNINSTALL handlers and waits for
    /// them, then removes the app's tokens, bindings and queued events and marks it not
    /// installed (the OAuth server then refuses it).
    pub async fn uninstall_app(&self, app: &App) -> rusqlite::Result<()> {
        install::uninstall_app(&self.portal, app).await
    }

    /// Waits until every event POST started so far has been answered or has failed (at most
    /// `timeout`); true when none is left in flight. Lets a test assert that nothing was
    /// delivered without sleeping for a guessed time.
    pub async fn wait_for_deliveries(&self, timeout: std::time::Duration) -> bool {
        let st = events::state::of(&self.portal);
        let deadline = tokio::time::Instant::now() + timeout;
        while st.in_flight() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        true
    }

    /// Event POSTs answered with a 2xx status so far.
    pub fn events_delivered(&self) -> u64 {
        events::state::of(&self.portal).delivered()
    }

    /// Event POSTs that failed so far (refused, timed out or answered with an error status).
    pub fn events_failed(&self) -> u64 {
        events::state::of(&self.portal).failed()
    }

    /// Does nothing: event payloads name the portal's domain, fixed at start. Kept for callers
    /// from when the endpoints had to be set after start.
    pub fn remember_url(&self) {}

    /// Starts another portal in this one's fleet, with this portal's settings (address, limits,
    /// TLS, admin key) but its own port, data (a temporary file), domain, member id, webhook,
    /// app and rate buckets. Dropping the returned handle stops it. For other settings use
    /// `Sandbox::builder()….join(&this).start()`.
    pub async fn add_portal(&self) -> Result<Sandbox, StartError> {
        self.sibling.clone().join(self).start().await
    }

    /// Every running portal of this one's fleet (this one included), in the order they
    /// started.
    pub fn fleet_portals(&self) -> Vec<FleetPortal> {
        self.fleet.list()
    }

    /// Registers on this portal the app another portal of the fleet has, with the same
    /// `client_id` and `client_secret` (a marketplace app installed on several portals) and
    /// this portal's own `application_token`.
    pub fn register_shared_app(&self, app: &App) -> rusqlite::Result<App> {
        apps::register_shared_app(&self.portal.db(), app)
    }

    /// Stops the server and waits for it (and, for the first portal of a fleet, the portals
    /// started through its admin API).
    pub async fn shutdown(mut self) {
        self.handle.shutdown();
        let owned = if self.primary {
            self.fleet.stop_owned()
        } else {
            Vec::new()
        };
        for other in owned {
            other.stop().await;
        }
        self.stop_server().await;
    }

    async fn stop_server(&mut self) {
        self.handle.shutdown();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.handle.shutdown();
        if self.primary {
            // Dropping them shuts them down too.
            drop(self.fleet.stop_owned());
        }
    }
}
