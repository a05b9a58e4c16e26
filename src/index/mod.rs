//! Index: one JSON line per archived article version, pointing at its WARC record.
//!
//! An edited article gets a new line with `version` 2, 3, … and `previous` (issue 15); the
//! first line stays, and the newest line of a URL is its current state.
//!
//! Last stage of the pipeline (docs/architecture.md, §2 "JSON index line"). A line is appended to
//! `archive_dir/index/{portal}.jsonl` only after the WARC bytes it points at are durable, and is
//! itself fsynced before the store marks the URL done (docs/architecture.md rule 6), so a kill at any moment
//! leaves no line pointing at nothing. The crawl hands each line to the WARC recorder as the
//! block of the article's `metadata` record, and the recorder appends it once that record is
//! durable (one fsync per batch); this module defines the line and repairs the files' tails. On start, [`reconcile`] cuts a torn last line and hands
//! back each file's last line, so the crawl can mark that URL done instead of archiving it twice.
//! The line's schema is `schema/index-line.schema.json`; field names follow CDXJ and WACZ
//! `pages.jsonl` where those define them. This module never reads WARCs to decide what to fetch.
//!
//! The index stage's one home (issue 16): the line format ([`line`]), the paths ([`dir`],
//! [`file_path`]), the tail repair ([`reconcile`]) and, with `[storage]`, the reading of a
//! portal's closed segments and current file as one index ([`Sources`], issue 18 item 4). The append itself runs on the WARC
//! sync thread (`archive::commit`, through its generic companion-line appender, shared with
//! the change events), because group commit fsyncs a flight of lines once, after the flight's
//! records: WARC durable → index line durable → state.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

mod line;
mod sources;

pub use line::{Line, Pointer};
pub use sources::Sources;

/// Index I/O failures: fatal for a run, like archive failures.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cause is in `source` only, so `{err:#}` names it once (issue 16 item 4).
    #[error("could not {doing} the index file {path}")]
    Io {
        /// What was being done, e.g. "read", "trim", "sync".
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `archive_dir/index`: the JSON index files, and `cdxj/` with the CDXJ indexes.
pub fn dir(archive_dir: &Path) -> PathBuf {
    archive_dir.join("index")
}

/// The index file of `portal` under `dir` (`archive_dir/index/{portal}.jsonl`). The crawl
/// appends through the WARC recorder, which writes each line once the article's `metadata`
/// record is durable.
pub fn file_path(dir: &Path, portal: &str) -> PathBuf {
    dir.join(format!("{portal}.jsonl"))
}

/// How far back from the end of an index file [`reconcile`] looks. Lines a store may not have
/// heard of are the last ones, at most one per fetch that was in flight (`max_in_flight`);
/// 4 MiB holds a hundred lines of 40 KB.
const TAIL_WINDOW: u64 = 4 << 20;

/// Repairs the tail of every index file in `index_dir` and returns the complete lines of each
/// file's tail, for the caller to settle.
///
/// A line is appended only after the WARC bytes it points at are durable and is durable before
/// the store marks its URL done, so after a kill the lines the store has not heard of are the
/// last few (one per fetch in flight: the recorder writes a batch of them under one fsync);
/// settling is idempotent, so every line of the tail is handed back. Only the very last line
/// can be torn (it is cut off). A last line whose record lies past the end of its WARC file
/// cannot come from this order of writes; it is dropped with a warning rather than trusted.
/// Cost: one short read per index file, whatever its size.
///
/// `shipped` names the WARC files whose local copy `keep_local` removed after a verified
/// upload (issue 18): a line pointing into one is whole, though the file is not here to
/// measure.
pub fn reconcile(
    index_dir: &Path,
    warc_dir: &Path,
    shipped: &HashSet<String>,
) -> Result<Vec<Line>, Error> {
    let warcs = (warc_dir, shipped);
    let mut tail_lines = Vec::new();
    let Ok(entries) = std::fs::read_dir(index_dir) else {
        return Ok(tail_lines);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            tail_lines.extend(reconcile_file(&path, warcs)?);
        }
    }
    tail_lines.extend(newest_segment_tails(index_dir, warcs)?);
    Ok(tail_lines)
}

