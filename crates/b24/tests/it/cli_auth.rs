//! `b24 auth`: webhook profiles, the OAuth login through the one-shot listener (the browser
//! played over HTTP), status without secrets, refresh, logout, and the bad cases: unknown
//! profile, no profile, unreachable portal, wrong secret, expired code, forged state.

use crate::cli_support::{allow, free_port, Cli};
use bitrix24_sandbox::AppRegistration;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_profile_is_saved_checked_and_shown_without_the_secret() {
    let cli = Cli::new().await;
    let url = cli.sandbox.webhook_url();
    let secret = cli.sandbox.webhook().secret.clone();
    let saved = cli
        .run(&["auth", "webhook", &url, "--name", "hook"])
        .await
        .expect_code(0);
    assert!(
        saved.stdout.contains("Saved webhook profile 'hook'"),
        "{saved:?}"
    );
    let status = cli.run(&["auth", "status"]).await.expect_code(0);
    assert!(
        status.stdout.contains("Profile: hook (default)"),
        "{status:?}"
    );
    assert!(status.stdout.contains("webhook"), "{status:?}");
    assert!(!status.stdout.contains(&secret) && !status.stderr.contains(&secret));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.path("config.json"))
            .expect("config")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A wrong secret is refused before anything is saved.
    let bad = url.replace(&secret, "not-the-secret");
    let run = cli
        .run(&["auth", "webhook", &bad, "--name", "bad"])
        .await
        .expect_code(3);
    assert!(run.stderr.contains("not saved"), "{run:?}");
    let status = cli
        .run(&["auth", "status", "--profile", "bad"])
        .await
        .expect_code(2);
    assert!(
        status.stderr.contains("unknown profile 'bad'"),
        "{status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_profile_and_no_profile_are_clear_errors() {
    let cli = Cli::new().await;
    let none = cli.run(&["call", "profile"]).await.expect_code(3);
    assert!(none.stderr.contains("no profile configured"), "{none:?}");
    cli.login_webhook().await;
    let run = cli
        .run(&["call", "profile", "--profile", "nope"])
        .await
        .expect_code(2);
    assert!(
        run.stderr.contains("unknown profile 'nope'")
            && run.stderr.contains("known profiles: hook"),
        "{run:?}"
    );
    // $B24_PROFILE names a profile the same way.
    let run = cli
        .cmd()
        .env("B24_PROFILE", "nope2")
        .args(["call", "profile"])
        .output()
        .await;
    let run = run.expect("run");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("unknown profile 'nope2'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_portal_exits_5_and_b24_webhook_needs_no_config() {
    let cli = Cli::new().await;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/rest/1/abcdef123456/");
    let out = cli
        .cmd()
        .env("B24_WEBHOOK", &url)
        .args(["call", "profile"])
        .output()
        .await
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("could not connect"), "{stderr}");
    assert!(
        !stderr.contains("abcdef123456"),
        "the secret leaked: {stderr}"
    );
    // The same variable pointing at the sandbox works with no profile at all.
    let out = cli
        .cmd()
        .env("B24_WEBHOOK", cli.sandbox.webhook_url())
        .args(["call", "profile"])
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("compact JSON");
    assert_eq!(v["ID"], serde_json::json!("1"));
}

/// Starts `b24 auth login` for a new app redirecting to a free port; returns the child and
/// the authorize URL it printed.
async fn start_login(cli: &Cli, secret: Option<&str>) -> (Child, String) {
    start_login_with(cli, secret, &[]).await
}

/// [`start_login`] with more environment for the child (a shared store, say).
pub(crate) async fn start_login_with(
    cli: &Cli,
    secret: Option<&str>,
    env: &[(&str, &str)],
) -> (Child, String) {
    let port = free_port();
    let app = cli
        .sandbox
        .register_app(&AppRegistration {
            name: "b24 cli test".into(),
            redirect_uri: format!("http://127.0.0.1:{port}/"),
            scope: "crm,user".into(),
            install_url: String::new(),
        })
        .expect("app");
    let mut child = cli
        .cmd()
        .args([
            "auth",
            "login",
            "--portal",
            cli.sandbox.url(),
            "--oauth-server",
        ])
        .arg(cli.sandbox.url())
        .args(["--client-id", &app.client_id, "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--no-browser", "--name", "work", "--timeout", "60"])
        .env("B24_CLIENT_SECRET", secret.unwrap_or(&app.client_secret))
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn login");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(u) = line.strip_prefix("Open this URL: ") {
                return u.trim().to_string();
            }
        }
        panic!("no authorize URL printed");
    })
    .await
    .expect("authorize URL in time");
    // Keep reading stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, url)
}

