//! `b24 events listen` and `b24 events pull` against the sandbox: the listener binds its
//! handler, prints verified events as JSON lines, refuses forgeries and unbinds on Ctrl-C; the
//! puller prints the offline queue, finishes a batch a crashed run left reserved, and clears.

use crate::cli_support::{free_port, Cli};
use bitrix24::store::TokenStore;
use bitrix24::store::{SqliteStore, TokenRecord};
use bitrix24::SecretString;
use serde_json::{json, Value};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::ChildStdout;

/// Saves an OAuth profile `app` for the sandbox's ready-made app, with the administrator's
/// tokens in the token database; returns the access token for direct calls.
async fn oauth_profile(cli: &Cli) -> String {
    let sb = &cli.sandbox;
    let config = json!({
        "default": "app",
        "profiles": {"app": {
            "kind": "oauth", "portal": sb.url(), "oauth_server": sb.url(),
            "client_id": sb.app().client_id, "client_secret": sb.app().client_secret,
            "member_id": sb.member_id(),
        }},
    });
    std::fs::write(cli.path("config.json"), config.to_string()).expect("config");
    let pair = sb.issue_tokens(sb.app(), 1).expect("tokens");
    let store = SqliteStore::open(cli.path("tokens.db"))
        .await
        .expect("token db");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let mut record = TokenRecord::new(
        sb.member_id(),
        SecretString::from(pair.access_token.clone()),
        SecretString::from(pair.refresh_token),
        now + 3600,
    );
    record.domain = sb.domain().to_string();
    record.scope = pair.scope;
    record.client_endpoint = sb.rest_url();
    record.server_endpoint = sb.rest_url();
    record.user_id = Some(1);
    store.save(&record).await.expect("seed");
    pair.access_token
}

/// Calls `method` on the sandbox with an access token.
async fn rest(cli: &Cli, token: &str, method: &str, form: &[(&str, &str)]) -> Value {
    let mut all = vec![("auth", token)];
    all.extend_from_slice(form);
    reqwest::Client::new()
        .post(format!("{}{method}", cli.sandbox.rest_url()))
        .form(&all)
        .send()
        .await
        .expect("call")
        .json()
        .await
        .expect("json")
}

async fn add_lead(cli: &Cli, title: &str) -> u64 {
    cli.call("crm.lead.add", &[("fields[TITLE]", title)]).await["result"]
        .as_u64()
        .expect("lead id")
}

async fn next_line(lines: &mut Lines<BufReader<ChildStdout>>) -> Option<Value> {
    let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .ok()?
        .ok()??;
    Some(serde_json::from_str(&line).expect("a JSON line"))
}

fn lead_in(v: &Value) -> u64 {
    let id = &v["data"]["FIELDS"]["ID"];
    id.as_u64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

#[tokio::test]
async fn listen_binds_prints_verified_events_refuses_forgeries_and_unbinds() {
    let cli = Cli::new().await;
    let token = oauth_profile(&cli).await;
    cli.sandbox.remember_url();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let mut child = cli
        .cmd()
        .args(["events", "listen", "--port", &port.to_string()])
        .args(["--event", "ONCRMLEADADD"])
        .env(
            "B24_APPLICATION_TOKEN",
            &cli.sandbox.app().application_token,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut errs = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(Some(line)) = errs.next_line().await {
            if line.starts_with("listening on") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "the listener started");
    let bound = rest(&cli, &token, "event.get", &[]).await;
    assert_eq!(bound["result"][0]["handler"], url.as_str(), "{bound}");

    let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let lead = add_lead(&cli, "heard by the CLI").await;
    let line = next_line(&mut out).await.expect("an event line");
    assert_eq!(line["event"], "ONCRMLEADADD");
    assert_eq!(lead_in(&line), lead);
    assert_eq!(line["member_id"], cli.sandbox.member_id());
    let text = line.to_string();
    assert!(
        !text.contains(&token) && !text.contains("application_token"),
        "{text}"
    );

    let forged = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "event=ONCRMLEADADD&data%5BFIELDS%5D%5BID%5D=999&auth%5Bmember_id%5D={}\
             &auth%5Bapplication_token%5D=ffffffffffffffffffffffffffffffff",
            cli.sandbox.member_id()
        ))
        .send()
        .await
        .expect("forged post");
    assert_eq!(forged.status().as_u16(), 401);

    let pid = child.id().expect("pid").to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits on Ctrl-C")
        .expect("status");
    assert!(status.success(), "{status}");
    assert_eq!(
        next_line(&mut out).await,
        None,
        "the forged call was not printed"
    );
    let after = rest(&cli, &token, "event.get", &[]).await;
    assert_eq!(after["result"], json!([]), "unbound on exit");
}

