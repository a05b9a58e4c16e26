//! Index: one JSON line per archived article, pointing at its WARC record.
//!
//! Last stage of the pipeline (design.md §1, §2 "JSON index line"). A line is appended to
//! `archive_dir/index/{portal}.jsonl` only after the WARC bytes it points at are durable, and is
//! itself fsynced before the store marks the URL done (house rule 6), so a kill at any moment
//! leaves no line pointing at nothing. On start, [`reconcile`] drops lines that point past the
//! end of their WARC file (a torn tail that recovery trimmed) and reports the URLs the index
//! already holds, so the crawl can mark them done instead of archiving them twice.
//! The line's schema is `schema/index-line.schema.json`; field names follow CDXJ and WACZ
//! `pages.jsonl` where those define them. This module never reads WARCs to decide what to fetch.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
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
        self.dir.join(format!("{portal}.jsonl"))
    }
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

/// What [`reconcile`] found.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Lines kept, by portal: (url, line) — the crawl marks these URLs done.
    pub lines: Vec<Line>,
    /// Lines dropped because their record lies past the end of its file (or the file is gone).
    pub dropped: usize,
}

/// Checks every index file in `index_dir` against the WARC files in `warc_dir`, rewriting a
/// file only when a line must go (a torn last line, or a pointer past the end of its WARC).
pub fn reconcile(index_dir: &Path, warc_dir: &Path) -> Result<Reconciled, Error> {
    let mut result = Reconciled::default();
    let Ok(entries) = std::fs::read_dir(index_dir) else {
        return Ok(result);
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "jsonl") {
            reconcile_file(&path, warc_dir, &mut result)?;
        }
    }
    Ok(result)
}

fn reconcile_file(path: &Path, warc_dir: &Path, result: &mut Reconciled) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let reader = BufReader::new(File::open(path).map_err(io)?);
    let (mut kept, mut dropped) = (Vec::new(), 0usize);
    for raw in reader.split(b'\n') {
        let raw = raw.map_err(io)?;
        match serde_json::from_slice::<Line>(&raw) {
            Ok(line) if points_inside(&line, warc_dir) => kept.push(line),
            _ if raw.iter().all(u8::is_ascii_whitespace) => {}
            _ => dropped += 1,
        }
    }
    if dropped > 0 {
        tracing::warn!(file = %path.display(), dropped, "index_lines_dropped");
        rewrite(path, &kept)?;
    }
    result.dropped += dropped;
    result.lines.extend(kept);
    Ok(())
}

/// A line is good when its WARC file exists (closed) and holds the whole member it names.
fn points_inside(line: &Line, warc_dir: &Path) -> bool {
    if line.filename.contains('/') || line.filename.contains("..") {
        return false;
    }
    std::fs::metadata(warc_dir.join(&line.filename))
        .is_ok_and(|m| line.offset + line.length <= m.len())
}

fn rewrite(path: &Path, lines: &[Line]) -> Result<(), Error> {
    let tmp = path.with_extension("jsonl.tmp");
    let io = |source| Error::Io {
        path: tmp.clone(),
        source,
    };
    let mut file = File::create(&tmp).map_err(io)?;
    for line in lines {
        let mut bytes = serde_json::to_vec(line)?;
        bytes.push(b'\n');
        file.write_all(&bytes).map_err(io)?;
    }
    file.sync_all().map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
