//! Gzip members for WARC records (WARC 1.1 annex D: one member per record), from compressors
//! kept and reused.
//!
//! Part of the archive stage: every record the writer appends is compressed here, its bulk
//! ahead by the task that holds it ([`Bulk`] makes its [`Tail`]), its head on the writer
//! thread ([`Gzip`]). A new deflate state per record cost more than compressing a short one:
//! zlib-rs allocates and zeroes its window and hash tables (some 300 KB) at every init, three
//! times per article, which was 8.5% of a crawl's instructions under callgrind (issue 17).
//! Both kinds of compressor are kept and reset instead. The bulk is compressed by libdeflate,
//! which compresses a whole buffer at once, 1.3–1.4 times as fast as zlib-rs streaming for the
//! same bytes (BENCHMARKS.md, "Issue 17, seventh step"); heads are compressed by zlib-rs, whose
//! streams can end on a sync flush for the tail to follow. It never writes anything itself:
//! callers append the members it returns.

use std::io;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};
use libdeflater::{CompressionLvl, Compressor};

/// The member header: magic, deflate, no flags, no time, the extra flags `level` implies
/// (RFC 1952 §2.3.1: 2 for the slowest, 4 for the fastest), OS unknown (255), as flate2's
/// `GzEncoder` wrote it.
fn header(level: u32) -> [u8; 10] {
    let xfl = match level {
        9.. => 2,
        0..=1 => 4,
        _ => 0,
    };
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]
}

/// Room the compressed stream may need beyond the input: stored blocks when nothing
/// compresses (5 bytes per 64 KiB block) and the end of the stream.
fn slack(len: usize) -> usize {
    len / 1000 + 64
}

/// One deflate state at one level, reset for each member.
pub(crate) struct Gzip {
    level: u32,
    deflate: Compress,
}

/// The end of a record compressed ahead of its member (issue 17, sixth step): its block and
/// the record's end as a raw deflate stream that ends a member, with the CRC-32 and length of
/// what it holds. Compressing the bulk of a record does not need its place in a file, so the
/// crawl's tasks do it on both cores and the writer thread only compresses the short head.
pub(crate) struct Tail {
    deflate: Vec<u8>,
    crc: Crc,
}

impl Gzip {
    pub(crate) fn new(level: u32) -> Gzip {
        Gzip {
            level,
            deflate: Compress::new(Compression::new(level), false),
        }
    }

    /// `record` as one complete gzip member: header, raw deflate, CRC-32 and length (RFC 1952).
    pub(crate) fn member(&mut self, record: &[u8]) -> io::Result<Vec<u8>> {
        self.deflate.reset();
        let mut out = Vec::with_capacity(10 + record.len() / 2 + slack(record.len()) + 8);
        out.extend_from_slice(&header(self.level));
        self.deflate_into(record, &mut out, FlushCompress::Finish)?;
        let mut crc = Crc::new();
        crc.update(record);
        trailer(&mut out, &crc);
        Ok(out)
    }

    /// `head` followed by `tail` as one complete gzip member. The head's deflate ends on a
    /// sync flush: byte-aligned, its last block not final (RFC 1951 §3.2.3), so the tail's own
    /// stream goes on from there and its final block ends both; the tail never refers back
    /// into the head. The CRC-32 of the whole is combined from the two (pigz joins the
    /// streams it compresses in parallel the same way).
    pub(crate) fn member_with(&mut self, head: &[u8], tail: &Tail) -> io::Result<Vec<u8>> {
        self.deflate.reset();
        let room = 10 + head.len() / 2 + slack(head.len()) + tail.deflate.len() + 8;
        let mut out = Vec::with_capacity(room);
        out.extend_from_slice(&header(self.level));
        self.deflate_into(head, &mut out, FlushCompress::Sync)?;
        out.extend_from_slice(&tail.deflate);
        let mut crc = Crc::new();
        crc.update(head);
        crc.combine(&tail.crc);
        trailer(&mut out, &crc);
        Ok(out)
    }

    /// Compresses all of `input` onto `out` and flushes as `flush` says: to the end of the
    /// stream for `Finish`, to a byte boundary for `Sync` (done once a call leaves output room
    /// unused: zlib's rule for a complete flush).
    fn deflate_into(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        flush: FlushCompress,
    ) -> io::Result<()> {
        let start = self.deflate.total_in();
        loop {
            let read = usize::try_from(self.deflate.total_in() - start).unwrap_or(usize::MAX);
            let rest = input.get(read..).unwrap_or_default();
            if out.capacity() - out.len() < 64 {
                out.reserve(rest.len() / 2 + slack(rest.len()));
            }
            let status = self
                .deflate
                .compress_vec(rest, out, flush)
                .map_err(io::Error::other)?;
            let consumed = self.deflate.total_in() - start == input.len() as u64;
            let done = match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                _ => consumed && out.len() < out.capacity(),
            };
            if done {
                return Ok(());
            }
            // Out of room: the flush is complete only once all of it fits.
            out.reserve(out.capacity().max(4096));
        }
    }
}

