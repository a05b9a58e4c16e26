//! The `archive_dir` lock: one writing process per archive.
//!
//! Taken at start-up, before recovery touches any `.open` file, and held until the process ends
//! (docs/archive.md). Two writers appending to the same WARCs, or one recovering a
//! file the other is writing, would destroy records, so a second process fails with a clear error
//! naming the holder's pid. The lock is an advisory `flock`-style lock on `archive_dir/.lock`
//! (released by the OS when the process dies, so a crash never leaves a stale lock); the pid in
//! the file is only for the message. This module never deletes the lock file.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Error;

/// The `archive_dir` lock, held for the life of a writing process (released on drop).
#[derive(Debug)]
pub struct Lock {
    /// Kept open: closing the file releases the lock.
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// Creates `archive_dir` if needed and locks `archive_dir/.lock`, or fails with
    /// [`Error::Locked`] naming the pid of the process that holds it.
    pub fn acquire(archive_dir: &Path) -> Result<Lock, Error> {
        Lock::acquire_named(archive_dir, ".lock")
    }

    /// The same lock on another file of `archive_dir`: `.uploads.lock` keeps a second process's
    /// uploader off an archive whose uploads another process runs (issue 18).
    pub fn acquire_named(archive_dir: &Path, name: &str) -> Result<Lock, Error> {
        fs::create_dir_all(archive_dir).map_err(Error::io("create the folder", archive_dir))?;
        let path = archive_dir.join(name);
        // No truncation on open: the holder's pid must stay readable for the error message.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(Error::io("open the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Locked {
                    pid: holder_pid(&mut file),
                    path,
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(Error::io("lock", &path)(source));
            }
        }
        write_pid(&mut file).map_err(Error::io("write the pid to", &path))?;
        Ok(Lock { _file: file, path })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn holder_pid(file: &mut File) -> String {
    let mut text = String::new();
    match file.read_to_string(&mut text) {
        Ok(_) if !text.trim().is_empty() => text.trim().to_string(),
        _ => "unknown".to_string(),
    }
}

fn write_pid(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", std::process::id())?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_while_first_is_held_and_succeeds_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        let first = Lock::acquire(&archive).unwrap();
        assert!(archive.is_dir());
        match Lock::acquire(&archive) {
            Err(Error::Locked { path, pid }) => {
                assert_eq!(path, archive.join(".lock"));
                assert_eq!(pid, std::process::id().to_string());
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        let again = Lock::acquire(&archive).unwrap();
        assert_eq!(
            fs::read_to_string(again.path()).unwrap().trim(),
            std::process::id().to_string()
        );
    }

    #[test]
    fn locked_error_tells_the_user_what_to_do() {
        let err = Error::Locked {
            path: PathBuf::from("/a/.lock"),
            pid: "42".into(),
        };
        let text = err.to_string();
        assert!(
            text.contains("pid 42") && text.contains("stop it"),
            "{text}"
        );
    }
}
