//! [`Client`]: one cheap, cloneable handle that sends calls to one portal, and its builder.

use crate::auth::{token_http_client, Auth, OAuthSession, WebhookUrl};
use crate::batch::{chunked, pipeline, Batch, BatchResults, IntoBatchCommand, Pipeline};
use crate::decode::decode_value;
use crate::encode;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{LocalRateBudget, OperatingBudget, OperatingTracker, RateBudget, RateLimits};
use crate::response::Response;
use crate::retry::{is_read_method, RetryBudget, RetryPolicy};
use crate::stats::Stats;
use crate::transport::{validate_method, Call, Transport};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// A Bitrix24 REST client for one portal.
///
/// Cloning is cheap and every clone shares the connection pool, the rate limiter, the
/// operating-time tracker and the retry budget. By default the rate limiter is per `Client`:
/// two clients built separately for the same portal each think they have the whole budget, so
/// build one client per portal and clone it (for example into each task or into your app
/// state), or give every client one shared [`RateBudget`] with
/// [`ClientBuilder::rate_budget`] (across processes and machines: `PostgresRateBudget`).
///
/// ```no_run
/// # async fn run() -> bitrix24::Result<()> {
/// let client = bitrix24::Client::from_webhook("https://example.bitrix24.com/rest/1/secret/")?;
/// let lead: serde_json::Value = client
///     .call("crm.lead.get", &serde_json::json!({"id": 42}))
///     .await?
///     .result;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Transport>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the portal host: the auth holds the webhook secret or tokens.
        f.debug_struct("Client")
            .field("portal", &self.inner.auth.portal_key())
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for an incoming-webhook URL with the default settings.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the URL is not a webhook URL.
    pub fn from_webhook(url: &str) -> Result<Client> {
        Client::builder().webhook(url).build()
    }

    /// A builder for every other setting.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Calls `method` with `params` and decodes `result` into `T`.
    ///
    /// `params` is form-encoded with PHP bracket keys (see [`encode::to_form`]); pass `&()`
    /// for none.
    ///
    /// # Errors
    /// [`ErrorKind::Api`] for an error answer, [`ErrorKind::Transport`] when the request did
    /// not complete, [`ErrorKind::Decode`] when `result` is not a `T` (the message names the
    /// JSON path), [`ErrorKind::InvalidInput`] for unencodable parameters or a bad method name.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: &(impl Serialize + ?Sized),
    ) -> Result<Response<T>> {
        let raw = self.call_raw(method, params).await?;
        let Response {
            result,
            next,
            total,
            time,
        } = raw;
        let result = decode_value(result, "result").map_err(|e| e.with_method(method))?;
        Ok(Response {
            result,
            next,
            total,
            time,
        })
    }

    /// Calls `method` and returns `result` as JSON.
    ///
    /// # Errors
    /// As [`Client::call`], without the decode step.
    pub async fn call_raw(
        &self,
        method: &str,
        params: &(impl Serialize + ?Sized),
    ) -> Result<Response<Value>> {
        validate_method(method)?;
        let body = encode::to_form(params).map_err(|e| e.with_method(method))?;
        self.send(method, body, is_read_method(method)).await
    }

    /// Sends a batch of at most 50 commands as one request.
    ///
    /// A batch made only of reads is retried like a read after an ambiguous failure; a batch
    /// with a write is not (unless [`RetryPolicy::retry_writes`]).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a bad key, method or parameters, or more than 50
    /// commands; the errors of [`Client::call`] for the batch request itself. Errors of single
    /// commands are returned by [`BatchResults::get`].
    pub async fn batch(&self, batch: Batch) -> Result<BatchResults> {
        // One batch alone needs no window: a place that is always free.
        let window = crate::batch::window::Window::new(1, 1);
        pipeline::send(&self.inner, &window, batch).await
    }

    /// Several batches in flight at once, each admitted by the rate limiter, as many as an
    /// adaptive window allows; see [`Pipeline`].
    pub fn pipeline(&self) -> Pipeline {
        Pipeline::new(self.inner.clone())
    }

    /// Runs any number of independent commands, 50 per `batch` request, several requests in
    /// flight (a [`Pipeline`]), never faster than the rate limiter allows. Results come back
    /// in the order of `commands`.
    ///
    /// Commands are typed [request values](crate::request::Request) (each result decoded as
    /// the request says) or [`BatchCommand`](crate::batch::BatchCommand)s of any method:
    ///
    /// ```no_run
    /// # async fn run(client: bitrix24::Client, ids: Vec<bitrix24::crm::types::LeadId>) -> bitrix24::Result<()> {
    /// let leads = client.batch_chunked(ids.iter().map(|&id| client.leads().get(id))).await?;
    /// for lead in leads {
    ///     println!("{:?}", lead?.title);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// Every command is checked before the first request is sent. When a batch request fails
    /// as a whole (after the retries the policy allows), each of its commands gets that error
    /// in its place and the other chunks still count: a failure after the request left means
    /// its commands may have run.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for a command that cannot be sent (nothing is sent then).
    /// Per-command and per-request errors are inside the returned list.
    pub async fn batch_chunked<T>(
        &self,
        commands: impl IntoIterator<Item = impl IntoBatchCommand<T>>,
    ) -> Result<Vec<Result<T>>> {
        let commands = commands
            .into_iter()
            .map(IntoBatchCommand::into_parts)
            .collect();
        chunked::run(self.pipeline(), commands).await
    }

    /// What this client and its clones have sent so far (HTTP requests, retries included)
    /// and how often the portal pushed back.
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// Sends an encoded body; `read_only` allows retries after ambiguous failures.
    pub(crate) async fn send(
        &self,
        method: &str,
        body: String,
        read_only: bool,
    ) -> Result<Response<Value>> {
        self.inner
            .execute(Call {
                method,
                body,
                read_only,
                commands: None,
            })
            .await
    }
}

