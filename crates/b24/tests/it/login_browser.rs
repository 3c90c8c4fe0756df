//! `b24 auth login` end to end in a real headless browser: Debian's chromium, driven through
//! chromedriver's WebDriver HTTP API, opens the sandbox's consent page and clicks Allow; the
//! CLI's one-shot listener catches the redirect, exchanges the code and stores the tokens.
//!
//! Chromium and chromedriver are required: without them this test fails (it never skips)
//! and says how to install them. `.ci/run` installs them.

use crate::cli_support::{command as b24, free_port};
use bitrix24_sandbox::{AppRegistration, Limits, Sandbox};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "chromedriver";
/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_in_a_headless_browser_stores_the_tokens() {
    let chromedriver = require_browser();
    let sandbox = Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox");
    let port = free_port();
    let app = sandbox
        .register_app(&AppRegistration {
            name: "b24 login test".into(),
            redirect_uri: format!("http://127.0.0.1:{port}/"),
            scope: "crm,user".into(),
            install_url: String::new(),
        })
        .expect("register the app");
    let config = tempfile::tempdir().expect("config dir");

    let mut login = b24(config.path())
        .args(["auth", "login", "--portal", sandbox.url(), "--oauth-server"])
        .arg(sandbox.url())
        .args(["--client-id", &app.client_id])
        .args(["--client-secret", &app.client_secret])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--no-browser", "--name", "t"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start b24 auth login");
    let stdout = login.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read b24 output") {
            if let Some(url) = line.trim().strip_prefix("Open this URL:") {
                return url.trim().to_string();
            }
        }
        panic!("b24 auth login ended without printing `Open this URL: <url>`");
    })
    .await
    .expect("b24 auth login printed no URL within 30 s");
    assert!(
        url.starts_with(&format!("{}/oauth/authorize/", sandbox.url())),
        "{url}"
    );
    assert!(url.contains("state="), "the login sends a state: {url}");

    let driver = WebDriver::start(&chromedriver).await;
    let session = driver.new_session().await;
    session.navigate(&url).await;
    assert!(
        session.page_source().await.contains("b24 login test"),
        "the consent page names the app"
    );
    session.click("#allow").await;

    let status = tokio::time::timeout(Duration::from_secs(60), login.wait())
        .await
        .expect("b24 auth login did not finish within 60 s after Allow")
        .expect("wait for b24");
    let mut rest = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push_str(&line);
        rest.push('\n');
    }
    let mut err = String::new();
    if let Some(stderr) = login.stderr.take() {
        let mut e = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = e.next_line().await {
            err.push_str(&line);
            err.push('\n');
        }
    }
    assert!(status.success(), "b24 auth login: {status}\n{rest}\n{err}");
    // What the browser shows after the redirect is the CLI's page, not an error.
    let page = session.page_source().await;
    assert!(!page.contains("id=\"error\""), "{page}");
    session.close().await;

    let out = b24(config.path())
        .args(["--profile", "t", "auth", "status"])
        .output()
        .await
        .expect("run b24 auth status");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let host = sandbox.url().trim_start_matches("http://");
    assert!(shown.contains(host), "status names the portal: {shown}");
    assert!(shown.contains("crm"), "status shows the scopes: {shown}");
    assert!(
        !shown.contains(&app.client_secret),
        "status never shows the secret"
    );

    let db = config.path().join("tokens.db");
    let meta = std::fs::metadata(&db).expect("the token database exists");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o600,
            "tokens.db is private"
        );
    }
    let _ = meta;
}

/// Finds chromedriver and checks chromium, or fails saying how to get them.
fn require_browser() -> std::path::PathBuf {
    let driver = find_in_path(CHROMEDRIVER);
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
         (Debian/Ubuntu), then run the test again"
    );
}

fn find_in_path(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// A running chromedriver, killed when dropped.
struct WebDriver {
    _child: Child,
    base: String,
    http: reqwest::Client,
}

impl WebDriver {
    async fn start(binary: &Path) -> Self {
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
        for _ in 0..100 {
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
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not become ready within 10 s");
    }

    async fn new_session(&self) -> Session<'_> {
        let profile = tempfile::tempdir().expect("browser profile dir");
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
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
struct Session<'a> {
    driver: &'a WebDriver,
    id: String,
    _profile: tempfile::TempDir,
}

impl Session<'_> {
    async fn navigate(&self, url: &str) {
        let path = format!("/session/{}/url", self.id);
        self.driver
            .send(reqwest::Method::POST, &path, Some(json!({"url": url})))
            .await;
    }

    async fn page_source(&self) -> String {
        let path = format!("/session/{}/source", self.id);
        let v = self.driver.send(reqwest::Method::GET, &path, None).await;
        v.as_str().unwrap_or_default().to_string()
    }

    async fn click(&self, css: &str) {
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

    async fn close(self) {
        let path = format!("/session/{}", self.id);
        self.driver.send(reqwest::Method::DELETE, &path, None).await;
    }
}
