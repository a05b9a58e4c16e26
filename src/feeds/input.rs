//! Input: the raw body → a metered stream of UTF-8 text.
//!
//! Part of the feeds stage. Undoes up to two gzip layers, counts the decompressed bytes against
//! [`Limits::max_decoded`] and each token against [`MAX_TOKEN`], and transcodes to UTF-8 (the XML
//! reader reads UTF-8 only): a BOM or `<?xml encoding=…?>` picks the source encoding, and bytes
//! that do not decode become U+FFFD instead of ending the parse, so one bad byte in a 50 MB
//! sitemap loses one URL, not the rest of the file. Everything goes through fixed-size buffers:
//! nothing here grows with the body. Never parses markup.

use std::io::{self, BufRead, Read};

use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8};
use flate2::read::MultiGzDecoder;

use super::{Error, Limits, MAX_GZIP_LAYERS, MAX_TOKEN, Stop};

/// RFC 1952 §2.3.1: ID1, ID2.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Bytes read before choosing the encoding: enough for a BOM and an XML declaration.
const SNIFF_LEN: usize = 1024;

/// Size of the raw and the transcoded buffer.
const BUFFER_LEN: usize = 16 * 1024;

/// The decompressed body, counted. On reaching a limit it records why in `cut` and reports the
/// end of the stream, so the reader above stops cleanly and the caller can tell a cut from an
/// end.
struct Meter<'a> {
    inner: Box<dyn Read + 'a>,
    read: u64,
    max: u64,
    since_mark: u64,
    cut: Option<Stop>,
}

impl Meter<'_> {
    /// Whether more bytes follow the cap (one byte is read and dropped: we stop anyway).
    fn more_follows(&mut self) -> io::Result<bool> {
        let mut probe = [0u8; 1];
        Ok(self.inner.read(&mut probe)? > 0)
    }
}

impl Read for Meter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cut.is_some() {
            return Ok(0);
        }
        if self.since_mark >= MAX_TOKEN {
            self.cut = Some(Stop::LongToken);
            return Ok(0);
        }
        if self.read >= self.max {
            if self.more_follows()? {
                self.cut = Some(Stop::MaxDecoded);
            }
            return Ok(0);
        }
        let room = (self.max - self.read).min(MAX_TOKEN - self.since_mark);
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        self.since_mark += n as u64;
        Ok(n)
    }
}

/// The body as a buffered stream of UTF-8.
pub(super) struct Input<'a> {
    meter: Meter<'a>,
    /// Chosen from the first [`SNIFF_LEN`] bytes, on the first fill.
    decoder: Option<Decoder>,
    raw: Box<[u8]>,
    raw_start: usize,
    raw_end: usize,
    raw_eof: bool,
    /// The decoder has been told the input ended; it must not be called again.
    finished: bool,
    text: Box<[u8]>,
    text_start: usize,
    text_end: usize,
}

impl<'a> Input<'a> {
    /// Opens `body`, undoing gzip layers. Fails only when a gzip header does not decode.
    pub(super) fn open(body: &'a [u8], limits: &Limits) -> Result<Input<'a>, Error> {
        let inner = decompressed(body).map_err(Error::Corrupt)?;
        Ok(Input {
            meter: Meter {
                inner,
                read: 0,
                max: limits.max_decoded,
                since_mark: 0,
                cut: None,
            },
            decoder: None,
            raw: vec![0; BUFFER_LEN].into_boxed_slice(),
            raw_start: 0,
            raw_end: 0,
            raw_eof: false,
            finished: false,
            text: vec![0; BUFFER_LEN].into_boxed_slice(),
            text_start: 0,
            text_end: 0,
        })
    }

    /// The first byte that is not ASCII whitespace, left unread; `None` for a blank body.
    pub(super) fn first_byte(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let first = buf[i];
                    self.consume(i);
                    return Ok(Some(first));
                }
                None => {
                    let all = buf.len();
                    self.consume(all);
                }
            }
        }
    }

    /// Starts a new token: [`MAX_TOKEN`] counts from here. Called after every XML event and
    /// every text line. The count includes read-ahead (at most two buffers), a slack that is
    /// small beside the cap.
    pub(super) fn mark(&mut self) {
        self.meter.since_mark = 0;
    }

    /// Why the stream was cut short, if a limit did it.
    pub(super) fn cut(&self) -> Option<Stop> {
        self.meter.cut
    }

    /// Reads raw bytes until at least `want` are buffered or the stream ends.
    fn fill_raw(&mut self, want: usize) -> io::Result<()> {
        if self.raw_start > 0 {
            self.raw.copy_within(self.raw_start..self.raw_end, 0);
            self.raw_end -= self.raw_start;
            self.raw_start = 0;
        }
        while !self.raw_eof && self.raw_end < want.min(self.raw.len()) {
            let n = self.meter.read(&mut self.raw[self.raw_end..])?;
            self.raw_end += n;
            self.raw_eof = n == 0;
        }
        Ok(())
    }

    /// Transcodes at least one byte into `text`, unless the input is exhausted.
    fn refill(&mut self) -> io::Result<()> {
        self.text_start = 0;
        self.text_end = 0;
        if self.decoder.is_none() {
            self.fill_raw(SNIFF_LEN)?;
            let encoding = sniff_encoding(&self.raw[..self.raw_end]);
            self.decoder = Some(encoding.new_decoder_with_bom_removal());
        }
        while self.text_end == 0 && !self.finished {
            if self.raw_start == self.raw_end {
                self.fill_raw(1)?;
            }
            self.decode_some();
        }
        Ok(())
    }

    /// One call of the decoder on what is buffered.
    fn decode_some(&mut self) {
        let Some(decoder) = self.decoder.as_mut() else {
            return;
        };
        let last = self.raw_eof;
        let (result, read, written, _) = decoder.decode_to_utf8(
            &self.raw[self.raw_start..self.raw_end],
            &mut self.text[self.text_end..],
            last,
        );
        self.raw_start += read;
        self.text_end += written;
        self.finished = last && result == CoderResult::InputEmpty;
    }
}

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Input<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.text_start == self.text_end {
            self.refill()?;
        }
        Ok(&self.text[self.text_start..self.text_end])
    }

    fn consume(&mut self, amount: usize) {
        self.text_start = (self.text_start + amount).min(self.text_end);
    }
}