/// Largest input buffer a [`Bulk`] keeps between records: a rare huge page's copy is dropped.
const KEPT_INPUT: usize = 1 << 20;

/// One libdeflate compressor at one level, for the bulk of records.
pub(crate) struct Bulk {
    compressor: Compressor,
    /// The parts of a tail, joined: libdeflate compresses one buffer at a time.
    input: Vec<u8>,
}

impl Bulk {
    /// A compressor at libdeflate's `level` (1–12; out of range is clamped).
    pub(crate) fn new(level: i32) -> Bulk {
        let level = CompressionLvl::new(level.clamp(1, 12));
        Bulk {
            compressor: Compressor::new(level.unwrap_or_else(|_| CompressionLvl::fastest())),
            input: Vec::new(),
        }
    }

    /// `parts`, one after the other, as the raw deflate stream that ends a member
    /// ([`Gzip::member_with`]): one complete stream, its last block final.
    pub(crate) fn tail(&mut self, parts: &[&[u8]]) -> io::Result<Tail> {
        self.input.clear();
        let mut crc = Crc::new();
        for part in parts {
            self.input.extend_from_slice(part);
            crc.update(part);
        }
        let bound = self.compressor.deflate_compress_bound(self.input.len());
        let mut deflate = vec![0; bound];
        let written = self
            .compressor
            .deflate_compress(&self.input, &mut deflate)
            .map_err(|e| io::Error::other(format!("libdeflate: {e:?}")))?;
        deflate.truncate(written);
        if self.input.capacity() > KEPT_INPUT {
            self.input = Vec::new();
        }
        Ok(Tail { deflate, crc })
    }
}

/// The member's CRC-32 and ISIZE, the length modulo 2^32 (RFC 1952 §2.3.1).
fn trailer(out: &mut Vec<u8>, crc: &Crc) {
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// `len` bytes that do not compress.
    fn noise(len: u32) -> Vec<u8> {
        (0..len)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect()
    }

    fn gunzip(member: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(member)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn members_round_trip_with_one_state_reused() {
        let text = "Cần Thơ: lúa gạo, tôm khóm. ".repeat(4000);
        let random = noise(300_000);
        for level in [2, 3] {
            let mut gzip = Gzip::new(level);
            for record in [
                text.as_bytes(),
                b"",
                &random,
                b"GET / HTTP/1.1\r\n\r\n",
                text.as_bytes(),
            ] {
                let member = gzip.member(record).unwrap();
                assert_eq!(&member[..3], &[0x1f, 0x8b, 8]);
                assert_eq!(
                    gunzip(&member),
                    record,
                    "level {level}, {} bytes",
                    record.len()
                );
            }
        }
    }

    #[test]
    fn a_head_and_a_tail_made_apart_make_one_member() {
        let head = "WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 9000\r\n\r\n";
        let body = "Tin Cần Thơ: lúa gạo, tôm khóm. ".repeat(3000);
        let random = noise(200_000);
        for level in [1, 2, 3] {
            let mut writer = Gzip::new(level);
            let mut ahead = Bulk::new(level as i32);
            for parts in [
                vec![body.as_bytes(), b"\r\n\r\n".as_slice()],
                vec![b"HTTP/1.1 200 OK\r\n\r\n".as_slice(), &random, b"\r\n\r\n"],
                vec![b"".as_slice()],
                vec![],
                vec![body.as_bytes(), &random, body.as_bytes()],
            ] {
                let tail = ahead.tail(&parts).unwrap();
                let member = writer.member_with(head.as_bytes(), &tail).unwrap();
                let whole = [head.as_bytes(), &parts.concat()].concat();
                assert_eq!(gunzip(&member), whole, "level {level}");
                // One member: a multi-member reader sees nothing after it.
                let mut decoder = flate2::read::GzDecoder::new(member.as_slice());
                std::io::copy(&mut decoder, &mut std::io::sink()).unwrap();
                let mut rest = Vec::new();
                decoder.into_inner().read_to_end(&mut rest).unwrap();
                assert!(rest.is_empty(), "{} bytes after the member", rest.len());
            }
        }
    }

    #[test]
    fn a_reused_state_makes_the_same_bytes_as_a_new_one() {
        let first = "Bài, ảnh: Thanh Tâm. ".repeat(500);
        let second = "Tin 499: nhân dân tỉnh sông Hậu. ".repeat(700);
        let mut reused = Gzip::new(3);
        reused.member(first.as_bytes()).unwrap();
        let again = reused.member(second.as_bytes()).unwrap();
        assert_eq!(again, Gzip::new(3).member(second.as_bytes()).unwrap());
    }
}
