//! Fault injection: the failures a real portal and the proxies in front of it produce, on
//! demand, so a client's retry and recovery logic can be proven.

use rand::Rng;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// The faults in force. Shares are probabilities from 0.0 to 1.0.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultConfig {
    /// Latency added to every REST request, in milliseconds. It counts as the method's run
    /// time for the operating limit, as a slow server would.
    pub latency_ms: u64,
    /// Share of REST requests answered 503 `QUERY_LIMIT_EXCEEDED` without running.
    pub query_limit_share: f64,
    /// Share of REST requests answered 500 with an HTML page (as a proxy does), without running.
    pub html_500_share: f64,
    /// Methods (lower-case) whose call is committed and then answered by dropping the
    /// connection, the ambiguous failure a client must not blindly retry.
    pub drop_after_commit: Vec<String>,
    /// When set, the latency and share faults apply only to these methods (lower-case).
    pub only_methods: Option<Vec<String>>,
}

/// The most latency one request can get: ten minutes (a real proxy gives up long before).
pub const MAX_LATENCY_MS: u64 = 600_000;

impl FaultConfig {
    /// Checks the numbers: latency up to [`MAX_LATENCY_MS`], shares from 0.0 to 1.0. The
    /// admin API refuses a configuration that fails with 400 and this message.
    pub fn check(&self) -> Result<(), String> {
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(format!(
                "latency_ms must be from 0 to {MAX_LATENCY_MS} (ten minutes), got {}",
                self.latency_ms
            ));
        }
        for (name, share) in [
            ("query_limit_share", self.query_limit_share),
            ("html_500_share", self.html_500_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!(
                    "{name} is a probability from 0.0 to 1.0, got {share}"
                ));
            }
        }
        Ok(())
    }
}

/// What to do with one request before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// Run normally.
    None,
    /// Answer 503 `QUERY_LIMIT_EXCEEDED`.
    QueryLimit,
    /// Answer 500 with an HTML body.
    Html500,
}

/// Thread-safe holder of the fault configuration.
#[derive(Debug, Default)]
pub struct Faults {
    config: Mutex<FaultConfig>,
}

impl Faults {
    /// Replaces the fault configuration.
    pub fn set(&self, config: FaultConfig) {
        *self.lock() = config;
    }

    /// The current configuration.
    pub fn get(&self) -> FaultConfig {
        self.lock().clone()
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.set(FaultConfig::default());
    }

    /// Decides the fault for one request of `method` (lower-case) and its added latency.
    /// A configuration set from Rust without [`FaultConfig::check`] is taken at its nearest
    /// valid values (latency capped at [`MAX_LATENCY_MS`]; shares outside 0..1 act as 0 or 1).
    pub fn decide(&self, method: &str) -> (Injected, Duration) {
        let c = self.lock();
        if let Some(only) = &c.only_methods {
            if !only.iter().any(|m| m.eq_ignore_ascii_case(method)) {
                return (Injected::None, Duration::ZERO);
            }
        }
        let latency = Duration::from_millis(c.latency_ms.min(MAX_LATENCY_MS));
        let mut rng = rand::rng();
        let injected = if c.query_limit_share > 0.0 && rng.random::<f64>() < c.query_limit_share {
            Injected::QueryLimit
        } else if c.html_500_share > 0.0 && rng.random::<f64>() < c.html_500_share {
            Injected::Html500
        } else {
            Injected::None
        };
        (injected, latency)
    }

    /// Whether a call of `method` is to be committed and then answered by a dropped connection.
    pub fn drops_after_commit(&self, method: &str) -> bool {
        self.lock()
            .drop_after_commit
            .iter()
            .any(|m| m.eq_ignore_ascii_case(method))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultConfig> {
        self.config.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The HTML page a proxy answers with on an internal error.
pub const HTML_500: &str = "<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n\
<body>\r\n<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n\
</body>\r\n</html>\r\n";