/// `body` with its gzip layers undone (at most [`MAX_GZIP_LAYERS`]), detected by magic bytes.
fn decompressed(body: &[u8]) -> io::Result<Box<dyn Read + '_>> {
    let mut reader: Box<dyn Read + '_> = Box::new(body);
    for _ in 0..MAX_GZIP_LAYERS {
        let (head, rest) = peek(reader)?;
        let gzip = head == GZIP_MAGIC;
        reader = Box::new(io::Cursor::new(head).chain(rest));
        if !gzip {
            break;
        }
        reader = Box::new(MultiGzDecoder::new(reader));
    }
    Ok(reader)
}

/// Reads up to two bytes, returning them and the rest of the stream.
fn peek<'a>(mut reader: Box<dyn Read + 'a>) -> io::Result<(Vec<u8>, Box<dyn Read + 'a>)> {
    let mut head = Vec::with_capacity(GZIP_MAGIC.len());
    (&mut reader)
        .take(GZIP_MAGIC.len() as u64)
        .read_to_end(&mut head)?;
    Ok((head, reader))
}

/// The encoding of a document starting with `prefix`: its BOM, else the bare UTF-16 form of
/// `<?`, else its XML declaration, else UTF-8 (XML 1.0 §4.3.3, Appendix F). A declaration of
/// UTF-16 read as ASCII is a mislabelled ASCII-compatible document: UTF-8 then.
fn sniff_encoding(prefix: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(prefix) {
        return encoding;
    }
    if prefix.starts_with(&[0x3c, 0, 0x3f, 0]) {
        return encoding_rs::UTF_16LE;
    }
    if prefix.starts_with(&[0, 0x3c, 0, 0x3f]) {
        return encoding_rs::UTF_16BE;
    }
    match declared_encoding(prefix).and_then(Encoding::for_label) {
        Some(encoding) if encoding.is_ascii_compatible() => encoding,
        _ => UTF_8,
    }
}

/// The `encoding` pseudo-attribute of a leading `<?xml …?>`, as written.
fn declared_encoding(prefix: &[u8]) -> Option<&[u8]> {
    let start = prefix.iter().position(|b| !b.is_ascii_whitespace())?;
    let decl = prefix[start..].strip_prefix(b"<?xml")?;
    let decl = &decl[..find(decl, b"?>")?];
    let after = &decl[find(decl, b"encoding")? + b"encoding".len()..];
    let after = after
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let quote = *after.first()?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let value = &after[1..];
    Some(&value[..value.iter().position(|&b| b == quote)?])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_comes_from_bom_then_declaration_then_utf8() {
        assert_eq!(sniff_encoding(b"\xEF\xBB\xBF<?xml?>"), UTF_8);
        assert_eq!(sniff_encoding(b"\xFF\xFE<\0"), encoding_rs::UTF_16LE);
        assert_eq!(sniff_encoding(b"<\0?\0x\0"), encoding_rs::UTF_16LE);
        let decl = b"<?xml version=\"1.0\" encoding = 'windows-1258' ?><rss>";
        assert_eq!(sniff_encoding(decl), encoding_rs::WINDOWS_1258);
        assert_eq!(sniff_encoding(b"<?xml encoding=\"UTF-16\"?>"), UTF_8);
        assert_eq!(sniff_encoding(b"<?xml encoding=\"nonsense\"?>"), UTF_8);
        assert_eq!(sniff_encoding(b"<urlset encoding=\"koi8-r\">"), UTF_8);
    }

    #[test]
    fn declared_encoding_needs_a_quoted_value_inside_the_declaration() {
        assert_eq!(
            declared_encoding(b"  <?xml version='1.0' encoding='ISO-8859-1'?>"),
            Some(&b"ISO-8859-1"[..])
        );
        assert_eq!(
            declared_encoding(b"<?xml version='1.0'?><a encoding='x'>"),
            None
        );
        assert_eq!(declared_encoding(b"<?xml encoding=utf-8?>"), None);
    }
}
