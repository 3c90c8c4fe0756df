//! issue point 2: a write that was answered survives `kill -9` of the sandbox process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Starts the binary on a free port with `data`; returns it and its webhook URL.
fn serve(data: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bitrix24-sandbox"))
        .args(["serve", "--port", "0", "--limits", "off", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the sandbox binary");
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut webhook = None;
    for line in out.lines() {
        let line = line.expect("read the summary");
        if let Some(url) = line.trim().strip_prefix("incoming webhook") {
            webhook = Some(url.trim().to_string());
            break;
        }
    }
    (child, webhook.expect("the summary names the webhook URL"))
}

#[tokio::test]
async fn answered_writes_survive_kill_9() {
    let dir = tempfile_dir();
    let data = dir.join("portal.db");
    let (mut first, hook) = serve(&data);
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..20 {
        let v: serde_json::Value = http
            .post(format!("{hook}crm.lead.add"))
            .form(&[("fields[TITLE]", format!("durable {i}"))])
            .send()
            .await
            .expect("add")
            .json()
            .await
            .expect("json");
        ids.push(v["result"].as_i64().expect("id"));
    }
    // SIGKILL: no shutdown, no flush beyond what each answered transaction did.
    first.kill().expect("kill -9");
    first.wait().expect("reaped");

    let (mut second, hook_again) = serve(&data);
    assert_eq!(
        hook,
        hook_again.replace(port_of(&hook_again), port_of(&hook)),
        "same webhook"
    );
    for (i, id) in ids.iter().enumerate() {
        let v: serde_json::Value = http
            .post(format!("{hook_again}crm.lead.get"))
            .form(&[("id", id.to_string())])
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        assert_eq!(v["result"]["TITLE"], format!("durable {i}"), "{v}");
    }
    second.kill().expect("stop");
    second.wait().expect("reaped");
    let _ = std::fs::remove_dir_all(&dir);
}

fn port_of(url: &str) -> &str {
    url.split(':')
        .nth(2)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "b24-durability-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