/// The lines at the end of each portal's newest segments (issue 18 item 4). The writer thread
/// closes a segment between two batches, possibly before the store heard of the last batches'
/// lines (the store lags the writer by a batch or more); a kill then leaves those lines in the
/// newest segments, with no current file yet, so they are settled from here: as many of the
/// newest segments as make up [`TAIL_WINDOW`], as the tail of one file would. A segment is
/// closed whole: nothing to trim.
fn newest_segment_tails(index_dir: &Path, warcs: Warcs) -> Result<Vec<Line>, Error> {
    let mut lines = Vec::new();
    for (path, start) in segment_tails(index_dir, TAIL_WINDOW) {
        let io = |doing| {
            let path = path.clone();
            move |source| Error::Io {
                doing,
                path,
                source,
            }
        };
        let mut file = std::fs::File::open(&path).map_err(io("open"))?;
        file.seek(SeekFrom::Start(start)).map_err(io("seek in"))?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).map_err(io("read"))?;
        let found = tail_lines(&tail, start > 0).into_iter().map(|(_, l)| l);
        lines.extend(found.filter(|line| points_inside(line, warcs)));
    }
    Ok(lines)
}

/// For every portal with segments under `dir/segments/`: its newest segments, oldest first,
/// back to the one that makes them `window` bytes or more, each with the offset to read it
/// from (0, or inside the oldest one taken). What a crash may have left unknown to the store.
pub fn segment_tails(dir: &Path, window: u64) -> Vec<(PathBuf, u64)> {
    let Ok(folders) = std::fs::read_dir(dir.join("segments")) else {
        return Vec::new();
    };
    let mut portals: Vec<PathBuf> = folders.flatten().map(|e| e.path()).collect();
    portals.sort();
    let mut tails = Vec::new();
    for folder in portals {
        let Some(name) = folder.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let segments = crate::archive::segments::list(&file_path(dir, &name)).unwrap_or_default();
        let mut taken = Vec::new();
        let mut bytes = 0u64;
        for segment in segments.into_iter().rev() {
            let len = std::fs::metadata(&segment).map_or(0, |m| m.len());
            let start = len.saturating_sub(window - bytes);
            bytes += len - start;
            taken.push((segment, start));
            if bytes >= window {
                break;
            }
        }
        tails.extend(taken.into_iter().rev());
    }
    tails
}

fn reconcile_file(path: &Path, warcs: Warcs) -> Result<Vec<Line>, Error> {
    let io = |doing| {
        move |source| Error::Io {
            doing,
            path: path.to_path_buf(),
            source,
        }
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io("open"))?;
    let len = file.metadata().map_err(io("measure"))?.len();
    let start = len.saturating_sub(TAIL_WINDOW);
    file.seek(SeekFrom::Start(start)).map_err(io("seek in"))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).map_err(io("read"))?;
    // A torn last line (no newline yet) was never acknowledged: cut it off.
    let complete = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut keep = start + complete as u64;
    let body = &tail[..complete];
    let last_start = body[..body.len().saturating_sub(1)]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let mut lines = tail_lines(body, start > 0);
    if let Some((at, line)) = lines.last()
        && *at == last_start
        && !points_inside(line, warcs)
    {
        tracing::warn!(file = %path.display(), url = %line.url, "index_line_dropped");
        keep = start + *at as u64;
        lines.pop();
    }
    if keep < len {
        tracing::warn!(file = %path.display(), bytes = len - keep, "index_tail_trimmed");
        file.set_len(keep).map_err(io("trim"))?;
        file.sync_all().map_err(io("sync"))?;
    }
    let good = lines.into_iter().map(|(_, line)| line);
    Ok(good.filter(|line| points_inside(line, warcs)).collect())
}

/// The lines of `body` (complete lines only) with their offsets in it; when the window did not
/// start at the beginning of the file, its first piece is part of a line and is skipped. Lines
/// that do not parse are skipped too (nothing to settle from them).
fn tail_lines(body: &[u8], cut_at_start: bool) -> Vec<(usize, Line)> {
    let mut lines = Vec::new();
    let mut at = 0;
    for piece in body.split_inclusive(|&b| b == b'\n') {
        let first = at == 0;
        if !(first && cut_at_start)
            && let Ok(line) = serde_json::from_slice::<Line>(piece)
        {
            lines.push((at, line));
        }
        at += piece.len();
    }
    lines
}

/// The WARC folder, and the names of the files shipped and removed from it.
type Warcs<'a> = (&'a Path, &'a HashSet<String>);

