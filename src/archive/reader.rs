//! Offset-aware WARC reader: one gzip member at a time.
//!
//! Used by recovery, `verify` and the tests; the crawl never reads its WARCs back to decide
//! anything. [`records`] walks a `.warc.gz` member by member, counting compressed bytes so each
//! [`Record`] knows the offset and length an index would store; [`read_at`] opens one member at
//! an offset. Every member must hold exactly one complete record (WARC 1.1 Annex D.2): anything
//! else is [`Error::Corrupt`] with the member's offset. This module never writes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use flate2::bufread::GzDecoder;

use super::Error;
use super::record::{RECORD_END, VERSION_LINE, sha1_digest};

/// One WARC record as read back, with where its gzip member sits in the file.
#[derive(Debug, Clone)]
pub struct Record {
    /// Byte offset of the record's gzip member.
    pub offset: u64,
    /// Compressed length of the member.
    pub length: u64,
    /// Named fields in file order.
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl Record {
    /// The first value of a named field, name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`, e.g. "response".
    pub fn record_type(&self) -> Option<&str> {
        self.header("WARC-Type")
    }

    /// The block split at the end of an HTTP head: (head, body). `None` if the block is no
    /// HTTP message.
    fn http_parts(&self) -> Option<(&[u8], &[u8])> {
        let is_http = self
            .header("Content-Type")
            .is_some_and(|t| t.starts_with("application/http"));
        let end = find(&self.block, b"\r\n\r\n").filter(|_| is_http)?;
        Some((&self.block[..end + 2], &self.block[end + 4..]))
    }

    /// The status code of a recorded HTTP response.
    pub fn http_status(&self) -> Option<u16> {
        let (head, _) = self.http_parts()?;
        let line = head.split(|&b| b == b'\n').next()?;
        let line = std::str::from_utf8(line).ok()?;
        line.strip_prefix("HTTP/")?
            .split(' ')
            .nth(1)?
            .trim()
            .parse()
            .ok()
    }

    /// The HTTP header lines after the start line, as (name, raw value).
    pub fn http_headers(&self) -> Vec<(String, Vec<u8>)> {
        let Some((head, _)) = self.http_parts() else {
            return Vec::new();
        };
        head.split(|&b| b == b'\n')
            .skip(1)
            .filter_map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let colon = line.iter().position(|&b| b == b':')?;
                let value = line[colon + 1..].trim_ascii_start().to_vec();
                Some((String::from_utf8_lossy(&line[..colon]).into_owned(), value))
            })
            .collect()
    }

    /// The first HTTP header named `name` (compared case-insensitively), its value as text.
    pub fn http_header(&self, name: &str) -> Option<String> {
        self.http_headers()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
    }

    /// The HTTP body (the payload, WARC 1.1 §5.9): the block after the HTTP head.
    pub fn http_body(&self) -> Option<&[u8]> {
        self.http_parts().map(|(_, body)| body)
    }

    /// Recomputes `WARC-Block-Digest`, and `WARC-Payload-Digest` for responses. A revisit's
    /// payload lives in the record it refers to, so only its digest's form is checked.
    pub fn verify_digests(&self) -> Result<(), String> {
        let block = self
            .header("WARC-Block-Digest")
            .ok_or("no WARC-Block-Digest")?;
        check_digest("WARC-Block-Digest", block, &self.block)?;
        match self.record_type() {
            Some("response") => {
                let payload = self
                    .header("WARC-Payload-Digest")
                    .ok_or("response without WARC-Payload-Digest")?;
                let body = self
                    .http_body()
                    .ok_or("response block is not an HTTP message")?;
                check_digest("WARC-Payload-Digest", payload, body)
            }
            Some("revisit") => {
                let payload = self
                    .header("WARC-Payload-Digest")
                    .ok_or("revisit without WARC-Payload-Digest")?;
                check_form(payload)
            }
            _ => Ok(()),
        }
    }
}

fn check_digest(name: &str, stated: &str, bytes: &[u8]) -> Result<(), String> {
    check_form(stated)?;
    let actual = sha1_digest(bytes);
    if stated.eq_ignore_ascii_case(&actual) {
        Ok(())
    } else {
        Err(format!("{name} says {stated}, content hashes to {actual}"))
    }
}

