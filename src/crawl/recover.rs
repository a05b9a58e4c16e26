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
//! An event regenerated here is appended to the changes file directly (fsynced), without its
//! WARC `metadata` record: the recorder is not running yet.

use std::io::Write;
use std::path::Path;

use super::Error;
use crate::history::{self, Change, Event, Fingerprint, Pointer};
use crate::index::{self, Line};
use crate::store::Store;

/// Settles the store from the tails of the index (`lines`) and of the changes files.
pub(super) fn settle_changes(store: &Store, dir: &Path, lines: &[Line]) -> Result<(), Error> {
    let tail = history::tail(dir).map_err(|source| io("read the changes tails in", dir, source))?;
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
            append(dir, &lost_edit(line, old.as_ref()))?;
            tracing::warn!(url = %line.url, version = line.version, "change_event_recovered");
        }
    }
    for line in lines {
        let fingerprint = Fingerprint::of(&line.article).to_json();
        if store.settle_version(&line.url, line.version, &fingerprint, &line.pointer())? {
            tracing::info!(url = %line.url, version = line.version, "version_reconciled");
        }
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
    Ok(())
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
