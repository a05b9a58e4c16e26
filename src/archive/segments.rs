//! Segments of the companion-line files (issue 18 item 4): with `[storage]` configured, the
//! current `index/{portal}.jsonl` or `changes/{portal}.jsonl` is closed — renamed whole — into
//! `…/segments/{portal}/{portal}-{YYYYMMDDThhmmssffffffZ}-{nnnn}.jsonl` (UTC, to the
//! microsecond; `nnnn` tells apart two closed within one) once it has grown past
//! `segment_size` or its first line is from an earlier UTC day, so that a closed, never again
//! written file can be uploaded and verified like a WARC (docs/storage.md).
//!
//! A segment is closed only where no writer has the file open: by the WARC sync thread, which
//! appends the lines, between two flights (every line of the file is fsynced by then), or when a session opens,
//! before the writer starts. The rename is atomic and the folders are fsynced after it, so a
//! kill leaves every line either in the current file or in the segment, never in both and
//! never in neither; the crash repair reads the newest segment's tail as well as the current
//! file's (`index::reconcile`). Names sort in the order the segments were closed. This module
//! never reads or judges a line beyond the first line's `ts`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

/// When a current file is closed into a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Closed once it holds this many bytes or more (`storage.segment_size`).
    pub max_size: u64,
}

impl Policy {
    /// A file of `len` bytes whose first line is from `first_day` is closed at `today` when it
    /// has grown to `max_size`, or when that first line is from an earlier day. An empty file
    /// is never closed.
    pub fn due(&self, len: u64, first_day: Option<NaiveDate>, today: NaiveDate) -> bool {
        len > 0 && (len >= self.max_size || first_day.is_some_and(|d| d < today))
    }
}

/// `{dir}/segments/{stem}` for the current file `{dir}/{stem}.jsonl`.
pub fn folder(current: &Path) -> PathBuf {
    let dir = current.parent().unwrap_or(Path::new("."));
    dir.join("segments").join(stem(current))
}

fn stem(current: &Path) -> String {
    current
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// The closed segments of `current`, oldest first (by name; none when there are none).
pub fn list(current: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = jsonl_files(&folder(current))?;
    found.sort();
    Ok(found)
}

/// The `*.jsonl` files of `dir`, unsorted.
fn jsonl_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut paths = super::paths_in(dir)?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "jsonl") && p.is_file());
    Ok(paths)
}

/// The UTC day of the first line's `ts` (index lines and change events both carry one, RFC
/// 3339); `None` for an empty file or a first line without one.
pub fn first_day(path: &Path) -> std::io::Result<Option<NaiveDate>> {
    #[derive(serde::Deserialize)]
    struct Stamp {
        ts: String,
    }
    let mut first = String::new();
    match std::fs::File::open(path) {
        Ok(file) => BufReader::new(file).read_line(&mut first)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let day = serde_json::from_str::<Stamp>(&first)
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(&s.ts).ok())
        .map(|t| t.to_utc().date_naive());
    Ok(day)
}

/// Renames `current` to its next segment name and fsyncs both folders; returns the segment.
/// The caller makes sure nobody writes to `current` meanwhile.
pub fn close(current: &Path, now: DateTime<Utc>) -> std::io::Result<PathBuf> {
    let folder = folder(current);
    std::fs::create_dir_all(&folder)?;
    // To the microsecond: a name must never come back once `keep_local` removed the segment
    // that had it (the upload queue knows a path once), and two sessions are far more than a
    // microsecond apart. Within one microsecond: the next number, still in closing order.
    let stamp = now.format(STAMP);
    let name = stem(current);
    let mut number = 0;
    let target = loop {
        let candidate = folder.join(format!("{name}-{stamp}-{number:04}.jsonl"));
        if !candidate.exists() {
            break candidate;
        }
        number += 1;
    };
    std::fs::File::open(current)?.sync_all()?;
    std::fs::rename(current, &target)?;
    sync_dir(&folder)?;
    if let Some(parent) = folder.parent() {
        sync_dir(parent)?;
    }
    sync_dir(current.parent().unwrap_or(Path::new(".")))?;
    Ok(target)
}

/// When the segment at `path` was closed, read from its name as [`close`] writes it (to the
/// microsecond); `None` for a name of another form. Every line in it was written before then.
pub fn closed_at(path: &str) -> Option<DateTime<Utc>> {
    let name = path.rsplit('/').next()?.strip_suffix(".jsonl")?;
    let (rest, _number) = name.rsplit_once('-')?;
    let (_stem, stamp) = rest.rsplit_once('-')?;
    let at = chrono::NaiveDateTime::parse_from_str(stamp, STAMP).ok()?;
    Some(at.and_utc())
}

