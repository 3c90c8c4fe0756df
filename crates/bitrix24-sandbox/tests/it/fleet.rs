//! Many portals and many hosts (issue 10 item 6): the rate bucket per portal and source IP,
//! several portals in one process, each on its own port, isolated from each other and sharing
//! one OAuth server.

use crate::common::Reply;
use crate::oauth::{authorize, exchange, field, refresh};
use bitrix24_sandbox::{Limits, Sandbox};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr};

/// A client whose connections come from `127.0.0.{last}`, as if it ran on another host.
fn host(last: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last)))
        .build()
        .expect("client")
}

async fn call(client: &reqwest::Client, base: &str, method: &str, body: &Value) -> Reply {
    let resp = client
        .post(format!("{base}{method}"))
        .json(body)
        .send()
        .await
        .expect("request");
    Reply::from(resp).await
}

/// Sends `n` `server.time` calls from `client`; returns (passed, refused with 503).
async fn burst(client: &reqwest::Client, base: &str, n: usize) -> (usize, usize) {
    let (mut ok, mut refused) = (0, 0);
    for _ in 0..n {
        let r = call(client, base, "server.time", &json!({})).await;
        match r.status {
            200 => ok += 1,
            503 => {
                assert_eq!(r.error(), (503, "QUERY_LIMIT_EXCEEDED"));
                refused += 1;
            }
            other => panic!("unexpected status {other}: {}", r.text),
        }
    }
    (ok, refused)
}

/// Standard limits on a frozen clock: buckets drain only when the test moves the clock.
async fn standard() -> Sandbox {
    let s = Sandbox::builder()
        .limits(Limits::Standard)
        .start()
        .await
        .expect("sandbox starts");
    s.freeze_clock();
    s
}

#[tokio::test]
async fn each_source_ip_has_its_own_bucket_and_one_ip_shares_one() {
    let s = standard().await;
    let hook = s.webhook_url();
    let (a, b, a_again) = (host(2), host(3), host(2));
    assert_eq!(
        burst(&a, &hook, 51).await,
        (50, 1),
        "127.0.0.2: the burst of 50"
    );
    assert_eq!(
        burst(&b, &hook, 51).await,
        (50, 1),
        "127.0.0.3: a burst of its own"
    );
    assert_eq!(
        burst(&a_again, &hook, 1).await,
        (0, 1),
        "another client on 127.0.0.2 shares that host's bucket"
    );
    assert_eq!(s.refused_by_rate_limit(), 3);
    let now = s.portal().clock.now();
    let levels = s.portal().rate.levels(now);
    assert_eq!(
        levels,
        vec![
            (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 50.0),
            (IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3)), 50.0)
        ]
    );
    // Each bucket drains on its own: one second makes room for two calls per host.
    s.advance_clock(1.0);
    assert_eq!(burst(&a, &hook, 3).await, (2, 1));
    assert_eq!(burst(&b, &hook, 3).await, (2, 1));
}

#[tokio::test]
async fn two_portals_in_one_process_are_isolated() {
    let portals = Sandbox::builder()
        .limits(Limits::Standard)
        .start_many(2)
        .await
        .expect("two portals start");
    let (one, two) = (&portals[0], &portals[1]);
    for p in [one, two] {
        p.freeze_clock();
        assert_eq!(p.domain(), p.url().trim_start_matches("http://"));
    }
    assert_ne!(one.url(), two.url());
    assert_ne!(one.member_id(), two.member_id());
    assert_ne!(one.app().client_id, two.app().client_id);
    assert_eq!(one.fleet_portals().len(), 2);
    assert_eq!(one.fleet_portals(), two.fleet_portals());

    // Data: a lead on one portal is not on the other.
    let http = host(2);
    let added = call(
        &http,
        &one.webhook_url(),
        "crm.lead.add",
        &json!({"fields": {"TITLE": "one"}}),
    )
    .await;
    added.result();
    let list = call(&http, &two.webhook_url(), "crm.lead.list", &json!({})).await;
    assert_eq!(list.body["total"], 0, "{}", list.text);

    // Webhooks: one portal's secret means nothing on the other.
    let foreign_hook = format!(
        "{}/rest/{}/{}/",
        two.url(),
        one.webhook().user_id,
        one.webhook().secret
    );
    let refused = call(&http, &foreign_hook, "server.time", &json!({})).await;
    assert_eq!(refused.error(), (401, "INVALID_CREDENTIALS"));

    // Tokens: one portal's access token is invalid on the other.
    let tokens = one.issue_tokens(one.app(), 1).expect("tokens");
    let on_two = call(
        &http,
        &two.rest_url(),
        "profile",
        &json!({"auth": tokens.access_token}),
    )
    .await;
    assert_eq!(on_two.error(), (401, "invalid_token"));
    let on_one = call(
        &http,
        &one.rest_url(),
        "profile",
        &json!({"auth": tokens.access_token}),
    )
    .await;
    on_one.result();

    // Buckets: the same host filling one portal's bucket leaves the other's alone. The first
    // portal has seen 2 calls from 127.0.0.2 so far, the second 3 (failed calls count too).
    let (passed, refused) = burst(&http, &one.webhook_url(), 60).await;
    assert_eq!((passed + 2, refused), (50, 12));
    assert_eq!(two.refused_by_rate_limit(), 0);
    assert_eq!(burst(&http, &two.webhook_url(), 48).await, (47, 1));
}

