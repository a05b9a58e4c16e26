//! Record serialisation: WARC 1.1 named fields, digests, record ids, one gzip member per record.
//!
//! The lowest layer of the archive: [`Fields`] collects a record's named fields in the order we
//! always write them, [`Fields::finish`] appends the block digest, `Content-Type` and
//! `Content-Length` and lays the record out as WARC 1.1 §4 prescribes, and [`gzip_member`]
//! compresses it as its own member so an index can point at it (WARC 1.1 Annex D.2).
//! This module never touches files and knows nothing about HTTP.

use chrono::{DateTime, SubsecRound, Utc};
use sha1::{Digest, Sha1};

/// The version line that opens every record (WARC 1.1 §4).
pub(crate) const VERSION_LINE: &[u8] = b"WARC/1.1\r\n";

/// What follows every block; not counted in `Content-Length` (WARC 1.1 §4).
pub(crate) const RECORD_END: &[u8] = b"\r\n\r\n";

/// `sha1:` + 32 uppercase base32 characters (RFC 4648 §6), the form pywb, Heritrix, wget and the
/// CDX tools expect for `WARC-Block-Digest` / `WARC-Payload-Digest`.
pub(crate) fn sha1_digest(bytes: &[u8]) -> String {
    sha1_text(&Sha1::digest(bytes))
}

/// A SHA-1 hash written as [`sha1_digest`] writes it.
pub(crate) fn sha1_text(hash: &[u8]) -> String {
    format!("sha1:{}", data_encoding::BASE32.encode(hash))
}

/// A fresh `WARC-Record-ID`: a version-4 UUID URN in angle brackets (WARC 1.1 §5.2).
pub(crate) fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// A WARC-Date cut to whole microseconds: pywb's indexer rejects nanoseconds (docs/dependencies.md),
/// and the [`crate::archive::Capture`] must carry exactly the date that was written.
pub(crate) fn warc_time(date: DateTime<Utc>) -> DateTime<Utc> {
    date.trunc_subsecs(6)
}

/// `WARC-Date` text: UTC with `Z`, fractional seconds only when present, at most 6 digits
/// (WARC 1.1 §5.4 allows the W3C-ISO8601 fraction; `+00:00` breaks pywb's indexer).
pub(crate) fn format_date(date: DateTime<Utc>) -> String {
    let date = warc_time(date);
    if date.timestamp_subsec_micros() == 0 {
        date.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        date.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
    }
}

/// Field values go on one line: a CR or LF from a configured string or a header value would end
/// the field early and let its remainder pose as a field of its own.
pub(crate) fn one_line(value: &str) -> String {
    value.replace(['\r', '\n'], " ")
}

/// The named fields of one record, kept in writing order.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    fields: Vec<(&'static str, String)>,
}

impl Fields {
    /// The three fields every record opens with, in the order every record uses.
    pub(crate) fn new(kind: &str, id: &str, date: DateTime<Utc>) -> Fields {
        let fields = vec![
            ("WARC-Type", kind.to_string()),
            ("WARC-Record-ID", id.to_string()),
            ("WARC-Date", format_date(date)),
        ];
        Fields { fields }
    }

    pub(crate) fn add(mut self, name: &'static str, value: impl AsRef<str>) -> Fields {
        self.fields.push((name, one_line(value.as_ref())));
        self
    }

    pub(crate) fn add_opt(self, name: &'static str, value: Option<impl AsRef<str>>) -> Fields {
        match value {
            Some(value) => self.add(name, value),
            None => self,
        }
    }

    /// Appends `WARC-Block-Digest`, the payload digest when given, `Content-Type` and
    /// `Content-Length` (bytes of the block), then serialises the whole record.
    pub(crate) fn finish(
        self,
        payload_digest: Option<&str>,
        content_type: &str,
        block: &[u8],
    ) -> Vec<u8> {
        self.finish_digested(&sha1_digest(block), payload_digest, content_type, block)
    }

    /// [`Fields::finish`] with the block's digest already computed by the caller, who needs it
    /// too (a metadata record's facts: issue 17, one sha1 of the block instead of two).
    pub(crate) fn finish_digested(
        self,
        block_digest: &str,
        payload_digest: Option<&str>,
        content_type: &str,
        block: &[u8],
    ) -> Vec<u8> {
        let about = (block_digest, payload_digest, content_type);
        let mut out = self.head(about, block.len());
        out.extend_from_slice(block);
        out.extend_from_slice(RECORD_END);
        out
    }