fn check_form(digest: &str) -> Result<(), String> {
    let value = digest
        .strip_prefix("sha1:")
        .ok_or_else(|| format!("unsupported digest {digest}"))?;
    match data_encoding::BASE32.decode(value.as_bytes()) {
        Ok(bytes) if bytes.len() == 20 => Ok(()),
        _ => Err(format!("malformed sha1 digest {digest}")),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A `BufRead` that counts the bytes its consumer consumed: after a gzip member is decoded, the
/// count is the member's compressed length (`bufread::GzDecoder` consumes exactly one member).
struct Counting<R> {
    inner: R,
    consumed: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.consumed += amt as u64;
        self.inner.consume(amt);
    }
}

/// Walks a file's members from a starting offset; stops after the first error.
struct Members<R = File> {
    path: PathBuf,
    input: Counting<BufReader<R>>,
    failed: bool,
}

impl Members {
    fn open(path: &Path, offset: u64) -> Result<Members, Error> {
        let mut file = File::open(path).map_err(Error::io("open", path))?;
        file.seek(SeekFrom::Start(offset))
            .map_err(Error::io("seek in", path))?;
        Ok(Members::over(path, file, offset))
    }
}

impl<R: Read> Members<R> {
    /// Members read from `input`, which is positioned at `offset` of the file at `path`.
    fn over(path: &Path, input: R, offset: u64) -> Members<R> {
        let input = Counting {
            inner: BufReader::with_capacity(1 << 16, input),
            consumed: offset,
        };
        Members {
            path: path.to_path_buf(),
            input,
            failed: false,
        }
    }

    fn at_end(&mut self) -> Result<bool, Error> {
        let buf = (self.input.fill_buf()).map_err(Error::io("read", &self.path))?;
        Ok(buf.is_empty())
    }

    /// Decodes the member at the current position into one record.
    fn next_record(&mut self) -> Result<Record, Error> {
        let offset = self.input.consumed;
        let corrupt = |detail: String| Error::Corrupt {
            path: self.path.clone(),
            offset,
            detail,
        };
        let mut bytes = Vec::new();
        if let Err(e) = GzDecoder::new(&mut self.input).read_to_end(&mut bytes) {
            // An error the OS reported (EIO from a failing disk) says nothing about the bytes:
            // calling it corruption would let recovery cut fsynced records (issue 13, item 10).
            // Decoding errors and a member cut short carry no OS error code.
            if e.raw_os_error().is_some() {
                return Err(Error::io("read", &self.path)(e));
            }
            return Err(corrupt(format!("unreadable gzip member: {e}")));
        }
        let length = self.input.consumed - offset;
        let (headers, block) = parse_record(&bytes).map_err(corrupt)?;
        Ok(Record {
            offset,
            length,
            headers,
            block,
        })
    }
}

impl<R: Read> Iterator for Members<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = match self.at_end() {
            Ok(true) => return None,
            Ok(false) => self.next_record(),
            Err(e) => Err(e),
        };
        self.failed = item.is_err();
        Some(item)
    }
}

/// Every record of a `.warc.gz` (or `.warc.gz.open`) file, in order, with offsets. The iterator
/// ends after the first error.
pub fn records(path: &Path) -> Result<impl Iterator<Item = Result<Record, Error>> + use<>, Error> {
    records_at(path, 0)
}

/// [`records`] from the gzip member that starts at `offset` (an index's offset) on.
pub fn records_at(
    path: &Path,
    offset: u64,
) -> Result<impl Iterator<Item = Result<Record, Error>> + use<>, Error> {
    Members::open(path, offset)
}

/// [`records`] over any reader positioned at the start of a file (tests inject read errors).
#[cfg(test)]
pub(crate) fn records_from<R: Read>(
    path: &Path,
    input: R,
) -> impl Iterator<Item = Result<Record, Error>> {
    Members::over(path, input, 0)
}

/// The record whose gzip member starts at `offset` (an index's offset).
pub fn read_at(path: &Path, offset: u64) -> Result<Record, Error> {
    let mut members = Members::open(path, offset)?;
    if members.at_end()? {
        let detail = "no record here: the offset is at or past the end of the file".to_string();
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            offset,
            detail,
        });
    }
    members.next_record()
}

type Parsed = (Vec<(String, String)>, Vec<u8>);

