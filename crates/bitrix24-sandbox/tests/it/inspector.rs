//! The inspector at `/_sandbox/ui/` over plain HTTP: access control (the key, the cookie, the
//! Origin check), what the request log holds (decoded Cyrillic parameters, error codes, batch
//! commands, the ring buffer), the other pages, and that no secret ever appears in any page or
//! export.

use crate::common::events::{app_with, call, receiver, token};
use crate::common::{post_form, Reply};
use bitrix24_sandbox::{Limits, Sandbox};
use reqwest::header;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const KEY: &str = "inspector-admin-key-0451";
const UI: &str = "/_sandbox/ui";

async fn sandbox_with(log: usize) -> Sandbox {
    Sandbox::builder()
        .limits(Limits::Off)
        .admin_key(KEY)
        .request_log(log)
        .start()
        .await
        .expect("sandbox starts")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Opens the inspector with `?key=` and returns the cookie it set (`name=value`).
async fn login(s: &Sandbox) -> String {
    let resp = no_redirects()
        .get(format!("{}{UI}/requests?key={KEY}", s.url()))
        .send()
        .await
        .expect("open with the key");
    assert_eq!(resp.status(), 303);
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a cookie is set")
        .to_string();
    cookie.split(';').next().unwrap_or_default().to_string()
}

/// GETs an inspector path with the cookie; returns status and body.
async fn page(s: &Sandbox, cookie: &str, path: &str) -> (u16, String) {
    let resp = no_redirects()
        .get(format!("{}{UI}{path}", s.url()))
        .header(header::COOKIE, cookie)
        .send()
        .await
        .expect("inspector page");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

async fn rest(s: &Sandbox, method: &str, form: &[(&str, &str)]) -> Reply {
    post_form(&s.webhook_url(), method, form).await
}

/// The export as parsed JSON lines.
async fn export(s: &Sandbox, cookie: &str) -> Vec<Value> {
    let (status, text) = page(s, cookie, "/export.jsonl").await;
    assert_eq!(status, 200, "{text}");
    text.lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[tokio::test]
async fn inspector_is_absent_without_an_admin_key() {
    let s = Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("sandbox");
    for path in ["/", "/requests", "/export.jsonl", "/assets/app.js"] {
        let resp = reqwest::get(format!("{}{UI}{path}", s.url()))
            .await
            .expect("get");
        assert_eq!(resp.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn without_the_key_only_the_key_page_is_shown() {
    let s = sandbox_with(100).await;
    rest(&s, "crm.lead.add", &[("fields[TITLE]", "Тайный лид")]).await;
    let wrong = "b24_sandbox_inspector=0123456789abcdef0123456789abcdef";
    for cookie in ["", wrong] {
        for path in [
            "/",
            "/requests",
            "/requests/1",
            "/api/requests?after=0",
            "/export.jsonl",
            "/crm/lead",
            "/crm/lead/1",
            "/events",
            "/budgets",
        ] {
            let (status, body) = page(&s, cookie, path).await;
            assert_eq!(status, 401, "{path} with {cookie:?}");
            assert!(body.contains("name=\"key\""), "asks for the key: {body}");
            for data in ["crm.lead.add", "Тайный лид", "webhook #"] {
                assert!(!body.contains(data), "{path} shows {data}: {body}");
            }
        }
    }
    let (status, body) = page(&s, "", "/requests?key=not-the-key").await;
    assert_eq!(status, 401);
    assert!(body.contains("not the sandbox&#39;s admin key"), "{body}");
}

#[tokio::test]
async fn the_key_sets_a_strict_http_only_cookie_and_redirects_to_the_clean_url() {
    let s = sandbox_with(100).await;
    let resp = no_redirects()
        .get(format!("{}{UI}/requests?status=4xx&key={KEY}", s.url()))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()[header::LOCATION],
        format!("{UI}/requests?status=4xx")
    );
    let cookie = resp.headers()[header::SET_COOKIE].to_str().expect("ascii");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(
        !cookie.contains(KEY),
        "the cookie holds a digest, not the key"
    );
    let value = cookie.split(';').next().unwrap_or_default();
    let (status, body) = page(&s, value, "/requests").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("id=\"log\""));
}

#[tokio::test]
async fn forms_need_the_cookie_and_the_inspectors_own_origin() {
    let s = sandbox_with(100).await;
    s.freeze_clock();
    let cookie = login(&s).await;
    let before = s.portal().clock.now();
    let post = |origin: Option<String>, cookie: Option<String>| {
        let mut req = no_redirects()
            .post(format!("{}{UI}/budgets/clock", s.url()))
            .form(&[("action", "advance"), ("seconds", "120")]);
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send()
    };
    let own = Some(s.url().to_string());
    let no_cookie = post(own.clone(), None).await.expect("post");
    assert_eq!(no_cookie.status(), 401);
    let no_origin = post(None, Some(cookie.clone())).await.expect("post");
    assert_eq!(no_origin.status(), 403);
    let foreign = post(Some("http://evil.test".into()), Some(cookie.clone()))
        .await
        .expect("post");
    assert_eq!(foreign.status(), 403);
    assert_eq!(
        s.portal().clock.now(),
        before,
        "refused forms change nothing"
    );
    let ok = post(own, Some(cookie.clone())).await.expect("post");
    assert_eq!(ok.status(), 303);
    assert!((s.portal().clock.now() - before - 120.0).abs() < 1e-6);
}

#[tokio::test]
async fn the_faults_form_sets_and_clears_faults() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    let send = |form: Vec<(&'static str, &'static str)>| {
        no_redirects()
            .post(format!("{}{UI}/budgets/faults", s.url()))
            .header(header::ORIGIN, s.url())
            .header(header::COOKIE, cookie.clone())
            .form(&form)
            .send()
    };
    let r = send(vec![
        ("action", "set"),
        ("latency_ms", "5"),
        ("drop_after_commit", "crm.lead.add, crm.deal.add"),
    ])
    .await
    .expect("post");
    assert_eq!(r.status(), 303);
    let f = s.portal().faults.get();
    assert_eq!(f.latency_ms, 5);
    assert_eq!(f.drop_after_commit, ["crm.lead.add", "crm.deal.add"]);
    let bad = send(vec![("action", "set"), ("html_500_share", "7")])
        .await
        .expect("post");
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.expect("body").contains("html_500_share"));
    assert_eq!(
        s.portal().faults.get().latency_ms,
        5,
        "a refused form changes nothing"
    );
    send(vec![("action", "clear")]).await.expect("post");
    assert_eq!(s.portal().faults.get(), Default::default());
    let (_, body) = page(&s, &cookie, "/budgets").await;
    assert!(
        body.contains("id=\"bucket\"") && body.contains("id=\"clock\""),
        "{body}"
    );
}

#[tokio::test]
async fn the_log_shows_cyrillic_parameters_decoded_as_a_tree() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    rest(
        &s,
        "crm.lead.add",
        &[
            ("fields[TITLE]", "Заявка с сайта"),
            ("fields[PHONE][0][VALUE]", "+7 900 123-45-67"),
        ],
    )
    .await
    .result();
    let log = export(&s, &cookie).await;
    assert_eq!(log.len(), 1);
    let e = &log[0];
    assert_eq!(e["method"], "crm.lead.add");
    assert_eq!(e["status"], 200);
    assert_eq!(
        e["who"],
        json!({"kind": "webhook", "webhook_id": s.webhook().id, "user_id": 1})
    );
    assert_eq!(e["params"]["fields"]["TITLE"], "Заявка с сайта");
    assert_eq!(
        e["params"]["fields"]["PHONE"]["0"]["VALUE"],
        "+7 900 123-45-67"
    );
    assert_eq!(e["answer"]["result"], 1);
    assert!(e["operating"].is_number(), "{e}");
    let id = e["id"].as_u64().expect("id");
    let (status, detail) = page(&s, &cookie, &format!("/requests/{id}")).await;
    assert_eq!(status, 200);
    assert!(detail.contains("Заявка с сайта"), "text as text: {detail}");
    assert!(!detail.contains("%D0%97"), "no percent-escapes");
    assert!(
        detail.contains("<span class=\"k\">TITLE</span>"),
        "{detail}"
    );
    let (_, list) = page(
        &s,
        &cookie,
        "/requests?q=%D0%B7%D0%B0%D1%8F%D0%B2%D0%BA%D0%B0",
    )
    .await;
    assert!(
        list.contains(&format!("{UI}/requests/{id}")),
        "text filter, any case: {list}"
    );
}

#[tokio::test]
async fn a_failing_call_shows_its_error_code_and_the_status_filter_finds_it() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    rest(&s, "crm.lead.add", &[("fields[TITLE]", "ok")])
        .await
        .result();
    let r = rest(&s, "no.such.method", &[]).await;
    assert_eq!(r.error(), (404, "ERROR_METHOD_NOT_FOUND"));
    let log = export(&s, &cookie).await;
    let failed = log
        .iter()
        .find(|e| e["method"] == "no.such.method")
        .expect("logged");
    assert_eq!(failed["status"], 404);
    assert_eq!(failed["error"], "ERROR_METHOD_NOT_FOUND");
    let (_, list) = page(&s, &cookie, "/requests?status=4xx").await;
    assert!(list.contains("ERROR_METHOD_NOT_FOUND"), "{list}");
    assert!(
        !list.contains(">crm.lead.add<"),
        "the 200 is filtered out: {list}"
    );
    let (_, list) = page(&s, &cookie, "/requests?method=lead.add").await;
    assert!(
        list.contains(">crm.lead.add<") && !list.contains("no.such.method"),
        "{list}"
    );
    let id = failed["id"].as_u64().expect("id");
    let (_, detail) = page(&s, &cookie, &format!("/requests/{id}")).await;
    assert!(detail.contains("ERROR_METHOD_NOT_FOUND"), "{detail}");
}

