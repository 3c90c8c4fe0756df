//! `b24 call`, `b24 list` and `b24 find-phone` against the sandbox: nested parameters, output
//! formats, filters, phone search in any format, and the exit codes of bad input.

use crate::cli_support::Cli;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_sends_nested_parameters_and_prints_compact_json() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    let add = cli
        .run(&[
            "call",
            "crm.lead.add",
            "fields.TITLE=Заявка с сайта",
            "fields.NAME=Иван",
            "fields.PHONE.0.VALUE=8 903 227-88-74",
            "fields.PHONE.0.VALUE_TYPE=WORK",
        ])
        .await
        .expect_code(0);
    let id: Value = serde_json::from_str(add.stdout.trim()).expect("JSON");
    let id = id
        .as_u64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()));
    let id = id.expect("an id").to_string();
    let get = cli
        .run(&["call", "crm.lead.get", &format!("id={id}")])
        .await
        .expect_code(0);
    assert_eq!(get.stdout.lines().count(), 1, "compact in a pipe");
    let lead: Value = serde_json::from_str(&get.stdout).expect("JSON");
    assert_eq!(lead["TITLE"], json!("Заявка с сайта"));
    assert_eq!(lead["PHONE"][0]["VALUE"], json!("8 903 227-88-74"));

    // --json and key=value merge; --full shows the envelope.
    let list = cli
        .run(&[
            "call",
            "crm.lead.list",
            "--json",
            r#"{"select": ["ID", "NAME"]}"#,
            &format!("filter.=ID={id}"),
            "--full",
        ])
        .await
        .expect_code(0);
    let v: Value = serde_json::from_str(&list.stdout).expect("JSON");
    assert_eq!(v["result"], json!([{"ID": id, "NAME": "Иван"}]));
    assert_eq!(v["total"], json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_errors_have_exit_codes() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    let run = cli
        .run(&["call", "crm.lead.get", "id"])
        .await
        .expect_code(2);
    assert!(run.stderr.contains("has no '='"), "{run:?}");
    let run = cli
        .run(&["call", "crm.lead.get", "--json", "{nope"])
        .await
        .expect_code(2);
    assert!(run.stderr.contains("--json is not valid JSON"), "{run:?}");
    let run = cli.run(&["call", "../admin"]).await.expect_code(2);
    assert!(run.stderr.contains("not a REST method name"), "{run:?}");
    let run = cli
        .run(&["call", "crm.lead.get", "id=999999"])
        .await
        .expect_code(4);
    assert!(run.stderr.contains("Not found"), "{run:?}");
    let run = cli.run(&["call", "no.such.method"]).await.expect_code(4);
    assert!(run.stderr.contains("ERROR_METHOD_NOT_FOUND"), "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_streams_every_row_in_each_format() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    cli.seed(120);
    let jsonl = cli
        .run(&[
            "list",
            "lead",
            "--select",
            "ID,NAME,LAST_NAME",
            "--format",
            "jsonl",
        ])
        .await
        .expect_code(0);
    let rows: Vec<Value> = jsonl
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(rows.len(), 120);
    let ids: Vec<u64> = rows
        .iter()
        .map(|r| r["ID"].as_str().and_then(|s| s.parse().ok()).expect("ID"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ascending, no repeats");
    assert_eq!(rows[0].as_object().map(|o| o.len()), Some(3));

    let json = cli
        .run(&["list", "lead", "--filter", ">ID=100", "--format", "json"])
        .await
        .expect_code(0);
    let v: Value = serde_json::from_str(&json.stdout).expect("one JSON array");
    assert_eq!(v.as_array().map(Vec::len), Some(20));

    let csv = cli
        .run(&[
            "list",
            "lead",
            "--select",
            "ID,NAME,PHONE",
            "--filter",
            "<=ID=3",
            "--format",
            "csv",
        ])
        .await
        .expect_code(0);
    let mut lines = csv.stdout.lines();
    assert_eq!(lines.next(), Some("ID,NAME,PHONE"));
    assert_eq!(lines.count(), 3);

    let table = cli
        .run(&[
            "list", "lead", "--select", "ID,NAME", "--order", "ID:desc", "--format", "table",
        ])
        .await
        .expect_code(0);
    let mut lines = table.stdout.lines();
    assert!(
        lines.next().is_some_and(|h| h.starts_with("ID")),
        "{table:?}"
    );
    assert!(
        lines.next().is_some_and(|l| l.starts_with("120")),
        "{table:?}"
    );

    let bad = cli.run(&["list", "leed"]).await.expect_code(2);
    assert!(bad.stderr.contains("unknown entity"), "{bad:?}");
    let bad = cli
        .run(&["list", "lead", "--filter", "novalue"])
        .await
        .expect_code(2);
    assert!(bad.stderr.contains("KEY=VALUE"), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_phone_matches_any_format_where_the_filter_does_not() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    let lead = cli
        .call(
            "crm.lead.add",
            &[
                ("fields[NAME]", "Мария"),
                ("fields[LAST_NAME]", "Иванова"),
                ("fields[PHONE][0][VALUE]", "8 903 227-88-74"),
            ],
        )
        .await;
    let contact = cli
        .call(
            "crm.contact.add",
            &[
                ("fields[NAME]", "Пётр"),
                ("fields[PHONE][0][VALUE]", "+7 (903) 2278874"),
            ],
        )
        .await;
    cli.call(
        "crm.lead.add",
        &[("fields[PHONE][0][VALUE]", "+7 903 111-22-33")],
    )
    .await;
    let out = cli
        .run(&["find-phone", "+7 903 227 88 74", "--json"])
        .await
        .expect_code(0);
    let v: Value = serde_json::from_str(&out.stdout).expect("JSON");
    let found: Vec<(String, String)> = v["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| (m["TYPE"].as_str().unwrap_or("").into(), m["ID"].to_string()))
        .collect();
    assert_eq!(
        found,
        [
            ("lead".to_string(), lead["result"].to_string()),
            ("contact".to_string(), contact["result"].to_string())
        ]
    );
    assert_eq!(v["matches"][0]["NAME"], json!("Мария Иванова"));
    // The raw prefix filter misses it: that is why find-phone exists.
    let filtered = cli
        .run(&[
            "list",
            "lead",
            "--filter",
            "PHONE=+7 903 227 88 74",
            "--format",
            "jsonl",
        ])
        .await
        .expect_code(0);
    assert_eq!(filtered.stdout.trim(), "");

    let table = cli.run(&["find-phone", "79032278874"]).await.expect_code(0);
    assert!(table.stdout.contains("Мария Иванова"), "{table:?}");
    let none = cli.run(&["find-phone", "+1 555 0100"]).await.expect_code(0);
    assert!(
        none.stderr.contains("No lead, contact or company"),
        "{none:?}"
    );
    cli.run(&["find-phone", "abc"]).await.expect_code(2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_has_help_with_an_example_and_completions_know_them() {
    let cli = Cli::new().await;
    let commands: [&[&str]; 14] = [
        &["demo"],
        &["sandbox"],
        &["completions"],
        &["auth"],
        &["auth", "login"],
        &["auth", "webhook"],
        &["auth", "status"],
        &["auth", "refresh"],
        &["auth", "logout"],
        &["call"],
        &["list"],
        &["export"],
        &["import"],
        &["find-phone"],
    ];
    for args in commands {
        let mut full = args.to_vec();
        full.push("--help");
        let help = cli.run(&full).await.expect_code(0);
        assert!(help.stdout.contains("Example"), "{args:?}: {}", help.stdout);
    }
    let root = cli.run(&["--help"]).await.expect_code(0);
    assert!(root.stdout.contains("Exit codes: 0 success"), "{root:?}");
    let bash = cli.run(&["completions", "bash"]).await.expect_code(0);
    for name in ["find-phone", "export", "import", "login"] {
        assert!(bash.stdout.contains(name), "{name}");
    }
    cli.run(&["no-such-command"]).await.expect_code(2);
}

/// `$B24_SOURCE_ADDRESS` makes `b24` send from that address, as another host would: the
/// portal counts the call in that address's bucket. A value that is no address is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_leave_from_the_source_address_given() {
    // Standard limits: the sandbox keeps a bucket per source address only when it counts.
    let cli = Cli::with_limits(bitrix24_sandbox::Limits::Standard).await;
    cli.login_webhook().await;
    let out = cli
        .cmd()
        .env("B24_SOURCE_ADDRESS", "127.0.0.3")
        .args(["call", "server.time"])
        .output()
        .await
        .expect("b24 runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let portal = cli.sandbox.portal();
    let sources: Vec<std::net::IpAddr> = portal
        .rate
        .levels(portal.clock.now())
        .into_iter()
        .map(|(ip, _)| ip)
        .collect();
    assert!(
        sources.contains(&"127.0.0.3".parse().unwrap()),
        "the call came from 127.0.0.3: {sources:?}"
    );

    let out = cli
        .cmd()
        .env("B24_SOURCE_ADDRESS", "my-laptop")
        .args(["call", "server.time"])
        .output()
        .await
        .expect("b24 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a usage error: {stderr}");
    assert!(stderr.contains("B24_SOURCE_ADDRESS"), "{stderr}");
}