/// Splits one decompressed member into fields and block; the member must hold exactly one
/// complete record: version line, fields, blank line, `Content-Length` bytes, CRLF CRLF.
fn parse_record(bytes: &[u8]) -> Result<Parsed, String> {
    if !bytes.starts_with(VERSION_LINE) && !bytes.starts_with(b"WARC/1.0\r\n") {
        return Err("member does not start with a WARC/1.1 or WARC/1.0 version line".into());
    }
    let head_end = find(bytes, b"\r\n\r\n").ok_or("record header has no terminating blank line")?;
    let head = std::str::from_utf8(&bytes[VERSION_LINE.len()..head_end + 2])
        .map_err(|_| "record header is not UTF-8".to_string())?;
    let headers = parse_fields(head)?;
    let length = content_length(&headers)?;
    let rest = &bytes[head_end + 4..];
    let block = rest
        .get(..length)
        .ok_or_else(|| format!("block shorter than Content-Length {length}"))?;
    if &rest[length..] != RECORD_END {
        return Err(
            "record does not end with CRLF CRLF right after its block (or the member holds more)"
                .into(),
        );
    }
    Ok((headers, block.to_vec()))
}

fn parse_fields(head: &str) -> Result<Vec<(String, String)>, String> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) {
            // A folded continuation line (WARC 1.1 §4 allows them; we never write one).
            let last = fields
                .last_mut()
                .ok_or("continuation line before any field")?;
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("field line without a colon: {line:?}"))?;
        fields.push((name.trim().to_string(), value.trim().to_string()));
    }
    Ok(fields)
}

fn content_length(fields: &[(String, String)]) -> Result<usize, String> {
    let value = fields
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .ok_or("record has no Content-Length")?;
    value
        .1
        .parse()
        .map_err(|_| format!("bad Content-Length {:?}", value.1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::record::{GZIP_LEVEL, gzip_member};
    use std::io::Write;

    fn member(text: &[u8]) -> Vec<u8> {
        gzip_member(text, GZIP_LEVEL).unwrap()
    }

    fn write_file(dir: &tempfile::TempDir, parts: &[Vec<u8>]) -> PathBuf {
        let path = dir.path().join("t.warc.gz");
        let mut f = File::create(&path).unwrap();
        for p in parts {
            f.write_all(p).unwrap();
        }
        path
    }

    const GOOD: &[u8] = b"WARC/1.1\r\nWARC-Type: resource\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n";

    #[test]
    fn offsets_and_lengths_are_the_members() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (member(GOOD), member(GOOD));
        let path = write_file(&dir, &[a.clone(), b.clone()]);
        let recs: Vec<Record> = records(&path).unwrap().map(Result::unwrap).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!((recs[0].offset, recs[0].length), (0, a.len() as u64));
        assert_eq!(
            (recs[1].offset, recs[1].length),
            (a.len() as u64, b.len() as u64)
        );
        assert_eq!(recs[1].block, b"abc");
        assert_eq!(
            read_at(&path, a.len() as u64).unwrap().record_type(),
            Some("resource")
        );
    }

    #[test]
    fn a_member_with_two_records_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(&dir, &[member(GOOD), member(&[GOOD, GOOD].concat())]);
        let results: Vec<_> = records(&path).unwrap().collect();
        assert_eq!(results.len(), 2);
        match &results[1] {
            Err(Error::Corrupt { offset, .. }) => assert_eq!(*offset, member(GOOD).len() as u64),
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn short_block_and_torn_member_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let short = member(b"WARC/1.1\r\nContent-Length: 10\r\n\r\nabc\r\n\r\n");
        let path = write_file(&dir, &[short]);
        assert!(matches!(
            read_at(&path, 0),
            Err(Error::Corrupt { offset: 0, .. })
        ));
        let torn = member(GOOD);
        let path = write_file(&dir, &[torn[..torn.len() - 4].to_vec()]);
        assert!(matches!(
            read_at(&path, 0),
            Err(Error::Corrupt { offset: 0, .. })
        ));
        assert!(matches!(
            read_at(&path, 9999),
            Err(Error::Corrupt { offset: 9999, .. })
        ));
    }

    #[test]
    fn http_helpers_split_head_and_body() {
        let block =
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nSet-Cookie: a\r\n\r\n<p>x</p>"
                .to_vec();
        let record = Record {
            offset: 0,
            length: 0,
            headers: vec![(
                "Content-Type".into(),
                "application/http;msgtype=response".into(),
            )],
            block,
        };
        assert_eq!(record.http_status(), Some(404));
        assert_eq!(record.http_body(), Some(&b"<p>x</p>"[..]));
        let names: Vec<_> = record.http_headers().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Content-Type", "Set-Cookie"]);
        assert!(
            record
                .verify_digests()
                .unwrap_err()
                .contains("no WARC-Block-Digest")
        );
    }
}
