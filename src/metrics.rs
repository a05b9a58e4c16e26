//! Prometheus metrics for daemon mode (issue 5, part 7): counters the crawl updates as URLs
//! finish, and a tiny HTTP/1.1 responder for `GET /metrics` on `[crawler] metrics_listen`.
//!
//! Names follow the Prometheus naming guide (`baoluu_<name>_<unit>_total` for counters, base
//! units such as seconds and bytes); the exposition is text format 0.0.4. This module never
//! decides anything about crawling. Alone it serves nothing but `/metrics` (every other request
//! gets a 404); with the daemon's status page (issue 19, `crate::web`) that page answers the
//! other paths. Every connection is closed after one response (`crate::web::http`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::web::http::{Handler, Reply};

/// Shared counters and gauges. Cheap to update; share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Metrics {
    fetched: AtomicU64,
    archived: AtomicU64,
    bytes: AtomicU64,
    labelled: Mutex<Labelled>,
}

/// The metrics with a label, in sorted maps so the output is stable.
#[derive(Debug, Default)]
struct Labelled {
    failed: BTreeMap<String, u64>,
    backoffs: BTreeMap<String, u64>,
    queue: BTreeMap<String, u64>,
    last_run: BTreeMap<String, i64>,
    /// (portal, change) → article changes found by revisits (issue 15).
    changes: BTreeMap<(String, String), u64>,
}

impl Metrics {
    pub fn new() -> Metrics {
        Metrics::default()
    }

    /// One finished URL: archived (`failure` None), or not, with its outcome label as the
    /// failure reason.
    pub fn record_fetch(&self, failure: Option<&str>, bytes: u64) {
        self.fetched.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
        let Some(reason) = failure else {
            self.archived.fetch_add(1, Ordering::Relaxed);
            return;
        };
        *self
            .labelled()
            .failed
            .entry(reason.to_string())
            .or_default() += 1;
    }

    /// The politeness gate backed off from `host` (a 429/503 or errors).
    pub fn record_backoff(&self, host: &str) {
        *self
            .labelled()
            .backoffs
            .entry(host.to_string())
            .or_default() += 1;
    }

    /// `n` more article changes of kind `change` (edited, removed, restored, moved) on
    /// `portal` (issue 15).
    pub fn record_changes(&self, portal: &str, change: &str, n: u64) {
        *self
            .labelled()
            .changes
            .entry((portal.to_string(), change.to_string()))
            .or_default() += n;
    }

    /// URLs queued for `portal` right now.
    pub fn set_queue(&self, portal: &str, n: u64) {
        self.labelled().queue.insert(portal.to_string(), n);
    }

    /// When `portal`'s last run ended, in Unix seconds.
    pub fn set_last_run(&self, portal: &str, unix_secs: i64) {
        self.labelled()
            .last_run
            .insert(portal.to_string(), unix_secs);
    }

