//! `b24 list | head`: a reader that goes away ends the command quietly with exit 0.

use crate::cli_support::Cli;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn closed_stdout_ends_quietly() {
    let cli = Cli::new().await;
    cli.login_webhook().await;
    cli.seed(3000);
    let mut child = cli
        .cmd()
        .args(["list", "lead", "--format", "jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn b24");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .await
        .expect("first line");
    assert!(first.contains("\"ID\""), "{first}");
    // The reader is dropped here, closing the pipe with most rows still to come.
    let out = child.wait_with_output().await.expect("b24 ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}
