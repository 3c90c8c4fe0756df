//! Tests that run part of themselves in other OS processes: the child is this test binary run
//! with `--exact <entry> --ignored`, an ignored test that reads its configuration (JSON) from
//! the environment. Run alone, a child entry fails and names the test that runs it.
//!
//! The parent and its children meet through marker files in a shared directory (`ready-N`,
//! `go`), so that every child is set up before any of them starts.
#![allow(dead_code)] // each child test uses a different subset

use crate::oauth_support::app_with;
use bitrix24::auth::OAuthApp;
use bitrix24_sandbox::Sandbox;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// The environment variable a child finds its configuration in.
const CONFIG_ENV: &str = "BITRIX24_TEST_CHILD";

/// What the parent keeps of a child's output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Output {
    /// Read back with `wait_with_output` (the child prints its result).
    Captured,
    /// Thrown away (a child that is killed says nothing useful).
    Discarded,
}

/// Starts the child test `entry` (`module::test_name`) with `config`. It is killed when the
/// handle is dropped, so a failing parent leaves no process behind.
pub fn spawn(entry: &str, config: &Value, output: Output) -> tokio::process::Child {
    let stdio = || match output {
        Output::Captured => Stdio::piped(),
        Output::Discarded => Stdio::null(),
    };
    tokio::process::Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            entry,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CONFIG_ENV, config.to_string())
        .stdout(stdio())
        .stderr(stdio())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the child {entry}: {e}"))
}

/// Waits for a child's end and asserts it passed; returns what it printed.
pub async fn passed(child: tokio::process::Child) -> String {
    let out = child.wait_with_output().await.expect("child output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The sandbox's portal and app, as a child needs them, plus `extra` keys.
pub fn sandbox_config(sb: &Sandbox, extra: Value) -> Value {
    let mut config = serde_json::json!({
        "url": sb.url(),
        "client_id": sb.app().client_id,
        "client_secret": sb.app().client_secret,
        "member_id": sb.member_id(),
    });
    if let (Some(into), Value::Object(more)) = (config.as_object_mut(), extra) {
        into.extend(more);
    }
    config
}

/// A child's configuration, read in its entry test.
pub struct ChildConfig(Value);

impl ChildConfig {
    /// The configuration the parent passed; panics naming `parent` when the entry was run on
    /// its own.
    pub fn read(parent: &str) -> Self {
        let text = std::env::var(CONFIG_ENV).unwrap_or_else(|_| {
            panic!("a child process of `{parent}`: run that test, not this one")
        });
        Self(serde_json::from_str(&text).expect("the child's configuration is JSON"))
    }

    /// A string entry.
    pub fn text(&self, key: &str) -> String {
        self.0[key]
            .as_str()
            .unwrap_or_else(|| panic!("the child's configuration has no string {key}"))
            .to_string()
    }

    /// A path entry.
    pub fn path(&self, key: &str) -> PathBuf {
        PathBuf::from(self.text(key))
    }

    /// The sandbox's app of [`sandbox_config`].
    pub fn app(&self) -> OAuthApp {
        app_with(
            &self.text("url"),
            &self.text("client_id"),
            &self.text("client_secret"),
        )
    }

    /// The child's number among its siblings (`index`).
    pub fn index(&self) -> usize {
        self.0["index"]
            .as_u64()
            .expect("the child's configuration has no index") as usize
    }

    /// The portal's `member_id` of [`sandbox_config`].
    pub fn member_id(&self) -> String {
        self.text("member_id")
    }
}

/// Polls `ready` every 10 ms for up to 30 s; panics saying what never happened.
pub async fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    for _ in 0..3000 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The child's side of a start together: says it is ready, then waits for the parent's go.
pub async fn ready_then_wait_for_go(dir: &Path, index: usize) {
    std::fs::write(dir.join(format!("ready-{index}")), b"").expect("ready marker");
    wait_for("the parent's go", || dir.join("go").exists()).await;
}

/// The parent's side: waits until children `0..count` are ready, then lets them all go.
pub async fn start_together(dir: &Path, count: usize) {
    wait_for("the child processes to be ready", || {
        (0..count).all(|i| dir.join(format!("ready-{i}")).exists())
    })
    .await;
    std::fs::write(dir.join("go"), b"").expect("go marker");
}
