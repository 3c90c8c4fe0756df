//! `b24 auth login` end to end in a real headless browser: Debian's chromium, driven through
//! chromedriver's WebDriver HTTP API, opens the sandbox's consent page and clicks Allow; the
//! CLI's one-shot listener catches the redirect, exchanges the code and stores the tokens.
//!
//! Chromium and chromedriver are required: without them this test fails (it never skips)
//! and says how to install them. `.ci/run` installs them.

use crate::cli_support::{command as b24, free_port};
use bitrix24_sandbox::{AppRegistration, Limits, Sandbox};
use browser::{require_browser, WebDriver};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

// The WebDriver helper has one home, beside the sandbox's inspector tests that use the rest of
// it; this test plays the consent page with part of it.
#[allow(dead_code)]
#[path = "../../../bitrix24-sandbox/tests/it/common/browser.rs"]
mod browser;

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
