//! After a kill (issue 15, docs/architecture.md rule 6): the article versions and change events at the end of
//! the index and changes files that the store never heard of. A revisit appends its new index
//! line, then its events, then records the new state in the store; a kill anywhere in between
//! must lose no event and duplicate none. So on start:
//!
//! - an index line newer than the store's version whose edit event is missing (killed between
//!   the two appends) gets its event now, computed from the store's old fingerprint;
//! - the store takes the line's version and fingerprint, so the refetch that follows sees no
//!   edit (no duplicate);
//! - a removal, move or restoration in the changes tail sets the URL's gone state, so the
//!   refetch sees nothing new; a removal held for the run's judgement (suspect runs) whose
//!   event is in the tail is let go, so the run's end does not write it again.
//!
//! An event regenerated here is written like any other, its WARC `metadata` record first and
//! its line once that is durable ([`write_lost`]), but only when the session's first run
//! starts: the recorder is not running yet when the tails are read. Until then the store keeps
//! the old version, so a kill before the event is written regenerates it on the next start
//! (issue 15 item 5).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use url::Url;

use super::Error;
use crate::archive::{self, Capture, Recorder};
use crate::history::{self, Change, Event, Fingerprint, Pointer};
use crate::index::{self, Line};
use crate::store::{ArticleRow, Store};

/// An edit the index shows and the changes file lacks (a kill between the two appends): its
/// event, regenerated, the response record it refers to, and the line the store settles on
/// once the event is written.
#[derive(Debug)]
pub(super) struct Lost {
    event: Event,
    proof: Capture,
    line: Line,
}

/// Settles the store from the tails of the index (`lines`) and of the changes files (in
/// `dir`; the WARC files in `warc_dir`); returns the edit events to write before the store
/// takes their lines' versions ([`write_lost`]). An event whose response record cannot be read
/// back (to refer to it) is appended here, without a record, rather than lost: here, because
/// the recorder, which appends to the same files, is not running yet.
pub(super) fn settle_changes(
    store: &Store,
    (dir, warc_dir): (&Path, &Path),
    lines: &[Line],
) -> Result<Vec<Lost>, Error> {
    let tail = history::tail(dir).map_err(|source| io("read the changes tails in", dir, source))?;
    let mut lost = Vec::new();
    for line in lines.iter().filter(|l| l.version > 1) {
        let Some(known) = store.known_by_url(&line.url)? else {
            continue;
        };
        if known.version >= line.version {
            continue;
        }
        let current = (&line.filename, line.offset);
        let logged = tail.iter().any(|e| {
            e.url == line.url
                && e.change == Change::Edited
                && (&e.current.filename, e.current.offset) == current
        });
        if !logged {
            let old = known
                .fingerprint
                .as_deref()
                .and_then(Fingerprint::from_json);
            let event = lost_edit(line, old.as_ref());
            match response_of(warc_dir, line) {
                Some(proof) => lost.push(Lost {
                    event,
                    proof,
                    line: line.clone(),
                }),
                None => {
                    append(dir, &event)?;
                    tracing::warn!(url = %line.url, version = line.version, "change_event_recovered");
                }
            }
        }
    }
    let waiting = |line: &Line| {
        lost.iter()
            .any(|l| l.line.url == line.url && l.line.version == line.version)
    };
    for line in lines.iter().filter(|l| !waiting(l)) {
        settle_version(store, line)?;
    }
    for event in &tail {
        let gone = match event.change {
            Change::Removed | Change::Moved | Change::Suspect => Some(event.change.as_str()),
            Change::Restored => None,
            Change::Edited => continue,
        };
        // A held removal whose event was written, then killed before the store let it go.
        let released = matches!(event.change, Change::Removed | Change::Suspect)
            && store.settle_held(&event.url, &event.current, event.change.as_str())?;
        if released || store.settle_gone(&event.url, gone)? {
            tracing::info!(url = %event.url, change = event.change.as_str(), "change_reconciled");
        }
    }
    Ok(lost)
}

/// Writes the events [`settle_changes`] regenerated, each as a `metadata` record and then its
/// line, and only then lets the store take the line's version.
pub(super) async fn write_lost(
    recorder: &Recorder,
    changes_dir: &Path,
    store: &Store,
    lost: Vec<Lost>,
) -> Result<(), Error> {
    for Lost { event, proof, line } in lost {
        super::revise::event_record(recorder, changes_dir, &event, &proof).await?;
        tracing::warn!(url = %line.url, version = line.version, "change_event_recovered");
        settle_version(store, &line)?;
    }
    Ok(())
}

/// The store takes an index line's version and fingerprint.
fn settle_version(store: &Store, line: &Line) -> Result<(), Error> {
    let fingerprint = Fingerprint::of(&line.article).to_json();
    if store.settle_version(&line.url, line.version, &fingerprint, &line.pointer())? {
        tracing::info!(url = %line.url, version = line.version, "version_reconciled");
    }
    Ok(())
}

/// Records read past a settled line's response record looking for its `metadata` record.
const ROW_SEARCH: usize = 1024;

/// Writes the status page's row (issue 19) of an index line settled after a kill. The run loop
/// writes a row in the batch that marks its URL done, so a kill between the line and that
/// batch leaves the line without one. The line's `metadata` record is found after its response
/// record, in the same WARC file or a later one of the same portal ([`files_after`]); a line
/// whose record is not found (its file shipped and removed) gets no row, and the log says so:
/// the index line stays the record.
pub(super) fn restore_row(store: &Store, warc_dir: &Path, line: &Line) {
    match metadata_of(warc_dir, line) {
        Some(placed) => store.record_article(&ArticleRow::of(line, &placed)),
        None => tracing::warn!(url = %line.url, "article_row_not_restored"),
    }
}

