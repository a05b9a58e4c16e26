//! The companion lines of metadata records (the crawl's JSON index): appended by the WARC
//! sync thread only after the record they describe is durable, and fsynced once per flight
//! per file before anyone is told (`super::commit`; house rule: WARC bytes durable → index
//! line → state, see `docs/reliability.md`). A batch here is one flight's jobs. A line is
//! written whole or not at all: a write that fails part-way is rolled back, and a file whose
//! rollback failed too is repaired (cut back to its last complete line) before the next line
//! goes in, so a later line is never glued to a torn one (issue 13, item 10). This module
//! never writes WARC records and never reads lines back.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::commit::{Done, SyncFailure};
use super::segments::{self, Policy};
use super::sink::{self, Sink, Wrap};

/// An index file open for appending, with the length of its complete lines.
struct LineFile {
    file: Box<dyn Sink>,
    /// Bytes of complete lines: where a torn write is rolled back to.
    len: u64,
    /// The UTC day of its first line (segments close a file on a new day).
    day: Option<NaiveDate>,
}

/// Files of companion lines, open for appending.
pub(super) struct Lines {
    files: HashMap<PathBuf, LineFile>,
    wrap: Wrap,
    /// With `[storage]`: when a file is closed into a segment (issue 18 item 4).
    segments: Option<Policy>,
}

impl Lines {
    /// Companion-line files closed into segments by `segments` (none: they grow forever).
    pub(super) fn new(segments: Option<Policy>) -> Lines {
        Lines {
            files: HashMap::new(),
            wrap: sink::plain(),
            segments,
        }
    }

    /// Appends lines through `wrap` (fault injection in tests).
    #[cfg(test)]
    fn with_wrap(wrap: Wrap) -> Lines {
        Lines {
            wrap,
            ..Lines::new(None)
        }
    }

    /// Closes the files due for a segment before any line of the batch goes in: those the
    /// batch writes to, and those open from earlier batches (a portal that wrote yesterday and
    /// nothing since is closed on the daemon's first batch of a new day). Every line they hold
    /// was fsynced by an earlier batch, and nothing of this batch lands in a segment unsynced.
    /// A file that cannot be closed stays the current one (a segment is late, no line lost).
    fn close_due_segments(&mut self, written: &[(String, Done)]) {
        let Some(policy) = self.segments else { return };
        let now = chrono::Utc::now();
        let mut files: Vec<PathBuf> = self.files.keys().cloned().collect();
        for (_, done) in written {
            if let Done::Member(_, Ok(_), Some((file, _))) = done
                && !files.contains(file)
            {
                files.push(file.clone());
            }
        }
        for file in files {
            let (len, day) = match self.files.get(&file) {
                Some(open) => (open.len, open.day),
                None => match (complete_len(&file), segments::first_day(&file)) {
                    (Ok(len), Ok(day)) => (len, day),
                    _ => continue,
                },
            };
            if !policy.due(len, day, now.date_naive()) {
                continue;
            }
            self.files.remove(&file);
            match segments::close(&file, now) {
                Ok(segment) => tracing::info!(segment = %segment.display(), "segment_closed"),
                Err(err) => {
                    tracing::warn!(file = %file.display(), %err, "segment_not_closed");
                }
            }
        }
    }

    /// Appends the companion line of every metadata job of the batch whose record is durable,
    /// then fsyncs each file written once. Returns the failures by job position.
    pub(super) fn append_durable(
        &mut self,
        written: &[(String, Done)],
        failed: &HashMap<String, SyncFailure>,
    ) -> HashMap<usize, SyncFailure> {
        self.close_due_segments(written);
        let mut failures = HashMap::new();
        let mut touched: Vec<(PathBuf, Vec<usize>)> = Vec::new();
        for (i, (prefix, done)) in written.iter().enumerate() {
            let Done::Member(_, Ok(_), Some((file, line))) = done else {
                continue;
            };
            if failed.contains_key(prefix) {
                continue;
            }
            match self.append(file, line) {
                Ok(()) => match touched.iter_mut().find(|(f, _)| f == file) {
                    Some((_, jobs)) => jobs.push(i),
                    None => touched.push((file.clone(), vec![i])),
                },
                Err(err) => {
                    failures.insert(i, SyncFailure::of("append an index line to", file, &err));
                }
            }
        }
        // All index files of the batch at once, as the WARC files (`parallel`, issue 17).
        let mut work = Vec::with_capacity(touched.len());
        for (path, open) in self.files.iter_mut() {
            if let Some(at) = touched.iter().position(|(f, _)| f == path) {
                work.push((path, open, std::mem::take(&mut touched[at].1)));
            }
        }
        let synced = super::parallel::each(work, |(file, open, jobs)| {
            (file, jobs, open.file.sync_data())
        });
        for (file, jobs, result) in synced {
            if let Err(err) = result {
                tracing::error!(file = %file.display(), error = %err, "index_sync_failed");
                for i in jobs {
                    failures.insert(i, SyncFailure::of("sync", file, &err));
                }
            }
        }
        failures
    }

