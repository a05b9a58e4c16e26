//! Waits on observable events, with a deadline (issue 16 item 7): a condition on a file, a
//! request at a fixture server or a line of the crawl log, polled until it holds. Never a
//! fixed sleep standing in for "long enough", and never stderr, whose per-fetch lines may move
//! to `debug`.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// How often a condition is polled: short against any deadline, long against a busy loop.
const POLL: Duration = Duration::from_millis(20);

/// Waits until `ready` holds; panics naming `what` after `limit`.
pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(POLL);
    }
}

/// The newest fetch time in `archive_dir/logs/crawl.log` (each line's first field: the end of
/// the response, RFC 3339 with milliseconds, after its capture's WARC-Date).
pub fn last_logged_fetch(archive_dir: &Path) -> Option<DateTime<Utc>> {
    let log = std::fs::read_to_string(archive_dir.join("logs").join("crawl.log")).ok()?;
    log.lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(|time| DateTime::parse_from_rfc3339(time).ok())
        .map(|time| time.with_timezone(&Utc))
        .max()
}

/// Waits until the wall clock is `gap` past the newest fetch of the crawl log: every capture so
/// far is then at least `gap` old (a `revisit_after` has passed, or the next capture falls in a
/// later WARC-Date second). Panics when the log has no fetch.
pub fn wait_past_last_fetch(archive_dir: &Path, gap: Duration) {
    let last = last_logged_fetch(archive_dir).expect("a fetch in the crawl log");
    let due = last + chrono::Duration::from_std(gap).expect("a short gap");
    wait_for(
        &format!("the clock to pass {due} (the last fetch + {gap:?})"),
        gap + Duration::from_secs(30),
        || Utc::now() >= due,
    );
}
