//! What `verify` found: counts and a list of problems, printed one per line.
//!
//! The [`Report`] is plain data so tests and `main` can branch on it; its `Display` is what a
//! person reads (`baoluu verify` prints it). Paths are relative to the archive directory.

use std::fmt;
use std::path::PathBuf;

/// The outcome of `verify`: what was read, and everything found wrong.
#[derive(Debug, Default)]
pub struct Report {
    /// WARC files read (closed files, plus leftover `.open` files).
    pub files: usize,
    /// Records read from them.
    pub records: usize,
    /// JSON index and CDXJ lines checked.
    pub index_lines: usize,
    /// A process held the archive lock: its `.open` files were skipped, not reported.
    pub writer_active: bool,
    pub problems: Vec<Problem>,
}

/// One thing wrong with the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// A gzip member that holds no complete record; the rest of the file could not be read.
    Unreadable {
        file: PathBuf,
        offset: u64,
        detail: String,
    },
    /// A record whose block or payload digest does not match its bytes.
    Digest {
        file: PathBuf,
        offset: u64,
        detail: String,
    },
    /// A JSON index or CDXJ line that does not parse, or does not point at its record.
    IndexLine {
        index: PathBuf,
        /// 1-based line number.
        line: usize,
        detail: String,
    },
    /// A `.open` WARC file while no process writes to the archive: a crash leftover.
    LeftOpen { file: PathBuf },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable {
                file,
                offset,
                detail,
            } => write!(
                f,
                "{} at offset {offset}: unreadable record, the rest of the file was not checked: {detail}",
                file.display()
            ),
            Problem::Digest {
                file,
                offset,
                detail,
            } => write!(f, "{} at offset {offset}: {detail}", file.display()),
            Problem::IndexLine {
                index,
                line,
                detail,
            } => write!(f, "{} line {line}: {detail}", index.display()),
            Problem::LeftOpen { file } => write!(
                f,
                "{}: left open by a process that stopped; the next `baoluu crawl` recovers it",
                file.display()
            ),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checked {} WARC files ({} records) and {} index lines: ",
            self.files, self.records, self.index_lines
        )?;
        match self.problems.len() {
            0 => writeln!(f, "no problems")?,
            1 => writeln!(f, "1 problem")?,
            n => writeln!(f, "{n} problems")?,
        }
        if self.writer_active {
            writeln!(
                f,
                "a baoluu process is writing to this archive: its open WARC files were skipped"
            )?;
        }
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}
