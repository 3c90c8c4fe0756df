//! The consent page and the redirect (protocol.md §1b).

use super::{authorize, browser, decide, exchange, field, hidden, page};
use crate::common::{self, sandbox};
use bitrix24_sandbox::AppRegistration;

/// protocol.md §1b: the whole dance. The page names the app and its scopes; Allow redirects to
/// the app's redirect_uri with code, state, domain, member_id, scope, server_domain; the code
/// gives the documented token field set; the access token then calls REST.
#[tokio::test]
async fn the_whole_dance_gives_working_tokens() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let html = page(&sb, &[("client_id", &app.client_id)])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Sandbox app"), "names the app: {html}");
    assert!(html.contains("<li>crm</li>") && html.contains("<li>user</li>"));
    assert!(html.contains("<button id=\"allow\" type=\"submit\""));

    let q = authorize(&sb, &app, &[]).await;
    let host = sb.url().trim_start_matches("http://").to_string();
    assert_eq!(q["state"], "st-42");
    assert_eq!(q["domain"], sb.domain());
    assert_eq!(q["member_id"], sb.member_id());
    assert_eq!(q["scope"], app.scope);
    assert_eq!(q["server_domain"], host);
    assert!(!q["code"].is_empty());

    let before = sb.portal().unix();
    let t = exchange(&sb, &app, &q["code"]).await;
    assert_eq!(t.status, 200, "{}", t.text);
    let keys: Vec<&str> = t
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires",
            "expires_in",
            "scope",
            "domain",
            "server_endpoint",
            "status",
            "client_endpoint",
            "member_id",
            "user_id",
            "refresh_token"
        ]
    );
    let expires = t.body["expires"].as_i64().expect("expires is an integer");
    assert!((before + 3600..=sb.portal().unix() + 3600).contains(&expires));
    assert_eq!(t.body["expires_in"], 3600);
    assert_eq!(t.body["user_id"], 1);
    assert_eq!(field(&t, "scope"), app.scope);
    assert_eq!(field(&t, "status"), "L");
    assert_eq!(field(&t, "domain"), host);
    assert_eq!(field(&t, "client_endpoint"), sb.rest_url());
    assert_eq!(field(&t, "server_endpoint"), sb.rest_url());
    assert_eq!(field(&t, "member_id"), sb.member_id());
    assert!(
        t.text.contains("http:\\/\\/"),
        "PHP json_encode escapes slashes"
    );

    let rest = common::get_raw(&sb.rest_url(), "user.current", "").await;
    assert_eq!(rest.error().0, 401, "no token, no call");
    let auth = format!("auth={}", field(&t, "access_token"));
    let me = common::get_raw(&sb.rest_url(), "user.current", &auth).await;
    assert_eq!(me.result()["ID"], "1", "{}", me.text);

    // Issue 11: the redirect and the token name one host, and a client that builds the REST
    // URL from the redirect's `domain` reaches the portal.
    assert_eq!(q["domain"], host, "the portal's domain is where it listens");
    assert_eq!(field(&t, "domain"), q["domain"]);
    let built = format!("http://{}/rest/", q["domain"]);
    assert_eq!(field(&t, "client_endpoint"), built);
    let me = common::get_raw(&built, "user.current", &auth).await;
    assert_eq!(me.result()["ID"], "1", "{}", me.text);
}

/// A domain given to the builder is the portal's name everywhere (redirect, token answer,
/// `client_endpoint`), never mixed with the listening address.
#[tokio::test]
async fn a_configured_domain_is_used_everywhere() {
    let sb = bitrix24_sandbox::Sandbox::builder()
        .limits(bitrix24_sandbox::Limits::Off)
        .domain("portal.example.test")
        .start()
        .await
        .expect("sandbox starts");
    let app = sb.app().clone();
    let q = authorize(&sb, &app, &[]).await;
    assert_eq!(q["domain"], "portal.example.test");
    let t = exchange(&sb, &app, &q["code"]).await;
    assert_eq!(field(&t, "domain"), "portal.example.test");
    assert_eq!(
        field(&t, "client_endpoint"),
        "http://portal.example.test/rest/"
    );
}

