//! Archive: exchanges → WARC 1.1 records, one gzip member per record.
//!
//! Sits after fetch (design.md §1). A [`Writer`] owns one `.warc.gz.open` file at a time:
//! warcinfo first, then request and response records written adjacent and linked by
//! `WARC-Concurrent-To`, each record its own gzip member so an index can point at it; the file
//! is fsynced before a capture is reported, renamed to its final name when closed, and rotated
//! at `warc_max_size` (records are never segmented). HTTP status lines and headers are
//! re-serialised from what reqwest exposes (lowercase names, grouped repeats): warcinfo says so.
//! Bodies are stored de-chunked with `Transfer-Encoding` renamed and the real `Content-Length`
//! (warcio#74/#75), gzip bodies verbatim with their `Content-Encoding` (warctools#14).
//! [`reader`] walks a file member by member with offsets (tests, recovery, verify);
//! [`recover`] trims a torn trailing member from a crashed `.open` file and closes it;
//! [`Lock`] keeps a second process out of an `archive_dir`.
//! This module never decides what to fetch.

use chrono::{DateTime, Utc};
use url::Url;

pub mod reader;

/// Where one archived exchange landed: enough to index it and to find it again.
#[derive(Debug, Clone)]
pub struct Capture {
    pub url: Url,
    /// The WARC-Date shared by the request and response records.
    pub date: DateTime<Utc>,
    /// `<urn:uuid:…>` of the response record.
    pub record_id: String,
    /// The final file name (no `.open`), relative to the WARC directory.
    pub filename: String,
    /// Byte offset of the response record's gzip member.
    pub offset: u64,
    /// Compressed length of the response record's gzip member.
    pub length: u64,
    pub status: u16,
    pub mime: String,
    /// `sha1:` + base32 digest of the payload (the body after transfer decoding).
    pub payload_digest: String,
    /// Whether the body was cut (copied from the exchange).
    pub truncated: Option<crate::fetch::Truncation>,
}

/// Fields for the warcinfo record that opens each file.
#[derive(Debug, Clone)]
pub struct Info {
    pub software: String,
    pub hostname: String,
    pub user_agent: String,
    pub from: Option<String>,
    /// e.g. the portal name, or "save".
    pub is_part_of: String,
}

/// Archive I/O failures: fatal for a run (exit 1), never for a single URL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("archive I/O failed on {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is locked by another baoluu process (pid {pid}); stop it or use another archive_dir")]
    Locked { path: std::path::PathBuf, pid: String },
    #[error("{path} at offset {offset}: {detail}")]
    Corrupt {
        path: std::path::PathBuf,
        offset: u64,
        detail: String,
    },
}

/// Writes WARC files for one prefix (a portal name, or "save") into one directory.
pub struct Writer {}

/// The `archive_dir` lock, held for the life of a writing process.
pub struct Lock {}