#[tokio::test]
async fn the_portals_of_a_fleet_share_one_oauth_server() {
    let one = Sandbox::builder()
        .limits(Limits::Off)
        .start()
        .await
        .expect("first");
    let two = Sandbox::builder()
        .limits(Limits::Off)
        .join(&one)
        .start()
        .await
        .expect("second");
    // The second portal's refresh token, refreshed at the first portal's token endpoint, as
    // a marketplace app refreshes every portal at oauth.bitrix.info.
    let tokens = two.issue_tokens(two.app(), 1).expect("tokens");
    let answer = refresh(&one, two.app(), &tokens.refresh_token).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(field(&answer, "domain"), two.domain());
    assert_eq!(field(&answer, "member_id"), two.member_id());
    assert_eq!(field(&answer, "client_endpoint"), two.rest_url());
    let fresh = field(&answer, "access_token").to_string();
    let profile = call(
        &host(2),
        &two.rest_url(),
        "profile",
        &json!({"auth": fresh}),
    )
    .await;
    profile.result();
    // A token no portal knows is still invalid_grant.
    let unknown = refresh(&one, two.app(), "no-such-token").await;
    assert_eq!(field(&unknown, "error"), "invalid_grant");
}

#[tokio::test]
async fn a_shared_app_installed_on_two_portals_gets_each_portals_domain() {
    let one = crate::common::sandbox().await;
    let two = Sandbox::builder()
        .limits(Limits::Off)
        .join(&one)
        .start()
        .await
        .expect("second");
    let app = one.app().clone();
    let on_two = two.register_shared_app(&app).expect("shared app");
    assert_eq!(
        (&on_two.client_id, &on_two.client_secret),
        (&app.client_id, &app.client_secret)
    );
    assert_ne!(on_two.application_token, app.application_token);
    // Consent on the second portal, code exchanged at the first portal's OAuth server.
    let q = authorize(&two, &on_two, &[]).await;
    assert_eq!(q["domain"], two.domain());
    assert_eq!(q["member_id"], two.member_id());
    let t = exchange(&one, &app, &q["code"]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    assert_eq!(field(&t, "domain"), q["domain"]);
    assert_eq!(field(&t, "member_id"), two.member_id());
}

#[tokio::test]
async fn the_admin_api_starts_and_lists_portals() {
    let first = Sandbox::builder()
        .limits(Limits::Off)
        .admin_key("k3y")
        .start()
        .await
        .expect("sandbox starts");
    let admin = reqwest::Client::new();
    let created: Value = admin
        .post(format!("{}/_sandbox/portals", first.url()))
        .header("X-Sandbox-Key", "k3y")
        .json(&json!({"limits": "standard"}))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let url = created["url"].as_str().expect("url").to_string();
    assert_ne!(url, first.url());
    assert_eq!(
        created["domain"].as_str(),
        Some(url.trim_start_matches("http://"))
    );
    assert_ne!(created["member_id"], first.member_id());
    let hook = created["webhook_url"].as_str().expect("webhook");
    let lead = call(
        &host(2),
        hook,
        "crm.lead.add",
        &json!({"fields": {"TITLE": "x"}}),
    )
    .await;
    lead.result();
    // The new portal answers its own admin API with the same key, and has its limits.
    let stats: Value = admin
        .get(format!("{url}/_sandbox/stats"))
        .header("X-Sandbox-Key", "k3y")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let level = stats["rate_buckets"]["127.0.0.2"]
        .as_f64()
        .expect("a bucket of 127.0.0.2");
    assert!(level > 0.0 && level <= 1.0, "{stats}");
    let listed: Value = admin
        .get(format!("{}/_sandbox/portals", first.url()))
        .header("X-Sandbox-Key", "k3y")
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    let urls: Vec<&str> = listed["portals"]
        .as_array()
        .expect("portals")
        .iter()
        .filter_map(|p| p["url"].as_str())
        .collect();
    assert_eq!(urls, [first.url(), url.as_str()]);
    let bad = admin
        .post(format!("{}/_sandbox/portals", first.url()))
        .header("X-Sandbox-Key", "k3y")
        .json(&json!({"limits": "fast"}))
        .send()
        .await
        .expect("request");
    assert_eq!(bad.status().as_u16(), 400);
    first.shutdown().await;
    assert!(
        reqwest::get(format!("{url}/rest/server.time"))
            .await
            .is_err(),
        "the portal started through the admin API stopped with the first one"
    );
}

/// Sends an admin call with the key `k3y`; answers the status and the JSON body.
async fn admin(method: reqwest::Method, url: String) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .request(method, url)
        .header("X-Sandbox-Key", "k3y")
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("a JSON answer"))
}

