//! Reading an archive whose files `keep_local` removed (issue 18 item 4): the readers
//! (`verify`, `wacz`, `changes`) get an [`Sources`] that also reads copies fetched back
//! from the bucket — the WARC files and index/changes segments the state store records as
//! verified in the bucket and deleted locally — so they see one index and every record, as if
//! nothing had been removed. Index `filename`s do not change.
//!
//! Copies go to a temporary folder beside the archive (`archive_dir/.fetched-…`, removed when
//! the reading ends), never into the archive's own folders: the uploader lists only those, so
//! it never takes a copy for a new file. Each copy is checked against the size and SHA-256
//! recorded at upload before a reader sees it. Without `[storage]`, or with nothing deleted,
//! nothing is fetched and the readers read the archive alone. Never uploads or deletes.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{Error, Remote};
use crate::archive::segments;
use crate::config::Config;
use crate::index::Sources;
use crate::store::{Store, Uploaded};

/// An archive's sources for one reading, and the folder of fetched copies they use (removed
/// when this is dropped).
#[derive(Debug)]
pub struct Reading {
    pub sources: Sources,
    /// Files fetched from the bucket for this reading.
    pub fetched: u64,
    /// Files left in the bucket until the reader asks for each ([`reading_deferring`]).
    pub deferred: Option<Deferred>,
    _copies: Option<Copies>,
}

/// Removed files a reader fetches one at a time, each when it gets to it, into the reading's
/// folder of copies (`verify` walks removed WARCs so: however many there are, one copy at a
/// time is on disk).
#[derive(Debug)]
pub struct Deferred {
    remote: Remote,
    objects: Vec<Uploaded>,
    into: PathBuf,
}

impl Deferred {
    /// The archive-relative paths of the files left in the bucket (`warc/…`).
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.objects.iter().map(|o| o.path.as_str())
    }

    /// Fetches the file at `path` (one of [`Deferred::paths`]) and checks it against its
    /// record; returns where the copy is. The reader removes it with [`Deferred::discard`].
    pub async fn fetch(&self, path: &str) -> Result<PathBuf, Error> {
        let object =
            (self.objects.iter().find(|o| o.path == path)).ok_or_else(|| Error::Local {
                path: PathBuf::from(path),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "not a file this reading left in the bucket",
                ),
            })?;
        fetch(&self.remote, object, &self.into).await?;
        tracing::debug!(path, "fetched_for_reading");
        Ok(self.into.join(path))
    }

    /// Removes a copy [`Deferred::fetch`] made, before the next one is fetched.
    pub fn discard(&self, copy: &Path) -> Result<(), Error> {
        std::fs::remove_file(copy).map_err(|source| Error::Local {
            path: copy.to_path_buf(),
            source,
        })
    }
}

/// The folder of fetched copies, removed with everything in it when dropped.
#[derive(Debug)]
struct Copies(PathBuf);

impl Copies {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Copies {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(dir = %self.0.display(), %err, "fetched_copies_not_removed");
        }
    }
}

impl Reading {
    /// The archive alone.
    pub fn of(archive_dir: &Path) -> Reading {
        Reading {
            sources: Sources::local(archive_dir),
            fetched: 0,
            deferred: None,
            _copies: None,
        }
    }
}

/// The sources of `config`'s archive, with copies of the verified objects that `wanted` picks
/// and whose local copy is gone fetched from the bucket. `wanted` sees archive-relative paths
/// (`warc/…`, `index/segments/…`, `changes/segments/…`).
pub async fn reading(config: &Config, wanted: impl Fn(&str) -> bool) -> Result<Reading, Error> {
    reading_deferring(config, wanted, |_| false).await
}

/// [`reading`], except that the objects `later` picks among those `wanted` are not fetched
/// now: the reader fetches them one at a time through [`Reading::deferred`].
pub async fn reading_deferring(
    config: &Config,
    wanted: impl Fn(&str) -> bool,
    later: impl Fn(&str) -> bool,
) -> Result<Reading, Error> {
    let archive_dir = &config.crawler.archive_dir;
    let state = archive_dir.join("state.sqlite");
    let Some(storage) = config.storage.as_ref().filter(|_| state.is_file()) else {
        return Ok(Reading::of(archive_dir));
    };
    let store = Store::open_read_only(&state)?;
    let (deferred, missing): (Vec<Uploaded>, Vec<Uploaded>) = (store.uploaded()?.into_iter())
        .filter(|o| wanted(&o.path) && !archive_dir.join(&o.path).is_file())
        .partition(|o| later(&o.path));
    if missing.is_empty() && deferred.is_empty() {
        return Ok(Reading::of(archive_dir));
    }
    let remote = Remote::connect(storage)?;
    let copies = copies_dir(archive_dir)?;
    for object in &missing {
        fetch(&remote, object, copies.path()).await?;
    }
    tracing::info!(
        files = missing.len(),
        later = deferred.len(),
        "fetched_for_reading"
    );
    let deferred = (!deferred.is_empty()).then(|| Deferred {
        remote,
        objects: deferred,
        into: copies.path().to_path_buf(),
    });
    Ok(Reading {
        sources: Sources::local(archive_dir).with_fetched(copies.path()),
        fetched: missing.len() as u64,
        deferred,
        _copies: Some(copies),
    })
}

