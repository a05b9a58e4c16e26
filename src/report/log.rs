//! The crawl log: one line per finished fetch, in the spirit of Heritrix's `crawl.log`
//! (issue 5, part 4). It is append-only and human-greppable; the store stays the source of
//! truth, so this file is never read back by baoluu.
//!
//! Each line has eleven space-separated fields; an empty field is written as `-`, and any
//! whitespace or control character inside a field is percent-encoded (`%20`), so the field
//! count never changes:
//!
//! ```text
//! time status size url discovery via mime duration digest warc outcome
//! 2026-11-27T02:00:01.234Z 200 51234 https://p.vn/a-1.html L https://p.vn/ text/html 412ms sha1:ABCD p-20261127020000-00000.warc.gz archived
//! 2026-11-27T02:00:02.001Z robots 0 https://p.vn/admin L https://p.vn/ - 0ms - - robots
//! ```
//!
//! - `time`: when the fetch finished, UTC, RFC 3339 with milliseconds.
//! - `status`: the HTTP status code; when there was no response (DNS, timeout, robots, scope…)
//!   the outcome label instead, as Heritrix writes a negative code.
//! - `size`: payload bytes received (0 without a response).
//! - `discovery`: the hop path from the seed, one letter per hop, as in Heritrix: `` (shown
//!   `-`) a seed, `L` a link, `R` a redirect, `E` an embed (a page requisite), `P` a
//!   pagination/"Xem thêm" listing link.
//! - `via`: the URL this one was found on (`-` for seeds).
//! - `duration`: fetch time in whole milliseconds, suffixed `ms`.
//! - `digest`: the WARC payload digest (`sha1:BASE32`), `warc`: the WARC file name holding the
//!   record, `outcome`: the final outcome label (`archived`, `robots-disallowed`, …; see `crate::outcome::Label`).
//!
//! Concurrency: the file is opened with `O_APPEND` and each line goes out in one `write` of a
//! whole buffer, so appends from concurrent tasks (or processes) land whole and never
//! interleave (POSIX `write(2)`: appends on a regular file are atomic w.r.t. the offset).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use super::Error;

/// Folder under `archive_dir` that holds the crawl log.
pub const LOGS_DIR: &str = "logs";
/// The crawl log's file name.
pub const FILE_NAME: &str = "crawl.log";

/// One finished fetch, as written to the crawl log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub time: DateTime<Utc>,
    /// HTTP status; `None` when no response came back (the outcome label is written instead).
    pub status: Option<u16>,
    pub size: u64,
    pub url: String,
    /// Heritrix-style hop path: "" seed, `L` link, `R` redirect, `E` embed, `P` pagination.
    pub discovery: String,
    pub via: Option<String>,
    pub mime: String,
    pub duration: Duration,
    pub digest: Option<String>,
    pub warc: Option<String>,
    pub outcome: String,
}

impl LogEntry {
    /// The line for this entry, newline included.
    pub fn to_line(&self) -> String {
        let time = self.time.to_rfc3339_opts(SecondsFormat::Millis, true);
        let status = self
            .status
            .map_or_else(|| self.outcome.clone(), |s| s.to_string());
        let fields = [
            time,
            status,
            self.size.to_string(),
            self.url.clone(),
            self.discovery.clone(),
            self.via.clone().unwrap_or_default(),
            self.mime.clone(),
            format!("{}ms", self.duration.as_millis()),
            self.digest.clone().unwrap_or_default(),
            self.warc.clone().unwrap_or_default(),
            self.outcome.clone(),
        ];
        let mut out = fields
            .iter()
            .map(|f| field(f))
            .collect::<Vec<_>>()
            .join(" ");
        out.push('\n');
        out
    }
}

/// `-` for an empty field; whitespace and controls percent-encoded so fields stay split.
fn field(value: &str) -> String {
    if value.is_empty() {
        return "-".to_string();
    }
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_whitespace() || c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The append-only crawl log of one archive folder. Share it behind an `Arc`.
#[derive(Debug)]
pub struct CrawlLog {
    path: PathBuf,
    file: File,
}

impl CrawlLog {
    /// Opens (creating if needed) `archive_dir/logs/crawl.log` for appending.
    pub fn open(archive_dir: &Path) -> Result<CrawlLog, Error> {
        let dir = archive_dir.join(LOGS_DIR);
        fs::create_dir_all(&dir).map_err(Error::io("create the folder", &dir))?;
        let path = dir.join(FILE_NAME);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(Error::io("open for appending", &path))?;
        Ok(CrawlLog { path, file })
    }

    /// Where the log lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry as one whole line (one `write` call on an `O_APPEND` file).
    pub fn line(&self, entry: &LogEntry) -> Result<(), Error> {
        let line = entry.to_line();
        (&self.file)
            .write_all(line.as_bytes())
            .map_err(Error::io("append to", &self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::sync::Arc;

    fn entry() -> LogEntry {
        LogEntry {
            time: Utc.with_ymd_and_hms(2026, 11, 27, 2, 0, 1).unwrap()
                + chrono::TimeDelta::milliseconds(234),
            status: Some(200),
            size: 51234,
            url: "https://p.vn/a-1.html".into(),
            discovery: "L".into(),
            via: Some("https://p.vn/".into()),
            mime: "text/html".into(),
            duration: Duration::from_millis(412),
            digest: Some("sha1:ABCD".into()),
            warc: Some("p-00000.warc.gz".into()),
            outcome: "archived".into(),
        }
    }

    #[test]
    fn a_fetch_is_one_line_of_eleven_fields() {
        assert_eq!(
            entry().to_line(),
            "2026-11-27T02:00:01.234Z 200 51234 https://p.vn/a-1.html L https://p.vn/ \
             text/html 412ms sha1:ABCD p-00000.warc.gz archived\n"
        );
    }

    #[test]
    fn no_response_writes_the_outcome_and_dashes() {
        let e = LogEntry {
            status: None,
            size: 0,
            discovery: String::new(),
            via: None,
            mime: String::new(),
            duration: Duration::ZERO,
            digest: None,
            warc: None,
            outcome: "robots".into(),
            ..entry()
        };
        let line = e.to_line();
        assert_eq!(
            line,
            "2026-11-27T02:00:01.234Z robots 0 https://p.vn/a-1.html - - - 0ms - - robots\n"
        );
    }

    #[test]
    fn whitespace_inside_a_field_is_encoded() {
        let e = LogEntry {
            mime: "text/html; charset=utf-8".into(),
            ..entry()
        };
        let line = e.to_line();
        assert!(line.contains(" text/html;%20charset=utf-8 "), "{line}");
        assert_eq!(line.trim_end().split(' ').count(), 11);
    }

    #[test]
    fn concurrent_appends_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(CrawlLog::open(dir.path()).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let e = LogEntry {
                            url: format!("https://p.vn/{t}/{i}/{}", "x".repeat(300)),
                            ..entry()
                        };
                        log.line(&e).unwrap();
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let text = fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 800);
        assert!(
            text.lines()
                .all(|l| l.split(' ').count() == 11 && l.ends_with("archived"))
        );
    }

    #[test]
    fn reopening_appends() {
        let dir = tempfile::tempdir().unwrap();
        CrawlLog::open(dir.path()).unwrap().line(&entry()).unwrap();
        CrawlLog::open(dir.path()).unwrap().line(&entry()).unwrap();
        let text = fs::read_to_string(dir.path().join("logs/crawl.log")).unwrap();
        assert_eq!(text.lines().count(), 2);
    }
}