/// Builds a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    auth: Option<Result<Auth>>,
    http: Option<reqwest::Client>,
    local_address: Option<IpAddr>,
    limits: RateLimits,
    rate_budget: Option<Arc<dyn RateBudget>>,
    egress_group: Option<String>,
    operating_budget: Option<Arc<dyn OperatingBudget>>,
    retry: RetryPolicy,
    timeout: Duration,
    user_agent: String,
    operating_limit: f64,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            auth: None,
            http: None,
            local_address: None,
            limits: RateLimits::standard(),
            rate_budget: None,
            egress_group: None,
            operating_budget: None,
            retry: RetryPolicy::default(),
            // The cloud cuts a request off after 60 s; leave room for the answer to arrive.
            timeout: Duration::from_secs(75),
            user_agent: concat!("bitrix24-rs/", env!("CARGO_PKG_VERSION")).to_string(),
            operating_limit: 480.0,
        }
    }
}

impl ClientBuilder {
    /// Authenticate with an incoming-webhook URL (`https://<portal>/rest/<user>/<secret>/`).
    /// A malformed URL is reported by [`ClientBuilder::build`].
    pub fn webhook(mut self, url: &str) -> Self {
        self.auth = Some(WebhookUrl::parse(url).map(Auth::Webhook));
        self
    }

    /// Authenticate as an OAuth application: every call takes its access token from
    /// `session` (refreshed ahead of expiry) and is sent to the portal's `client_endpoint`;
    /// after `expired_token` the token is refreshed once and the call sent again.
    pub fn oauth(mut self, session: OAuthSession) -> Self {
        self.auth = Some(Ok(Auth::OAuth(session)));
        self
    }

    /// Uses this reqwest client (proxies, TLS roots, pools, a source address) for everything
    /// the client sends: its REST calls and, with [`ClientBuilder::oauth`], the token requests
    /// of the refreshes its calls need (a refresh started by [`OAuthSession::access_token`]
    /// on its own goes through the app's client). Its own timeout and user agent apply instead
    /// of [`ClientBuilder::timeout`] and [`ClientBuilder::user_agent`]. The token requests
    /// carry the client secret, and Bitrix24 asks POST clients not to follow redirects (an
    /// old portal address answers 302 to the new one): build it with
    /// `.redirect(reqwest::redirect::Policy::none())`.
    ///
    /// Only to send from another source address, [`ClientBuilder::local_address`] is enough.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Sends everything from the local address `ip`: the REST calls and the token requests of
    /// the OAuth refreshes they need. The portal counts its request budget per source IP, so
    /// a host with several addresses can act as several hosts (tests do, with 127.0.0.2,
    /// 127.0.0.3, …); with a shared [`ClientBuilder::rate_budget`], name each address's
    /// [`ClientBuilder::egress_group`] too.
    ///
    /// It is the short form of building the HTTP client yourself with
    /// `reqwest::ClientBuilder::local_address` and passing it to
    /// [`ClientBuilder::http_client`], with this builder's timeout and user agent; give one or
    /// the other ([`ClientBuilder::build`] refuses both, as it could not bind your client).
    pub fn local_address(mut self, ip: IpAddr) -> Self {
        self.local_address = Some(ip);
        self
    }

