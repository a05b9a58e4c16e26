//! Payload bytes → NFC text: content decoding with a size cap, then the charset as browsers pick it.
//!
//! First step of the extract stage. The fetch stage stores bodies exactly as sent (no automatic
//! decompression, docs/archive.md), so `gzip`/`deflate` are undone here, with a cap on the decoded
//! size so a gzip bomb stops at the cap and is marked truncated. The charset follows the WHATWG
//! order (Encoding Standard §"decode", HTML §13.2.3.2 "determining the character encoding"):
//! BOM → HTTP `Content-Type` charset → `<meta>` prescan of the first 1024 bytes → sniffing with
//! chardetng and the `vn` TLD hint. Pages lie, so a declared UTF-8 that is not valid UTF-8 is
//! sniffed instead and marked suspect (docs/profiles.md). windows-1258 yields
//! combining tone marks; the text is normalised to NFC at the end. The raw bytes are never
//! changed: this only produces text for extraction.

use std::borrow::Cow;
use std::sync::LazyLock;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

use crate::fetch::gunzip::{Capped, read_capped};
use regex::bytes::Regex;

use super::Error;
use super::chars::nfc;

/// A decoded payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text in NFC.
    pub text: String,
    /// The encoding used (WHATWG name, e.g. "UTF-8", "windows-1258").
    pub encoding: &'static str,
    /// The declared charset was wrong, the bytes held malformed sequences, or the page uses a
    /// legacy Vietnamese font encoding (TCVN3, VNI) that no charset describes.
    pub suspect: bool,
    /// Decoding stopped at `max_decoded` bytes or at a broken compressed stream.
    pub truncated: bool,
}

/// How many bytes the `<meta>` prescan looks at (HTML §13.2.3.2 step 5: 1024).
const PRESCAN_BYTES: usize = 1024;

static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)"#).unwrap()
});
/// Font families of the pre-Unicode Vietnamese encodings (TCVN3 "ABC" fonts, VNI fonts).
static LEGACY_FONT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?i)\.vn(?:time|arial|avant|helv)|vni-(?:times|helve|aptima)").unwrap()
});

/// Decodes `body` as sent with these headers: undoes `Content-Encoding` (at most `max_decoded`
/// bytes), picks the charset, returns NFC text.
pub fn decode(
    body: &[u8],
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    max_decoded: usize,
) -> Result<Decoded, Error> {
    let (bytes, truncated) = decompress(body, content_encoding, max_decoded)?;
    let (encoding, mut suspect) = choose_encoding(&bytes, content_type);
    let (text, had_errors) = encoding.decode_with_bom_removal(&bytes);
    suspect |= had_errors || LEGACY_FONT.is_match(&text);
    let text = nfc(&text).into_owned();
    Ok(Decoded {
        text,
        encoding: encoding.name(),
        suspect,
        truncated,
    })
}

/// Undoes the content codings in reverse order of application (RFC 9110 §8.4).
fn decompress<'a>(
    body: &'a [u8],
    content_encoding: Option<&str>,
    max: usize,
) -> Result<(Cow<'a, [u8]>, bool), Error> {
    let codings: Vec<String> = content_encoding
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    let mut bytes = Cow::Borrowed(body);
    let mut truncated = false;
    for coding in codings.iter().rev() {
        let (out, cut) = inflate(&bytes, coding, max)?;
        bytes = Cow::Owned(out);
        truncated |= cut;
    }
    if bytes.len() > max {
        bytes = Cow::Owned(bytes[..max].to_vec());
        truncated = true;
    }
    Ok((bytes, truncated))
}

fn inflate(data: &[u8], coding: &str, max: usize) -> Result<(Vec<u8>, bool), Error> {
    match coding {
        "gzip" | "x-gzip" => capped(MultiGzDecoder::new(data), coding, max),
        // "deflate" is zlib-wrapped per RFC 9110 §8.4.1.2, but some servers send raw deflate.
        "deflate" if has_zlib_header(data) => capped(ZlibDecoder::new(data), coding, max),
        "deflate" => capped(DeflateDecoder::new(data), coding, max),
        other => Err(Error::UnsupportedEncoding(other.to_string())),
    }
}

