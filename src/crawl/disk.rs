//! The disk guard (issue 5): a run stops taking new work when the free space under
//! `archive_dir` falls below `min_free_space`, so it closes its files cleanly instead of
//! meeting ENOSPC mid-record.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often free space is measured: statvfs is cheap, but not per URL.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// Watches the free space of one filesystem: the one holding `archive_dir`, which must keep
/// `min_free_space` bytes free.
#[derive(Debug, Clone)]
pub(super) struct Guard {
    path: PathBuf,
    min_free: u64,
    last_check: Option<Instant>,
}

impl Guard {
    pub(super) fn new(path: &Path, min_free: u64) -> Guard {
        Guard {
            path: path.to_path_buf(),
            min_free,
            last_check: None,
        }
    }

    /// `Some(free bytes)` when the disk is below the minimum (checked at most once a second).
    pub(super) fn low(&mut self) -> Option<u64> {
        if self.last_check.is_some_and(|t| t.elapsed() < CHECK_EVERY) {
            return None;
        }
        self.last_check = Some(Instant::now());
        let free = free_space(&self.path)?;
        (free < self.min_free).then_some(free)
    }

    /// Why the run stopped, for its summary, when [`Guard::low`] found `free` bytes.
    pub(super) fn stop_reason(&self, free: u64) -> String {
        format!(
            "only {free} bytes free under {}, below min_free_space ({} bytes); free space and run again",
            self.path.display(),
            self.min_free
        )
    }

    pub(super) fn min_free(&self) -> u64 {
        self.min_free
    }
}

/// Bytes available to an unprivileged writer on the filesystem holding `path`
/// (`statvfs` f_bavail × f_frsize); None when it cannot be measured.
pub fn free_space(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stat` points to writable memory of
    // the right type; statvfs only writes into it, and we read it only when it returned 0.
    let status = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if status != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it initialised the whole struct.
    let stat = unsafe { stat.assume_init() };
    #[allow(clippy::unnecessary_cast)] // the field types differ between platforms
    Some((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_measured_and_the_guard_trips_below_the_minimum() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_space(dir.path()).unwrap();
        assert!(free > 0);
        assert_eq!(Guard::new(dir.path(), 1).low(), None);
        assert!(Guard::new(dir.path(), u64::MAX).low().is_some());
        assert_eq!(free_space(Path::new("/no/such/dir")), None);
    }
}
