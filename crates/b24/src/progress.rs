//! Progress bars (rows, rows/s, requests) and the count of REST requests behind them.
//!
//! The client opens one `bitrix24.call` tracing span per REST request (a `batch` of 50 pages
//! is one); [`RequestCounter`] is a tracing layer that counts those spans, so the figure is
//! the real number of requests, whatever paging strategy the client chose.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tracing::span;
use tracing_subscriber::layer::{Context, Filter, Layer};

static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// REST requests sent by this process so far (0 when the counter layer is not installed).
pub fn requests() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}

/// The tracing layer that counts REST requests; install it filtered by [`OnlyCalls`]
/// so it sees the spans whatever the log level.
#[derive(Debug, Default)]
pub struct RequestCounter;

const SPAN: &str = "bitrix24.call";

impl<S: tracing::Subscriber> Layer<S> for RequestCounter {
    fn on_new_span(&self, attrs: &span::Attributes<'_>, _id: &span::Id, _ctx: Context<'_, S>) {
        if attrs.metadata().name() == SPAN {
            REQUESTS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A per-layer filter that lets only the request spans through to the counter.
#[derive(Debug, Default)]
pub struct OnlyCalls;

impl<S> Filter<S> for OnlyCalls {
    fn enabled(&self, meta: &tracing::Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        meta.is_span() && meta.name() == SPAN
    }
}

/// A bar on stderr counting `what` (rows), with the rate and the requests sent; `total` when
/// known. Hidden when stderr is not a terminal.
pub fn bar(what: &str, total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(t) => ProgressBar::new(t),
        None => ProgressBar::no_length(),
    };
    let template = if total.is_some() {
        format!("{{spinner}} [{{bar:30}}] {{pos}}/{{len}} {what} ({{per_sec}}) {{msg}}")
    } else {
        format!("{{spinner}} {{pos}} {what} ({{per_sec}}) {{msg}}")
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Shows the requests sent since `base` in the bar's message.
pub fn show_requests(bar: &ProgressBar, base: u64) {
    let n = requests().saturating_sub(base);
    bar.set_message(format!("{n} request{}", if n == 1 { "" } else { "s" }));
}