#[tokio::test]
async fn a_batch_shows_each_command_with_its_result_or_error() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    rest(&s, "crm.lead.add", &[("fields[TITLE]", "Первый")])
        .await
        .result();
    rest(
        &s,
        "batch",
        &[
            ("cmd[found]", "crm.lead.get?id=1"),
            ("cmd[missing]", "crm.lead.get?id=999"),
            ("cmd[nope]", "no.such.method"),
        ],
    )
    .await
    .result();
    let log = export(&s, &cookie).await;
    let batch = log.iter().find(|e| e["method"] == "batch").expect("logged");
    let id = batch["id"].as_u64().expect("id");
    let (_, detail) = page(&s, &cookie, &format!("/requests/{id}")).await;
    assert!(detail.contains("Batch commands"), "{detail}");
    let table = &detail[detail.find("Batch commands").expect("table")..];
    assert!(
        table.contains("<td>found</td><td>crm.lead.get</td>"),
        "{table}"
    );
    assert!(table.contains("Первый"), "the command's result: {table}");
    assert!(
        table.contains("<td>missing</td>") && table.contains("Not found"),
        "{table}"
    );
    assert!(table.contains("ERROR_METHOD_NOT_FOUND"), "{table}");
}

#[tokio::test]
async fn the_ring_buffer_keeps_the_last_n_requests() {
    let s = sandbox_with(3).await;
    let cookie = login(&s).await;
    for i in 0..5 {
        rest(
            &s,
            "crm.lead.add",
            &[("fields[TITLE]", &format!("lead {i}"))],
        )
        .await
        .result();
    }
    let log = export(&s, &cookie).await;
    let titles: Vec<&str> = log
        .iter()
        .map(|e| e["params"]["fields"]["TITLE"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(titles, ["lead 2", "lead 3", "lead 4"]);
    let (status, _) = page(&s, &cookie, "/requests/1").await;
    assert_eq!(status, 404, "a dropped entry is gone");
}

#[tokio::test]
async fn the_poll_endpoint_sends_only_newer_requests() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    rest(&s, "crm.lead.add", &[("fields[TITLE]", "old")])
        .await
        .result();
    let (_, text) = page(&s, &cookie, "/api/requests?after=0").await;
    let first: Value = serde_json::from_str(&text).expect("json");
    let last = first["last"].as_u64().expect("last");
    rest(&s, "crm.lead.add", &[("fields[TITLE]", "новый <лид>")])
        .await
        .result();
    let (_, text) = page(&s, &cookie, &format!("/api/requests?after={last}")).await;
    let next: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(next["last"].as_u64(), Some(last + 1));
    let rows = next["rows"].as_str().expect("rows");
    assert!(rows.contains("новый &lt;лид&gt;"), "escaped: {rows}");
    assert!(!rows.contains("old"), "{rows}");
}

#[tokio::test]
async fn a_lead_and_its_multifields_appear_in_the_crm_pages() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    let id = rest(
        &s,
        "crm.lead.add",
        &[
            ("fields[TITLE]", "Лид <script>alert(1)</script>"),
            ("fields[EMAIL][0][VALUE]", "ivan@example.test"),
            ("fields[EMAIL][0][VALUE_TYPE]", "WORK"),
        ],
    )
    .await
    .result()
    .clone();
    let (_, list) = page(&s, &cookie, "/crm/lead?q=ivan%40example").await;
    assert!(
        list.contains("Лид &lt;script&gt;"),
        "found by e-mail, escaped: {list}"
    );
    assert!(!list.contains("<script>alert"), "{list}");
    let (status, record) = page(&s, &cookie, &format!("/crm/lead/{id}")).await;
    assert_eq!(status, 200);
    let multi = &record[record.find("id=\"multifields\"").expect("multifields")..];
    assert!(
        multi.contains("EMAIL") && multi.contains("ivan@example.test"),
        "{multi}"
    );
    let (_, none) = page(&s, &cookie, "/crm/lead?q=nobody-here").await;
    assert!(none.contains("No records."), "{none}");
}

