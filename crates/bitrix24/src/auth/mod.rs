//! How a request is authenticated: an incoming-webhook URL, or an OAuth application whose
//! tokens live in a token store.
//!
//! The transport asks `Auth::prepare` for the endpoint and token of each request and calls
//! `Auth::on_expired` when the portal answered `expired_token`; everything about token
//! lifetimes, refresh and persistence stays behind these two calls.

mod oauth;
mod redirect;
mod session;
mod token_response;
pub(crate) mod tokens;
mod webhook;

pub(crate) use oauth::token_http_client;
pub use oauth::{OAuthApp, DEFAULT_OAUTH_SERVER};
pub use redirect::{parse_redirect, Redirect, State};
pub use session::{AccessToken, OAuthSession, DEFAULT_REFRESH_MARGIN};
pub use token_response::TokenResponse;
pub use webhook::WebhookUrl;

use crate::error::Result;
use secrecy::SecretString;
use url::Url;

/// The credentials of a client.
#[derive(Clone, Debug)]
pub(crate) enum Auth {
    /// An incoming webhook: the secret is part of the endpoint.
    Webhook(WebhookUrl),
    /// An OAuth application on one portal; tokens come from its session and store.
    OAuth(OAuthSession),
}

/// What one request needs to be sent.
#[derive(Clone)]
pub(crate) struct Prepared {
    /// Base REST endpoint ending with `/`; the method name is appended to it. For webhooks it
    /// holds the secret, so it must never be logged or put into an error.
    pub endpoint: Url,
    /// The access token to send as `Authorization: Bearer`, for OAuth.
    pub token: Option<SecretString>,
    /// Which token generation was used, so a concurrent refresh is not repeated.
    pub generation: u64,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// The endpoint and token for the next request; a refresh it needs sends its token
    /// request through `via` (the client's HTTP client) when given.
    pub(crate) async fn prepare(&self, via: Option<&reqwest::Client>) -> Result<Prepared> {
        match self {
            Auth::Webhook(w) => Ok(Prepared {
                endpoint: w.endpoint().clone(),
                token: None,
                generation: 0,
            }),
            Auth::OAuth(session) => {
                let token = session.access_token_via(via).await?;
                Ok(Prepared {
                    endpoint: token.endpoint().clone(),
                    token: Some(token.secret().clone()),
                    generation: token.generation(),
                })
            }
        }
    }

    /// Called after the portal answered 401 `expired_token` to a request sent with `used`.
    /// Returns true when the request should be sent once more (the token was refreshed, here
    /// or concurrently elsewhere). The refresh goes through `via` as in [`Auth::prepare`].
    pub(crate) async fn on_expired(
        &self,
        used: &Prepared,
        via: Option<&reqwest::Client>,
    ) -> Result<bool> {
        match self {
            Auth::Webhook(_) => Ok(false),
            Auth::OAuth(session) => {
                session.refresh_after(used.generation, via).await?;
                Ok(true)
            }
        }
    }

    /// A key that names the caller on the portal, for the operating-time budget the portal
    /// keeps per app or webhook: the portal and the app's `client_id`, or the portal and the
    /// webhook's user (never its secret; two webhooks of one user share the key, which only
    /// errs on the cautious side).
    pub(crate) fn caller_key(&self) -> String {
        match self {
            Auth::Webhook(w) => format!("{} webhook={}", w.portal_host(), w.user_id()),
            Auth::OAuth(session) => {
                format!("{} app={}", session.portal_key(), session.app().client_id())
            }
        }
    }

    /// A key that identifies the portal, for per-portal rate limiting.
    pub(crate) fn portal_key(&self) -> String {
        match self {
            Auth::Webhook(w) => w.portal_host().to_string(),
            Auth::OAuth(session) => session.portal_key(),
        }
    }
}
