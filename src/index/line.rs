//! The index line: one archived article version, and where its records lie.
//!
//! Part of the index stage (the module above): the crawl builds a [`Line`] from an article's
//! [`Capture`] and extracted [`Article`]; `history`, `wacz`, `verify` and the status page read
//! lines back. Field names follow `schema/index-line.schema.json`. This module only defines
//! the format; it never writes or reads files.

use serde::{Deserialize, Serialize};

use crate::archive::Capture;
use crate::extract::Article;

/// One index line: the article and where its response record lies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    pub url: String,
    pub portal: String,
    pub host: String,
    /// Capture time, RFC 3339 UTC (the response record's WARC-Date).
    pub ts: String,
    #[serde(flatten)]
    pub article: Article,
    pub status: u16,
    pub mime: String,
    pub digest: String,
    /// The WARC file's final name, relative to `archive_dir/warc`.
    pub filename: String,
    pub offset: u64,
    pub length: u64,
    /// 1 for the first capture, one more for each edit (issue 15); lines written before
    /// versions existed read as 1.
    #[serde(default = "first_version")]
    pub version: u32,
    /// The prior version's line: its `filename`, `offset`, `length` and `ts` (issue 15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Pointer>,
}

/// Where a capture lies (an index line's `previous`, a change event's versions): a WARC file (relative to `archive_dir/warc`), the record's gzip
/// member, and (for a version) its index line's `ts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    pub filename: String,
    pub offset: u64,
    pub length: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<String>,
}

fn first_version() -> u32 {
    1
}

impl Line {
    pub fn new(portal: &str, capture: &Capture, article: Article) -> Line {
        Line {
            url: capture.url.to_string(),
            portal: portal.to_string(),
            host: crate::canonical::host_key(&capture.url),
            ts: capture
                .date
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            article,
            status: capture.status,
            mime: capture.mime.clone(),
            digest: capture.payload_digest.clone(),
            filename: capture.filename.clone(),
            offset: capture.offset,
            length: capture.length,
            version: 1,
            previous: None,
        }
    }

    /// This version's pointer, as the next version's `previous`.
    pub fn pointer(&self) -> Pointer {
        Pointer {
            filename: self.filename.clone(),
            offset: self.offset,
            length: self.length,
            ts: Some(self.ts.clone()),
        }
    }
}