/// protocol.md §1b: redirect_uri is not sent; the portal takes it from the app settings, so a
/// redirect_uri in the query changes nothing.
#[tokio::test]
async fn redirect_goes_to_the_app_setting_not_the_request() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    // `authorize` asserts the Location's origin and path are the app's own.
    let q = authorize(&sb, &app, &[("redirect_uri", "https://evil.example/steal")]).await;
    assert!(!q.contains_key("redirect_uri"));
}

/// Sandbox rule (no login): the page acts for user 1 unless the query says `user_id=N`.
#[tokio::test]
async fn user_id_in_the_query_picks_the_acting_user() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let q = authorize(&sb, &app, &[("user_id", "2")]).await;
    let t = exchange(&sb, &app, &q["code"]).await;
    assert_eq!(t.body["user_id"], 2, "{}", t.text);
    let html = page(&sb, &[("client_id", &app.client_id), ("user_id", "77")]).await;
    let html = html.text().await.unwrap();
    assert!(html.contains("id=\"error\"") && !html.contains("id=\"allow\""));
}

/// protocol.md §1b: when authorization fails (unknown or missing client_id, or the user
/// denies), the portal shows the error on its own page; the app gets no redirect.
#[tokio::test]
async fn failures_show_an_error_page_and_never_redirect() {
    let sb = sandbox().await;
    for query in [vec![("client_id", "local.unknown.1")], vec![("state", "x")]] {
        let resp = page(&sb, &query).await;
        assert_eq!(resp.status().as_u16(), 200);
        assert!(resp.headers().get("location").is_none());
        let html = resp.text().await.unwrap();
        assert!(
            html.contains("id=\"error\"") && !html.contains("id=\"allow\""),
            "{html}"
        );
    }
    let app = sb.app().clone();
    let html = page(&sb, &[("client_id", &app.client_id)])
        .await
        .text()
        .await
        .unwrap();
    let denied = decide(&sb, &html, "deny").await;
    assert_eq!(denied.status().as_u16(), 200);
    assert!(denied.headers().get("location").is_none());
    assert!(denied.text().await.unwrap().contains("id=\"error\""));
}

/// Sandbox rule: Allow is accepted only with the page's own token, bound to the app, user and
/// state it was shown for.
#[tokio::test]
async fn allow_without_the_page_token_is_refused() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let html = page(&sb, &[("client_id", &app.client_id), ("state", "a")]).await;
    let html = html.text().await.unwrap();
    let token = hidden(&html, "token");
    for (state, token) in [("a", "1.deadbeef"), ("b", token.as_str()), ("a", "")] {
        let form = [
            ("client_id", app.client_id.as_str()),
            ("state", state),
            ("user_id", "1"),
            ("token", token),
            ("decision", "allow"),
        ];
        let url = format!("{}/oauth/authorize/", sb.url());
        let resp = browser().post(url).form(&form).send().await.unwrap();
        assert!(resp.headers().get("location").is_none(), "state {state}");
        assert!(resp.text().await.unwrap().contains("id=\"error\""));
    }
}

/// protocol.md §1b: a partner app without a redirect_uri gets the code shown on screen.
#[tokio::test]
async fn an_app_without_redirect_uri_gets_the_code_on_screen() {
    let sb = sandbox().await;
    let reg = AppRegistration {
        redirect_uri: String::new(),
        ..Default::default()
    };
    let app = sb.register_app(&reg).expect("app");
    let html = page(&sb, &[("client_id", &app.client_id)])
        .await
        .text()
        .await
        .unwrap();
    let resp = decide(&sb, &html, "allow").await;
    assert!(resp.headers().get("location").is_none());
    let shown = resp.text().await.unwrap();
    let start = shown.find("<code id=\"code\">").expect("code shown") + 16;
    let code = &shown[start..start + shown[start..].find('<').unwrap()];
    assert_eq!(exchange(&sb, &app, code).await.status, 200);
}
