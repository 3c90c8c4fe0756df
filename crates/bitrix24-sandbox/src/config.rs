//! What kind of portal the sandbox pretends to be.

use time::UtcOffset;

/// The request-rate limit of the portal (the cloud's leaky bucket in front of PHP).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limits {
    /// 2 requests/s drain, bucket of 50: every plan but Enterprise.
    Standard,
    /// 5 requests/s drain, bucket of 250.
    Enterprise,
    /// No request-rate limit (benchmarks, bulk seeding).
    Off,
    /// Any other drain rate and bucket size.
    Custom {
        /// Requests drained per second.
        per_second: f64,
        /// Bucket size: how many requests may arrive at once.
        burst: u32,
    },
}

impl Limits {
    /// `(drain per second, bucket size)`, or `None` when limits are off.
    pub fn params(self) -> Option<(f64, u32)> {
        match self {
            Limits::Standard => Some((2.0, 50)),
            Limits::Enterprise => Some((5.0, 250)),
            Limits::Off => None,
            Limits::Custom { per_second, burst } => Some((per_second, burst)),
        }
    }
}

impl std::str::FromStr for Limits {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "standard" => Ok(Limits::Standard),
            "enterprise" => Ok(Limits::Enterprise),
            "off" => Ok(Limits::Off),
            other => Err(format!(
                "unknown limits '{other}': use standard, enterprise or off"
            )),
        }
    }
}

/// Fixed facts about the emulated portal.
#[derive(Clone)]
pub struct PortalConfig {
    /// The portal's host as apps see it: `domain` in the OAuth redirect, the token answer and
    /// event payloads, and the host of every `client_endpoint`. The builder sets it to the
    /// listening `host:port` (e.g. `127.0.0.1:40123`) unless one is given, so that a client
    /// that builds `https://{domain}/rest/` reaches this portal.
    pub domain: String,
    /// Whether the portal serves HTTPS (the scheme of its endpoints).
    pub https: bool,
    /// Portal id (32 hex characters), stable for the sandbox's data file.
    pub member_id: String,
    /// Time zone of the portal server, used for every date it prints (default +03:00).
    pub utc_offset: UtcOffset,
    /// Request-rate limit.
    pub limits: Limits,
    /// Seconds of method run time per (app or webhook, method) allowed in 10 minutes before
    /// `OPERATION_TIME_LIMIT` (the docs' cloud example: 480).
    pub operating_limit: f64,
    /// Whether webhooks may be called over plain HTTP. The real portal refuses (`INVALID_REQUEST`
    /// "Https required."); the sandbox allows it by default because tests run on loopback.
    pub allow_http_webhooks: bool,
    /// Key for the `/_sandbox/` admin API; `None` turns the admin API off.
    pub admin_key: Option<String>,
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// How many REST requests the inspector's log keeps (0 turns the log off).
    pub request_log: usize,
}

/// Every field but the admin key, which is only said to be set or not.
impl std::fmt::Debug for PortalConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalConfig")
            .field("domain", &self.domain)
            .field("https", &self.https)
            .field("member_id", &self.member_id)
            .field("utc_offset", &self.utc_offset)
            .field("limits", &self.limits)
            .field("operating_limit", &self.operating_limit)
            .field("allow_http_webhooks", &self.allow_http_webhooks)
            .field("admin_key", &self.admin_key.as_ref().map(|_| "<set>"))
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_log", &self.request_log)
            .finish()
    }
}

impl PortalConfig {
    /// `client_endpoint`: `{scheme}://{domain}/rest/`.
    pub fn client_endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}/rest/", self.domain)
    }
}

impl Default for PortalConfig {
    fn default() -> Self {
        Self {
            domain: String::new(),
            https: false,
            member_id: String::new(),
            utc_offset: UtcOffset::from_hms(3, 0, 0).expect("valid offset"),
            limits: Limits::Standard,
            operating_limit: 480.0,
            allow_http_webhooks: true,
            admin_key: None,
            max_body_bytes: 32 * 1024 * 1024,
            request_log: crate::inspector::log::DEFAULT_CAPACITY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_admin_key() {
        let config = PortalConfig {
            admin_key: Some("s3cret-admin-key".into()),
            ..PortalConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cret-admin-key"), "{shown}");
        assert!(shown.contains("admin_key: Some(\"<set>\")"), "{shown}");
    }
}