    /// A poisoned lock only means another thread panicked mid-increment; the maps stay usable.
    fn labelled(&self) -> std::sync::MutexGuard<'_, Labelled> {
        self.labelled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        scalar(
            &mut out,
            "baoluu_pages_fetched_total",
            "counter",
            "URLs finished (any outcome).",
            load(&self.fetched),
        );
        scalar(
            &mut out,
            "baoluu_pages_archived_total",
            "counter",
            "Pages written to a WARC file.",
            load(&self.archived),
        );
        scalar(
            &mut out,
            "baoluu_bytes_fetched_total",
            "counter",
            "Payload bytes received.",
            load(&self.bytes),
        );
        let l = self.labelled();
        family(
            &mut out,
            "baoluu_pages_failed_total",
            "counter",
            "URLs that ended without an archived page, by reason.",
            "reason",
            &l.failed,
        );
        family(
            &mut out,
            "baoluu_host_backoffs_total",
            "counter",
            "Times the politeness gate backed off from a host.",
            "host",
            &l.backoffs,
        );
        header(
            &mut out,
            "baoluu_article_changes_total",
            "counter",
            "Article changes found by revisits, by portal and change.",
        );
        for ((portal, change), n) in &l.changes {
            let _ = writeln!(
                out,
                "baoluu_article_changes_total{{portal=\"{}\",change=\"{}\"}} {n}",
                escape(portal),
                escape(change)
            );
        }
        family(
            &mut out,
            "baoluu_queue_urls",
            "gauge",
            "URLs queued per portal.",
            "portal",
            &l.queue,
        );
        family(
            &mut out,
            "baoluu_last_run_timestamp_seconds",
            "gauge",
            "End of the last run per portal, Unix seconds.",
            "portal",
            &l.last_run,
        );
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn scalar(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

fn family<V: std::fmt::Display>(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    label: &str,
    values: &BTreeMap<String, V>,
) {
    header(out, name, kind, help);
    for (key, value) in values {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {value}", escape(key));
    }
}

/// Label values escape `\`, `"` and newline (exposition format 0.0.4).
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Serves `GET /metrics` on `addr` until `stop` is cancelled. Binding errors are returned;
/// errors on one connection only drop that connection.
pub async fn serve(
    addr: SocketAddr,
    metrics: std::sync::Arc<Metrics>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    serve_on(listener, metrics, stop).await
}

/// [`serve`] on a listener already bound (tests bind port 0 and read the address first).
pub async fn serve_on(
    listener: TcpListener,
    metrics: std::sync::Arc<Metrics>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    serve_with(listener, metrics, None, stop).await
}

/// [`serve_on`] with `pages` (the status page, issue 19) answering every request but
/// `GET /metrics`, which stays exactly as it is.
pub async fn serve_with(
    listener: TcpListener,
    metrics: std::sync::Arc<Metrics>,
    pages: Option<Handler>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    crate::web::http::serve(listener, route(metrics, pages), stop).await
}

/// `GET /metrics` first; then `pages`, or a 404 (GET) / 405 (other methods) without them.
fn route(metrics: std::sync::Arc<Metrics>, pages: Option<Handler>) -> Handler {
    std::sync::Arc::new(move |method, target| {
        match (method, crate::web::http::path(target), &pages) {
            ("GET", "/metrics", _) => Reply::new(
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                metrics.render(),
            ),
            (_, _, Some(pages)) => pages(method, target),
            ("GET", _, None) => Reply::new(
                "404 Not Found",
                "text/plain; charset=utf-8",
                "not found: try /metrics\n",
            ),
            _ => Reply::new(
                "405 Method Not Allowed",
                "text/plain; charset=utf-8",
                "only GET /metrics\n",
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Label;

    #[test]
    fn render_has_help_type_and_values() {
        let m = Metrics::new();
        m.record_fetch(None, 100);
        m.record_fetch(None, 50);
        m.record_fetch(Some(Label::RobotsDisallowed.as_str()), 10);
        m.record_backoff("p.vn");
        m.record_changes("p", "edited", 2);
        m.set_queue("p", 7);
        m.set_last_run("p", 1_790_000_000);
        let text = m.render();
        for line in [
            "# HELP baoluu_pages_fetched_total URLs finished (any outcome).",
            "# TYPE baoluu_pages_fetched_total counter",
            "baoluu_pages_fetched_total 3",
            "baoluu_pages_archived_total 2",
            "baoluu_bytes_fetched_total 160",
            "baoluu_pages_failed_total{reason=\"robots-disallowed\"} 1",
            "baoluu_host_backoffs_total{host=\"p.vn\"} 1",
            "baoluu_article_changes_total{portal=\"p\",change=\"edited\"} 2",
            "# TYPE baoluu_queue_urls gauge",
            "baoluu_queue_urls{portal=\"p\"} 7",
            "baoluu_last_run_timestamp_seconds{portal=\"p\"} 1790000000",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn gauges_are_replaced_not_added() {
        let m = Metrics::new();
        m.set_queue("p", 7);
        m.set_queue("p", 2);
        assert!(m.render().contains("baoluu_queue_urls{portal=\"p\"} 2\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn metrics_route_is_unchanged_and_other_paths_go_to_the_pages() {
        let bare = route(std::sync::Arc::new(Metrics::new()), None);
        let reply = bare("GET", "/metrics?x=1");
        assert_eq!(
            reply.content_type,
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert_eq!(bare("GET", "/").status, "404 Not Found");
        assert_eq!(bare("POST", "/metrics").status, "405 Method Not Allowed");
        let pages: Handler = std::sync::Arc::new(|_, _| Reply::html("page".into()));
        let with = route(std::sync::Arc::new(Metrics::new()), Some(pages));
        assert_eq!(with("GET", "/").body, b"page");
        assert!(with("GET", "/metrics").body.starts_with(b"# HELP"));
    }
}
