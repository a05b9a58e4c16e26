//! `baoluu verify`: read a whole archive back and list everything that is wrong with it.
//!
//! Stands beside the pipeline, not in it (docs/archive.md): it reads what the
//! archive and index stages wrote. Every record of every `warc/*.warc.gz` must parse, member by
//! member (WARC 1.1 Annex D.2), with block and payload digests that match its bytes; every JSON
//! index line (`index/*.jsonl`) must open a `response` record of the same URL, status and payload
//! digest at its `filename` / `offset` / `length`; every CDXJ line (`index/cdxj/*.cdxj`) must be
//! the line [`crate::cdxj`] would write for the record it points at, in sorted order; and a
//! `.open` file is a leftover of a crash unless a process holds the archive lock (then it is being
//! written, and is skipped). Problems are collected into a [`Report`], never raised one by one;
//! only an archive that cannot be read at all is an [`Error`]. This module never modifies WARC or
//! index files (`baoluu crawl` recovers leftovers on start). `verify --wacz FILE` checks a
//! package `baoluu wacz` wrote instead ([`verify_wacz`], issue 20). WARC files removed from the
//! archive are brought back through a hook ([`Removed`]) one at a time, each checked in its turn.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::archive::{self, Lock, reader};
use crate::index::Sources;

mod indexes;
mod removed;
mod report;
mod wacz;
mod wacz_index;

#[cfg(test)]
mod tests;

pub use removed::{BringError, Removed};
pub use report::{Problem, Report};
pub use wacz::{WaczReport, run_cli_wacz, verify_wacz};

/// A final WARC name (`.warc.gz`) and the in-progress suffix the writer adds.
const WARC_SUFFIX: &str = ".warc.gz";
const OPEN_SUFFIX: &str = ".open";

/// Failures that stop a verification: the archive could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{path} is not an archive directory (no warc/ or index/ folder); pass the archive_dir of your config"
    )]
    NotArchive { path: PathBuf },
    #[error("could not read {path}; check the path and permissions")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not check the archive lock")]
    Lock(#[source] archive::Error),
    /// The [`Removed`] hook failed: its error, for the caller to explain.
    #[error("could not bring back {name}, a WARC file removed from the archive")]
    Removed {
        name: String,
        #[source]
        source: BringError,
    },
}

/// Verifies the archive under `archive_dir` (see the module doc for what is checked).
pub fn verify(archive_dir: &Path) -> Result<Report, Error> {
    verify_sources(&Sources::local(archive_dir))
}

/// Verifies an archive together with the copies of its files fetched back from the bucket
/// after `keep_local` removed them (issue 18 item 4): every WARC file, local or fetched, and
/// every index line of each portal's segments and current file.
pub fn verify_sources(sources: &Sources) -> Result<Report, Error> {
    verify_removed(sources, &mut removed::NoneRemoved)
}

/// [`verify_sources`], with the WARC files `removed` names brought back one at a time, each
/// released before the next is brought (issue 18 item 4: disk for one of them, not all).
/// The report is the one [`verify_sources`] gives with all of them in the fetched copies.
pub fn verify_removed(sources: &Sources, removed: &mut dyn Removed) -> Result<Report, Error> {
    let archive_dir = sources.archive_dir();
    let warc_dir = archive_dir.join("warc");
    let index_dir = archive_dir.join("index");
    if !warc_dir.is_dir() && !index_dir.is_dir() {
        return Err(Error::NotArchive {
            path: archive_dir.to_path_buf(),
        });
    }
    let mut report = Report::default();
    let (closed, open) = warc_files(&sources.warc_dirs())?;
    // Held to the end when taken: a crawl starting now would recover the leftovers under us.
    let _lock = check_open_files(archive_dir, &open, &mut report)?;
    let leftovers: Vec<PathBuf> = open.into_iter().filter(|p| p.exists()).collect();
    let here: HashSet<&OsStr> = closed.iter().filter_map(|p| p.file_name()).collect();
    let names: Vec<String> = (removed.names().into_iter())
        .filter(|n| !here.contains(OsStr::new(n)))
        .collect();
    // Without removed files every pointer is read from disk as the lines are checked.
    let pointers = match names.is_empty() {
        true => Vec::new(),
        false => indexes::pointers(sources)?,
    };
    let mut kept = removed::Kept::new(&names, pointers);
    // In name order, the removed files among the closed ones, as when all were fetched.
    let mut walked: Vec<Warc> = (closed.into_iter().map(Warc::Here))
        .chain(names.into_iter().map(Warc::Removed))
        .collect();
    walked.sort_by(|a, b| a.name().cmp(&b.name()));
    if !report.writer_active {
        walked.extend(leftovers.into_iter().map(Warc::Here));
    }
    for warc in walked {
        match warc {
            Warc::Here(file) => check_warc(archive_dir, &file, &mut report)?,
            Warc::Removed(name) => {
                check_removed(archive_dir, removed, &name, &mut kept, &mut report)?
            }
        }
    }
    indexes::check(sources, &kept, &mut report)?;
    Ok(report)
}

