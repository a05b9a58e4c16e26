//! WARC files that are not on local disk but can be brought back one at a time: with
//! `[storage]`, those `keep_local` removed, which the binary fetches from the bucket. `verify`
//! walks each while its copy exists, keeps what the index checks read of the records the index
//! points at in it, and lets the copy go before bringing the next, so at most one is on disk
//! however large the archive (a disk sized for `keep_local` has no room for all of them).
//!
//! A hook ([`Removed`]): `verify` never knows where the files come from, and reads only what
//! it is handed. Without removed files nothing changes: the index checks read the archive.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::archive::reader::Record;
use crate::cdxj::Entry;

/// Why a removed file could not be brought back (the caller's own error).
pub type BringError = Box<dyn std::error::Error + Send + Sync>;

/// The archive's WARC files that are gone from `warc/` and can be brought back one at a time.
pub trait Removed {
    /// Their names under `warc/`.
    fn names(&self) -> Vec<String>;
    /// Brings the file `name` back, checked, where the archive's sources find it
    /// (`Sources::warc_dirs`), and returns where it is.
    fn bring(&mut self, name: &str) -> Result<PathBuf, BringError>;
    /// Removes a copy [`Removed::bring`] made; `verify` is done with it.
    fn release(&mut self, copy: &Path) -> Result<(), BringError>;
}

/// No removed files: the archive alone.
pub(super) struct NoneRemoved;

impl Removed for NoneRemoved {
    fn names(&self) -> Vec<String> {
        Vec::new()
    }

    fn bring(&mut self, name: &str) -> Result<PathBuf, BringError> {
        Err(format!("{name} is not a removed file").into())
    }

    fn release(&mut self, _copy: &Path) -> Result<(), BringError> {
        Ok(())
    }
}

/// What the index checks read of one record: all they need once its file is gone again.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub kind: Option<String>,
    pub status: Option<u16>,
    /// The member's compressed length.
    pub length: u64,
    pub url: Option<String>,
    pub digest: Option<String>,
    /// The CDXJ line [`crate::cdxj`] would write for it under the pointer's `filename`.
    pub entry: Result<Option<Entry>, String>,
}

impl Seen {
    pub(super) fn of(record: &Record, filename: &str) -> Seen {
        Seen {
            kind: record.record_type().map(str::to_string),
            status: record.http_status(),
            length: record.length,
            url: record.header("WARC-Target-URI").map(str::to_string),
            digest: record.header("WARC-Payload-Digest").map(str::to_string),
            entry: Entry::for_record(record, filename),
        }
    }
}

/// What the index points at in the removed files, read while each one's copy existed.
#[derive(Debug, Default)]
pub(super) struct Kept {
    /// Offsets the index lines point at, by removed file name.
    wanted: HashMap<String, BTreeSet<u64>>,
    /// The record at each, or why none could be read there.
    seen: HashMap<(String, u64), Result<Seen, String>>,
}

impl Kept {
    /// Kept records of the files `names`, at the `pointers` (`filename`, `offset`) the index
    /// lines hold; pointers into other files are left to be read from the archive.
    pub(super) fn new(names: &[String], pointers: Vec<(String, u64)>) -> Kept {
        let names: HashSet<&String> = names.iter().collect();
        let mut wanted: HashMap<String, BTreeSet<u64>> = HashMap::new();
        for (filename, offset) in pointers {
            if names.contains(&filename) {
                wanted.entry(filename).or_default().insert(offset);
            }
        }
        Kept {
            wanted,
            seen: HashMap::new(),
        }
    }

    /// Reads the records the index points at in `name`, whose copy is at `copy`.
    pub(super) fn read(&mut self, name: &str, copy: &Path) {
        let Some(offsets) = self.wanted.get(name) else {
            return;
        };
        for &offset in offsets {
            let seen = super::indexes::read_record(copy, name, offset).map(|r| Seen::of(&r, name));
            self.seen.insert((name.to_string(), offset), seen);
        }
    }

    /// The record at `offset` of the removed file `filename`, when it was kept.
    pub(super) fn get(&self, filename: &str, offset: u64) -> Option<Result<Seen, String>> {
        self.seen.get(&(filename.to_string(), offset)).cloned()
    }
}
