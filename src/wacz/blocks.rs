//! The compressed, block-indexed CDXJ of a WACZ: `indexes/index.cdx.gz` and `indexes/index.idx`.
//!
//! ReplayWeb.page loads a WACZ index only as a plain `.cdx`/`.cdxj` entry or as an `.idx` file
//! pointing into a compressed CDXJ (issue 20: with `index.cdx.gz` alone it loaded no index and
//! every page was "Archived Page Not Found"). This writer takes the merged, sorted CDXJ lines and
//! gzips them in blocks of [`LINES_PER_BLOCK`] lines, each block its own gzip member (so the
//! whole entry is still one valid gzip stream for `zcat` and pywb), and records one `.idx` line
//! per block: the block's first `urlkey timestamp`, then a JSON object with the block's
//! `offset` and `length` in `index.cdx.gz`, the `sha256:` digest of its compressed bytes, and
//! the `filename` it lives in (WACZ 1.1.1 "Indexes", the `cdxj-gzip-1.0` format py-wacz
//! writes, itself the JSON form of pywb's ZipNum). The `.idx` opens with a `!meta` line naming
//! the format. A replayer binary-searches the small `.idx` and range-reads one block, so a
//! large package opens without reading its whole index. This module only writes bytes; the
//! ZIP entries around them are [`super::writer`]'s.

use std::io::{self, Write};

use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Lines per gzip block: big enough that the `.idx` stays small (a 10k-article archive has a
/// handful of blocks), small enough that one range read fetches little (issue 20 asks for
/// py-wacz's 3000).
pub const LINES_PER_BLOCK: usize = 3000;

/// The compressed index's name inside `indexes/`, as the `.idx` lines name it.
pub const CDX_NAME: &str = "index.cdx.gz";

/// The format the `!meta` line declares (what py-wacz and ReplayWeb.page call it).
pub const FORMAT: &str = "cdxj-gzip-1.0";

/// The JSON half of one `.idx` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub offset: u64,
    pub length: u64,
    pub digest: String,
    pub filename: String,
}

#[derive(Serialize, Deserialize)]
struct Meta {
    format: String,
    filename: String,
}

/// A [`Write`] sink for CDXJ text (lines ending `\n`) that writes gzip blocks to `out` and
/// keeps the `.idx` text for [`BlockWriter::finish`].
pub struct BlockWriter<W: Write> {
    out: W,
    lines_per_block: usize,
    /// The pending block's text, whole lines only once a `\n` arrives.
    pending: Vec<u8>,
    pending_lines: usize,
    offset: u64,
    idx: String,
}

impl<W: Write> BlockWriter<W> {
    pub fn new(out: W, lines_per_block: usize) -> BlockWriter<W> {
        let meta = Meta {
            format: FORMAT.to_string(),
            filename: CDX_NAME.to_string(),
        };
        let meta = serde_json::to_string(&meta).unwrap_or_default();
        BlockWriter {
            out,
            lines_per_block: lines_per_block.max(1),
            pending: Vec::new(),
            pending_lines: 0,
            offset: 0,
            idx: format!("!meta 0 {meta}\n"),
        }
    }

    /// Writes the last block and returns the `.idx` text.
    pub fn finish(mut self) -> io::Result<String> {
        if !self.pending.is_empty() {
            self.flush_block()?;
        }
        self.out.flush()?;
        Ok(self.idx)
    }

    fn flush_block(&mut self) -> io::Result<()> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&self.pending)?;
        let compressed = gz.finish()?;
        self.out.write_all(&compressed)?;
        let block = Block {
            offset: self.offset,
            length: compressed.len() as u64,
            digest: format!(
                "sha256:{}",
                data_encoding::HEXLOWER.encode(&Sha256::digest(&compressed))
            ),
            filename: CDX_NAME.to_string(),
        };
        let json = serde_json::to_string(&block).map_err(io::Error::other)?;
        self.idx
            .push_str(&format!("{} {json}\n", prefix(&self.pending)));
        self.offset += block.length;
        self.pending.clear();
        self.pending_lines = 0;
        Ok(())
    }
}

/// `urlkey timestamp` of the first line of a block: what a replayer compares its lookup with.
fn prefix(block: &[u8]) -> String {
    let first = block.split(|&b| b == b'\n').next().unwrap_or_default();
    let text = String::from_utf8_lossy(first);
    let mut fields = text.splitn(3, ' ');
    match (fields.next(), fields.next()) {
        (Some(key), Some(ts)) => format!("{key} {ts}"),
        (Some(key), None) => key.to_string(),
        _ => String::new(),
    }
}