/// A WARC file to walk: on disk, or removed and brought back in its turn.
enum Warc {
    Here(PathBuf),
    Removed(String),
}

impl Warc {
    fn name(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Warc::Here(path) => path.file_name().unwrap_or_default().to_string_lossy(),
            Warc::Removed(name) => name.into(),
        }
    }
}

/// Brings the removed file `name` back, walks it, keeps what the index points at in it, and
/// releases the copy.
fn check_removed(
    archive_dir: &Path,
    removed: &mut dyn Removed,
    name: &str,
    kept: &mut removed::Kept,
    report: &mut Report,
) -> Result<(), Error> {
    let failed = |source| Error::Removed {
        name: name.to_string(),
        source,
    };
    let copy = removed.bring(name).map_err(failed)?;
    let walked = check_warc(archive_dir, &copy, report);
    kept.read(name, &copy);
    removed.release(&copy).map_err(failed)?;
    walked
}

/// Prints the report of `verify(archive_dir)` on stdout and returns the exit code: 0 when the
/// archive is sound, 1 when it has problems (docs/configuration.md exit codes). `main` calls this.
pub fn run_cli(archive_dir: &Path) -> Result<u8, Error> {
    run_cli_removed(&Sources::local(archive_dir), &mut removed::NoneRemoved)
}

/// [`run_cli`] over an archive, its fetched-back copies and the WARC files `removed` brings
/// back one at a time ([`verify_removed`]).
pub fn run_cli_removed(sources: &Sources, removed: &mut dyn Removed) -> Result<u8, Error> {
    let report = verify_removed(sources, removed)?;
    print!("{report}");
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

/// The closed (`.warc.gz`) and in-progress (`.warc.gz.open`) files of `warc_dirs` (the
/// archive's, then the fetched copies': a name already found is not taken again), sorted.
fn warc_files(warc_dirs: &[PathBuf]) -> Result<(Vec<PathBuf>, Vec<PathBuf>), Error> {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in warc_dirs {
        for path in list_dir(dir)? {
            if !files.iter().any(|f| f.file_name() == path.file_name()) {
                files.push(path);
            }
        }
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let name = |p: &PathBuf| {
        p.file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let open_suffix = format!("{WARC_SUFFIX}{OPEN_SUFFIX}");
    let closed = files
        .iter()
        .filter(|p| name(p).ends_with(WARC_SUFFIX))
        .cloned()
        .collect();
    let open = files
        .into_iter()
        .filter(|p| name(p).ends_with(&open_suffix))
        .collect();
    Ok((closed, open))
}

/// The entries of `dir`, or none when it does not exist.
pub(crate) fn list_dir(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    crate::archive::paths_in(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })
}

/// With `.open` files present, tries the archive lock: taken, nobody is writing and each `.open`
/// that still exists is a leftover (returned lock kept for the rest of the run); refused, a
/// writer is at work and its files are skipped.
fn check_open_files(
    archive_dir: &Path,
    open: &[PathBuf],
    report: &mut Report,
) -> Result<Option<Lock>, Error> {
    if open.is_empty() {
        return Ok(None);
    }
    match Lock::acquire(archive_dir) {
        Ok(lock) => {
            for file in open.iter().filter(|p| p.exists()) {
                report.problems.push(Problem::LeftOpen {
                    file: relative(archive_dir, file),
                });
            }
            Ok(Some(lock))
        }
        Err(archive::Error::Locked { .. }) => {
            report.writer_active = true;
            Ok(None)
        }
        Err(other) => Err(Error::Lock(other)),
    }
}

/// Walks one WARC file: every member parses, every digest matches.
fn check_warc(archive_dir: &Path, file: &Path, report: &mut Report) -> Result<(), Error> {
    let shown = relative(archive_dir, file);
    report.files += 1;
    for record in reader::records(file).map_err(|e| io_error(file, e))? {
        match record {
            Ok(record) => {
                report.records += 1;
                if let Err(detail) = record.verify_digests() {
                    report.problems.push(Problem::Digest {
                        file: shown.clone(),
                        offset: record.offset,
                        detail,
                    });
                }
            }
            Err(archive::Error::Corrupt { offset, detail, .. }) => {
                report.problems.push(Problem::Unreadable {
                    file: shown.clone(),
                    offset,
                    detail,
                });
            }
            Err(other) => return Err(io_error(file, other)),
        }
    }
    Ok(())
}

/// An archive error that is no finding about the archive (I/O): it stops the run.
fn io_error(file: &Path, err: archive::Error) -> Error {
    match err {
        archive::Error::Io { path, source, .. } => Error::Io { path, source },
        other => Error::Io {
            path: file.to_path_buf(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

/// `path` relative to `archive_dir`, for messages.
fn relative(archive_dir: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(archive_dir).unwrap_or(path).to_path_buf()
}
