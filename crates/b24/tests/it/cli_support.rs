//! Shared steps of the CLI tests: run the `b24` binary with its own config directory against
//! an in-process sandbox, and play the user's browser on the consent page.

use bitrix24_sandbox::{Limits, Sandbox};
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;
use tokio::process::Command;

/// A config directory of its own and a sandbox.
pub struct Cli {
    pub dir: TempDir,
    pub sandbox: Sandbox,
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Panics with both streams unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Cli {
    /// A sandbox without rate limits and an empty config.
    pub async fn new() -> Self {
        Self::with_limits(Limits::Off).await
    }

    pub async fn with_limits(limits: Limits) -> Self {
        let sandbox = Sandbox::builder()
            .limits(limits)
            .start()
            .await
            .expect("sandbox");
        Self {
            dir: tempfile::tempdir().expect("config dir"),
            sandbox,
        }
    }

    /// A command for the binary with this config directory and no inherited profile.
    pub fn cmd(&self) -> Command {
        command(self.dir.path())
    }

    /// Runs `b24 args...` to the end.
    pub async fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd().args(args).output().await.expect("run b24"))
    }

    /// Saves the sandbox's webhook as the default profile.
    pub async fn login_webhook(&self) {
        let url = self.sandbox.webhook_url();
        self.run(&["auth", "webhook", &url, "--name", "hook"])
            .await
            .expect_code(0);
    }

    /// A file path in the config directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Seeds `n` leads.
    pub fn seed(&self, n: usize) {
        let portal = self.sandbox.portal();
        bitrix24_sandbox::methods::crm::seed::seed_leads(&portal.db(), n, portal.unix())
            .expect("seed");
    }

    /// Calls a method through the webhook, outside the CLI.
    pub async fn call(&self, method: &str, form: &[(&str, &str)]) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{}{method}", self.sandbox.webhook_url()))
            .form(form)
            .send()
            .await
            .expect("call")
            .json()
            .await
            .expect("json")
    }

    /// Leads on the portal, by the sandbox's own database.
    pub fn lead_count(&self) -> i64 {
        self.sandbox
            .portal()
            .db()
            .query_row("SELECT count(*) FROM crm_lead", [], |r| r.get(0))
            .expect("count")
    }
}

/// The binary with config directory `dir` and none of the user's environment.
pub fn command(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_b24"));
    c.env("B24_CONFIG_DIR", dir)
        .env_remove("B24_WEBHOOK")
        .env_remove("B24_PROFILE")
        .env_remove("B24_CLIENT_SECRET")
        .env_remove("B24_STORE")
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    c
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("field on the page") + marker.len();
    let len = html[start..].find('"').expect("closing quote");
    html[start..start + len].to_string()
}

/// Plays the user on the consent page at `authorize_url`: presses Allow and returns where
/// the portal redirects the browser (the `Location`), without following it.
pub async fn allow(authorize_url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser");
    let page = browser
        .get(authorize_url)
        .send()
        .await
        .expect("consent page")
        .text()
        .await
        .expect("html");
    let fields = ["client_id", "state", "user_id", "token"].map(|n| (n, hidden(&page, n)));
    let mut form: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    form.push(("decision", "allow"));
    let url = url::Url::parse(authorize_url)
        .and_then(|u| u.join("/oauth/authorize/"))
        .expect("url");
    let resp = browser.post(url).form(&form).send().await.expect("allow");
    assert_eq!(resp.status().as_u16(), 302, "Allow redirects");
    resp.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string()
}