#[tokio::test]
async fn deliveries_bindings_and_their_outcome_appear_on_the_events_page() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    let mut rx = receiver(500).await;
    let app = app_with(&s, "crm").await;
    let t = token(&s, &app, 1);
    call(
        &s,
        &t,
        "event.bind",
        &[("event", "ONCRMLEADADD"), ("handler", &rx.url("/hook"))],
    )
    .await
    .result();
    rest(&s, "crm.lead.add", &[("fields[TITLE]", "x")])
        .await
        .result();
    rx.next(10).await.expect("the handler got the event");
    let deadline = Instant::now() + Duration::from_secs(10);
    let body = loop {
        let (_, body) = page(&s, &cookie, "/events").await;
        let deliveries = &body[body.find("id=\"deliveries\"").expect("table")..];
        if deliveries.contains("<td class=\"s5\">500</td>") || Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let deliveries = &body[body.find("id=\"deliveries\"").expect("table")..];
    assert!(deliveries.contains(&rx.url("/hook")), "{deliveries}");
    assert!(deliveries.contains("ONCRMLEADADD"), "{deliveries}");
    assert!(
        deliveries.contains("<td class=\"s5\">500</td>"),
        "status: {deliveries}"
    );
    let bindings = &body[body.find("id=\"bindings\"").expect("bindings")..];
    assert!(bindings.contains(&app.client_id), "{bindings}");
    assert!(!body.contains(&t), "the token is not shown");
}