#[tokio::test]
async fn listen_needs_a_token_and_a_webhook_cannot_bind() {
    let cli = Cli::new().await;
    let port = free_port().to_string();
    let run = cli.run(&["events", "listen", "--port", &port]).await;
    let run = run.expect_code(2);
    assert!(
        run.stderr.contains("B24_APPLICATION_TOKEN"),
        "{}",
        run.stderr
    );

    cli.login_webhook().await;
    let out = cli
        .cmd()
        .args([
            "events",
            "listen",
            "--port",
            &port,
            "--event",
            "ONCRMLEADADD",
        ])
        .env("B24_APPLICATION_TOKEN", "0123456789abcdef0123456789abcdef")
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(4));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("outgoing webhook"), "{stderr}");
}

#[tokio::test]
async fn pull_finishes_a_reserved_batch_first_then_drains_and_clears() {
    let cli = Cli::new().await;
    let token = oauth_profile(&cli).await;
    let bound = rest(
        &cli,
        &token,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("event_type", "offline")],
    )
    .await;
    assert_eq!(bound["result"], true, "{bound}");
    let a = add_lead(&cli, "a").await;
    let b = add_lead(&cli, "b").await;
    // A run that crashed after reserving these two: their process_id is in its checkpoint.
    let reserved = rest(&cli, &token, "event.offline.get", &[("clear", "0")]).await;
    let pid = reserved["result"]["process_id"].as_str().expect("pid");
    let checkpoint = cli.path("offline.pid");
    std::fs::write(&checkpoint, pid).expect("checkpoint");
    let c = add_lead(&cli, "c").await;

    let path = checkpoint.to_str().expect("utf-8 path");
    let run = cli
        .run(&["events", "pull", "--limit", "10", "--checkpoint", path])
        .await
        .expect_code(0);
    let lines: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let ids: Vec<u64> = lines.iter().map(lead_in).collect();
    assert_eq!(
        ids,
        vec![a, b, c],
        "the reserved batch first, then the rest"
    );
    assert!(lines
        .iter()
        .all(|l| l["event"] == "ONCRMLEADADD"
            && l["message_id"].as_str().is_some_and(|m| m.len() == 32)));
    assert!(run.stderr.contains("earlier run"), "{}", run.stderr);
    assert!(!checkpoint.exists(), "the finished batch is forgotten");
    let left = rest(&cli, &token, "event.offline.list", &[]).await;
    assert_eq!(left["total"], 0, "{left}");

    let again = cli.run(&["events", "pull", "--once"]).await.expect_code(0);
    assert_eq!(again.stdout, "", "nothing twice once cleared");

    // A reservation whose answer was lost: only --recover prints it.
    let d = add_lead(&cli, "d").await;
    rest(&cli, &token, "event.offline.get", &[("clear", "0")]).await;
    let plain = cli.run(&["events", "pull"]).await.expect_code(0);
    assert_eq!(plain.stdout, "");
    let recovered = cli
        .run(&["events", "pull", "--recover"])
        .await
        .expect_code(0);
    let line: Value = serde_json::from_str(recovered.stdout.trim()).expect("one line");
    assert_eq!(lead_in(&line), d);
    let left = rest(&cli, &token, "event.offline.list", &[]).await;
    assert_eq!(left["total"], 0, "{left}");
}
