//! An axum endpoint for event calls (feature `axum`): it parses and verifies the call, runs
//! your async function, and answers **200 only after it returned**. A call that does not
//! verify gets **401** and reaches nothing; a malformed body gets 400; your function's error
//! gets 500. The portal never retries, so do the work (or queue it durably) before returning.
//!
//! ```no_run
//! use bitrix24::events::{axum::handler, Event, Verifier};
//! use secrecy::SecretString;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let verifier = Verifier::single(SecretString::from("stored-application-token"));
//! let app = axum::Router::new().route(
//!     "/bitrix24/events",
//!     handler(verifier, |event: Event| async move {
//!         println!("{} {:?}", event.name, event.kind);
//!     }),
//! );
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```

use super::{parse_event, Event, Verifier};
use crate::error::ErrorKind;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::{post, MethodRouter};
use axum::Router;
use std::fmt::Display;
use std::future::Future;

/// What the user's function may return: `()` (always handled) or `Result<(), E>`.
pub trait Outcome {
    /// `Err` with a message when handling failed.
    fn into_result(self) -> Result<(), String>;
}

impl Outcome for () {
    fn into_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: Display> Outcome for Result<(), E> {
    fn into_result(self) -> Result<(), String> {
        self.map_err(|e| e.to_string())
    }
}

/// A `POST` route that verifies event calls and hands them to `f`.
pub fn handler<F, Fut, S>(verifier: Verifier, f: F) -> MethodRouter<S>
where
    F: Fn(Event) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Outcome,
    S: Clone + Send + Sync + 'static,
{
    post(move |body: Bytes| {
        let verifier = verifier.clone();
        let f = f.clone();
        async move { respond(&verifier, f, &body).await }
    })
}

/// A router serving [`handler`] at `/`; nest it under the path the app binds.
pub fn router<F, Fut>(verifier: Verifier, f: F) -> Router
where
    F: Fn(Event) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Outcome,
{
    Router::new().route("/", handler(verifier, f))
}

async fn respond<F, Fut>(verifier: &Verifier, f: F, body: &[u8]) -> (StatusCode, &'static str)
where
    F: Fn(Event) -> Fut,
    Fut: Future,
    Fut::Output: Outcome,
{
    let event = match parse_event(body) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "event call refused: malformed body");
            return (StatusCode::BAD_REQUEST, "malformed event call");
        }
    };
    if let Err(e) = verifier.verify(&event) {
        debug_assert_eq!(e.kind(), ErrorKind::Event);
        tracing::warn!(event = %event.name, error = %e, "event call refused: not verified");
        return (StatusCode::UNAUTHORIZED, "event call not verified");
    }
    let name = event.name.clone();
    match f(event).await.into_result() {
        Ok(()) => (StatusCode::OK, "OK"),
        Err(msg) => {
            tracing::error!(event = %name, error = %msg, "event handler failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "event handler failed")
        }
    }
}
