//! Sending one call: wait for the limiters, authenticate, POST the form, decode the answer,
//! and obey [`retry::decide`] on failure. Everything happens inside one tracing span per call
//! that records the method, attempts, HTTP status, duration and operating time, never a URL
//! or a token.
//!
//! [`Transport`] is the state every clone of a [`Client`](crate::Client) shares; the client,
//! batches and list streams all send through [`Transport::execute`].

use crate::auth::{Auth, Prepared};
use crate::error::{ApiErrorCode, Error, ErrorKind, Result};
use crate::limits::{operating, OperatingBudget, OperatingTracker, RateBudget, RateLimits};
use crate::response::{decode_envelope, Response, Time};
use crate::retry::{self, Decision, Failure, RetryBudget, RetryPolicy, Situation};
use crate::stats::{Count, Counters};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

const FORM: &str = "application/x-www-form-urlencoded";

/// What every clone of a client shares: the connection pool, the credentials, both limiters,
/// the retry policy and budget, and the counters.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    /// Where the token requests of the refreshes this client's calls need go: the client's
    /// own HTTP client (or one bound to its source address), `None` for the app's.
    pub(crate) token_http: Option<reqwest::Client>,
    pub(crate) auth: Auth,
    /// Where the request rate is admitted, under which key, with which limits.
    pub(crate) rate: Arc<dyn RateBudget>,
    pub(crate) rate_key: String,
    pub(crate) limits: RateLimits,
    /// Where operating-time reports are shared, the caller's key there, and this client's
    /// name among the clients publishing calls in flight under that key.
    pub(crate) shared_operating: Option<Arc<dyn OperatingBudget>>,
    pub(crate) caller_key: String,
    pub(crate) flight_id: String,
    pub(crate) operating: OperatingTracker,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: RetryBudget,
    pub(crate) counters: Counters,
}

/// One request to send.
pub(crate) struct Call<'a> {
    /// The REST method (`batch` for a batch).
    pub method: &'a str,
    /// The form-encoded parameters.
    pub body: String,
    /// The call only reads, so it may be sent again after an ambiguous failure.
    pub read_only: bool,
    /// For a batch: its command keys with their methods, so each command's operating time is
    /// admitted and recorded under its own method (the portal does not count `batch` itself).
    pub commands: Option<&'a Map<String, Value>>,
}

/// What the attempts of one call saw of the portal's load.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Attempts {
    /// How long the last HTTP exchange took: the server's latency, without the waits for the
    /// limiters (`None` when no request was made).
    pub last_exchange: Option<Duration>,
    /// The portal answered 503 `QUERY_LIMIT_EXCEEDED` or 429 `OPERATION_TIME_LIMIT` at least
    /// once.
    pub pushed_back: bool,
}