fn listed_member_ids(listed: &Value) -> Vec<&str> {
    listed["portals"]
        .as_array()
        .expect("portals")
        .iter()
        .filter_map(|p| p["member_id"].as_str())
        .collect()
}

#[tokio::test]
async fn a_portal_added_through_the_admin_api_is_deleted_by_member_id_or_domain() {
    use reqwest::Method;
    let first = Sandbox::builder()
        .admin_key("k3y")
        .start()
        .await
        .expect("sandbox starts");
    let base = first.url().to_string();
    let (_, a) = admin(Method::POST, format!("{base}/_sandbox/portals")).await;
    let (_, b) = admin(Method::POST, format!("{base}/_sandbox/portals")).await;
    let a_url = a["url"].as_str().expect("url").to_string();
    let a_id = a["member_id"].as_str().expect("member_id").to_string();
    let b_domain = b["domain"].as_str().expect("domain").to_string();
    reqwest::get(format!("{a_url}/rest/server.time"))
        .await
        .expect("the added portal answers");

    let (status, gone) = admin(Method::DELETE, format!("{base}/_sandbox/portals/{a_id}")).await;
    assert_eq!(status, 200, "{gone}");
    assert_eq!(gone["deleted"]["url"], a_url.as_str());
    assert!(
        reqwest::get(format!("{a_url}/rest/server.time"))
            .await
            .is_err(),
        "the deleted portal stopped listening"
    );
    let (status, gone) = admin(
        Method::DELETE,
        format!("{base}/_sandbox/portals/{b_domain}"),
    )
    .await;
    assert_eq!(status, 200, "{gone}");
    assert_eq!(gone["deleted"]["member_id"], b["member_id"]);
    let (_, listed) = admin(Method::GET, format!("{base}/_sandbox/portals")).await;
    assert_eq!(listed_member_ids(&listed), [first.member_id()]);

    let (status, again) = admin(Method::DELETE, format!("{base}/_sandbox/portals/{a_id}")).await;
    assert_eq!(status, 404, "{again}");
    assert_eq!(again["error"], "SANDBOX_NOT_FOUND");
    assert!(again["error_description"]
        .as_str()
        .is_some_and(|d| d.contains(&a_id)));

    let primary = first.member_id().to_string();
    let (status, refused) =
        admin(Method::DELETE, format!("{base}/_sandbox/portals/{primary}")).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("primary portal") && d.contains("cannot be deleted")),
        "{refused}"
    );

    // A portal started in-process belongs to its handle, and a portal cannot delete itself.
    let joined = first.add_portal().await.expect("joined");
    let (status, refused) = admin(
        Method::DELETE,
        format!("{base}/_sandbox/portals/{}", joined.member_id()),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let (_, c) = admin(Method::POST, format!("{base}/_sandbox/portals")).await;
    let c_url = c["url"].as_str().expect("url");
    let c_id = c["member_id"].as_str().expect("member_id");
    let (status, refused) = admin(Method::DELETE, format!("{c_url}/_sandbox/portals/{c_id}")).await;
    assert_eq!(status, 409, "{refused}");
    let (_, listed) = admin(Method::GET, format!("{base}/_sandbox/portals")).await;
    assert_eq!(
        listed_member_ids(&listed),
        [first.member_id(), joined.member_id(), c_id]
    );
    reqwest::get(format!("{c_url}/rest/server.time"))
        .await
        .expect("the refused portals still answer");
}
