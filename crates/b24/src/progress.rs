//! Progress bars (rows, rows/s, requests). The request figure is the client's own count of
//! HTTP requests ([`bitrix24::Stats`]): retries and resends included, a `batch` of 50
//! commands counted once, whatever paging strategy the client chose.

use bitrix24::{Client, Stats};
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

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

/// Shows the HTTP requests `client` sent since the reading `base` in the bar's message.
pub fn show_requests(bar: &ProgressBar, client: &Client, base: &Stats) {
    let n = client.stats().since(base).requests;
    bar.set_message(format!("{n} request{}", if n == 1 { "" } else { "s" }));
}
