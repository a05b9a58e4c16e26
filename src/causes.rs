//! An error and its causes on one line, for logs (issue 16 item 4).
//!
//! Each error type of baoluu says what failed in its own message and leaves the cause to
//! `source()`, so nothing is said twice; `main` prints the whole chain with anyhow's `{:#}`.
//! A log line that shows only `{err}` would drop the cause: [`Causes`] writes what `{:#}`
//! writes, without anyhow (which stays in `main`). This module never decides what to log.

use std::error::Error;
use std::fmt;

/// Displays `err: cause: cause of the cause…`.
pub struct Causes<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A full disk under a WARC write, as a run ends with it.
    fn disk_full() -> crate::crawl::Error {
        let io = std::io::Error::from_raw_os_error(libc::ENOSPC);
        crate::archive::Error::io("write to", Path::new("/a/warc/x.warc.gz.open"))(io).into()
    }

    #[test]
    fn a_chain_names_each_cause_once() {
        let err = disk_full();
        let cause = std::io::Error::from_raw_os_error(libc::ENOSPC).to_string();
        let chained = format!("{:#}", anyhow::Error::from(disk_full()));
        assert_eq!(chained.matches(&cause).count(), 1, "{chained}");
        assert!(chained.starts_with("could not write to /a/warc/x.warc.gz.open: "));
        let logged = Causes(&err).to_string();
        assert_eq!(logged, chained);
        assert!(err.is_disk_full());
    }
}
