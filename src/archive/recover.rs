//! Crash recovery: finish the `.warc.gz.open` files a killed process left behind.
//!
//! Runs at start-up, before any writer opens a file (docs/architecture.md rule 6). A writer appends whole
//! gzip members and fsyncs before reporting a capture, so after a crash everything up to the last
//! complete member is good and anything after it is a torn write nobody was told about. For each
//! `.open` file we keep the longest run of complete, parseable members, cut the rest, fsync and
//! rename to the final name; a file without a single complete record is removed. Index lines that
//! point past the new end are the index's business. This module never rewrites a member.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use tracing::info;

use super::{Error, reader};

const OPEN_SUFFIX: &str = ".open";

/// What recovery did to one `.open` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The final path (without `.open`); for a removed file, the path it was removed from.
    pub path: PathBuf,
    /// Complete records kept (0: the file was removed).
    pub records_kept: u64,
    /// Bytes cut from the end.
    pub bytes_trimmed: u64,
}

/// Trims and closes every `*.warc.gz.open` file in `warc_dir`. A missing directory holds nothing
/// to recover.
pub fn recover(warc_dir: &Path) -> Result<Vec<Recovered>, Error> {
    let mut done = Vec::new();
    for path in open_files(warc_dir)? {
        done.push(recover_file(warc_dir, &path)?);
    }
    Ok(done)
}

fn open_files(warc_dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match fs::read_dir(warc_dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list", warc_dir)(e)),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(Error::io("list", warc_dir))?.path();
        let is_open = path.to_str().is_some_and(|p| p.ends_with(".warc.gz.open"));
        if is_open && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// The end of the last complete record and how many records precede it.
fn good_prefix(path: &Path) -> Result<(u64, u64), Error> {
    prefix_of(reader::records(path)?)
}

/// [`good_prefix`] over any walk of the records.
pub(super) fn prefix_of(
    records: impl Iterator<Item = Result<reader::Record, Error>>,
) -> Result<(u64, u64), Error> {
    let (mut end, mut count) = (0, 0);
    for record in records {
        match record {
            Ok(record) => {
                end = record.offset + record.length;
                count += 1;
            }
            // Only corruption ends the good prefix; failing to read the disk is no verdict.
            Err(Error::Corrupt { .. }) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((end, count))
}

fn recover_file(warc_dir: &Path, path: &Path) -> Result<Recovered, Error> {
    let size = fs::metadata(path)
        .map_err(Error::io("measure", path))?
        .len();
    let (end, records_kept) = good_prefix(path)?;
    let final_path = final_path(path);
    if records_kept == 0 {
        fs::remove_file(path).map_err(Error::io("remove", path))?;
    } else {
        trim(path, end)?;
        rename_new(path, &final_path)?;
    }
    File::open(warc_dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("sync the folder", warc_dir))?;
    let bytes_trimmed = size - end;
    info!(file = %final_path.display(), records_kept, bytes_trimmed, "warc_recovered");
    Ok(Recovered {
        path: final_path,
        records_kept,
        bytes_trimmed,
    })
}

fn trim(path: &Path, end: u64) -> Result<(), Error> {
    let file = OpenOptions::new().write(true).open(path);
    file.and_then(|f| f.set_len(end).and_then(|()| f.sync_all()))
        .map_err(Error::io("trim", path))
}

/// Renames without ever replacing a finished file of the same name.
fn rename_new(from: &Path, to: &Path) -> Result<(), Error> {
    if to.exists() {
        let detail = format!(
            "{} already exists; move one of the two aside and start again",
            to.display()
        );
        return Err(Error::Corrupt {
            path: from.to_path_buf(),
            offset: 0,
            detail,
        });
    }
    fs::rename(from, to).map_err(Error::io("rename", from))
}

fn final_path(open: &Path) -> PathBuf {
    let text = open.to_string_lossy();
    PathBuf::from(text.strip_suffix(OPEN_SUFFIX).unwrap_or(&text))
}
