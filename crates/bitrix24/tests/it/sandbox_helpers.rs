//! The sandbox's helpers for Rust tests: seeded leads, the consent page played like a
//! browser, a session from issued tokens, each in one call.

use crate::client_support::sandbox;
use bitrix24::auth::OAuthSession;
use bitrix24::store::MemoryStore;
use bitrix24::{Client, ErrorKind};
use std::sync::Arc;

#[tokio::test]
async fn seeded_leads_are_listed_by_the_typed_api() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    sb.seed_leads(120).expect("seed");
    let client = sb.client()?;
    let leads = client.leads().list().select(["ID", "PHONE"]).await?;
    assert_eq!(leads.len(), 120);
    assert!(
        leads.iter().all(|l| !l.phone.is_empty()),
        "every seeded lead has a phone"
    );
    Ok(())
}

#[tokio::test]
async fn authorize_plays_the_consent_page_as_the_given_user() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let app = sb.oauth_app(sb.app());
    let redirect = sb.authorize(&app, 2).await?;
    let session = OAuthSession::from_redirect(app, Arc::new(MemoryStore::new()), &redirect).await?;
    let client = Client::builder().oauth(session).build()?;
    let me: serde_json::Value = client.request("profile", ()).await?;
    assert_eq!(me["ID"].to_string().trim_matches('"'), "2", "{me}");
    Ok(())
}

#[tokio::test]
async fn authorize_reports_an_unknown_user_instead_of_a_redirect() {
    let sb = sandbox().await;
    let app = sb.oauth_app(sb.app());
    let e = sb.authorize(&app, 999).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Api, "{e}");
    assert!(e.to_string().contains("999"), "{e}");
}

#[tokio::test]
async fn oauth_session_from_issued_tokens_calls_and_refreshes() -> bitrix24::Result<()> {
    let sb = sandbox().await;
    let session = sb.oauth_session(sb.app(), 1).await?;
    let client = Client::builder().oauth(session).build()?;
    let id = client
        .leads()
        .add(bitrix24::crm::LeadFields::new().title("over OAuth"))
        .await?;
    // The portal's clock passes the token's life: the session refreshes by itself.
    sb.advance_clock(3700.0);
    let lead = client.leads().get(id).await?;
    assert_eq!(lead.title.as_deref(), Some("over OAuth"));
    Ok(())
}
