//! What a replay index needs to know about one record, in a small plain struct.
//!
//! The writer fills a [`Facts`] for each `response`, `revisit` and `metadata` record as it
//! writes it (it knows the offset, the compressed length, the digests and the HTTP head
//! already), and hands it, once the record is durable, to the recorder's [`super::Indexer`];
//! a reader of a closed file fills the same struct from the record it read back. Which records
//! are indexed and how a line is spelt is the indexer's rule, not the archive's: this module
//! only states what was written (issue 17 item 4: CDXJ without re-reading the WARC).
//! It never touches files.

use super::http::recorded_content_type;
use super::record::format_date;
use crate::fetch::Exchange;

/// The named fields and offsets of one record, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// `WARC-Type`.
    pub kind: String,
    /// `WARC-Target-URI`.
    pub target: Option<String>,
    /// `WARC-Date`, as written.
    pub date: Option<String>,
    /// The record's own `Content-Type`.
    pub content_type: Option<String>,
    /// The status of the HTTP response the block holds.
    pub http_status: Option<u16>,
    /// The first `Content-Type` of the HTTP head the block holds, as a reader sees it (leading
    /// blanks trimmed, invalid UTF-8 replaced).
    pub http_content_type: Option<String>,
    /// `WARC-Payload-Digest`, or the digest a reader computes for a record that states none.
    pub payload_digest: Option<String>,
    /// Offset of the record's gzip member.
    pub offset: u64,
    /// Compressed length of the record's gzip member.
    pub length: u64,
}

/// The facts of a `response` or `revisit` record about `ex`, at `offset` / `length`.
pub(super) fn of_exchange(
    kind: &str,
    ex: &Exchange,
    payload_digest: &str,
    (offset, length): (u64, u64),
) -> Facts {
    Facts {
        kind: kind.to_string(),
        target: Some(field(ex.url.as_str())),
        date: Some(format_date(ex.date)),
        content_type: Some(super::kinds::RESPONSE_TYPE.to_string()),
        http_status: Some(ex.status),
        http_content_type: recorded_content_type(ex),
        payload_digest: Some(payload_digest.to_string()),
        offset,
        length,
    }
}

/// The facts of a `metadata` record. It states no payload digest; a reader computes the
/// block's (warcio's `ensure_digest`), so the writer states that one: `block_digest`, as its
/// WARC-Block-Digest says.
pub(super) fn of_metadata(
    target: &str,
    date: chrono::DateTime<chrono::Utc>,
    content_type: &str,
    block_digest: String,
    (offset, length): (u64, u64),
) -> Facts {
    Facts {
        kind: "metadata".to_string(),
        target: Some(field(target)),
        date: Some(format_date(date)),
        content_type: Some(field(content_type)),
        http_status: None,
        http_content_type: None,
        payload_digest: Some(block_digest),
        offset,
        length,
    }
}

/// A named field's value as a reader reads it back: on one line, trimmed.
fn field(value: &str) -> String {
    super::record::one_line(value).trim().to_string()
}