/// A line is good when its WARC file exists (closed) and holds the whole member it names, or
/// was verified in the bucket before its local copy was removed.
fn points_inside(line: &Line, (warc_dir, shipped): Warcs) -> bool {
    if line.filename.contains('/') || line.filename.contains("..") {
        return false;
    }
    match std::fs::metadata(warc_dir.join(&line.filename)) {
        Ok(m) => line.offset + line.length <= m.len(),
        Err(_) => shipped.contains(&line.filename),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::Capture;
    use crate::extract::Article;
    use chrono::Utc;

    /// An index line for `url` pointing at bytes `offset..offset + 10` of `filename`.
    fn line(url: &str, filename: &str, offset: u64) -> Vec<u8> {
        let capture = Capture {
            url: url::Url::parse(url).unwrap(),
            date: Utc::now(),
            record_id: "<urn:uuid:1>".into(),
            filename: filename.into(),
            offset,
            length: 10,
            status: 200,
            mime: "text/html".into(),
            payload_digest: "sha1:A".into(),
            truncated: None,
            revisit: None,
        };
        let mut bytes = serde_json::to_vec(&Line::new("p", &capture, Article::default())).unwrap();
        bytes.push(b'\n');
        bytes
    }

    /// An index folder with `p.jsonl` holding `bytes`, and a 100-byte `w.warc.gz`.
    fn archive(bytes: &[u8]) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let (index, warc) = (dir.path().join("index"), dir.path().join("warc"));
        std::fs::create_dir_all(&index).unwrap();
        std::fs::create_dir_all(&warc).unwrap();
        std::fs::write(warc.join("w.warc.gz"), [0u8; 100]).unwrap();
        std::fs::write(index.join("p.jsonl"), bytes).unwrap();
        (dir, index, warc)
    }

    #[test]
    fn every_complete_line_of_the_tail_is_handed_back_and_a_torn_one_is_cut() {
        let mut bytes = Vec::new();
        for n in 0..3 {
            bytes.extend(line(
                &format!("https://p.vn/a-{n}.html"),
                "w.warc.gz",
                n * 10,
            ));
        }
        let complete = bytes.len() as u64;
        bytes.extend_from_slice(b"{\"url\":\"https://p.vn/a-3");
        let (_dir, index, warc) = archive(&bytes);
        let lines = reconcile(&index, &warc, &HashSet::new()).unwrap();
        let urls: Vec<&str> = lines.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://p.vn/a-0.html",
                "https://p.vn/a-1.html",
                "https://p.vn/a-2.html"
            ],
            "several lines may be unknown to the store after a kill: all are settled"
        );
        assert_eq!(
            std::fs::metadata(index.join("p.jsonl")).unwrap().len(),
            complete
        );
    }

    #[test]
    fn a_last_line_pointing_past_its_warc_file_is_dropped() {
        let mut bytes = line("https://p.vn/a-0.html", "w.warc.gz", 0);
        let kept = bytes.len() as u64;
        bytes.extend(line("https://p.vn/a-1.html", "w.warc.gz", 95));
        let (_dir, index, warc) = archive(&bytes);
        let lines = reconcile(&index, &warc, &HashSet::new()).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].url, "https://p.vn/a-0.html");
        assert_eq!(
            std::fs::metadata(index.join("p.jsonl")).unwrap().len(),
            kept
        );
    }

    #[test]
    fn a_kill_right_after_a_segment_was_closed_leaves_its_tail_to_settle_once() {
        let mut bytes = line("https://p.vn/a-0.html", "w.warc.gz", 0);
        bytes.extend(line("https://p.vn/a-1.html", "w.warc.gz", 10));
        let (_dir, index, warc) = archive(&bytes);
        let current = file_path(&index, "p");
        let segment = crate::archive::segments::close(&current, Utc::now()).unwrap();
        // Killed here: the lines are in the segment, there is no current file yet.
        let lines = reconcile(&index, &warc, &HashSet::new()).unwrap();
        let urls: Vec<&str> = lines.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(urls, ["https://p.vn/a-0.html", "https://p.vn/a-1.html"]);
        assert_eq!(
            std::fs::read(&segment).unwrap(),
            bytes,
            "the segment is left whole"
        );
        assert!(!current.exists());
        // The store lags the writer by a batch or more: the segments before the newest too.
        let more = line("https://p.vn/a-2.html", "w.warc.gz", 20);
        std::fs::write(&current, &more).unwrap();
        let newest = crate::archive::segments::close(&current, Utc::now()).unwrap();
        let lines = reconcile(&index, &warc, &HashSet::new()).unwrap();
        assert_eq!(lines.len(), 3, "{lines:?}");
        let sources = Sources::local(index.parent().unwrap());
        assert_eq!(
            sources.line_files("index", None).unwrap(),
            [segment, newest]
        );
    }

    #[test]
    fn a_last_line_into_a_warc_shipped_and_removed_is_kept() {
        let bytes = line("https://p.vn/a-0.html", "gone.warc.gz", 0);
        let (_dir, index, warc) = archive(&bytes);
        let shipped = HashSet::from(["gone.warc.gz".to_string()]);
        let lines = reconcile(&index, &warc, &shipped).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(std::fs::read(file_path(&index, "p")).unwrap(), bytes);
        let lines = reconcile(&index, &warc, &HashSet::new()).unwrap();
        assert!(
            lines.is_empty(),
            "not shipped: a line into a missing file is dropped"
        );
    }
}