    /// One write of the whole line (and its newline) on an `O_APPEND` file; rolled back when
    /// it fails part-way. A file whose rollback failed is dropped, and repaired when reopened.
    fn append(&mut self, path: &Path, line: &[u8]) -> std::io::Result<()> {
        if !self.files.contains_key(path) {
            let opened = self.open(path)?;
            self.files.insert(path.to_path_buf(), opened);
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line);
        bytes.push(b'\n');
        let Some(open) = self.files.get_mut(path) else {
            return Ok(());
        };
        match open.file.write_all(&bytes) {
            Ok(()) => {
                open.len += bytes.len() as u64;
                if open.day.is_none() {
                    open.day = Some(chrono::Utc::now().date_naive());
                }
                Ok(())
            }
            Err(err) => {
                if open.file.set_len(open.len).is_err() {
                    tracing::warn!(file = %path.display(), "index_line_rollback_failed");
                    self.files.remove(path);
                }
                Err(err)
            }
        }
    }

    /// Opens `path` for appending, first cutting a torn last line (left by a write whose
    /// rollback failed, or by a crash) back to the last newline.
    fn open(&self, path: &Path) -> std::io::Result<LineFile> {
        let complete = complete_len(path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let mut file = (self.wrap)(file);
        if file.len()? != complete {
            file.set_len(complete)?;
            tracing::warn!(file = %path.display(), kept = complete, "index_torn_line_cut");
        }
        let day = match (self.segments, complete) {
            (Some(_), 1..) => segments::first_day(path)?,
            _ => None,
        };
        Ok(LineFile {
            file,
            len: complete,
            day,
        })
    }
}

/// The length of `path` up to and including its last newline (0 when missing or empty),
/// scanning back from the end a block at a time: index files grow large, torn tails are short.
fn complete_len(path: &Path) -> std::io::Result<u64> {
    use std::io::{Read, Seek, SeekFrom};
    const BLOCK: u64 = 64 * 1024;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut end = file.metadata()?.len();
    let mut block = Vec::new();
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        block.resize((end - start) as usize, 0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        if let Some(i) = block.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::sink::faults::{Plan, wrap};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    #[test]
    fn a_torn_line_is_rolled_back_and_never_glued_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let plan = Arc::new(Plan::default());
        let mut lines = Lines::with_wrap(wrap(plan.clone()));
        lines.append(&path, br#"{"n":1}"#).unwrap();
        // A write that fails half-way is rolled back.
        plan.fail_write_after(0);
        assert!(
            lines
                .append(&path, br#"{"n":2,"long":"xxxxxxxxxxxx"}"#)
                .is_err()
        );
        plan.fail_writes.store(false, Ordering::SeqCst);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"n\":1}\n");
        // A write that fails half-way and whose rollback fails: the next line still starts on
        // a line of its own.
        plan.fail_write_after(0);
        plan.fail_set_len.store(true, Ordering::SeqCst);
        assert!(
            lines
                .append(&path, br#"{"n":3,"long":"yyyyyyyyyyyy"}"#)
                .is_err()
        );
        plan.fail_writes.store(false, Ordering::SeqCst);
        plan.fail_set_len.store(false, Ordering::SeqCst);
        lines.append(&path, br#"{"n":4}"#).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"n\":1}\n{\"n\":4}\n"
        );
    }

    /// One batch of lines for `path`, as a flight brings them.
    fn batch(path: &Path, lines: &[&str]) -> Vec<(String, Done)> {
        (lines.iter())
            .map(|line| {
                let (reply, _) = tokio::sync::oneshot::channel();
                let companion = Some((path.to_path_buf(), line.as_bytes().to_vec()));
                let placed = crate::archive::Placed {
                    file: "p.warc.gz".into(),
                    offset: 0,
                    length: 1,
                };
                ("p".to_string(), Done::Member(reply, Ok(placed), companion))
            })
            .collect()
    }

    #[test]
    fn a_file_past_the_segment_size_is_closed_before_the_next_batch_never_inside_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let mut lines = Lines::new(Some(Policy { max_size: 20 }));
        let ts = chrono::Utc::now().to_rfc3339();
        let line = |n: u32| format!("{{\"ts\":\"{ts}\",\"n\":{n}}}");
        let (one, two, three) = (line(1), line(2), line(3));
        let failed = lines.append_durable(&batch(&path, &[&one, &two]), &HashMap::new());
        assert!(failed.is_empty());
        assert!(
            segments::list(&path).unwrap().is_empty(),
            "a batch stays whole"
        );
        lines.append_durable(&batch(&path, &[&three]), &HashMap::new());
        let closed = segments::list(&path).unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(
            std::fs::read_to_string(&closed[0]).unwrap(),
            format!("{one}\n{two}\n")
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{three}\n")
        );
        // Open but idle since yesterday: closed by the next batch, whoever writes it.
        let other = dir.path().join("q.jsonl");
        let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
        lines.files.get_mut(&path).unwrap().day = Some(yesterday);
        lines.append_durable(&batch(&other, &[&one]), &HashMap::new());
        assert_eq!(segments::list(&path).unwrap().len(), 2);
        assert!(!path.exists(), "the idle file was closed");
        assert!(segments::list(&other).unwrap().is_empty());
        let mut unbounded = Lines::new(None);
        unbounded.append_durable(&batch(&path, &[&one]), &HashMap::new());
        unbounded.append_durable(&batch(&path, &[&two]), &HashMap::new());
        assert_eq!(
            segments::list(&path).unwrap().len(),
            2,
            "no [storage]: no segments"
        );
    }
}
