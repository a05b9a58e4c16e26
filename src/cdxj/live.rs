//! The CDXJ of the WARC files being written, built from what the writer already knows.
//!
//! [`Live`] is the recorder's [`Indexer`]: after each batch's fsync it gets the [`Facts`] of
//! every record now durable, turns them into lines by [`Entry::from_facts`] (the same rules as
//! the reading path) and appends them to a side file `index/cdxj/{warc}.cdxj.open`; when the
//! WARC file closes, the side file's lines are sorted bytewise into `{warc}.cdxj` (temporary
//! name, fsync, rename) and the side file is removed. No WARC byte is read back or inflated,
//! and memory holds one file's lines at most (issue 17 item 4). The side file is derived data
//! and never fsynced: a crash leaves it incomplete, or naming records recovery then cuts off,
//! so [`discard_side_files`] throws every one away at start and the reading path indexes what
//! recovery closed. A file whose side file missed a line (a failed write) is indexed by
//! reading at close instead. Failures are logged, never fatal: CDXJ can be rebuilt any time.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Entry, Error, install, path_for, write_for};
use crate::archive::{self, Facts, Indexer};

/// Lines of CDXJ built while the WARC files are written.
pub struct Live {
    warc_dir: PathBuf,
    index_dir: PathBuf,
    /// Side files being appended to, by WARC file name.
    open: HashMap<String, File>,
    /// WARC files whose side file missed a line: indexed by reading when they close.
    broken: HashSet<String>,
}

/// Where the unsorted lines of the WARC file named `warc_name` gather while it is written.
pub fn side_path(index_dir: &Path, warc_name: &str) -> PathBuf {
    index_dir
        .join("cdxj")
        .join(format!("{warc_name}.cdxj.open"))
}

impl Live {
    /// Indexes WARC files of `warc_dir` into `index_dir/cdxj`.
    pub fn new(warc_dir: &Path, index_dir: &Path) -> Live {
        Live {
            warc_dir: warc_dir.to_path_buf(),
            index_dir: index_dir.to_path_buf(),
            open: HashMap::new(),
            broken: HashSet::new(),
        }
    }

    /// Appends the lines of `records` to the side file of `file`, in one write.
    fn append(&mut self, file: &str, records: &[Facts]) -> Result<(), Error> {
        let mut text = String::new();
        for facts in records {
            let entry =
                Entry::from_facts(facts, file).map_err(|detail| archive::Error::Corrupt {
                    path: self.warc_dir.join(file),
                    offset: facts.offset,
                    detail,
                })?;
            if let Some(entry) = entry {
                text.push_str(&entry.to_line());
                text.push('\n');
            }
        }
        if text.is_empty() {
            return Ok(());
        }
        let path = side_path(&self.index_dir, file);
        let io = |source| Error::Io {
            path: path.clone(),
            source,
        };
        if !self.open.contains_key(file) {
            fs::create_dir_all(self.index_dir.join("cdxj")).map_err(io)?;
            // Truncated: a WARC name is new to this process, whatever an old side file says.
            let side = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .map_err(io)?;
            self.open.insert(file.to_string(), side);
        }
        match self.open.get_mut(file) {
            Some(side) => side.write_all(text.as_bytes()).map_err(io),
            None => Ok(()),
        }
    }

    /// Writes the index of the closed WARC `name`: sorted from its side file, or by reading
    /// the WARC when the side file missed a line.
    fn finish(&mut self, name: &str) -> Result<usize, Error> {
        // Closed before it is read: every line written is in the file.
        self.open.remove(name);
        let side = side_path(&self.index_dir, name);
        if self.broken.remove(name) {
            remove_if_present(&side)?;
            write_for(&self.warc_dir, &self.index_dir, Path::new(name))?;
            return Ok(0);
        }
        let lines = sort_into(&side, &path_for(&self.index_dir, name))?;
        remove_if_present(&side)?;
        Ok(lines)
    }
}

impl Indexer for Live {
    fn committed(&mut self, file: &str, records: Vec<Facts>) {
        if self.broken.contains(file) {
            return;
        }
        if let Err(err) = self.append(file, &records) {
            tracing::warn!(file, error = %err, "cdxj_side_failed");
            self.open.remove(file);
            self.broken.insert(file.to_string());
        }
    }

    fn closed(&mut self, files: Vec<PathBuf>) {
        for file in files {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match self.finish(&name) {
                Ok(lines) => tracing::info!(file = %name, lines, "cdxj_written"),
                Err(err) => tracing::error!(file = %file.display(), error = %err, "cdxj_failed"),
            }
        }
    }
}

/// Sorts the lines of `side` (none when it is missing: a file without an indexed record) into
/// `target`. Memory: the side file's bytes and one slice per line, no `String` per line.
fn sort_into(side: &Path, target: &Path) -> Result<usize, Error> {
    let bytes = match fs::read(side) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => {
            return Err(Error::Io {
                path: side.to_path_buf(),
                source,
            });
        }
    };
    let mut lines: Vec<&[u8]> = bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .collect();
    lines.sort_unstable();
    install(target, &lines)?;
    Ok(lines.len())
}

fn remove_if_present(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// At start, under the archive lock, after recovery indexed the files it closed: a side file
/// left now is a crash's (incomplete, or naming records recovery cut off), so none is trusted.
/// Each is removed; a closed WARC file that never got its index (killed between its rename and
/// the sort) is indexed by reading. Failures are logged: CDXJ is derived data.
pub fn discard_side_files(warc_dir: &Path, index_dir: &Path) {
    let Ok(entries) = fs::read_dir(index_dir.join("cdxj")) else {
        return;
    };
    for side in entries.flatten().map(|e| e.path()) {
        let Some(name) = side
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".cdxj.open"))
            .map(str::to_string)
        else {
            continue;
        };
        if let Err(err) = remove_if_present(&side) {
            tracing::error!(file = %side.display(), error = %err, "cdxj_side_not_removed");
        }
        let closed = warc_dir.join(&name);
        if closed.is_file() && !path_for(index_dir, &name).exists() {
            super::index_closed(warc_dir, index_dir, vec![closed]);
        }
    }
}
