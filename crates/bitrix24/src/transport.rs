//! Sending one call: wait for the limiters, authenticate, POST the form, decode the answer,
//! and obey [`retry::decide`] on failure. Everything happens inside one tracing span per call
//! that records the method, attempts, HTTP status, duration and operating time, never a URL
//! or a token.

use crate::auth::Prepared;
use crate::client::Inner;
use crate::error::{ApiErrorCode, Error, Result};
use crate::response::{decode_envelope, Response};
use crate::retry::{self, Decision, Failure, Situation};
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use std::time::Instant;
use tracing::Instrument;

const FORM: &str = "application/x-www-form-urlencoded";

/// Sends `body` to `method` until it succeeds or the retry rules say stop.
pub(crate) async fn execute(
    inner: &Inner,
    method: &str,
    body: String,
    read_only: bool,
) -> Result<Response<Value>> {
    let span = tracing::info_span!(
        "bitrix24.call",
        method,
        attempts = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
        operating = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = run(inner, method, &body, read_only, &span)
        .instrument(span.clone())
        .await;
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    result.map_err(|e| e.with_method(method))
}

async fn run(
    inner: &Inner,
    method: &str,
    body: &str,
    read_only: bool,
    span: &tracing::Span,
) -> Result<Response<Value>> {
    let mut delays = inner.retry.delays();
    let mut attempts = 0u32;
    let mut refreshed = false;
    loop {
        if let Some(wait) = inner.operating.wait_for(method, Instant::now()) {
            tracing::info!(
                wait_s = wait.as_secs_f64(),
                "operating time near the limit; waiting for the window to reset"
            );
            tokio::time::sleep(wait).await;
        }
        if let Some(limiter) = &inner.limiter {
            limiter.until_ready().await;
        }
        let prepared = inner.auth.prepare().await?;
        attempts += 1;
        span.record("attempts", attempts);
        let (err, failure) = match attempt(inner, method, body, &prepared, span).await {
            Ok(answer) => {
                inner.budget.deposit();
                if let Some(time) = &answer.time {
                    inner.operating.record(method, time, Instant::now());
                    if let Some(op) = time.operating {
                        span.record("operating", op);
                    }
                }
                return Ok(answer);
            }
            Err(pair) => pair,
        };
        let failure = match failure {
            Failure::OperatingLimit(_) => {
                Failure::OperatingLimit(inner.operating.reset_in(method, Instant::now()))
            }
            other => other,
        };
        let decision = retry::decide(
            &inner.retry,
            Situation {
                failure,
                attempts,
                read_only,
                refreshed,
                budget_available: inner.budget.available(),
            },
        );
        tracing::debug!(?failure, ?decision, error = %err, "attempt failed");
        match decision {
            Decision::Stop => return Err(err),
            Decision::Refresh => {
                refreshed = true;
                if !inner.auth.on_expired(&prepared).await? {
                    return Err(err);
                }
            }
            Decision::RetryAfter(wait) => tokio::time::sleep(wait).await,
            Decision::Retry { budgeted } => {
                if budgeted && !inner.budget.withdraw() {
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

/// One HTTP exchange; on failure, the error and how it failed.
async fn attempt(
    inner: &Inner,
    method: &str,
    body: &str,
    prepared: &Prepared,
    span: &tracing::Span,
) -> std::result::Result<Response<Value>, (Error, Failure)> {
    let url = prepared.endpoint.join(method).map_err(|_| {
        let e = Error::new(
            crate::error::ErrorKind::InvalidInput,
            format!("{method:?} cannot be appended to the portal URL"),
        );
        (e, Failure::Final)
    })?;
    let mut request = inner
        .http
        .post(url)
        .header(CONTENT_TYPE, FORM)
        .body(body.to_string());
    if let Some(token) = &prepared.token {
        use secrecy::ExposeSecret;
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| {
                let e = Error::new(
                    crate::error::ErrorKind::InvalidInput,
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
    let bytes = response
        .bytes()
        .await
        .map_err(|e| (Error::transport(e).with_status(status), Failure::Ambiguous))?;
    decode_envelope(status, &bytes).map_err(|e| {
        let failure = classify(&e, status);
        (e, failure)
    })
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
