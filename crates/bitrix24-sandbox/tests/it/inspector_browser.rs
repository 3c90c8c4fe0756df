//! The inspector in a real headless browser: without the key no data is shown; with it, a
//! request made by a client shows up in the open request log without a reload (the polling
//! script), its Cyrillic parameters decoded; a failing call shows its error code, a batch its
//! commands; a lead appears in the leads view; and no secret is anywhere in the pages' HTML.

use crate::common::browser::{require_browser, WebDriver};
use crate::common::post_form;
use bitrix24_sandbox::{Limits, Sandbox};

const KEY: &str = "browser-admin-key-7734";

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .admin_key(KEY)
        .start()
        .await
        .expect("sandbox starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_sees_nothing_without_the_key() {
    let chromedriver = require_browser();
    let s = sandbox().await;
    post_form(
        &s.webhook_url(),
        "crm.lead.add",
        &[("fields[TITLE]", "Скрытый лид")],
    )
    .await
    .result();
    let driver = WebDriver::start(&chromedriver).await;
    let session = driver.new_session().await;
    for path in [
        "/_sandbox/ui/requests",
        "/_sandbox/ui/crm/lead",
        "/_sandbox/ui/export.jsonl",
    ] {
        session.navigate(&format!("{}{path}", s.url())).await;
        let page = session.page_source().await;
        assert!(
            page.contains("name=\"key\""),
            "{path} asks for the key: {page}"
        );
        for data in ["Скрытый лид", "crm.lead.add", &s.webhook().secret] {
            assert!(!page.contains(data), "{path} shows {data}");
        }
    }
    session.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_and_leads_show_up_decoded_and_no_secret_is_in_the_html() {
    let chromedriver = require_browser();
    let s = sandbox().await;
    let driver = WebDriver::start(&chromedriver).await;
    let session = driver.new_session().await;
    session
        .navigate(&format!("{}/_sandbox/ui/requests?key={KEY}", s.url()))
        .await;
    assert_eq!(
        session.url().await,
        format!("{}/_sandbox/ui/requests", s.url()),
        "the key leaves the address bar"
    );
    session.wait_for("id=\"log\"", 10).await;

    // Requests made while the log is open appear without a reload.
    let hook = s.webhook_url();
    post_form(
        &hook,
        "crm.lead.add",
        &[
            ("fields[TITLE]", "Заявка из браузера"),
            ("fields[NAME]", "Иван"),
        ],
    )
    .await
    .result();
    let failed = post_form(&hook, "no.such.method", &[]).await;
    assert_eq!(failed.error(), (404, "ERROR_METHOD_NOT_FOUND"));
    post_form(
        &hook,
        "batch",
        &[
            ("cmd[first]", "crm.lead.get?id=1"),
            ("cmd[second]", "crm.lead.get?id=404"),
        ],
    )
    .await
    .result();
    let log = session.wait_for(">batch<", 15).await;
    assert!(
        log.contains("Заявка из браузера"),
        "decoded in the list: {log}"
    );
    assert!(
        log.contains("ERROR_METHOD_NOT_FOUND"),
        "the error code: {log}"
    );
    let mut pages = vec![log];

    session.click("a[href='/_sandbox/ui/requests/1']").await;
    let detail = session.wait_for("<h2>Parameters</h2>", 10).await;
    assert!(
        detail.contains("Заявка из браузера") && detail.contains("Иван"),
        "{detail}"
    );
    assert!(detail.contains("TITLE"), "{detail}");
    pages.push(detail);

    session
        .navigate(&format!("{}/_sandbox/ui/requests/3", s.url()))
        .await;
    let batch = session.wait_for("Batch commands", 10).await;
    assert!(
        batch.contains("<td>first</td>") && batch.contains("<td>second</td>"),
        "{batch}"
    );
    assert!(
        batch.contains("Not found"),
        "the failed command's error: {batch}"
    );
    pages.push(batch);

    session
        .navigate(&format!("{}/_sandbox/ui/crm/lead", s.url()))
        .await;
    let leads = session.wait_for("id=\"records\"", 10).await;
    assert!(
        leads.contains("Заявка из браузера"),
        "the lead is listed: {leads}"
    );
    pages.push(leads);

    for path in ["/_sandbox/ui/events", "/_sandbox/ui/budgets"] {
        session.navigate(&format!("{}{path}", s.url())).await;
        pages.push(session.page_source().await);
    }
    for page in &pages {
        for secret in [
            s.webhook().secret.as_str(),
            s.app().client_secret.as_str(),
            KEY,
        ] {
            assert!(!page.contains(secret), "a page shows the secret {secret}");
        }
    }
    session.close().await;
}
