//! Run records and metrics from outside the crate: the `/metrics` endpoint over a real socket,
//! and `baoluu status` text from a written report plus schedule rows in a real store.

use std::collections::BTreeMap;
use std::sync::Arc;

use baoluu::config::Config;
use baoluu::metrics::{self, Metrics};
use baoluu::report::{self, RunReport};
use baoluu::store::Store;
use chrono::{TimeZone, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn metrics_endpoint_serves_the_counters_and_404s_the_rest() {
    let m = Arc::new(Metrics::new());
    m.record_fetch(None, 2048);
    m.record_fetch(Some(baoluu::outcome::Label::Timeout.as_str()), 0);
    m.set_last_run("p", 1_790_000_000);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let server = tokio::spawn(metrics::serve_on(listener, Arc::clone(&m), stop.clone()));

    let ok = get(addr, "/metrics").await;
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    assert!(
        ok.contains("Content-Type: text/plain; version=0.0.4"),
        "{ok}"
    );
    assert!(ok.contains("\nbaoluu_pages_fetched_total 2\n"), "{ok}");
    assert!(ok.contains("\nbaoluu_bytes_fetched_total 2048\n"), "{ok}");
    assert!(
        ok.contains("\nbaoluu_pages_failed_total{reason=\"timeout\"} 1\n"),
        "{ok}"
    );
    assert!(ok.contains("baoluu_last_run_timestamp_seconds{portal=\"p\"} 1790000000"));

    let missing = get(addr, "/").await;
    assert!(
        missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
        "{missing}"
    );

    stop.cancel();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn serve_binds_the_given_address() {
    // Bind, learn the port, free it, and let `serve` bind it again.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = probe.local_addr().unwrap();
    drop(probe);
    let stop = CancellationToken::new();
    let server = tokio::spawn(metrics::serve(addr, Arc::new(Metrics::new()), stop.clone()));
    let mut response = String::new();
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            response = get(addr, "/metrics").await;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        response.contains("baoluu_pages_archived_total 0"),
        "{response}"
    );
    stop.cancel();
    server.await.unwrap().unwrap();
}

fn config(dir: &std::path::Path) -> Config {
    let path = dir.join("baoluu.toml");
    let text = format!(
        r#"[crawler]
user_agent = "baoluu-test/0.1 (+https://y.vn/bot)"
archive_dir = "{}"

[[portal]]
name = "p"
seeds = ["https://example.org/"]
hosts = ["example.org"]
article_urls = ['^https://example\.org/[a-z-]+-a\d+\.html$']
listing_urls = ['^https://example\.org/$']
schedule = "every 2h"
"#,
        dir.join("archive").display()
    );
    std::fs::write(&path, text).unwrap();
    Config::load(&path).unwrap()
}

#[test]
fn status_shows_the_last_report_and_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let archive = config.crawler.archive_dir.clone();
    std::fs::create_dir_all(&archive).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 3, 0, 0).unwrap();

    let before = report::status(&archive, &config, now).unwrap();
    assert_eq!(
        before,
        "p: never ran\n  next: no state yet\n  politeness: example.org: ≥ 2s between requests \
         (min_delay 2s; up to 30s after slow answers (2× the fetch time)); robots.txt not fetched yet\n"
    );
    assert!(
        !archive.join("state.sqlite").exists(),
        "status must not create the store"
    );

    let started = Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 0).unwrap();
    let ended = Utc.with_ymd_and_hms(2026, 11, 27, 2, 10, 0).unwrap();
    let store = Store::open(&archive.join("state.sqlite")).unwrap();
    store.run_started("p", started).unwrap();
    store.run_ended("p", ended, "completed").unwrap();
    drop(store);
    let run = RunReport {
        portals: vec!["p".into()],
        run: 1,
        started,
        ended,
        interrupted: false,
        resumed: false,
        fetched: 5,
        archived: 4,
        indexed: 2,
        bytes: 9000,
        by_outcome: BTreeMap::from([("archived".into(), 4), ("not_found".into(), 1)]),
        per_portal: BTreeMap::new(),
        backoffs: BTreeMap::from([("example.org".into(), 2)]),
    };
    report::write(&archive, &run).unwrap();

    let text = report::status(&archive, &config, now).unwrap();
    assert_eq!(
        text,
        "p: run 1 finished, 2026-11-27 09:00:00 +07:00 → 2026-11-27 09:10:00 +07:00: \
         5 fetched, 4 archived, 2 new articles, 9000 bytes; not_found 1\n  \
         next: 2026-11-27 11:10:00 +07:00 [every 2h]\n  \
         politeness: example.org: ≥ 2s between requests (min_delay 2s; up to 30s after slow \
         answers (2× the fetch time)); robots.txt not fetched yet; backed off 2× in the last run \
         (429/503: the whole host paused)\n"
    );
}
