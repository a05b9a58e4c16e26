//! Archive: exchanges → WARC 1.1 records, one gzip member per record.
//!
//! Sits after fetch (docs/architecture.md). A [`Writer`] owns one `.warc.gz.open` file at a time,
//! created on the first write: warcinfo first, then for each exchange a `response` (or
//! `revisit`) record immediately followed by its `request` record, linked both ways by
//! `WARC-Concurrent-To` and sharing one WARC-Date; `metadata` records refer to a capture. Each
//! record is its own gzip member so an index can point at it; the file is fsynced before a
//! capture is reported, renamed to its final name when closed, and rotated before a capture once
//! it reaches `warc_max_size` (records are never segmented). HTTP status lines and headers are
//! re-serialised from what reqwest exposes (lowercase names, grouped repeats), always with an
//! HTTP/1.1 status line (the real protocol goes in `WARC-Protocol`): warcinfo says so. Bodies
//! are stored de-chunked with `Transfer-Encoding` renamed and a `Content-Length` that counts the
//! stored body (warcio#74/#75), gzip bodies verbatim with their `Content-Encoding`
//! (warctools#14). Digests are `sha1:` + base32.
//! The writer also states the [`Facts`] a replay index needs of each record it writes, handed
//! to an [`Indexer`] once durable (issue 17 item 4).
//! [`reader`] walks a file member by member with offsets (tests, recovery, verify);
//! [`recover`] trims a torn trailing member from a crashed `.open` file and closes it;
//! [`Lock`] keeps a second process out of an `archive_dir`.
//! This module never decides what to fetch.

use chrono::{DateTime, Utc};
use url::Url;

mod ahead;
mod commit;
mod facts;
mod gzip;
mod http;
mod kinds;
mod lines;
mod lock;
mod parallel;
pub mod reader;
mod record;
mod recorder;
mod recover;
pub mod segments;
mod sink;
mod writer;

#[cfg(test)]
pub(crate) mod tests;

pub use facts::Facts;
pub use kinds::{CHANGE_URN, METADATA_URN};
pub use lock::Lock;
pub use recorder::{Indexer, Recorder, Unsynced};
pub use recover::{Recovered, recover};
pub use writer::Writer;

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
    /// Set when this capture is a `revisit` record (the payload is in the original's record).
    pub revisit: Option<RevisitProfile>,
}

/// Where a record landed: the final name of its WARC file and its gzip member's offset and
/// length there. A `metadata` record may land in a later file than the capture it refers to:
/// the writer closes a file before a capture, and another page's capture can come between the
/// two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub file: String,
    pub offset: u64,
    pub length: u64,
}

/// `sha1:` + base32 of `payload`, as WARC-Payload-Digest writes it: lets a caller tell an
/// unchanged body before choosing between a response and a revisit record.
pub fn payload_digest(payload: &[u8]) -> String {
    record::sha1_digest(payload)
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
    /// The cause is in `source` only, so `{err:#}` names it once (issue 16 item 4).
    #[error("could not {doing} {path}")]
    Io {
        /// What was being done, e.g. "write to", "sync", "create the folder".
        doing: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The writer thread is gone (it panicked or the run is shutting down), so nothing more
    /// can be archived.
    #[error("the WARC writer thread stopped; nothing more can be archived in this run")]
    WriterStopped,
    #[error(
        "{path} is locked by another baoluu process (pid {pid}); stop it or use another archive_dir"
    )]
    Locked {
        path: std::path::PathBuf,
        pid: String,
    },
    #[error("{path} at offset {offset}: {detail}")]
    Corrupt {
        path: std::path::PathBuf,
        offset: u64,
        detail: String,
    },
}

impl Error {
    /// `source` as an [`Error::Io`] while doing `doing` on `path`.
    pub fn io(doing: &'static str, path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            doing,
            path,
            source,
        }
    }
}

/// The earlier capture a revisit record points at (WARC 1.1 §6.7; pywb#802 needs all four).
#[derive(Debug, Clone)]
pub struct Original {
    /// `<urn:uuid:…>` of the original response record (`WARC-Refers-To`).
    pub record_id: String,
    /// `WARC-Refers-To-Target-URI`.
    pub url: Url,
    /// `WARC-Refers-To-Date`.
    pub date: DateTime<Utc>,
    /// The original's payload digest (`sha1:` + base32).
    pub payload_digest: String,
}

impl From<&Capture> for Original {
    fn from(capture: &Capture) -> Original {
        Original {
            record_id: capture.record_id.clone(),
            url: capture.url.clone(),
            date: capture.date,
            payload_digest: capture.payload_digest.clone(),
        }
    }
}

/// Why a revisit record holds no payload (WARC 1.1 §6.7.2, §6.7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevisitProfile {
    /// The body hashed to the original's payload digest.
    IdenticalPayloadDigest,
    /// The server answered a conditional GET with 304 Not Modified.
    ServerNotModified,
}

impl RevisitProfile {
    /// The `WARC-Profile` URI.
    pub fn uri(self) -> &'static str {
        match self {
            RevisitProfile::IdenticalPayloadDigest => {
                "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
            }
            RevisitProfile::ServerNotModified => {
                "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
            }
        }
    }
}

/// The paths in the archive folder `dir`, unsorted; none when it does not exist yet (a fresh
/// archive has no `warc/`, `segments/`, … until something is written there).
pub fn paths_in(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|e| e.map(|e| e.path())).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
