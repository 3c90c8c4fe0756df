//! Running the sandbox as a long-lived server (the `bitrix24-sandbox serve` binary and
//! `b24 sandbox`): start, print how to connect, wait for Ctrl-C.

use crate::{Limits, Sandbox, StartError};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Options of a served sandbox.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (default 127.0.0.1).
    pub bind: IpAddr,
    /// Port (default 8024; 0 picks a free one).
    pub port: u16,
    /// SQLite data file; `None` keeps everything in memory.
    pub data: Option<PathBuf>,
    /// Request-rate limits.
    pub limits: Limits,
    /// Serve HTTPS with a self-signed certificate written to this file.
    pub tls_cert: Option<PathBuf>,
    /// Turn the `/_sandbox/` admin API on with this key.
    pub admin_key: Option<String>,
    /// Leads to seed when the data is new (for trying exports).
    pub seed_leads: usize,
    /// REST requests the inspector's log keeps (0 turns it off).
    pub request_log: usize,
    /// How many portals to serve (at least one), each on its own port: the first on `port`,
    /// the others on free ports, without data files ([`crate::fleet`]).
    pub portals: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8024,
            data: None,
            limits: Limits::Standard,
            tls_cert: None,
            admin_key: None,
            seed_leads: 0,
            request_log: crate::inspector::log::DEFAULT_CAPACITY,
            portals: 1,
        }
    }
}

/// Starts the sandbox and prints the portal URL, a ready-made webhook URL and an OAuth app's
/// credentials.
pub async fn start(opts: &ServeOptions) -> Result<Sandbox, StartError> {
    let mut builder = Sandbox::builder()
        .bind(SocketAddr::new(opts.bind, opts.port))
        .limits(opts.limits)
        .request_log(opts.request_log);
    if let Some(data) = &opts.data {
        builder = builder.data_file(data);
    }
    if let Some(cert) = &opts.tls_cert {
        builder = builder.tls(cert);
    }
    if let Some(key) = &opts.admin_key {
        builder = builder.admin_key(key);
    }
    builder.start().await
}

/// A human-readable summary of how to connect to a running sandbox.
pub fn summary(sandbox: &Sandbox, opts: &ServeOptions) -> String {
    let app = sandbox.app();
    let mut out = format!(
        "Bitrix24 sandbox portal is running\n\
         \n  portal            {url}\n  member_id         {member}\n  incoming webhook  {hook}\n\
         \n  OAuth app\n    client_id     {cid}\n    client_secret {secret}\n    redirect_uri  {redirect}\n\
         \n    authorize at  {url}/oauth/authorize/?client_id={cid}\n    token server  {url}/oauth/token/\n",
        url = sandbox.url(),
        member = sandbox.member_id(),
        hook = sandbox.webhook_url(),
        cid = app.client_id,
        secret = app.client_secret,
        redirect = app.redirect_uri,
    );
    out.push_str(&format!("\n  limits            {:?}\n", opts.limits));
    match &opts.data {
        Some(p) => out.push_str(&format!("  data              {}\n", p.display())),
        None => out.push_str("  data              in memory (use --data FILE to keep it)\n"),
    }
    if let Some(cert) = sandbox.tls_cert() {
        out.push_str(&format!(
            "  TLS certificate   {} (add it as a trusted root in your client)\n",
            cert.display()
        ));
    }
    if opts.admin_key.is_some() {
        out.push_str(&format!(
            "  admin API         {}/_sandbox/ (header X-Sandbox-Key)\n",
            sandbox.url()
        ));
        // The key is the user's own: the URL names where it goes, never the key itself.
        out.push_str(&format!(
            "  inspector         {}{}/ (open it once with ?key=<admin key>)\n",
            sandbox.url(),
            crate::inspector::html::BASE
        ));
    } else {
        out.push_str(
            "  inspector         off (start with --admin-key KEY to see every request at /_sandbox/ui/)\n",
        );
    }
    out.push_str("\nPress Ctrl-C to stop.\n");
    out
}

/// Runs until Ctrl-C: starts, seeds if asked, prints the summary, then serves.
pub async fn run(opts: ServeOptions) -> Result<(), StartError> {
    let sandbox = start(&opts).await?;
    let mut others = Vec::new();
    for _ in 1..opts.portals {
        others.push(sandbox.add_portal().await?);
    }
    if opts.seed_leads > 0 {
        seed_if_empty(&sandbox, opts.seed_leads);
    }
    print!("{}", summary(&sandbox, &opts));
    for other in &others {
        print!("{}", other_summary(other));
    }
    let _ = tokio::signal::ctrl_c().await;
    for other in others {
        other.shutdown().await;
    }
    sandbox.shutdown().await;
    Ok(())
}

/// How to connect to another portal of the fleet.
pub fn other_summary(sandbox: &Sandbox) -> String {
    let app = sandbox.app();
    format!(
        "\nAnother portal of this sandbox\n\
         \n  portal            {url}\n  member_id         {member}\n  incoming webhook  {hook}\n\
         \n  OAuth app\n    client_id     {cid}\n    client_secret {secret}\n",
        url = sandbox.url(),
        member = sandbox.member_id(),
        hook = sandbox.webhook_url(),
        cid = app.client_id,
        secret = app.client_secret,
    )
}

fn seed_if_empty(sandbox: &Sandbox, count: usize) {
    let portal = sandbox.portal();
    let db = portal.db();
    let existing: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM meta WHERE key = 'seeded_leads'",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    if existing > 0 {
        return;
    }
    match crate::methods::crm::seed::seed_leads(&db, count, portal.unix()) {
        Ok(()) => {
            let _ = crate::db::meta_set(&db, "seeded_leads", &count.to_string());
        }
        Err(e) => eprintln!("warning: could not seed leads: {e}"),
    }
}