/// The closing time in a segment's name: UTC, to the microsecond.
const STAMP: &str = "%Y%m%dT%H%M%S%6fZ";

/// Closes every current `*.jsonl` file of `dir` that `policy` says is due at `now`; for a
/// session opening, before the writer thread starts. Returns the segments written.
pub fn close_due(dir: &Path, policy: Policy, now: DateTime<Utc>) -> std::io::Result<Vec<PathBuf>> {
    let mut currents = jsonl_files(dir)?;
    currents.sort();
    let mut closed = Vec::new();
    for current in currents {
        let len = std::fs::metadata(&current)?.len();
        if policy.due(len, first_day(&current)?, now.date_naive()) {
            closed.push(close(&current, now)?);
        }
    }
    Ok(closed)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn a_file_is_due_by_size_or_by_an_earlier_first_day_and_never_empty() {
        let policy = Policy { max_size: 100 };
        let today = day("2026-12-04");
        assert!(!policy.due(0, Some(day("2026-01-01")), today), "empty");
        assert!(!policy.due(99, Some(today), today));
        assert!(policy.due(100, Some(today), today), "size");
        assert!(policy.due(1, Some(day("2026-12-03")), today), "day");
        assert!(!policy.due(1, None, today), "no ts: size only");
    }

    #[test]
    fn closing_renames_into_sorted_names_and_reads_the_first_day() {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join("p.jsonl");
        let now: DateTime<Utc> = "2026-12-04T10:00:00.000042Z".parse().unwrap();
        let mut closed = Vec::new();
        for n in 0..3 {
            std::fs::write(
                &current,
                format!("{{\"ts\":\"2026-12-0{}T23:59:59Z\"}}\n", n + 1),
            )
            .unwrap();
            assert_eq!(
                first_day(&current).unwrap(),
                Some(day(&format!("2026-12-0{}", n + 1)))
            );
            closed.push(close(&current, now).unwrap());
            assert!(!current.exists());
        }
        assert_eq!(
            list(&current).unwrap(),
            closed,
            "closing order is name order"
        );
        assert!(closed[0].ends_with("segments/p/p-20261204T100000000042Z-0000.jsonl"));
        assert!(closed[2].ends_with("segments/p/p-20261204T100000000042Z-0002.jsonl"));
        let second = std::fs::read_to_string(&closed[1]).unwrap();
        assert!(second.contains("2026-12-02"), "{second}");
    }

    #[test]
    fn the_closing_time_is_read_back_from_the_name() {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join("ba-ria.jsonl");
        std::fs::write(&current, "{}\n").unwrap();
        let now: DateTime<Utc> = "2026-12-04T10:00:00.000042Z".parse().unwrap();
        let segment = close(&current, now).unwrap();
        let relative = format!(
            "index/segments/ba-ria/{}",
            segment.file_name().unwrap().to_str().unwrap()
        );
        assert_eq!(closed_at(&relative), Some(now));
        assert_eq!(closed_at("index/segments/p/p.jsonl"), None);
        assert_eq!(closed_at("index/segments/p/p-yesterday-0000.jsonl"), None);
    }

    /// `keep_local` removes a shipped segment; a segment closed later in the same second must
    /// not take its name again (the upload queue would take it for the shipped one and never
    /// upload it: tests/storage_segments.rs lost two segments so).
    #[test]
    fn a_removed_segments_name_never_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let current = dir.path().join("p.jsonl");
        let first: DateTime<Utc> = "2026-12-04T10:00:00.100Z".parse().unwrap();
        std::fs::write(&current, "{}\n").unwrap();
        let shipped = close(&current, first).unwrap();
        std::fs::remove_file(&shipped).unwrap();
        std::fs::write(&current, "{}\n").unwrap();
        let later = close(&current, first + chrono::Duration::milliseconds(300)).unwrap();
        assert_ne!(later, shipped);
        assert!(later > shipped, "names still sort in closing order");
    }

    #[test]
    fn close_due_leaves_todays_small_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        let now: DateTime<Utc> = "2026-12-04T10:00:00Z".parse().unwrap();
        std::fs::write(
            dir.path().join("old.jsonl"),
            "{\"ts\":\"2026-12-03T01:00:00Z\"}\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("new.jsonl"),
            "{\"ts\":\"2026-12-04T01:00:00Z\"}\n",
        )
        .unwrap();
        let closed = close_due(dir.path(), Policy { max_size: 1 << 20 }, now).unwrap();
        assert_eq!(closed.len(), 1);
        assert!(closed[0].starts_with(dir.path().join("segments/old")));
        assert!(dir.path().join("new.jsonl").exists());
    }
}