fn has_zlib_header(data: &[u8]) -> bool {
    matches!(data, [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0)
}

/// Reads at most `max` bytes; a stream that breaks after some output counts as truncated.
fn capped(reader: impl std::io::Read, coding: &str, max: usize) -> Result<(Vec<u8>, bool), Error> {
    match read_capped(reader, max) {
        Capped {
            bytes,
            error: Some(source),
            ..
        } if bytes.is_empty() => Err(Error::Corrupt {
            coding: coding.to_string(),
            source,
        }),
        Capped { bytes, cut, error } => Ok((bytes, cut || error.is_some())),
    }
}

/// The WHATWG order; returns the encoding and whether the declaration proved wrong.
fn choose_encoding(bytes: &[u8], content_type: Option<&str>) -> (&'static Encoding, bool) {
    if let Some((bom, _)) = Encoding::for_bom(bytes) {
        return (bom, false);
    }
    let declared = content_type
        .and_then(header_charset)
        .or_else(|| prescan(bytes));
    match declared {
        Some(enc) if enc == UTF_8 && !valid_utf8(bytes) => (sniff(bytes), true),
        // A page declaring a Western charset whose bytes are valid, non-ASCII UTF-8 is UTF-8.
        Some(enc) if enc == WINDOWS_1252 && !bytes.is_ascii() && valid_utf8(bytes) => (UTF_8, true),
        Some(enc) => (enc, false),
        None => (sniff(bytes), false),
    }
}

/// UTF-8 validity, forgiving a sequence cut by truncation at the very end. encoding_rs's
/// validator, not `std::str::from_utf8`: on a Vietnamese page (a byte in five outside ASCII)
/// it takes 2 µs where std takes 23 (issue 17: 3% of a crawl's CPU). Only the few bytes after
/// the first invalid one go to std, to tell a cut sequence from a wrong one.
fn valid_utf8(bytes: &[u8]) -> bool {
    let valid = Encoding::utf8_valid_up_to(bytes);
    match std::str::from_utf8(&bytes[valid..]) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// `charset=` of a `Content-Type` header value.
fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        Encoding::for_label(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The `<meta charset>` / `http-equiv` prescan; UTF-16 labels mean UTF-8 here and
/// x-user-defined means windows-1252 (HTML §13.2.3.2).
fn prescan(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(PRESCAN_BYTES)];
    let label = META_CHARSET.captures(head)?.get(1)?.as_bytes();
    let enc = Encoding::for_label(label)?;
    Some(match enc.name() {
        "UTF-16LE" | "UTF-16BE" => UTF_8,
        "x-user-defined" => WINDOWS_1252,
        _ => enc,
    })
}

fn sniff(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(Some(b"vn"), Utf8Detection::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::WINDOWS_1258;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;
    use unicode_normalization::UnicodeNormalization;

    const PAGE: &str = "<html><head><title>Tin tức</title></head><body><p>Thứ Năm, ngày 05/01/2023: \
        Công tác tổ chức xây dựng Đảng đạt nhiều kết quả quan trọng ở tỉnh Hậu Giang.</p></body></html>";

    /// windows-1258 has letters with circumflex, breve and horn precomposed but tone marks only
    /// as combining characters; encoding_rs does not decompose, so do it as a Vietnamese
    /// Windows editor would.
    pub(crate) fn to_windows_1258(text: &str) -> Vec<u8> {
        const TONES: &[char] = &['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
        let mut spelled = String::new();
        for c in text.chars() {
            let decomposed: String = c.to_string().nfd().collect();
            let base: String = decomposed
                .chars()
                .filter(|d| !TONES.contains(d))
                .collect::<String>()
                .nfc()
                .collect();
            spelled.push_str(&base);
            spelled.extend(decomposed.chars().filter(|d| TONES.contains(d)));
        }
        let (bytes, _, unmappable) = WINDOWS_1258.encode(&spelled);
        assert!(!unmappable, "test text must be encodable in windows-1258");
        bytes.into_owned()
    }

    use crate::fetch::gunzip::gzip;

    #[test]
    fn gzip_and_deflate_are_undone() {
        let out = decode(
            &gzip(PAGE.as_bytes()),
            Some("text/html; charset=utf-8"),
            Some("gzip"),
            1 << 20,
        )
        .unwrap();
        assert_eq!(out.text, PAGE);
        assert!(!out.truncated && !out.suspect);
        let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
        z.write_all(PAGE.as_bytes()).unwrap();
        let out = decode(&z.finish().unwrap(), None, Some("deflate"), 1 << 20).unwrap();
        assert_eq!(out.text, PAGE);
        assert_eq!(out.encoding, "UTF-8");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        let bomb = gzip(&vec![b'a'; 8 << 20]);
        let out = decode(&bomb, Some("text/html"), Some("gzip"), 1000).unwrap();
        assert_eq!(out.text.len(), 1000);
        assert!(out.truncated);
    }

    #[test]
    fn broken_streams_keep_what_decoded() {
        let packed = gzip(PAGE.repeat(50).as_bytes());
        let out = decode(&packed[..packed.len() / 2], None, Some("gzip"), 1 << 20).unwrap();
        assert!(out.truncated);
        assert!(out.text.starts_with("<html>"));
        assert!(matches!(
            decode(b"not gzip", None, Some("gzip"), 100),
            Err(Error::Corrupt { .. })
        ));
        assert!(
            matches!(decode(b"x", None, Some("br"), 100), Err(Error::UnsupportedEncoding(c)) if c == "br")
        );
    }

    #[test]
    fn charset_order_bom_header_meta() {
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice(PAGE.as_bytes());
        let out = decode(
            &with_bom,
            Some("text/html; charset=windows-1252"),
            None,
            1 << 20,
        )
        .unwrap();
        assert_eq!((out.text.as_str(), out.encoding), (PAGE, "UTF-8"));

        let bytes = to_windows_1258(PAGE);
        let out = decode(
            &bytes,
            Some("text/html; charset=\"windows-1258\""),
            None,
            1 << 20,
        )
        .unwrap();
        assert_eq!((out.text.as_str(), out.encoding), (PAGE, "windows-1258"));

        let page = PAGE.replace(
            "<head>",
            "<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1258\">",
        );
        let bytes = to_windows_1258(&page);
        let out = decode(&bytes, Some("text/html"), None, 1 << 20).unwrap();
        assert_eq!(
            (out.text.as_str(), out.encoding, out.suspect),
            (page.as_str(), "windows-1258", false)
        );
    }

    #[test]
    fn windows_1258_is_sniffed_and_composed_to_nfc() {
        let bytes = to_windows_1258(PAGE);
        // windows-1258 spells tone marks as combining characters: the raw decode is not NFC.
        let (raw, _) = WINDOWS_1258.decode_without_bom_handling(&bytes);
        assert_ne!(raw, PAGE);
        assert_eq!(raw.nfc().collect::<String>(), PAGE);
        let out = decode(&bytes, Some("text/html"), None, 1 << 20).unwrap();
        assert_eq!(out.encoding, "windows-1258");
        assert_eq!(out.text, PAGE);
    }

    #[test]
    fn utf8_validity_forgives_only_a_cut_at_the_end() {
        let text = "Cần Thơ đổi mới".as_bytes();
        assert!(valid_utf8(text));
        // "ơ" is two bytes: cut after its first, at the end, then in the middle.
        let cut = text.iter().position(|&b| b == 0xC6).unwrap() + 1;
        assert!(valid_utf8(&text[..cut]));
        let mut broken = text[..cut].to_vec();
        broken.extend_from_slice(b" ok");
        assert!(!valid_utf8(&broken));
        assert!(!valid_utf8(b"a\xFFb"));
    }

    #[test]
    fn a_false_utf8_declaration_is_sniffed_and_flagged() {
        let bytes = to_windows_1258(PAGE);
        let out = decode(&bytes, Some("text/html; charset=utf-8"), None, 1 << 20).unwrap();
        assert_eq!(out.encoding, "windows-1258");
        assert!(out.suspect);
        assert_eq!(out.text, PAGE);
    }

    #[test]
    fn nfd_input_comes_out_nfc() {
        let nfd: String = PAGE.nfd().collect();
        assert_ne!(nfd, PAGE);
        let out = decode(
            nfd.as_bytes(),
            Some("text/html; charset=utf-8"),
            None,
            1 << 20,
        )
        .unwrap();
        assert_eq!(out.text, PAGE);
        assert!(!out.suspect);
    }

    #[test]
    fn legacy_font_encodings_are_suspect() {
        let page = "<p style=\"font-family:.VnTime\">C\u{a5}ng t\u{b8}c</p>";
        let out = decode(
            page.as_bytes(),
            Some("text/html; charset=utf-8"),
            None,
            1 << 20,
        )
        .unwrap();
        assert!(out.suspect);
    }
}
