//! Index: one JSON line per archived article, pointing at its WARC record.
//!
//! Last stage of the pipeline (design.md §1, §2 "JSON index line"). A line is appended to
//! `archive_dir/index/{portal}.jsonl` only after the WARC bytes it points at are durable, and is
//! itself fsynced before the store marks the URL done (house rule 6), so a kill at any moment
//! leaves no line pointing at nothing. On start, [`reconcile`] cuts a torn last line and hands
//! back each file's last line, so the crawl can mark that URL done instead of archiving it twice.
//! The line's schema is `schema/index-line.schema.json`; field names follow CDXJ and WACZ
//! `pages.jsonl` where those define them. This module never reads WARCs to decide what to fetch.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::archive::Capture;
use crate::extract::Article;

/// One index line: the article and where its response record lies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    pub url: String,
    pub portal: String,
    pub host: String,
    /// Capture time, RFC 3339 UTC (the response record's WARC-Date).
    pub ts: String,
    #[serde(flatten)]
    pub article: Article,
    pub status: u16,
    pub mime: String,
    pub digest: String,
    /// The WARC file's final name, relative to `archive_dir/warc`.
    pub filename: String,
    pub offset: u64,
    pub length: u64,
}

impl Line {
    pub fn new(portal: &str, capture: &Capture, article: Article) -> Line {
        Line {
            url: capture.url.to_string(),
            portal: portal.to_string(),
            host: crate::canonical::host_key(&capture.url),
            ts: capture
                .date
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            article,
            status: capture.status,
            mime: capture.mime.clone(),
            digest: capture.payload_digest.clone(),
            filename: capture.filename.clone(),
            offset: capture.offset,
            length: capture.length,
        }
    }
}

/// Index I/O failures: fatal for a run, like archive failures.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("index I/O failed on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not serialise an index line: {0}")]
    Json(#[from] serde_json::Error),
}

/// Appends lines to the per-portal index files under one directory.
pub struct Index {
    dir: PathBuf,
    files: HashMap<String, File>,
}

impl Index {
    pub fn open(dir: &Path) -> Result<Index, Error> {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(Index {
            dir: dir.to_path_buf(),
            files: HashMap::new(),
        })
    }

    /// Appends one line and makes it durable before returning.
    pub fn append(&mut self, line: &Line) -> Result<(), Error> {
        let mut bytes = serde_json::to_vec(line)?;
        bytes.push(b'\n');
        let path = self.path(&line.portal);
        let file = match self.files.entry(line.portal.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(open_append(&path)?),
        };
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        file.write_all(&bytes).map_err(io)?;
        file.sync_data().map_err(io)
    }

    fn path(&self, portal: &str) -> PathBuf {
        file_path(&self.dir, portal)
    }
}

/// The index file of `portal` under `dir` (`archive_dir/index/{portal}.jsonl`). The crawl
/// appends through the WARC recorder, which writes each line once the article's `metadata`
/// record is durable.
pub fn file_path(dir: &Path, portal: &str) -> PathBuf {
    dir.join(format!("{portal}.jsonl"))
}

fn open_append(path: &Path) -> Result<File, Error> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
}

/// How far back from the end of an index file [`reconcile`] looks for the last line.
const TAIL_WINDOW: u64 = 4 << 20;

/// Repairs the tail of every index file in `index_dir` and returns each file's last line.
///
/// Lines are appended one at a time, each fsynced after the WARC bytes it points at and before
/// the store marks its URL done, so after a kill only the last line of a file can be torn (it
/// is cut off) or unknown to the store (the caller settles it). A last line whose record lies
/// past the end of its WARC file cannot come from this order of writes; it is dropped with a
/// warning rather than trusted. Cost: one short read per index file, whatever its size.
pub fn reconcile(index_dir: &Path, warc_dir: &Path) -> Result<Vec<Line>, Error> {
    let mut last_lines = Vec::new();
    let Ok(entries) = std::fs::read_dir(index_dir) else {
        return Ok(last_lines);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            last_lines.extend(reconcile_file(&path, warc_dir)?);
        }
    }
    Ok(last_lines)
}

fn reconcile_file(path: &Path, warc_dir: &Path) -> Result<Option<Line>, Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let start = len.saturating_sub(TAIL_WINDOW);
    file.seek(SeekFrom::Start(start)).map_err(io)?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).map_err(io)?;
    // A torn last line (no newline yet) was never acknowledged: cut it off.
    let complete = tail.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut keep = start + complete as u64;
    let body = &tail[..complete];
    let last_start = body[..body.len().saturating_sub(1)]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let last = serde_json::from_slice::<Line>(&body[last_start..]).ok();
    let last = match last {
        Some(line) if !points_inside(&line, warc_dir) => {
            tracing::warn!(file = %path.display(), url = %line.url, "index_line_dropped");
            keep = start + last_start as u64;
            None
        }
        other => other,
    };
    if keep < len {
        tracing::warn!(file = %path.display(), bytes = len - keep, "index_tail_trimmed");
        file.set_len(keep).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    Ok(last)
}

/// A line is good when its WARC file exists (closed) and holds the whole member it names.
fn points_inside(line: &Line, warc_dir: &Path) -> bool {
    if line.filename.contains('/') || line.filename.contains("..") {
        return false;
    }
    std::fs::metadata(warc_dir.join(&line.filename))
        .is_ok_and(|m| line.offset + line.length <= m.len())
}