    /// The record up to its block, for a block of `block_len` bytes whose digests are given:
    /// the version line, the fields, `WARC-Block-Digest`, the payload digest when given,
    /// `Content-Type`, `Content-Length` and the blank line. The block and [`RECORD_END`]
    /// follow (made ahead, issue 17).
    pub(crate) fn head(
        self,
        (block_digest, payload_digest, content_type): (&str, Option<&str>, &str),
        block_len: usize,
    ) -> Vec<u8> {
        let fields = self
            .add("WARC-Block-Digest", block_digest)
            .add_opt("WARC-Payload-Digest", payload_digest)
            .add("Content-Type", content_type)
            .add("Content-Length", block_len.to_string());
        let mut out = Vec::with_capacity(512);
        out.extend_from_slice(VERSION_LINE);
        for (name, value) in &fields.fields {
            for part in [name.as_bytes(), b": ", value.as_bytes(), b"\r\n"] {
                out.extend_from_slice(part);
            }
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// The gzip level of captures and warcinfo records (issue 17, measured with zlib-rs on this
/// project's real portal pages and on the benchmark's WARC records, BENCHMARKS.md "Issue 17:
/// the waiting and the CPU"): level 3 compresses 1.5–1.8× faster than the default 6 for 2–4%
/// more bytes; level 1 would be 3× faster for 12–35% more, too much for an archive kept for
/// decades.
pub(crate) const GZIP_LEVEL: u32 = 3;

/// The gzip level of `metadata` records (an article's extracted fields as JSON, history
/// events): level 2. On that JSON, zlib-rs at level 2 is 1.8× as fast as level 3 for 2.7% more
/// bytes (22.6% against 22.0% of raw), where on HTML it would cost 7% more bytes for 1.3×
/// (issue 17, BENCHMARKS.md "Issue 17, fourth step"). The records are derived: the
/// response they are read from is archived beside them at [`GZIP_LEVEL`].
pub(crate) const METADATA_GZIP_LEVEL: u32 = 2;

/// The libdeflate level of the bulk of a response record, its HTTP head and body, compressed
/// ahead of the writer ([`super::gzip::Bulk`]). Level 2: on this project's real portal pages
/// as many bytes as zlib-rs at [`GZIP_LEVEL`] (0.7% more) at 1.26 times the speed; on the
/// benchmark's pages 0.4% fewer at 1.38 times (issue 17, BENCHMARKS.md "Issue 17, seventh
/// step").
pub(crate) const CAPTURE_BULK_LEVEL: i32 = 2;

/// The libdeflate level of the bulk of `metadata` records: level 2, as fast as zlib-rs at
/// [`METADATA_GZIP_LEVEL`] on their JSON for 3% fewer bytes (21.9% of raw against 22.6%);
/// level 1 would be 1.33 times as fast for 4.5% more. With both bulk levels at 2, the
/// benchmark's WARC files are 2% smaller than with zlib-rs alone.
pub(crate) const METADATA_BULK_LEVEL: i32 = 2;

/// One serialised record compressed as one complete gzip member at `level`, from a new deflate
/// state, for tests (the writer keeps a [`super::gzip::Gzip`] per level).
#[cfg(test)]
pub(crate) fn gzip_member(record: &[u8], level: u32) -> std::io::Result<Vec<u8>> {
    super::gzip::Gzip::new(level).member(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn digest_is_sha1_base32_uppercase() {
        // sha1("abc") = a9993e36 4706816a ba3e2571 7850c26c 9cd0d89d
        assert_eq!(sha1_digest(b"abc"), "sha1:VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5");
        assert_eq!(sha1_digest(b"").len(), 5 + 32);
    }

    #[test]
    fn date_has_z_and_at_most_six_fraction_digits() {
        let whole = Utc.with_ymd_and_hms(2026, 11, 27, 18, 0, 0).unwrap();
        assert_eq!(format_date(whole), "2026-11-27T18:00:00Z");
        let nanos = whole + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(format_date(nanos), "2026-11-27T18:00:00.123456Z");
        assert_eq!(warc_time(nanos).timestamp_subsec_nanos(), 123_456_000);
    }

    #[test]
    fn record_id_is_a_bracketed_uuid_urn() {
        let id = record_id();
        assert!(id.starts_with("<urn:uuid:") && id.ends_with('>'), "{id}");
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36);
        assert_ne!(id, record_id());
    }

    #[test]
    fn record_layout_counts_bytes_and_ends_with_crlf_crlf() {
        let date = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let block = "Hà Nội".as_bytes();
        let bytes = Fields::new("resource", "<urn:uuid:x>", date)
            .add("WARC-Target-URI", "bad\r\nWARC-Type: evil")
            .finish(None, "text/plain", block);
        let text = String::from_utf8(bytes).unwrap();
        let expected_head = "WARC/1.1\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:x>\r\n\
            WARC-Date: 2026-01-02T03:04:05Z\r\nWARC-Target-URI: bad  WARC-Type: evil\r\n";
        assert!(text.starts_with(expected_head), "{text}");
        assert!(
            text.contains("Content-Length: 9\r\n\r\nHà Nội\r\n\r\n"),
            "{text}"
        );
        assert!(text.ends_with("Hà Nội\r\n\r\n"));
    }

    #[test]
    fn gzip_member_round_trips() {
        let member = gzip_member(b"WARC/1.1\r\n", GZIP_LEVEL).unwrap();
        assert_eq!(&member[..2], &[0x1f, 0x8b]);
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&member[..]), &mut out)
            .unwrap();
        assert_eq!(out, b"WARC/1.1\r\n");
    }
}