/// Where the `metadata` record holding `line` landed: read from its response on, then through
/// the portal's later files, listed only if it is not in the response's own.
fn metadata_of(warc_dir: &Path, line: &Line) -> Option<archive::Placed> {
    let target = format!("{}{}", archive::METADATA_URN, line.url);
    let later = std::iter::once_with(|| files_after(warc_dir, &line.filename)).flatten();
    let files = std::iter::once((line.filename.clone(), line.offset)).chain(later.map(|f| (f, 0)));
    files
        .flat_map(|(file, from)| {
            let records = archive::reader::records_at(&warc_dir.join(&file), from);
            let records = records.into_iter().flatten().map_while(Result::ok);
            records.map(move |record| (file.clone(), record))
        })
        .take(ROW_SEARCH)
        .find(|(_, r)| {
            r.record_type() == Some("metadata") && r.header("WARC-Target-URI") == Some(&target)
        })
        .map(|(file, r)| archive::Placed {
            file,
            offset: r.offset,
            length: r.length,
        })
}

/// The closed WARC files of `name`'s portal written after it, oldest first: IIPC names
/// (`{prefix}-{YYYYMMDDhhmmss}-{serial:05}-{host}.warc.gz`, docs/configuration.md) of one
/// prefix sort in writing order. A `metadata` record may land in the file after its capture's:
/// the writer closes a file before a capture, and another page's capture can come between.
fn files_after(warc_dir: &Path, name: &str) -> Vec<String> {
    let Some(prefix) = name_prefix(name) else {
        return Vec::new();
    };
    let mut later: Vec<String> = std::fs::read_dir(warc_dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".warc.gz") && n.as_str() > name)
        .collect();
    later.sort();
    later
}

/// `name` up to the `-` before its time: the writer's prefix, which may hold `-` itself.
fn name_prefix(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    (0..b.len())
        .find(|&i| {
            b[i] == b'-'
                && digits(i + 1, 14)
                && b.get(i + 15) == Some(&b'-')
                && digits(i + 16, 5)
                && b.get(i + 21) == Some(&b'-')
        })
        .map(|i| &name[..=i])
}

/// The capture an event's `metadata` record refers to, read back from the response record
/// the index line points at.
fn response_of(warc_dir: &Path, line: &Line) -> Option<Capture> {
    let path = warc_dir.join(&line.filename);
    let record = match archive::reader::read_at(&path, line.offset) {
        Ok(record) => record,
        Err(err) => {
            tracing::warn!(url = %line.url, error = %crate::causes::Causes(&err), "change_event_unreferenced");
            return None;
        }
    };
    capture_of(line, &record)
}

/// The capture `line` indexed, from its response `record` (read back after a kill).
pub(super) fn capture_of(line: &Line, record: &archive::reader::Record) -> Option<Capture> {
    let date = record
        .header("WARC-Date")
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())?
        .with_timezone(&Utc);
    Some(Capture {
        url: Url::parse(&line.url).ok()?,
        date,
        record_id: record.header("WARC-Record-ID")?.to_string(),
        filename: line.filename.clone(),
        offset: line.offset,
        length: line.length,
        status: line.status,
        mime: line.mime.clone(),
        payload_digest: line.digest.clone(),
        truncated: None,
        revisit: None,
    })
}

/// The edit event of `line`, against the last version's fingerprint.
fn lost_edit(line: &Line, old: Option<&Fingerprint>) -> Event {
    let new = Fingerprint::of(&line.article);
    Event {
        url: line.url.clone(),
        portal: line.portal.clone(),
        change: Change::Edited,
        ts: line.ts.clone(),
        fields: old.map(|o| o.changed(&new)).unwrap_or_default(),
        status: line.status,
        target: None,
        previous: line.previous.clone().unwrap_or_default(),
        current: Pointer {
            ts: None,
            ..line.pointer()
        },
    }
}

fn append(dir: &Path, event: &Event) -> Result<(), Error> {
    let path = history::file_path(dir, &event.portal);
    let mut bytes = serde_json::to_vec(event).unwrap_or_default();
    bytes.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|source| io("open", &path, source))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_data())
        .map_err(|source| io("append a change event to", &path, source))
}

fn io(doing: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Index(index::Error::Io {
        doing,
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::tests::{html, rotating};

    #[test]
    fn prefixes_end_before_the_time_even_when_they_hold_dashes() {
        let name = "bao-can-tho-20261127180509-00007-crawl-1.example.warc.gz";
        assert_eq!(name_prefix(name), Some("bao-can-tho-"));
        assert_eq!(name_prefix("p-20260101000000-00002-h.warc.gz"), Some("p-"));
        assert_eq!(name_prefix("notes.txt"), None);
    }

    /// A settled line whose `metadata` record landed in the next file (another page's capture
    /// rotated the file in between) still gets its row's pointer, naming that file.
    #[test]
    fn a_metadata_record_in_the_next_file_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let (mut writer, article, _) = rotating(dir.path());
        let placed = writer
            .write_metadata(&article, "application/json", b"{}")
            .unwrap();
        writer.write_exchange(&html()).unwrap();
        writer.close().unwrap();
        assert_ne!(placed.file, article.filename);
        let line = Line::new("t", &article, crate::extract::Article::default());
        assert_eq!(metadata_of(dir.path(), &line), Some(placed));
    }
}
