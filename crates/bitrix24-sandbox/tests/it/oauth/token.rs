//! `/oauth/token/`: code exchange, refresh rotation and the error answers (protocol.md §1b).
//! The error statuses follow the official PHP SDK's expectations (§11 leaves them open).

use super::{code_for, exchange, field, refresh, token_get, token_post, tokens_for};
use crate::common::{self, sandbox, Reply};
use bitrix24_sandbox::AppRegistration;

fn assert_error(reply: &Reply, status: u16, error: &str) {
    assert_eq!(reply.error(), (status, error), "{}", reply.text);
    let description = reply.body["error_description"]
        .as_str()
        .expect("description");
    assert!(!description.is_empty());
}

/// protocol.md §1b: a code works once.
#[tokio::test]
async fn a_code_works_once() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let code = code_for(&sb, &app).await;
    assert_eq!(exchange(&sb, &app, &code).await.status, 200);
    assert_error(&exchange(&sb, &app, &code).await, 400, "invalid_grant");
}

/// protocol.md §1b: a code lives 30 s.
#[tokio::test]
async fn a_code_expires_after_30_seconds() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let (fresh, stale) = (code_for(&sb, &app).await, code_for(&sb, &app).await);
    // Whole-second expiry plus real time passing: keep a margin of two seconds each side.
    sb.advance_clock(28.0);
    assert_eq!(
        exchange(&sb, &app, &fresh).await.status,
        200,
        "alive at 28 s"
    );
    sb.advance_clock(4.0);
    assert_error(&exchange(&sb, &app, &stale).await, 400, "invalid_grant");
}

/// protocol.md §1b: a code is bound to the app it was issued for.
#[tokio::test]
async fn a_code_of_another_app_is_refused() {
    let sb = sandbox().await;
    let other = sb.register_app(&AppRegistration::default()).expect("app");
    let code = code_for(&sb, sb.app()).await;
    assert_error(&exchange(&sb, &other, &code).await, 400, "invalid_grant");
    assert_eq!(
        exchange(&sb, sb.app(), &code).await.status,
        200,
        "still unused"
    );
}

/// protocol.md §1b: each refresh returns a new pair; rotation is strict (§11, the safe
/// reading): the used refresh token stops working at once, the new one works.
#[tokio::test]
async fn refresh_rotates_strictly() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let first = tokens_for(&sb, &app).await;
    let old = field(&first, "refresh_token");
    let second = refresh(&sb, &app, old).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(
        second.body.as_object().unwrap().len(),
        11,
        "same field set as the exchange"
    );
    assert_ne!(field(&second, "refresh_token"), old);
    assert_ne!(
        field(&second, "access_token"),
        field(&first, "access_token")
    );
    assert_eq!(second.body["user_id"], 1);
    assert_eq!(field(&second, "scope"), app.scope);

    assert_error(&refresh(&sb, &app, old).await, 400, "invalid_grant");
    let third = refresh(&sb, &app, field(&second, "refresh_token")).await;
    assert_eq!(third.status, 200, "{}", third.text);

    let auth = format!("auth={}", field(&third, "access_token"));
    let me = common::get_raw(&sb.rest_url(), "user.current", &auth).await;
    assert_eq!(me.result()["ID"], "1", "the refreshed access token works");
}

/// protocol.md §1b: the refresh request is documented as a GET with a query string; the
/// sandbox accepts it there as well as in a POST form.
#[tokio::test]
async fn refresh_works_as_a_get_with_a_query() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let first = tokens_for(&sb, &app).await;
    let query = [
        ("grant_type", "refresh_token"),
        ("client_id", app.client_id.as_str()),
        ("client_secret", app.client_secret.as_str()),
        ("refresh_token", field(&first, "refresh_token")),
    ];
    assert_eq!(token_get(&sb, &query).await.status, 200);
}

/// protocol.md §1b: a refresh token lives 180 days.
#[tokio::test]
async fn a_refresh_token_expires_after_180_days() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let first = tokens_for(&sb, &app).await;
    sb.advance_clock(180.0 * 24.0 * 3600.0 + 1.0);
    let reply = refresh(&sb, &app, field(&first, "refresh_token")).await;
    assert_error(&reply, 400, "invalid_grant");
}

/// protocol.md §1b: `invalid_client` (401 per the PHP SDK) for a bad client_secret or
/// client_id, on both grants; the grant is not consumed by the failed attempt.
#[tokio::test]
async fn bad_client_credentials_are_invalid_client() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let mut wrong = app.clone();
    wrong.client_secret = "not-the-secret".into();
    let code = code_for(&sb, &app).await;
    assert_error(&exchange(&sb, &wrong, &code).await, 401, "invalid_client");
    let first = exchange(&sb, &app, &code).await;
    assert_eq!(first.status, 200, "the code survived the failed attempt");
    let rt = field(&first, "refresh_token");
    assert_error(&refresh(&sb, &wrong, rt).await, 401, "invalid_client");
    wrong = app.clone();
    wrong.client_id = "local.nobody.00000000".into();
    let failed = refresh(&sb, &wrong, rt).await;
    assert_error(&failed, 401, "invalid_client");
    assert!(!failed.text.contains(rt), "no secret in errors");
    assert_eq!(refresh(&sb, &app, rt).await.status, 200);
}

/// protocol.md §1b: `invalid_request` (400) for a missing parameter or an unknown grant_type.
#[tokio::test]
async fn malformed_requests_are_invalid_request() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let (id, secret) = (app.client_id.as_str(), app.client_secret.as_str());
    let cases: [&[(&str, &str)]; 5] = [
        &[],
        &[
            ("grant_type", "authorization_code"),
            ("client_id", id),
            ("client_secret", secret),
        ],
        &[
            ("grant_type", "refresh_token"),
            ("client_id", id),
            ("client_secret", secret),
        ],
        &[
            ("grant_type", "password"),
            ("client_id", id),
            ("client_secret", secret),
        ],
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "x"),
            ("client_secret", secret),
        ],
    ];
    for form in cases {
        assert_error(&token_post(&sb, form).await, 400, "invalid_request");
    }
    assert_error(&token_get(&sb, &[]).await, 400, "invalid_request");
    assert_error(
        &token_get(
            &sb,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "garbage"),
                ("client_id", id),
                ("client_secret", secret),
            ],
        )
        .await,
        400,
        "invalid_grant",
    );
}

/// Strict rotation under concurrency: ten refreshes of one token at once, exactly one wins
/// (the grant runs in one `BEGIN IMMEDIATE` transaction).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_refreshes_of_one_token_one_wins() {
    let sb = sandbox().await;
    let app = sb.app().clone();
    let first = tokens_for(&sb, &app).await;
    let rt = field(&first, "refresh_token").to_string();
    let calls = (0..10).map(|_| refresh(&sb, &app, &rt));
    let replies = futures::future::join_all(calls).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, 1, "exactly one refresh succeeds");
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_error(r, 400, "invalid_grant");
    }
}
