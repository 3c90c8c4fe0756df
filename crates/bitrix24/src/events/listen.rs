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

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// Verified calls reach the function, forged ones get 401, and the server stops when
    /// the shutdown future completes.
    #[tokio::test]
    async fn serves_until_shutdown() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(
            listener,
            Verifier::single(SecretString::from("t0k")),
            move |_e: Event| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            },
            async {
                let _ = stopped.await;
            },
        ));
        let post = |body: &'static str| reqwest::Client::new().post(&url).body(body).send();
        let ok = post("event=ONAPPTEST&auth%5Bapplication_token%5D=t0k")
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let forged = post("event=ONAPPTEST&auth%5Bapplication_token%5D=nope")
            .await
            .unwrap();
        assert_eq!(forged.status(), 401);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        stop.send(()).unwrap();
        let done = tokio::time::timeout(std::time::Duration::from_secs(10), server).await;
        assert!(matches!(done, Ok(Ok(Ok(())))), "{done:?}");
    }
}