/// Delivers the redirect to the listener like a browser; returns the page it answered.
pub(crate) async fn deliver(location: &str) -> (u16, String) {
    let resp = reqwest::get(location).await.expect("listener answers");
    (
        resp.status().as_u16(),
        resp.text().await.unwrap_or_default(),
    )
}

pub(crate) async fn finish(child: Child) -> (i32, String) {
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("login ends")
        .expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_stores_tokens_then_status_refresh_call_and_logout() {
    let cli = Cli::new().await;
    let (child, url) = start_login(&cli, None).await;
    assert!(
        url.contains("/oauth/authorize/?client_id=") && url.contains("state="),
        "{url}"
    );
    let location = allow(&url).await;
    let (status, page) = deliver(&location).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("You can close this tab"), "{page}");
    let (code, stderr) = finish(child).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(cli.path("tokens.db").exists());

    let status = cli.run(&["auth", "status"]).await.expect_code(0);
    assert!(
        status.stdout.contains("Profile: work (default)"),
        "{status:?}"
    );
    assert!(status.stdout.contains("Scopes:  crm,user"), "{status:?}");
    assert!(status.stdout.contains("expires in"), "{status:?}");
    // Never a token: the sandbox's live tokens are not in the output.
    let tokens: Vec<String> = {
        let db = cli.sandbox.portal().db();
        let mut st = db
            .prepare("SELECT token FROM access_tokens")
            .expect("tokens");
        let rows = st.query_map([], |r| r.get::<_, String>(0)).expect("rows");
        rows.filter_map(Result::ok).collect()
    };
    assert!(!tokens.is_empty());
    for t in &tokens {
        assert!(!status.stdout.contains(t.as_str()));
    }

    let me = cli.run(&["call", "user.current"]).await.expect_code(0);
    assert!(me.stdout.contains("\"ID\":\"1\""), "{me:?}");
    cli.run(&["auth", "refresh"]).await.expect_code(0);
    // Refresh tokens rotate: the call still works with the new pair from the store.
    cli.run(&["call", "user.current"]).await.expect_code(0);

    let out = cli.run(&["auth", "logout"]).await.expect_code(0);
    assert!(out.stdout.contains("profile 'work'"), "{out:?}");
    cli.run(&["call", "user.current"]).await.expect_code(3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secret_is_refused_and_nothing_is_saved() {
    let cli = Cli::new().await;
    let (child, url) = start_login(&cli, Some("wrong-secret")).await;
    let location = allow(&url).await;
    let (status, page) = deliver(&location).await;
    assert_eq!(status, 400, "{page}");
    let (code, stderr) = finish(child).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("check --client-id and --client-secret"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-secret"), "{stderr}");
    assert!(!cli.path("config.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_explained() {
    let cli = Cli::new().await;
    let (child, url) = start_login(&cli, None).await;
    let location = allow(&url).await;
    // Codes live 30 s on the portal's clock.
    cli.sandbox.advance_clock(31.0);
    let (status, _) = deliver(&location).await;
    assert_eq!(status, 400);
    let (code, stderr) = finish(child).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("expires after 30 seconds"), "{stderr}");
    assert!(!cli.path("config.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_state_is_refused_and_strays_are_ignored() {
    let cli = Cli::new().await;
    let (child, url) = start_login(&cli, None).await;
    let location = allow(&url).await;
    let base = location.split('?').next().unwrap_or_default().to_string();
    // A stray request (a favicon) does not end the wait.
    let (status, _) = deliver(&format!("{base}favicon.ico")).await;
    assert_eq!(status, 404);
    let forged = location.replace("state=", "state=x");
    let (status, _) = deliver(&forged).await;
    assert_eq!(status, 400);
    let (code, stderr) = finish(child).await;
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("state does not match"), "{stderr}");
    assert!(!cli.path("config.json").exists());
}