impl Transport {
    /// Sends the call until it succeeds or the retry rules say stop.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Response<Value>> {
        self.execute_measured(call).await.0
    }

    /// [`Transport::execute`], also returning what the attempts saw of the portal's load.
    pub(crate) async fn execute_measured(
        &self,
        call: Call<'_>,
    ) -> (Result<Response<Value>>, Attempts) {
        let method = call.method;
        let span = tracing::info_span!(
            "bitrix24.call",
            method,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            operating = tracing::field::Empty,
        );
        let started = Instant::now();
        let mut attempts = Attempts::default();
        let result = self
            .run(&call, &span, &mut attempts)
            .instrument(span.clone())
            .await;
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        (result.map_err(|e| e.with_method(method)), attempts)
    }

    /// The operating-time units of a call: its method once, or each command of a batch.
    fn units(call: &Call<'_>) -> Vec<(String, u32)> {
        match call.commands {
            Some(commands) => {
                let mut units: Vec<(String, u32)> = Vec::new();
                for method in commands.values().filter_map(Value::as_str) {
                    let method = method.to_ascii_lowercase();
                    match units.iter_mut().find(|(m, _)| *m == method) {
                        Some((_, n)) => *n += 1,
                        None => units.push((method, 1)),
                    }
                }
                units
            }
            None if call.method.eq_ignore_ascii_case("batch") => Vec::new(),
            None => operating::single(call.method),
        }
    }

    async fn run(
        &self,
        call: &Call<'_>,
        span: &tracing::Span,
        seen: &mut Attempts,
    ) -> Result<Response<Value>> {
        let method = call.method;
        let units = Self::units(call);
        let mut delays = self.retry.delays();
        let mut attempts = 0u32;
        let mut refreshed = false;
        loop {
            let admission = loop {
                // Again after each wait: what the others reported and have in flight moved.
                self.take_shared_reports(&units).await?;
                match self.operating.admit(&units, Instant::now()) {
                    Ok(admission) => break admission,
                    Err(wait) => {
                        tracing::info!(
                            wait_s = wait.as_secs_f64(),
                            "operating time near the limit; waiting for the window to reset"
                        );
                        tokio::time::sleep(wait).await;
                    }
                }
            };
            self.publish_in_flight(&units).await;
            self.rate.admit(&self.rate_key, self.limits).await?;
            // After the rate limiter, so a token refreshed while this call waited is used.
            let prepared = self.auth.prepare(self.token_http.as_ref()).await?;
            attempts += 1;
            span.record("attempts", attempts);
            self.counters.add(Count::Request);
            if attempts > 1 {
                self.counters.add(Count::Retry);
            }
            let sent = Instant::now();
            let outcome = self.attempt(method, &call.body, &prepared, span).await;
            seen.last_exchange = Some(sent.elapsed());
            if let Ok(answer) = &outcome {
                self.budget.deposit();
                self.record_times(call, answer);
            }
            // Answered or failed, the call is no longer in flight, for this client and for
            // the others that count its calls.
            drop(admission);
            self.publish_in_flight(&units).await;
            let (err, failure) = match outcome {
                Ok(answer) => {
                    self.share_reports(&units).await;
                    if let Some(op) = answer.time.as_ref().and_then(|t| t.operating) {
                        span.record("operating", op);
                    }
                    return Ok(answer);
                }
                Err(pair) => pair,
            };
            let failure = match failure {
                Failure::OperatingLimit(_) => {
                    self.counters.add(Count::OperatingLimit);
                    seen.pushed_back = true;
                    let longest = units
                        .iter()
                        .filter_map(|(m, _)| self.operating.reset_in(m, Instant::now()))
                        .max();
                    Failure::OperatingLimit(longest)
                }
                Failure::QueryLimit => {
                    self.counters.add(Count::QueryLimit);
                    seen.pushed_back = true;
                    Failure::QueryLimit
                }
                Failure::ExpiredToken => {
                    self.counters.add(Count::ExpiredToken);
                    Failure::ExpiredToken
                }
                other => other,
            };
            let decision = retry::decide(
                &self.retry,
                Situation {
                    failure,
                    attempts,
                    read_only: call.read_only,
                    refreshed,
                    budget_available: self.budget.available(),
                },
            );
            tracing::debug!(?failure, ?decision, error = %err, "attempt failed");
            match decision {
                Decision::Stop => return Err(err),
                Decision::Refresh => {
                    refreshed = true;
                    if !self
                        .auth
                        .on_expired(&prepared, self.token_http.as_ref())
                        .await?
                    {
                        return Err(err);
                    }
                }
                Decision::RetryAfter(wait) => tokio::time::sleep(wait).await,
                Decision::Retry { budgeted } => {
                    if budgeted && !self.budget.withdraw() {
                        return Err(err);
                    }
                    let Some(delay) = delays.next() else {
                        return Err(err);
                    };
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Before a call: the newest operating-time reports other clients shared for its methods.
    async fn take_shared_reports(&self, units: &[(String, u32)]) -> Result<()> {
        let Some(shared) = &self.shared_operating else {
            return Ok(());
        };
        let methods: Vec<String> = units.iter().map(|(m, _)| m.clone()).collect();
        let reports = shared.load(&self.caller_key, &methods).await?;
        let now = Instant::now();
        for (method, report) in methods.iter().zip(reports) {
            if let Some(report) = report {
                self.operating.merge(method, &report, now);
            }
        }
        let others = shared
            .others_in_flight(&self.caller_key, &self.flight_id, &methods)
            .await?;
        for (method, seconds) in methods.iter().zip(others) {
            self.operating.set_others_in_flight(method, seconds);
        }
        Ok(())
    }

    /// When this client's calls in flight change: what they will add, for other clients.
    /// A failure to publish is logged, not returned (the others then count a little less).
    async fn publish_in_flight(&self, units: &[(String, u32)]) {
        let Some(shared) = &self.shared_operating else {
            return;
        };
        for (method, _) in units {
            let (seconds, sequence) = self.operating.own_in_flight(method);
            if let Err(e) = shared
                .publish_in_flight(&self.caller_key, &self.flight_id, method, seconds, sequence)
                .await
            {
                tracing::warn!(error = %e, "could not publish the calls in flight");
            }
        }
    }

    /// After an answer: what the tracker now knows of the call's methods, for other clients.
    /// A failure to share is logged, not returned: the call itself succeeded.
    async fn share_reports(&self, units: &[(String, u32)]) {
        let Some(shared) = &self.shared_operating else {
            return;
        };
        let now = Instant::now();
        for (method, _) in units {
            let Some(report) = self.operating.report(method, now) else {
                continue;
            };
            if let Err(e) = shared.store(&self.caller_key, method, report).await {
                tracing::warn!(error = %e, "could not share the operating-time report");
            }
        }
    }

    /// Feeds the operating-time tracker: the call's own `time`, or each batch command's
    /// entry of `result_time` under the command's method.
    fn record_times(&self, call: &Call<'_>, answer: &Response<Value>) {
        let now = Instant::now();
        match call.commands {
            Some(commands) => {
                let times = answer.result.get("result_time");
                for (position, (key, method)) in commands.iter().enumerate() {
                    let Some(method) = method.as_str() else {
                        continue;
                    };
                    // A PHP array of times prints as a JSON list when the keys are 0..n-1.
                    let entry = match times {
                        Some(Value::Object(map)) => map.get(key),
                        Some(Value::Array(list)) => list.get(position),
                        _ => None,
                    };
                    if let Some(time) = entry.and_then(Time::from_value) {
                        self.operating.record(method, &time, now);
                    }
                }
            }
            None => {
                if let Some(time) = &answer.time {
                    self.operating.record(call.method, time, now);
                }
            }
        }
    }

    /// One HTTP exchange; on failure, the error and how it failed.
    async fn attempt(
        &self,
        method: &str,
        body: &str,
        prepared: &Prepared,
        span: &tracing::Span,
    ) -> std::result::Result<Response<Value>, (Error, Failure)> {
        let url = prepared.endpoint.join(method).map_err(|_| {
            let e = Error::new(
                ErrorKind::InvalidInput,
                format!("{method:?} cannot be appended to the portal URL"),
            );
            (e, Failure::Final)
        })?;
        let mut request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, FORM)
            .body(body.to_string());
        if let Some(token) = &prepared.token {
            use secrecy::ExposeSecret;
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    let e = Error::new(
                        ErrorKind::InvalidInput,
                        "the access token holds characters a header cannot carry",
                    );
                    (e, Failure::Final)
                })?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        let response = request.send().await.map_err(|e| {
            let failure = if e.is_connect() {
                Failure::NotSent
            } else {
                Failure::Ambiguous
            };
            (Error::transport(e), failure)
        })?;
        let status = response.status().as_u16();
        span.record("status", status);
        if response.status().is_redirection() {
            return Err((moved(&response, status), Failure::Final));
        }
        let bytes = read_capped(response, status).await?;
        decode_envelope(status, &bytes).map_err(|e| {
            let failure = classify(&e, status);
            (e, failure)
        })
    }
}

/// The largest answer read: far above the biggest real one (a batch of 50 list pages with
/// every field is a few megabytes), small enough that a hostile or broken server cannot fill
/// the memory.
pub(crate) const MAX_ANSWER_BYTES: usize = 256 * 1024 * 1024;

/// Reads the body up to [`MAX_ANSWER_BYTES`]; a bigger one is an error (the call may have run).
async fn read_capped(
    mut response: reqwest::Response,
    status: u16,
) -> std::result::Result<Vec<u8>, (Error, Failure)> {
    let failed = |e: reqwest::Error| (Error::transport(e).with_status(status), Failure::Ambiguous);
    let too_big = || {
        let e = Error::new(
            ErrorKind::Decode,
            format!(
                "the answer is over {} MB; no Bitrix24 answer is that big (is the URL a \
                 portal's REST endpoint?)",
                MAX_ANSWER_BYTES / (1024 * 1024)
            ),
        )
        .with_status(status);
        (e, Failure::Ambiguous)
    };
    let hinted = response.content_length().unwrap_or(0);
    if hinted > MAX_ANSWER_BYTES as u64 {
        return Err(too_big());
    }
    let mut body = Vec::with_capacity(usize::try_from(hinted).unwrap_or(0).min(16 << 20));
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Checks a method name before it becomes part of the URL path.
/// The error for a redirect, which the client never follows: a portal whose address changed
/// answers at the old one with 302 to the new one, and a followed POST would arrive as a GET
/// without its parameters (and a webhook's secret path would go wherever the answer points).
/// Only the new address's origin is shown: its path may hold the webhook secret.
fn moved(response: &reqwest::Response, status: u16) -> Error {
    let target = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|location| response.url().join(location).ok())
        .filter(|url| url.has_host())
        .map(|url| url.origin().ascii_serialization());
    let here = response.url().origin().ascii_serialization();
    let message = match target {
        Some(origin) if origin == here => format!(
            "the portal answered HTTP {status}, pointing to another path of its own address \
             {origin}; nothing was run. A Bitrix24 portal does not redirect REST calls: check \
             the webhook URL or the portal's client endpoint (and any proxy in front of it)"
        ),
        Some(origin) => format!(
            "the portal answered HTTP {status}, pointing to {origin}: its address has changed \
             (a renamed portal answers at the old one with a redirect). Nothing was run; use \
             the new address in the webhook URL or the portal's client endpoint"
        ),
        None => format!(
            "the portal answered HTTP {status} (a redirect) without a usable Location; nothing \
             was run. Check the portal's address"
        ),
    };
    Error::new(ErrorKind::InvalidInput, message).with_status(status)
}

pub(crate) fn validate_method(method: &str) -> Result<()> {
    let ok = !method.is_empty()
        && method.len() <= 200
        && method
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !method.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!(
                "{method:?} is not a REST method name (letters, digits, '.', '_' and '-' only, \
                 e.g. crm.lead.get)"
            ),
        ))
    }
}

fn classify(e: &Error, status: u16) -> Failure {
    match e.code() {
        Some(ApiErrorCode::QueryLimitExceeded) => Failure::QueryLimit,
        Some(ApiErrorCode::OperationTimeLimit) => Failure::OperatingLimit(None),
        Some(ApiErrorCode::ExpiredToken) => Failure::ExpiredToken,
        _ if status >= 500 => Failure::Ambiguous,
        _ => Failure::Final,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_cannot_inject_paths() {
        for bad in ["", "../admin", "crm.lead.get?x=1", "a/b", "crm lead", ".x"] {
            assert_eq!(
                validate_method(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
        assert!(validate_method("crm.lead.get").is_ok());
        assert!(validate_method("user.current").is_ok());
    }
}
