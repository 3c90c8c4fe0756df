//! The OAuth half of [`ClientBuilder`]: a client whose calls carry the session's tokens.

use super::{Auth, OAuthSession};
use crate::client::ClientBuilder;

impl ClientBuilder {
    /// Authenticate as an OAuth application: every call takes its access token from
    /// `session` (refreshed ahead of expiry) and is sent to the portal's `client_endpoint`;
    /// after `expired_token` the token is refreshed once and the call sent again.
    pub fn oauth(self, session: OAuthSession) -> Self {
        self.auth(Auth::OAuth(session))
    }
}