/// `archive_dir/.fetched-{pid}-{n}`: on the archive's disk, where the space for its files is;
/// a new folder for each reading, so two readers never share one.
fn copies_dir(archive_dir: &Path) -> Result<Copies, Error> {
    let mut n = 0u32;
    loop {
        let dir = archive_dir.join(format!(".fetched-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(Copies(dir)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            Err(source) => return Err(Error::Local { path: dir, source }),
        }
    }
}

/// Downloads one object under `into` (the archive's layout) and checks it against its record.
pub(super) async fn fetch(remote: &Remote, object: &Uploaded, into: &Path) -> Result<(), Error> {
    let target = into.join(&object.path);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::Local {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    let (size, sha256) = remote.download(&object.path, &target).await?;
    if (size, sha256.as_str()) != (object.size, object.sha256.as_str()) {
        let _ = std::fs::remove_file(&target);
        return Err(Error::CopyMismatch {
            key: remote.key(&object.path),
            recorded_size: object.size,
            recorded: object.sha256.clone(),
            found_size: size,
            found: sha256,
        });
    }
    Ok(())
}

/// The `wanted` of `verify`: every WARC file and index segment.
pub fn for_verify(path: &str) -> bool {
    is_warc(path) || is_segment_of(path, "index", None)
}

/// Whether the archive-relative `path` is a WARC file: the `later` of `verify`, which
/// fetches those one at a time (a segment is small and every line is read together).
pub fn is_warc(path: &str) -> bool {
    path.starts_with("warc/")
}

/// The `wanted` of `changes` for the events of `portal` (every portal's when `None`) seen at
/// or after `since`: those portals' changes segments closed at or after `since`, and with
/// `diffs` (the text form, not `--json`) their index segments, which hold the versions the
/// word diffs compare, of any age (`storage::versions` fetches only those that may hold one). A segment closed before `since` holds no wanted event: an
/// event is appended, stamped with its capture time, before the segment holding it is closed
/// and named after that moment (`archive::segments`), both on this machine's clock.
pub fn for_changes(
    portal: Option<&str>,
    since: Option<DateTime<Utc>>,
    diffs: bool,
) -> impl Fn(&str) -> bool + '_ {
    move |path| {
        let recent = || {
            let closed = segments::closed_at(path);
            since.is_none_or(|since| closed.is_none_or(|closed| closed >= since))
        };
        (is_segment_of(path, "changes", portal) && recent())
            || (diffs && is_segment_of(path, "index", portal))
    }
}

/// Whether the archive-relative `path` is a closed segment of `folder` (`"index"` or
/// `"changes"`) of `portal`, or of any portal when `None`: judged from the path, whose folder
/// names the portal (`{folder}/segments/{portal}/…`), before anything is downloaded. The
/// readers that take a `--portal` (`changes`, `wacz`) fetch only that portal's segments so.
pub fn is_segment_of(path: &str, folder: &str, portal: Option<&str>) -> bool {
    let segment = path
        .strip_prefix(folder)
        .and_then(|rest| rest.strip_prefix("/segments/"));
    let Some(rest) = segment else {
        return false;
    };
    portal.is_none_or(|portal| {
        rest.strip_prefix(portal)
            .is_some_and(|r| r.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_belongs_to_the_portal_its_folder_names() {
        let path = "index/segments/ba-ria/ba-ria-20261204T100000000042Z-0000.jsonl";
        assert!(is_segment_of(path, "index", Some("ba-ria")));
        assert!(is_segment_of(path, "index", None));
        assert!(
            !is_segment_of(path, "index", Some("ba")),
            "a prefix of the name"
        );
        assert!(!is_segment_of(path, "changes", None));
        assert!(!is_segment_of(
            "index/cdxj/ba-ria-1.warc.gz.cdxj",
            "index",
            None
        ));
    }

    #[test]
    fn changes_wants_its_portals_segments_closed_since_and_index_ones_for_diffs() {
        let since = "2026-12-04T10:00:00Z".parse().ok();
        let wanted = for_changes(Some("h"), since, true);
        assert!(wanted(
            "changes/segments/h/h-20261204T100000000000Z-0000.jsonl"
        ));
        assert!(!wanted(
            "changes/segments/h/h-20261204T095959999999Z-0000.jsonl"
        ));
        assert!(!wanted(
            "changes/segments/g/g-20261204T110000000000Z-0000.jsonl"
        ));
        let old_version = "index/segments/h/h-20200101T000000000000Z-0000.jsonl";
        assert!(
            wanted(old_version),
            "a diff may compare a version of any age"
        );
        assert!(!wanted(
            "index/segments/g/g-20261204T110000000000Z-0000.jsonl"
        ));
        assert!(!wanted("warc/h-20261204100000-00000-x.warc.gz"));
        assert!(!for_changes(Some("h"), since, false)(old_version), "--json");
        let all = for_changes(None, None, false);
        assert!(all(
            "changes/segments/g/g-20200101T000000000000Z-0000.jsonl"
        ));
    }
}
