//! Incoming-webhook URLs: `https://{portal}/rest/{user_id}/{secret}/`.

use crate::error::{Error, ErrorKind, Result};
use url::Url;

/// A parsed incoming-webhook URL. Its secret never appears in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    endpoint: Url,
    user_id: String,
}

impl WebhookUrl {
    /// Parses `https://portal.bitrix24.com/rest/1/abcdef123/` (a trailing method name such as
    /// `profile.json` is removed, so a URL copied from the portal's page works as well).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the URL is not of that shape.
    pub fn parse(url: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "not an incoming-webhook URL ({why}); expected \
                     https://<portal>/rest/<user id>/<secret>/"
                ),
            )
        };
        let mut parsed = Url::parse(url.trim()).map_err(|_| bad("cannot parse it as a URL"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(bad("it must be an http(s) URL with a host"));
        }
        let segments: Vec<String> = parsed
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        let rest = segments
            .iter()
            .position(|s| s == "rest")
            .ok_or_else(|| bad("no /rest/ in the path"))?;
        let (Some(user), Some(secret)) = (segments.get(rest + 1), segments.get(rest + 2)) else {
            return Err(bad("the user id or the secret is missing"));
        };
        if user.parse::<u64>().is_err() {
            return Err(bad("the user id after /rest/ is not a number"));
        }
        let prefix: Vec<&str> = segments[..rest].iter().map(String::as_str).collect();
        let mut path = String::from("/");
        for p in prefix {
            path.push_str(p);
            path.push('/');
        }
        path.push_str(&format!("rest/{user}/{secret}/"));
        parsed.set_path(&path);
        parsed.set_query(None);
        parsed.set_fragment(None);
        Ok(Self {
            endpoint: parsed,
            user_id: user.clone(),
        })
    }

    /// The endpoint methods are appended to (holds the secret: never log it).
    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The portal host, e.g. `portal.bitrix24.com` (with the port when not the default).
    pub fn portal_host(&self) -> String {
        match (self.endpoint.host_str(), self.endpoint.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => String::new(),
        }
    }

    /// The id of the user the webhook acts as.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }
}

impl std::fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookUrl({})", self)
    }
}

impl std::fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}/rest/{}/***/",
            self.endpoint.scheme(),
            self.portal_host(),
            self.user_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_hides_the_secret() {
        let w =
            WebhookUrl::parse("https://p.bitrix24.com/rest/1/s3cr3tv4lue/profile.json").unwrap();
        assert_eq!(
            w.endpoint().as_str(),
            "https://p.bitrix24.com/rest/1/s3cr3tv4lue/"
        );
        assert_eq!(w.user_id(), "1");
        let shown = format!("{w} {w:?}");
        assert!(!shown.contains("s3cr3tv4lue"), "{shown}");
        assert!(shown.contains("p.bitrix24.com"));
    }

    #[test]
    fn rejects_urls_that_are_not_webhooks() {
        for bad in [
            "nonsense",
            "ftp://x/rest/1/s/",
            "https://p.com/rest/",
            "https://p.com/x/1/s/",
            "https://p.com/rest/abc/s/",
        ] {
            let e = WebhookUrl::parse(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(e.to_string().contains("expected https://"), "{e}");
        }
    }
}
