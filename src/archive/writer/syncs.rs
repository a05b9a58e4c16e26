//! A writer's fsyncs: done here ([`Writer::sync`]) or handed to another thread
//! ([`Writer::start_sync`], then [`Writer::end_sync`] with the result), and the count of
//! records lost before their fsync.
//!
//! Part of the WARC writer. The writer thread hands its fsyncs out so that it can go on
//! appending while the disk works (issue 17, `super::super::commit`); whatever thread does
//! the fsync, the writer settles it: success makes the records' facts durable, a failure cuts
//! the file back to where those records began, and every record written since goes with them.
//! This module never writes a record.

use std::io;
use std::path::{Path, PathBuf};

use tracing::warn;

use super::{Error, Facts, Sink, Writer};

/// How many times records written but not yet fsynced were lost (a failed sync cut them off,
/// or their file was abandoned), and the file and OS error of the last time.
#[derive(Default)]
pub(super) struct Losses {
    count: u64,
    last: Option<(PathBuf, Option<i32>)>,
}

/// An fsync handed out by [`Writer::start_sync`]: a second handle on the file to sync on any
/// thread, and what the writer needs back to settle it.
pub(crate) struct Syncing {
    /// Sync this ([`Sink::sync_data`]).
    pub(crate) file: Box<dyn Sink>,
    pending: Pending,
}

/// Records written and not yet known durable.
struct Pending {
    /// Where they begin.
    from: u64,
    /// The file's final name.
    name: String,
    path: PathBuf,
    facts: Vec<Facts>,
}

impl Syncing {
    /// The file being synced (its `.open` path).
    pub(crate) fn path(&self) -> &Path {
        &self.pending.path
    }
}

impl Writer {
    /// How many times unsynced records were lost so far: a record written when this was `n`
    /// is durable after a later [`Writer::sync`] only while it is still `n`.
    pub fn losses(&self) -> u64 {
        self.losses.count
    }

    /// The error of a loss since the count was `count`, if any: what a record written then
    /// reports instead of being answered durable (ENOSPC still reads as a full disk, issue 7).
    pub fn lost_since(&self, count: u64) -> Option<Error> {
        if self.losses.count == count {
            return None;
        }
        let (path, code) = self.losses.last.clone().unwrap_or_default();
        let source = match code {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::other("a WARC record written before was lost before its fsync"),
        };
        Some(Error::io("sync", &path)(source))
    }

    /// Counts a loss of unsynced records in `path`.
    pub(super) fn lose(&mut self, path: &Path, code: Option<i32>) {
        self.losses.count += 1;
        self.losses.last = Some((path.to_path_buf(), code));
    }

    /// Makes every record written since the last sync durable. On failure those records are
    /// cut off again (the file is truncated to where they began), so nothing unsynced is ever
    /// left behind a later record; if even that fails, the file is abandoned as `.open` for
    /// [`crate::archive::recover`].
    pub fn sync(&mut self) -> Result<(), Error> {
        match self.start_sync()? {
            Some(mut syncing) => {
                let result = syncing.file.sync_data();
                self.end_sync(syncing, result)
            }
            None => Ok(()),
        }
    }

    /// Hands out the fsync of every record written so far, to be done on another thread
    /// while this writer goes on appending (issue 17: the writer thread no longer waits for
    /// the disk); [`Writer::end_sync`] takes its result. None: nothing to sync. Fails at once
    /// when unsynced records were lost (an abandoned file). A file that cannot be handed out
    /// (no second handle) is synced here instead.
    pub(crate) fn start_sync(&mut self) -> Result<Option<Syncing>, Error> {
        if let Some(lost) = self.lost.take() {
            return Err(lost);
        }
        let Some(open) = self.current.as_mut() else {
            return Ok(None);
        };
        let Some(from) = open.unsynced_from.take() else {
            return Ok(None);
        };
        let pending = Pending {
            from,
            name: open.name.clone(),
            path: open.path.clone(),
            facts: std::mem::take(&mut open.unsynced_facts),
        };
        match open.file.try_clone() {
            Ok(file) => Ok(Some(Syncing { file, pending })),
            Err(error) => {
                warn!(file = %open.path.display(), %error, "warc_sync_here");
                let result = open.file.sync_data();
                self.settle(pending, result).map(|()| None)
            }
        }
    }

    /// Takes the `result` of a sync handed out by [`Writer::start_sync`].
    pub(crate) fn end_sync(
        &mut self,
        syncing: Syncing,
        result: io::Result<()>,
    ) -> Result<(), Error> {
        self.settle(syncing.pending, result)
    }

    /// Success makes the records' facts durable. A failure cuts the file back to where those
    /// records began, taking every record written since with it (their facts too; the count
    /// of losses tells their writers), or abandons the file when even that fails (ext4 forgets
    /// a failed fsync's pages, so a later sync of the same file proves nothing about them).
    fn settle(&mut self, pending: Pending, result: io::Result<()>) -> Result<(), Error> {
        let Pending {
            from,
            name,
            path,
            facts,
        } = pending;
        let Err(source) = result else {
            self.commit(name, facts);
            return Ok(());
        };
        if let Some(open) = self.current.as_mut().filter(|open| open.name == name) {
            open.unsynced_from = None;
            open.unsynced_facts.clear();
            if open.file.set_len(from).is_ok() {
                open.size = from;
            } else {
                warn!(file = %path.display(), "warc_abandoned");
                self.current = None;
            }
        }
        self.lose(&path, source.raw_os_error());
        Err(Error::io("sync", &path)(source))
    }
}
