//! The change events and their files: one JSON line per event in
//! `archive_dir/changes/{portal}.jsonl` (not under `index/`: the index lists versions, this
//! lists what happened to them). Lines are appended by the WARC recorder after the event's
//! `metadata` record is durable, as index lines are (docs/reliability.md); this module defines
//! the line and reads the files back, whole for `baoluu changes` or their tails after a crash.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::index::{Pointer, Sources};

/// What happened to an archived article (issue 15, item 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The extracted article changed: a new version is in the index.
    Edited,
    /// 404/410, a redirect to the home page or a section, or a "không tồn tại" page.
    Removed,
    /// Back after a removal.
    Restored,
    /// A redirect to another article URL of the portal (a slug change).
    Moved,
    /// A removal seen during a run where most revisits came back removed (outage, redesign).
    Suspect,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Edited => "edited",
            Change::Removed => "removed",
            Change::Restored => "restored",
            Change::Moved => "moved",
            Change::Suspect => "suspect",
        }
    }
}

/// One event line (`baoluu changes --json` prints the same objects).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub url: String,
    pub portal: String,
    pub change: Change,
    /// Capture time of `current`, RFC 3339 UTC.
    pub ts: String,
    /// Edits (and moves whose target differs): the changed fields, named as in the index line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// HTTP status of the answer that proves the change.
    pub status: u16,
    /// Moves: the URL the article now lives at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The version before the change.
    pub previous: Pointer,
    /// The response that shows the change (the new version, the 404, the redirect).
    pub current: Pointer,
}

/// The folder of the events files under `archive_dir`.
const CHANGES: &str = "changes";

/// `archive_dir/changes`.
pub fn changes_dir(archive_dir: &Path) -> PathBuf {
    archive_dir.join(CHANGES)
}

/// The events file of `portal`.
pub fn file_path(dir: &Path, portal: &str) -> PathBuf {
    dir.join(format!("{portal}.jsonl"))
}

/// How far back from the end of an events file [`tail`] reads: at most one event per fetch in
/// flight can be unknown to the store after a kill, a few hundred bytes each.
const TAIL_WINDOW: u64 = 1 << 20;

/// Every event of every portal, in file order: each portal's closed segments, local or
/// fetched back, then its current file (lines that do not parse, such as a torn last line,
/// are skipped).
pub fn read_all(sources: &Sources) -> std::io::Result<Vec<Event>> {
    let mut events = Vec::new();
    for path in sources.line_files(CHANGES, None)? {
        events.extend(read_file(&path, 0)?);
    }
    Ok(events)
}

/// The events at the end of each file, and of each portal's newest segments (a kill right
/// after segments were closed leaves them there: issue 18 item 4): what a crash may have left
/// unknown to the store.
pub fn tail(dir: &Path) -> std::io::Result<Vec<Event>> {
    let mut events = Vec::new();
    for (segment, start) in crate::index::segment_tails(dir, TAIL_WINDOW) {
        events.extend(read_from(&segment, start)?);
    }
    events.extend(read_files(dir, TAIL_WINDOW)?);
    Ok(events)
}

fn read_files(dir: &Path, window: u64) -> std::io::Result<Vec<Event>> {
    let mut events = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(events);
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    paths.sort();
    for path in paths {
        events.extend(read_file(&path, window)?);
    }
    Ok(events)
}

fn read_file(path: &Path, window: u64) -> std::io::Result<Vec<Event>> {
    let len = std::fs::metadata(path)?.len();
    let start = match window {
        0 => 0,
        w => len.saturating_sub(w),
    };
    read_from(path, start)
}

/// The events of `path` from byte `start` on (a line cut by `start` is skipped).
fn read_from(path: &Path, start: u64) -> std::io::Result<Vec<Event>> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let mut pieces = bytes.split(|&b| b == b'\n');
    if start > 0 {
        // The window began inside a line.
        pieces.next();
    }
    Ok(pieces
        .filter_map(|line| serde_json::from_slice(line).ok())
        .collect())
}