    /// The request-rate limit to keep to (default [`RateLimits::standard`]).
    pub fn limits(mut self, limits: RateLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Admits every request through `budget` (default: a [`LocalRateBudget`] of this client
    /// and its clones only). Clients given one budget share the portal's bucket: in one
    /// process an `Arc<LocalRateBudget>`, across processes and machines a shared one such as
    /// `PostgresRateBudget` (feature `postgres`). The bucket's key is the portal's host (see
    /// [`ClientBuilder::egress_group`]); its shape is [`ClientBuilder::limits`].
    pub fn rate_budget(mut self, budget: Arc<dyn RateBudget>) -> Self {
        self.rate_budget = Some(budget);
        self
    }

    /// The portal counts requests per source IP: processes behind different egress IPs have
    /// separate buckets there. Name the group of this client's egress IP (any string, say the
    /// data centre) and a shared [`ClientBuilder::rate_budget`] keeps one bucket per portal
    /// and group instead of one per portal.
    pub fn egress_group(mut self, group: impl Into<String>) -> Self {
        self.egress_group = Some(group.into());
        self
    }

    /// Shares the operating-time reports of this client's answers through `budget`, and
    /// takes in the others' before each call (default: none, this client knows only its own
    /// answers). Clients of one app or webhook on one portal given one budget wait for a
    /// method's window together: across processes and machines `PostgresOperatingBudget`
    /// (feature `postgres`), in one process an `Arc<LocalOperatingBudget>`.
    pub fn operating_budget(mut self, budget: Arc<dyn OperatingBudget>) -> Self {
        self.operating_budget = Some(budget);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The timeout of one HTTP request (default 75 s: the cloud stops a call at 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (the docs ask for `integration-name/version`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The portal's operating-time cap per method and 10 minutes, in seconds (default 480, the
    /// cloud's). Calls of a method whose reported use is within 5 % of it wait for its window
    /// to reset.
    pub fn operating_limit(mut self, seconds: f64) -> Self {
        if seconds.is_finite() && seconds > 0.0 {
            self.operating_limit = seconds;
        }
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] without credentials, with a malformed webhook URL, or with
    /// both [`ClientBuilder::http_client`] and [`ClientBuilder::local_address`];
    /// [`ErrorKind::Transport`] when the HTTP client cannot be built (TLS setup).
    pub fn build(self) -> Result<Client> {
        let auth = match self.auth {
            Some(auth) => auth?,
            None => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "no credentials: call .webhook(url) or .oauth(..) on the builder",
                ))
            }
        };
        let (http, token_http) = match (self.http, self.local_address) {
            (Some(_), Some(_)) => {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    "both http_client and local_address were given: bind your reqwest client \
                     with reqwest::ClientBuilder::local_address, or leave http_client out",
                ))
            }
            (Some(http), None) => (http.clone(), Some(http)),
            (None, local_address) => {
                // No redirects: a portal's old address answers 302 to its new one, and a
                // followed POST arrives as a GET without its parameters (the transport
                // reports the new address instead).
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(self.timeout)
                    .user_agent(self.user_agent)
                    .local_address(local_address)
                    .build()
                    .map_err(Error::transport)?;
                // Token requests keep the app's own settings (no redirects, a short timeout),
                // from the same address; without one, the app's client serves them.
                let token_http = match local_address {
                    Some(ip) => Some(token_http_client(Some(ip))?),
                    None => None,
                };
                (http, token_http)
            }
        };
        let portal = auth.portal_key();
        let caller_key = auth.caller_key();
        let rate_key = match &self.egress_group {
            Some(group) => format!("{portal} egress={group}"),
            None => portal,
        };
        Ok(Client {
            inner: Arc::new(Transport {
                http,
                token_http,
                auth,
                rate: self
                    .rate_budget
                    .unwrap_or_else(|| Arc::new(LocalRateBudget::new())),
                rate_key,
                limits: self.limits,
                shared_operating: self.operating_budget,
                caller_key,
                // Unique among the clients sharing a budget, on any machine.
                flight_id: format!("{:032x}", rand::random::<u128>()),
                operating: OperatingTracker::new(self.operating_limit, self.operating_limit * 0.05),
                budget: RetryBudget::new(self.retry.budget_ratio),
                retry: self.retry,
                counters: Default::default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_cheap_send_sync_and_hides_the_secret() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync::<Client>();
        let c = Client::from_webhook("https://p.example.com/rest/7/topsecret42/").unwrap();
        let c2 = c.clone();
        assert!(Arc::ptr_eq(&c.inner, &c2.inner));
        let shown = format!("{c:?}");
        assert!(
            shown.contains("p.example.com") && !shown.contains("topsecret42"),
            "{shown}"
        );
    }

    #[test]
    fn builder_errors_are_clear() {
        let e = Client::builder().build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        let e = Client::builder()
            .webhook("https://x/nope")
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn a_source_address_is_given_one_way_only() {
        let hook = "https://p.example.com/rest/7/secret/";
        let ip = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
        let e = Client::builder()
            .webhook(hook)
            .http_client(reqwest::Client::new())
            .local_address(ip)
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("local_address"), "{e}");
        let bound = Client::builder()
            .webhook(hook)
            .local_address(ip)
            .build()
            .expect("bound client");
        assert!(bound.inner.token_http.is_some(), "token requests bound too");
        let plain = Client::builder().webhook(hook).build().expect("client");
        assert!(plain.inner.token_http.is_none(), "the app's own client");
    }
}
