//! Records built and compressed before they reach the writer thread (issue 8): gzip at level 6
//! was a quarter of a crawl's CPU, all of it on the one writer thread while the other core
//! waited. A fetch task builds its records and compresses them on the blocking pool, for the
//! warcinfo record of the file its prefix is writing to now; the writer thread then only
//! appends and fsyncs. A record names its file's warcinfo (`WARC-Warcinfo-ID`), so when the
//! writer rotated meanwhile (or had no file yet) it rebuilds the records itself: they are
//! never written under the wrong warcinfo. Never touches a file.

use super::kinds::{self, Ids};
use super::record::{gzip_member, record_id, sha1_digest};
use crate::fetch::Exchange;

/// An exchange's response and request records, gzip members ready to append.
pub struct PreparedExchange {
    pub(crate) ids: Ids,
    pub(crate) payload_digest: String,
    /// The response member, then the request member.
    pub(crate) members: [Vec<u8>; 2],
}

/// A `metadata` record's gzip member, ready to append.
pub struct PreparedMember {
    /// The warcinfo record id it names.
    pub(crate) warcinfo: String,
    pub(crate) member: Vec<u8>,
}

impl PreparedExchange {
    /// Builds and compresses `ex`'s records for the file whose warcinfo is `warcinfo`.
    pub fn build(ex: &Exchange, warcinfo: String) -> std::io::Result<PreparedExchange> {
        let ids = Ids {
            response: record_id(),
            request: record_id(),
            warcinfo,
        };
        let payload_digest = sha1_digest(&ex.body);
        let response = gzip_member(&kinds::response(ex, &ids, &payload_digest))?;
        let request = gzip_member(&kinds::request(ex, &ids))?;
        Ok(PreparedExchange {
            ids,
            payload_digest,
            members: [response, request],
        })
    }
}

impl PreparedMember {
    /// Builds and compresses a `metadata` record about `about`, for the file whose warcinfo is
    /// `warcinfo`.
    pub fn metadata(
        warcinfo: String,
        about: &super::Capture,
        content_type: &str,
        block: &[u8],
    ) -> std::io::Result<PreparedMember> {
        let record = kinds::metadata(&record_id(), &warcinfo, about, content_type, block);
        Ok(PreparedMember {
            member: gzip_member(&record)?,
            warcinfo,
        })
    }
}
