//! The few file operations the archive's appenders rely on (append, roll back, fsync, length),
//! behind a trait so that tests can make any one of them fail (issue 13, item 10: the failure
//! paths of a durable write cannot be reached on a healthy disk, and luck is no test). The
//! production implementation is `std::fs::File`; nothing else implements it outside tests.
//! This module never decides what to write.

use std::fs::File;
use std::io::{self, Write};

/// An append-only file as the WARC writer and the index-line appender use it.
pub(crate) trait Sink: Send {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Cuts the file back to `len` bytes (a rollback).
    fn set_len(&mut self, len: u64) -> io::Result<()>;
    fn sync_data(&mut self) -> io::Result<()>;
    fn sync_all(&mut self) -> io::Result<()>;
    /// The file's length as the file system sees it.
    fn len(&self) -> io::Result<u64>;
    /// A second handle on the same open file (another thread fsyncs it, issue 17).
    fn try_clone(&self) -> io::Result<Box<dyn Sink>>;
}

impl Sink for File {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        Write::write_all(self, bytes)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        File::set_len(self, len)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        File::sync_data(self)
    }

    fn sync_all(&mut self) -> io::Result<()> {
        File::sync_all(self)
    }

    fn len(&self) -> io::Result<u64> {
        self.metadata().map(|m| m.len())
    }

    fn try_clone(&self) -> io::Result<Box<dyn Sink>> {
        Ok(Box::new(File::try_clone(self)?))
    }
}

/// Wraps each file an appender opens: the identity in production, a fault injector in tests.
pub(crate) type Wrap = std::sync::Arc<dyn Fn(File) -> Box<dyn Sink> + Send + Sync>;

/// The production wrapper: the file itself.
pub(crate) fn plain() -> Wrap {
    std::sync::Arc::new(|file| Box::new(file))
}

#[cfg(test)]
pub(crate) mod faults {
    //! A file that fails on command, for the durability tests.

    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Which operations fail from now on. Shared between the test and every wrapped file.
    #[derive(Default)]
    pub(crate) struct Plan {
        /// Writes left before every further write fails after writing half its bytes.
        pub writes_left: AtomicUsize,
        pub fail_writes: AtomicBool,
        pub fail_set_len: AtomicBool,
        pub fail_sync: AtomicBool,
        /// While set, every fsync waits (a slow disk), then fails or not as `fail_sync` says.
        pub hold_sync: AtomicBool,
        /// fsyncs waiting on `hold_sync` now.
        pub held: AtomicUsize,
    }

    impl Plan {
        /// Waits while `hold_sync` is set.
        fn hold(&self) {
            if !self.hold_sync.load(Ordering::SeqCst) {
                return;
            }
            self.held.fetch_add(1, Ordering::SeqCst);
            while self.hold_sync.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            self.held.fetch_sub(1, Ordering::SeqCst);
        }

        /// Fails the write after `ok` more good ones (a torn write: half the bytes land).
        pub(crate) fn fail_write_after(&self, ok: usize) {
            self.writes_left.store(ok, Ordering::SeqCst);
            self.fail_writes.store(true, Ordering::SeqCst);
        }
    }

    struct Faulty {
        file: File,
        plan: Arc<Plan>,
    }

    fn eio() -> io::Error {
        io::Error::from_raw_os_error(libc::EIO)
    }

    impl Sink for Faulty {
        fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
            let plan = &self.plan;
            if plan.fail_writes.load(Ordering::SeqCst) {
                let left = plan.writes_left.load(Ordering::SeqCst);
                if left == 0 {
                    Write::write_all(&mut self.file, &bytes[..bytes.len() / 2])?;
                    return Err(io::Error::from_raw_os_error(libc::ENOSPC));
                }
                plan.writes_left.store(left - 1, Ordering::SeqCst);
            }
            Write::write_all(&mut self.file, bytes)
        }

        fn set_len(&mut self, len: u64) -> io::Result<()> {
            if self.plan.fail_set_len.load(Ordering::SeqCst) {
                return Err(eio());
            }
            self.file.set_len(len)
        }

        fn sync_data(&mut self) -> io::Result<()> {
            self.plan.hold();
            if self.plan.fail_sync.load(Ordering::SeqCst) {
                return Err(eio());
            }
            self.file.sync_data()
        }

        fn sync_all(&mut self) -> io::Result<()> {
            if self.plan.fail_sync.load(Ordering::SeqCst) {
                return Err(eio());
            }
            self.file.sync_all()
        }

        fn len(&self) -> io::Result<u64> {
            self.file.metadata().map(|m| m.len())
        }

        fn try_clone(&self) -> io::Result<Box<dyn Sink>> {
            Ok(Box::new(Faulty {
                file: self.file.try_clone()?,
                plan: self.plan.clone(),
            }))
        }
    }

    /// A wrapper that makes every opened file follow `plan`.
    pub(crate) fn wrap(plan: Arc<Plan>) -> Wrap {
        Arc::new(move |file| {
            Box::new(Faulty {
                file,
                plan: plan.clone(),
            })
        })
    }
}