impl<W: Write> Write for BlockWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // A block ends only after a line's `\n`, so every block holds whole lines.
        for piece in buf.split_inclusive(|&b| b == b'\n') {
            self.pending.extend_from_slice(piece);
            if piece.ends_with(b"\n") {
                self.pending_lines += 1;
                if self.pending_lines == self.lines_per_block {
                    self.flush_block()?;
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One parsed `.idx` line: the block's prefix and where it is.
/// `verify --wacz` reads packages back through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxLine {
    pub prefix: String,
    pub block: Block,
}

/// Parses `.idx` text: the `!meta` line (which must declare [`FORMAT`] and name a file) and
/// the block lines. Errors name the 1-based line.
pub fn parse_idx(text: &str) -> Result<Vec<IdxLine>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, first) = lines.next().ok_or("empty .idx")?;
    let meta = first
        .strip_prefix("!meta 0 ")
        .ok_or("line 1: no `!meta 0 {…}` line")?;
    let meta: Meta = serde_json::from_str(meta).map_err(|e| format!("line 1: {e}"))?;
    if meta.format != FORMAT {
        return Err(format!("line 1: format {:?}, not {FORMAT}", meta.format));
    }
    lines
        .map(|(n, line)| {
            let (prefix, json) = line
                .split_once(" {")
                .ok_or_else(|| format!("line {}: no JSON object", n + 1))?;
            let mut block: Block = serde_json::from_str(&format!("{{{json}"))
                .map_err(|e| format!("line {}: {e}", n + 1))?;
            if block.filename.is_empty() {
                block.filename.clone_from(&meta.filename);
            }
            Ok(IdxLine {
                prefix: prefix.to_string(),
                block,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn lines(n: usize) -> String {
        (0..n)
            .map(|i| format!("com,example)/{i:04} 20260101000000 {{\"offset\":\"{i}\"}}\n"))
            .collect()
    }

    use crate::fetch::gunzip::gunzip_text as gunzip_all;

    #[test]
    fn blocks_are_gzip_members_the_idx_points_at() {
        let text = lines(7);
        let mut out = Vec::new();
        let mut writer = BlockWriter::new(&mut out, 3);
        // Written in odd pieces: block boundaries still fall on line ends.
        for piece in text.as_bytes().chunks(13) {
            writer.write_all(piece).unwrap();
        }
        let idx = writer.finish().unwrap();
        assert_eq!(gunzip_all(&out), text, "one gzip stream, all lines");
        assert!(
            idx.starts_with(
                "!meta 0 {\"format\":\"cdxj-gzip-1.0\",\"filename\":\"index.cdx.gz\"}\n"
            )
        );
        let parsed = parse_idx(&idx).unwrap();
        assert_eq!(parsed.len(), 3, "{idx}");
        let firsts: Vec<&str> = parsed.iter().map(|l| l.prefix.as_str()).collect();
        assert_eq!(
            firsts,
            [
                "com,example)/0000 20260101000000",
                "com,example)/0003 20260101000000",
                "com,example)/0006 20260101000000"
            ]
        );
        let mut next = 0;
        let all: Vec<&str> = text.lines().collect();
        for (n, line) in parsed.iter().enumerate() {
            let b = &line.block;
            assert_eq!(b.offset, next);
            let bytes = &out[b.offset as usize..(b.offset + b.length) as usize];
            let want = format!(
                "sha256:{}",
                data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
            );
            assert_eq!(b.digest, want);
            let mut block = String::new();
            flate2::read::GzDecoder::new(bytes)
                .read_to_string(&mut block)
                .unwrap();
            let expected: String = all
                .iter()
                .skip(n * 3)
                .take(3)
                .map(|l| format!("{l}\n"))
                .collect();
            assert_eq!(block, expected, "block {n} holds its own lines only");
            next += b.length;
        }
        assert_eq!(next, out.len() as u64);
    }

    #[test]
    fn exact_multiple_leaves_no_empty_block() {
        let mut out = Vec::new();
        let mut writer = BlockWriter::new(&mut out, 3);
        writer.write_all(lines(6).as_bytes()).unwrap();
        let idx = writer.finish().unwrap();
        assert_eq!(parse_idx(&idx).unwrap().len(), 2);
    }

    #[test]
    fn parse_idx_rejects_a_missing_meta_line() {
        let err = parse_idx(
            "com,a)/ 2026 {\"offset\":0,\"length\":1,\"digest\":\"\",\"filename\":\"x\"}\n",
        )
        .unwrap_err();
        assert!(err.contains("!meta"), "{err}");
    }
}
