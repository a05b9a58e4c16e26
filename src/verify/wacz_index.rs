//! The index half of `verify --wacz`: the package's indexes, read as replayers read them, and
//! every CDXJ line followed to its record.
//!
//! ReplayWeb.page loads `indexes/*.idx` (a ZipNum block index, [`crate::wacz::blocks`]) or a
//! plain `indexes/*.cdx`/`*.cdxj`, nothing else (issue 20). For an `.idx`, each block line's
//! `offset`/`length` must lie inside the compressed index it names, its bytes must hash to its
//! `digest`, decompress to sorted CDXJ lines, and start with the block's prefix; blocks follow
//! each other in order. A package with `index.cdx.gz` but no `.idx` is a problem: replay loads
//! no index from it. Every line's `filename` must be a **stored** `archive/` entry (a replayer
//! range-reads records, which a deflated entry does not allow) in which the gzip member at
//! `offset`, `length` bytes long, holds a complete WARC record of the line's URL. Read-only.

use std::collections::HashSet;

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};
use zip::CompressionMethod;

use super::wacz::Package;
use crate::archive::reader;
use crate::cdxj::Entry;
use crate::wacz::blocks::{self, CDX_NAME};

/// What the indexes hold, for the pages check.
#[derive(Debug, Default)]
pub(super) struct Indexed {
    pub lines: usize,
    pub urls: HashSet<String>,
}

/// Checks every index of the package; problems go to `problems`.
pub(super) fn check(package: &mut Package, problems: &mut Vec<String>) -> Indexed {
    let names = package.names();
    let under = |suffix: &str| -> Vec<String> {
        let mut found: Vec<String> = names
            .iter()
            .filter(|n| n.starts_with("indexes/") && n.ends_with(suffix))
            .cloned()
            .collect();
        found.sort();
        found
    };
    let (idx, plain) = (under(".idx"), [under(".cdx"), under(".cdxj")].concat());
    let compressed = format!("indexes/{CDX_NAME}");
    if idx.is_empty() && names.contains(&compressed) {
        problems.push(format!(
            "{}: missing; ReplayWeb.page loads no index from {compressed} without it",
            crate::wacz::IDX_ENTRY
        ));
    }
    if idx.is_empty() && plain.is_empty() {
        problems.push("indexes/: no index.idx, .cdx or .cdxj: nothing replays".to_string());
    }
    let mut lines = Vec::new();
    for name in &idx {
        lines.extend(idx_lines(package, name, problems));
    }
    for name in &plain {
        lines.extend(plain_lines(package, name, problems));
    }
    let mut indexed = Indexed::default();
    for (origin, line) in &lines {
        indexed.lines += 1;
        match check_line(package, line) {
            Ok(url) => {
                indexed.urls.insert(url);
            }
            Err(detail) => problems.push(format!("{origin}: {detail}")),
        }
    }
    indexed
}

/// A line and where it was read (`indexes/index.cdx.gz block 2 line 5`).
type Sourced = (String, String);

/// The lines of every block an `.idx` points at, checking each block on the way.
fn idx_lines(package: &mut Package, name: &str, problems: &mut Vec<String>) -> Vec<Sourced> {
    let parsed = package.bytes(name).and_then(|bytes| {
        blocks::parse_idx(&String::from_utf8_lossy(&bytes)).map_err(|e| e.to_string())
    });
    let blocks = match parsed {
        Ok(blocks) => blocks,
        Err(detail) => {
            problems.push(format!("{name}: {detail}"));
            return Vec::new();
        }
    };
    let mut lines = Vec::new();
    let mut previous: Option<String> = None;
    for (n, line) in blocks.iter().enumerate() {
        let where_ = format!("{name} block {}", n + 1);
        match block_lines(package, line) {
            Ok(text) => {
                let first = text.first().cloned();
                check_sorted(&where_, previous.as_deref(), &text, problems);
                previous = text.last().cloned().or(previous);
                lines.extend(
                    text.into_iter()
                        .enumerate()
                        .map(|(i, l)| (format!("{where_} line {}", i + 1), l)),
                );
                if let Some(first) = first.filter(|f| !f.starts_with(&line.prefix)) {
                    problems.push(format!(
                        "{where_}: the idx key {:?} is not the block's first line {first:?}",
                        line.prefix
                    ));
                }
            }
            Err(detail) => problems.push(format!("{where_}: {detail}")),
        }
    }
    lines
}

