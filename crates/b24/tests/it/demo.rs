//! `b24 demo` end to end: the binary runs every step against its embedded sandbox, says what
//! happened, writes a complete export and exits 0; bad arguments exit 2.

use std::process::Command;

fn b24() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_b24"));
    // The demo must not depend on the user's profiles or environment.
    cmd.env_remove("B24_WEBHOOK")
        .env_remove("B24_PROFILE")
        .env("B24_CONFIG_DIR", "/nonexistent/b24-demo-test");
    cmd
}

/// The number in `text` right before `suffix`, e.g. `in 3 HTTP requests` -> 3.
fn number_before(text: &str, suffix: &str) -> u64 {
    let at = text
        .find(suffix)
        .unwrap_or_else(|| panic!("no {suffix:?} in:\n{text}"));
    let head = text[..at].trim_end();
    let digits: String = head
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number before {suffix:?}"))
}

#[test]
fn the_demo_runs_every_step_and_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = dir.path().join("leads.csv");
    let leads = 3000u64;
    let out = b24()
        .args(["demo", "--leads", &leads.to_string(), "--export"])
        .arg(&export)
        .output()
        .expect("run b24 demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );

    for n in 1..=10 {
        assert!(
            stdout.contains(&format!("\n{n:>2}. ")),
            "step {n} missing:\n{stdout}"
        );
    }
    // The OAuth dance ended with stored tokens, and the state was checked.
    assert!(stdout.contains("pressed Allow"), "{stdout}");
    assert!(stdout.contains("(state checked)"), "{stdout}");
    assert!(stdout.contains("generation 1."), "{stdout}");
    // The lead is found by the number in another format, and filter[PHONE] misses it.
    assert!(
        stdout.contains("Created lead #1 \"Иван Петров\" with the phone 8 903 227-88-74"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Searched +7 903 227 88 74 with crm.duplicate.findbycomm: leads [1]."),
        "{stdout}"
    );
    assert!(
        stdout.contains("filter[PHONE]=+7 903 227 88 74: 0 leads."),
        "{stdout}"
    );
    assert!(stdout.contains("starts-with match"), "{stdout}");
    // The deal is linked to the contact made from the lead, in one batch.
    assert!(
        stdout.contains("for 15000.00 RUB with that contact"),
        "{stdout}"
    );
    // The order: the deal, its rows and the comment in one batch, and the amount the
    // portal computed from the rows (2 × 12500 + 3 × 2490.50 + 1500) beside them.
    assert!(
        stdout.contains(
            "One batch request for a shop order: deal #2 \"Order A-1001\" for contact #1"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("its 3 product rows (crm.item.productrow.set) and timeline comment #1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Office chair   2 ×    12500  (list price 13888.88888889, 10 % off)"),
        "{stdout}"
    );
    assert!(stdout.contains("Desk lamp      3 ×   2490.5\n"), "{stdout}");
    assert!(
        stdout.contains("OPPORTUNITY 33971.50 RUB: computed by the portal from the rows"),
        "{stdout}"
    );
    // The list with select shows only the selected fields.
    assert!(
        stdout.contains("Each row decodes into a typed Lead with only those fields set"),
        "{stdout}"
    );
    // The expired token was refreshed silently.
    assert!(stdout.contains("token generation 1 -> 2"), "{stdout}");
    assert!(stdout.contains("user #1 Alex Admin"), "{stdout}");

    // The export: every lead, in few requests, compared with page-by-page fetching.
    let expected = leads + 1;
    assert!(
        stdout.contains(&format!("Exported {expected} leads")),
        "{stdout}"
    );
    let requests = number_before(&stdout, " HTTP requests");
    assert!(
        requests <= expected.div_ceil(2500) + 1,
        "{requests} requests for {expected} rows"
    );
    let pages = number_before(&stdout, " requests: on a real portal");
    assert_eq!(pages, expected.div_ceil(50));
    assert!(stdout.contains("0 refused by the rate limit"), "{stdout}");

    let csv = std::fs::read_to_string(&export).expect("export kept");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len() as u64, expected + 1, "header and every lead");
    assert_eq!(lines[0], "ID,NAME,LAST_NAME,STATUS_ID,PHONE");
    assert_eq!(lines[1], "1,Иван,Петров,NEW,8 903 227-88-74");
    let ids: Vec<u64> = lines[1..]
        .iter()
        .map(|l| {
            l.split(',')
                .next()
                .and_then(|i| i.parse().ok())
                .expect("id")
        })
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "IDs ascend, none twice"
    );
    assert_eq!(ids.last().copied(), Some(expected));

    // Nothing secret is narrated.
    for secret_word in ["client_secret", "access_token", "refresh_token"] {
        assert!(!stdout.contains(secret_word), "{secret_word} in the output");
    }
}

#[test]
fn too_many_leads_is_a_usage_error() {
    let out = b24()
        .args(["demo", "--leads", "1000000"])
        .output()
        .expect("run b24 demo");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--leads 1000000"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing ran");
}