#[tokio::test]
async fn no_secret_appears_in_any_page_or_export() {
    let s = sandbox_with(100).await;
    let cookie = login(&s).await;
    let app = app_with(&s, "crm,user").await;
    let tokens = s.issue_tokens(&app, 1).expect("tokens");
    let hook_secret = s.webhook().secret.clone();
    // The webhook secret in the path; a token as `auth`, as `access_token` and as a bearer
    // header; a batch whose commands carry the token; client secret and application token
    // sent as parameters.
    rest(&s, "crm.lead.add", &[("fields[TITLE]", "Секретов нет")])
        .await
        .result();
    call(&s, &tokens.access_token, "user.current", &[])
        .await
        .result();
    post_form(
        &s.rest_url(),
        "user.current",
        &[("access_token", &tokens.access_token)],
    )
    .await
    .result();
    let bearer = reqwest::Client::new()
        .post(format!("{}crm.lead.list", s.rest_url()))
        .bearer_auth(&tokens.access_token)
        .send()
        .await
        .expect("bearer call");
    assert_eq!(bearer.status(), 200);
    let cmd = format!("user.current?auth={}", tokens.access_token);
    call(
        &s,
        &tokens.access_token,
        "batch",
        &[
            ("cmd[me]", &cmd),
            ("client_secret", &app.client_secret),
            ("application_token", &app.application_token),
            ("refresh_token", &tokens.refresh_token),
        ],
    )
    .await
    .result();
    // A wrong token and a wrong webhook secret are secrets too.
    call(&s, "wrong-token-0123456789", "user.current", &[]).await;
    post_form(
        &format!("{}/rest/1/wrong-secret-0123/", s.url()),
        "user.current",
        &[],
    )
    .await;
    let log = export(&s, &cookie).await;
    assert!(log.len() >= 7, "every request is logged: {}", log.len());
    let mut paths = vec![
        "/".to_string(),
        "/requests".into(),
        "/api/requests?after=0".into(),
        "/export.jsonl".into(),
        "/crm/lead".into(),
        "/crm/lead/1".into(),
        "/events".into(),
        "/budgets".into(),
    ];
    for e in &log {
        let id = e["id"].as_u64().expect("id");
        paths.push(format!("/requests/{id}"));
        paths.push(format!("/requests/{id}/answer.json"));
    }
    let secrets = [
        hook_secret.as_str(),
        tokens.access_token.as_str(),
        tokens.refresh_token.as_str(),
        app.client_secret.as_str(),
        app.application_token.as_str(),
        s.app().client_secret.as_str(),
        "wrong-token-0123456789",
        "wrong-secret-0123",
        KEY,
    ];
    for path in &paths {
        let (status, body) = page(&s, &cookie, path).await;
        assert_eq!(status, 200, "{path}: {body}");
        for secret in secrets {
            assert!(!body.contains(secret), "{path} shows the secret {secret}");
        }
    }
    // What was masked is still visibly there, as a mask.
    let batch = log.iter().find(|e| e["method"] == "batch").expect("batch");
    assert_eq!(batch["params"]["cmd"]["me"], "user.current?auth=***");
    assert_eq!(batch["params"]["client_secret"], "***");
    assert!(log.iter().any(|e| e["path"] == "/rest/1/***/crm.lead.add"));
}