/// One block's bytes: inside the entry, matching the digest, gunzipped to lines.
fn block_lines(package: &mut Package, line: &blocks::IdxLine) -> Result<Vec<String>, String> {
    let block = &line.block;
    let entry = format!("indexes/{}", block.filename);
    let bytes = package.bytes(&entry).map_err(|e| format!("{entry} {e}"))?;
    let end = block.offset.saturating_add(block.length);
    let slice = usize::try_from(block.offset)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(from, to)| bytes.get(from..to))
        .ok_or_else(|| {
            format!(
                "offset {} + length {} lies past the end of {entry} ({} bytes)",
                block.offset,
                block.length,
                bytes.len()
            )
        })?;
    let digest = format!("sha256:{}", HEXLOWER.encode(&Sha256::digest(slice)));
    if digest != block.digest {
        return Err(format!(
            "digest is {digest} but the idx says {}",
            block.digest
        ));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(slice), &mut text)
        .map_err(|e| format!("does not decompress to text: {e}"))?;
    Ok(text
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// A plain `.cdx`/`.cdxj` entry's lines, checked for order.
fn plain_lines(package: &mut Package, name: &str, problems: &mut Vec<String>) -> Vec<Sourced> {
    let text = match package.bytes(name) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(detail) => {
            problems.push(format!("{name}: {detail}"));
            return Vec::new();
        }
    };
    let lines: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    check_sorted(name, None, &lines, problems);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, l)| (format!("{name} line {}", i + 1), l))
        .collect()
}

/// Replayers binary-search the index: a line out of bytewise order hides its neighbours.
fn check_sorted(origin: &str, before: Option<&str>, lines: &[String], problems: &mut Vec<String>) {
    let mut previous = before;
    for (i, line) in lines.iter().enumerate() {
        if previous.is_some_and(|p| line.as_bytes() < p.as_bytes()) {
            problems.push(format!(
                "{origin} line {}: out of order; CDXJ lines must be sorted bytewise",
                i + 1
            ));
        }
        previous = Some(line);
    }
}

/// The line's record: a stored `archive/` entry, a complete member at `offset` of `length`
/// bytes, a WARC record of the line's URL. Returns the URL.
fn check_line(package: &mut Package, line: &str) -> Result<String, String> {
    let entry = Entry::parse(line).map_err(|e| format!("not a CDXJ line: {e}"))?;
    let name = format!("archive/{}", entry.filename);
    let (start, size) = {
        let file = package
            .zip
            .by_name(&name)
            .map_err(|_| format!("`filename` {} is not in the package", entry.filename))?;
        if file.compression() != CompressionMethod::Stored {
            return Err(format!(
                "{name} is compressed ({}); replayers read records by range from stored entries only",
                file.compression()
            ));
        }
        let start = file
            .data_start()
            .ok_or_else(|| format!("{name}: no data offset"))?;
        (start, file.size())
    };
    if entry.offset.saturating_add(entry.length) > size {
        return Err(format!(
            "offset {} + length {} lies past the end of {name} ({size} bytes)",
            entry.offset, entry.length
        ));
    }
    let record = reader::read_at(&package.path, start + entry.offset)
        .map_err(|e| format!("no WARC record at offset {} of {name}: {e}", entry.offset))?;
    if record.length != entry.length {
        return Err(format!(
            "the member at offset {} of {name} is {} bytes, not the line's length {}",
            entry.offset, record.length, entry.length
        ));
    }
    match record.header("WARC-Target-URI") {
        Some(url) if url == entry.url => Ok(entry.url),
        other => Err(format!(
            "the record at offset {} of {name} is of {}, not {}",
            entry.offset,
            other.unwrap_or("no URL"),
            entry.url
        )),
    }
}
