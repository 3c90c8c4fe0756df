//! A real headless browser for tests: Debian's chromium driven through chromedriver's
//! WebDriver HTTP API. Its one home: the sandbox's inspector tests use it as `common::browser`,
//! and `b24`'s login test (`crates/b24/tests/it/login_browser.rs`) includes this file by
//! `#[path]`, so it names nothing of either test crate. Chromium and chromedriver are
//! required: without them a test fails, never skips, and says how to install them (`.ci/run`
//! installs them).

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Finds chromedriver and checks chromium, or fails saying how to get them.
pub fn require_browser() -> PathBuf {
    let driver = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(CHROMEDRIVER))
            .find(|p| p.is_file())
    });
    let chromium = Path::new(CHROMIUM).exists();
    if let (Some(driver), true) = (&driver, chromium) {
        return driver.clone();
    }
    let missing = match (driver.is_none(), !chromium) {
        (true, true) => "chromium and chromedriver are",
        (true, false) => "chromedriver is",
        _ => "chromium is",
    };
    if std::env::var_os("CI").is_some() {
        panic!(
            "{missing} missing in CI: .ci/run must install them \
             (apt-get install -y chromium chromium-driver)"
        );
    }
    panic!(
        "{missing} missing: this test drives a real headless browser. Install them with \
         `sudo apt-get update && sudo apt-get install -y chromium chromium-driver` \
         (Debian/Ubuntu; .ci/run does this), then run the tests again"
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running chromedriver, killed when dropped.
pub struct WebDriver {
    _child: Child,
    base: String,
    http: reqwest::Client,
}

impl WebDriver {
    /// Starts chromedriver and waits (up to 10 s) until it is ready.
    pub async fn start(binary: &Path) -> Self {
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let driver = Self {
            _child: child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(r) = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
            {
                let v: Value = r.json().await.unwrap_or_default();
                if v["value"]["ready"] == true {
                    return driver;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not become ready within 10 s");
    }

    /// A headless chromium session with a fresh profile.
    pub async fn new_session(&self) -> Session<'_> {
        let profile = tempfile::tempdir().expect("browser profile dir");
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--no-first-run".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let v = self
            .send(reqwest::Method::POST, "/session", Some(caps))
            .await;
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"))
            .to_string();
        Session {
            driver: self,
            id,
            _profile: profile,
        }
    }

    /// One WebDriver command; returns `value` or fails with the driver's error.
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap_or_else(|e| panic!("WebDriver {path}: {e}"));
        let status = resp.status();
        let v: Value = resp.json().await.unwrap_or_default();
        assert!(status.is_success(), "WebDriver {path}: {status} {v}");
        v["value"].clone()
    }
}

/// A browser session; closed by [`Session::close`].
pub struct Session<'a> {
    driver: &'a WebDriver,
    id: String,
    _profile: tempfile::TempDir,
}

impl Session<'_> {
    /// Opens `url` and waits for the page to load.
    pub async fn navigate(&self, url: &str) {
        let path = format!("/session/{}/url", self.id);
        self.driver
            .send(reqwest::Method::POST, &path, Some(json!({"url": url})))
            .await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        let path = format!("/session/{}/url", self.id);
        let v = self.driver.send(reqwest::Method::GET, &path, None).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// The page's HTML as the browser holds it now (scripts' changes included).
    pub async fn page_source(&self) -> String {
        let path = format!("/session/{}/source", self.id);
        let v = self.driver.send(reqwest::Method::GET, &path, None).await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// Waits (up to `secs`) until the page holds `text`; returns the page or fails with it.
    pub async fn wait_for(&self, text: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let page = self.page_source().await;
            if page.contains(text) {
                return page;
            }
            if Instant::now() > deadline {
                panic!("the page did not show {text:?} within {secs} s:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) {
        let path = format!("/session/{}/element", self.id);
        let found = self
            .driver
            .send(
                reqwest::Method::POST,
                &path,
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        let element = found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string();
        let path = format!("/session/{}/element/{element}/click", self.id);
        self.driver
            .send(reqwest::Method::POST, &path, Some(json!({})))
            .await;
    }

    /// Ends the session.
    pub async fn close(self) {
        let path = format!("/session/{}", self.id);
        self.driver.send(reqwest::Method::DELETE, &path, None).await;
    }
}
