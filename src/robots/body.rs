//! The bytes of a fetched robots.txt turned into the text the parser reads: content decoding
//! (gzip, deflate) and the size cap. Never parses rules, never touches the network.

use std::io::Read;

use flate2::read::{MultiGzDecoder, ZlibDecoder};

use crate::fetch::gunzip::Capped;

/// How much of a robots.txt we read. RFC 9309 §2.5 asks crawlers to parse at least 500 KiB; we
/// take 512 KiB so the whole required span fits even after trimming a cut final line.
pub const MAX_BODY: usize = 512 * 1024;

/// The least we keep when trimming a cut final line (RFC 9309 §2.5: 500 KiB).
const MIN_PARSED: usize = 500 * 1024;

/// Why a 2xx body could not be turned into text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A `Content-Encoding` we cannot decode (fetch only asks for gzip).
    #[error("robots.txt came with content-encoding {0:?}, which baoluu cannot decode; retry later")]
    UnknownEncoding(String),
    /// The compressed stream was broken before it yielded a single byte.
    #[error("robots.txt body could not be decompressed; retry later")]
    Corrupt,
}

/// Decodes `body` per `content_encoding` and caps it at [`MAX_BODY`], returning UTF-8 text
/// (invalid sequences replaced: RFC 9309 §2.2 files are UTF-8, and a stray byte must not cost the
/// rest of the file).
pub fn text(content_encoding: Option<&str>, body: &[u8]) -> Result<String, Error> {
    let bytes = decode(content_encoding, body)?;
    Ok(String::from_utf8_lossy(trim_cut_line(strip_bom(&bytes))).into_owned())
}

/// Drops a UTF-8 byte order mark, or the start of one, from the head of the file (as Google's
/// reference parser does: `ID_UTF8ByteOrderMarkIsSkipped`). The crate's parser compares the
/// BOM's *bytes* with the decoded *characters* of our text, so it never skips one itself, and a
/// BOM glued to `User-agent:` would cost the file its first group.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
    let len = bytes.iter().zip(BOM).take_while(|(a, b)| **a == *b).count();
    &bytes[len..]
}

/// Content decoding with the cap applied while decompressing, so a gzip bomb costs at most
/// [`MAX_BODY`] bytes of memory.
fn decode(content_encoding: Option<&str>, body: &[u8]) -> Result<Vec<u8>, Error> {
    let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => Ok(body[..body.len().min(MAX_BODY)].to_vec()),
        Some("gzip") | Some("x-gzip") => inflate(MultiGzDecoder::new(body)),
        Some("deflate") => inflate(ZlibDecoder::new(body)),
        Some(other) => Err(Error::UnknownEncoding(other.to_string())),
    }
}

/// Reads up to [`MAX_BODY`] decoded bytes. A stream that breaks part-way keeps what it yielded
/// ("a parse error does not invalidate the file", RFC 9309 §2.3.1.1); one that yields nothing
/// is reported, because allowing everything on an unreadable file would be the unsafe choice.
fn inflate(decoder: impl Read) -> Result<Vec<u8>, Error> {
    match crate::fetch::gunzip::read_capped(decoder, MAX_BODY) {
        Capped {
            error: Some(_),
            bytes,
            ..
        } if bytes.is_empty() => Err(Error::Corrupt),
        Capped { bytes, .. } => Ok(bytes),
    }
}

/// Drops a final line cut by the cap: half a rule can match more (or less) than the whole one.
/// Only a cut past [`MIN_PARSED`] is trimmed, so the span RFC 9309 requires is always kept.
fn trim_cut_line(bytes: &[u8]) -> &[u8] {
    if bytes.len() < MAX_BODY {
        return bytes;
    }
    match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) if end >= MIN_PARSED => &bytes[..=end],
        _ => bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fetch::gunzip::gzip;

    #[test]
    fn identity_passes_through() {
        assert_eq!(text(None, b"Disallow: /a\n").unwrap(), "Disallow: /a\n");
        assert_eq!(text(Some("identity"), b"x").unwrap(), "x");
    }

    #[test]
    fn gzip_is_decoded() {
        let body = gzip(b"User-agent: *\nDisallow: /private\n");
        assert_eq!(
            text(Some("GZIP"), &body).unwrap(),
            "User-agent: *\nDisallow: /private\n"
        );
    }

    #[test]
    fn gzip_bomb_is_capped() {
        let body = gzip(&vec![b'#'; 8 * MAX_BODY]);
        assert_eq!(text(Some("gzip"), &body).unwrap().len(), MAX_BODY);
    }

    #[test]
    fn broken_gzip_is_an_error_and_unknown_encoding_too() {
        assert_eq!(text(Some("gzip"), b"not gzip at all"), Err(Error::Corrupt));
        assert!(matches!(
            text(Some("br"), b"..."),
            Err(Error::UnknownEncoding(e)) if e == "br"
        ));
    }

    #[test]
    fn truncated_gzip_keeps_its_prefix() {
        let mut body = gzip(&b"Disallow: /a\n".repeat(10_000));
        body.truncate(body.len() / 2);
        let got = text(Some("gzip"), &body).unwrap();
        assert!(got.starts_with("Disallow: /a\n"), "{}", &got[..20]);
    }

    #[test]
    fn cap_trims_the_cut_line_but_keeps_500_kib() {
        let mut body = b"Disallow: /x\n".repeat(MAX_BODY / 13 + 10);
        body.extend_from_slice(b"Allow: /x");
        let got = text(None, &body).unwrap();
        assert!(got.ends_with('\n'));
        assert!(got.len() >= MIN_PARSED && got.len() <= MAX_BODY);
    }

    #[test]
    fn byte_order_marks_whole_or_partial_are_skipped_only_at_the_start() {
        for bom in [&b"\xEF\xBB\xBF"[..], b"\xEF\xBB", b"\xEF"] {
            let body = [bom, b"User-agent: *\n"].concat();
            assert_eq!(text(None, &body).unwrap(), "User-agent: *\n", "{bom:?}");
        }
        let middle = text(None, b"A\n\xEF\xBB\xBFB").unwrap();
        assert_eq!(middle, "A\n\u{feff}B");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(
            text(None, b"Disallow: /\xff\n").unwrap(),
            "Disallow: /\u{fffd}\n"
        );
    }
}
