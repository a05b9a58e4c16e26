//! Size-capped decoding of a body the fetcher recorded compressed (issue 16 item 5: one copy
//! for extract, robots and probe).
//!
//! The fetcher keeps bodies as the server sent them (the archive stores those bytes); the
//! stages that read a body undo its `Content-Encoding` here, never past a cap, because a small
//! compressed body can inflate to gigabytes. A stream that breaks part-way keeps what came
//! out before the break; the caller decides whether that is a cut page or a corrupt one.
//! Streaming readers (feeds) meter their own layers. Pure: no I/O beyond the reader given.

use std::io::Read;

use flate2::read::MultiGzDecoder;

/// What a capped decode produced.
#[derive(Debug)]
pub struct Capped {
    /// At most the cap's worth of decoded bytes.
    pub bytes: Vec<u8>,
    /// More decoded bytes followed the cap.
    pub cut: bool,
    /// The stream broke (corrupt or cut short) after `bytes`.
    pub error: Option<std::io::Error>,
}

/// Reads at most `max` decoded bytes from `decoder`.
pub fn read_capped(decoder: impl Read, max: usize) -> Capped {
    let mut bytes = Vec::new();
    // One byte past the cap tells a body of exactly `max` bytes from a longer one.
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let error = decoder.take(limit).read_to_end(&mut bytes).err();
    let cut = bytes.len() > max;
    bytes.truncate(max);
    Capped { bytes, cut, error }
}

/// Inflates a gzip body (every member, RFC 1952 §2.2), at most `max` bytes of it.
pub fn gunzip(data: &[u8], max: usize) -> Capped {
    read_capped(MultiGzDecoder::new(data), max)
}

/// A gzip stream of `bytes`, for tests.
#[cfg(test)]
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

/// All of a gzip stream of text (every member), for tests.
#[cfg(test)]
pub(crate) fn gunzip_text(bytes: &[u8]) -> String {
    let mut text = String::new();
    MultiGzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("a whole gzip stream of UTF-8");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_keeps_and_reports() {
        let body = gzip(b"0123456789");
        let whole = gunzip(&body, 10);
        assert_eq!(
            (whole.bytes.as_slice(), whole.cut),
            (&b"0123456789"[..], false)
        );
        assert!(whole.error.is_none());
        let capped = gunzip(&body, 4);
        assert_eq!((capped.bytes.as_slice(), capped.cut), (&b"0123"[..], true));
        let broken = gunzip(&body[..body.len() - 8], 100);
        assert_eq!(broken.bytes, b"0123456789");
        assert!(broken.error.is_some(), "the trailer is missing");
        let page = "<p>trang</p>".repeat(100);
        let whole = gzip(page.as_bytes());
        let half = gunzip(&whole[..whole.len() / 2], 1 << 20);
        assert!(half.error.is_some() && !half.bytes.is_empty());
        assert!(page.as_bytes().starts_with(&half.bytes));
        let two = [gzip(b"ab"), gzip(b"cd")].concat();
        assert_eq!(gunzip(&two, 100).bytes, b"abcd");
    }
}
