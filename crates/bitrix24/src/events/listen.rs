//! Serving the event endpoint without depending on axum yourself (feature `axum`): binds
//! nothing, takes your listener, and stops when `shutdown` completes.
//!
//! ```no_run
//! use bitrix24::events::{listen::serve, Event, Verifier};
//! use secrecy::SecretString;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! let verifier = Verifier::single(SecretString::from("stored-application-token"));
//! serve(listener, verifier, |e: Event| async move { println!("{}", e.name) }, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

use super::axum::{router, Outcome};
use super::{Event, Verifier};
use std::future::Future;

/// Serves [`router`] (verify, parse, call `f`, answer 200 after it returned; 401 for a call
/// that does not verify) at `/` on `listener` until `shutdown` completes; requests in
/// flight are finished first.
///
/// # Errors
/// The server's I/O errors.
pub async fn serve<F, Fut>(
    listener: tokio::net::TcpListener,
    verifier: Verifier,
    f: F,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    F: Fn(Event) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Outcome,
{
    axum::serve(listener, router(verifier, f))
        .with_graceful_shutdown(shutdown)
        .await
}
