//! Gzip members for WARC records (WARC 1.1 annex D: one member per record), from a compressor
//! kept for the writer's life.
//!
//! Part of the archive stage: the writer thread compresses every record it appends here. A new
//! deflate state per record cost more than compressing a short one: zlib-rs allocates and
//! zeroes its window and hash tables (some 300 KB) at every init, three times per article, which
//! was 8.5% of a crawl's instructions under callgrind (issue 17). A [`Gzip`] resets one state
//! instead. It never writes anything itself: callers append the members it returns.

use std::io;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

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
        loop {
            let read = usize::try_from(self.deflate.total_in()).unwrap_or(usize::MAX);
            let rest = record.get(read..).unwrap_or_default();
            let status = self
                .deflate
                .compress_vec(rest, &mut out, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            if status == Status::StreamEnd {
                break;
            }
            // Out of room: the stream only ends once all of it fits.
            out.reserve(out.capacity().max(4096));
        }
        let mut crc = Crc::new();
        crc.update(record);
        out.extend_from_slice(&crc.sum().to_le_bytes());
        // ISIZE is the length modulo 2^32 (RFC 1952 §2.3.1).
        out.extend_from_slice(&(record.len() as u32).to_le_bytes());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

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
        let random: Vec<u8> = (0..300_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
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
    fn a_reused_state_makes_the_same_bytes_as_a_new_one() {
        let first = "Bài, ảnh: Thanh Tâm. ".repeat(500);
        let second = "Tin 499: nhân dân tỉnh sông Hậu. ".repeat(700);
        let mut reused = Gzip::new(3);
        reused.member(first.as_bytes()).unwrap();
        let again = reused.member(second.as_bytes()).unwrap();
        assert_eq!(again, Gzip::new(3).member(second.as_bytes()).unwrap());
    }
}
