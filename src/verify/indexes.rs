//! The index half of `verify`: every JSON index line and every CDXJ line must point at the
//! record it describes.
//!
//! A pointer is `filename` (relative to `archive_dir/warc`), `offset` and `length` of a gzip
//! member (schema/index-line.schema.json); the record found there is compared field by field, and
//! the first field that differs is named. A line may point into a `.open` file that a running
//! writer has not closed yet: the index is written once the WARC bytes are durable, before the
//! rename (docs/architecture.md rule 6). A pointer into a removed file is checked against what
//! was read of it while its copy existed ([`Kept`]).

use std::path::{Component, Path, PathBuf};

use super::removed::{Kept, Seen};
use super::{Error, Problem, Report, list_dir, relative};
use crate::archive::{self, reader, reader::Record};
use crate::cdxj::Entry;
use crate::index::{Line, Sources};

/// Where the checks find the records the lines point at: the archive's WARC folders, and what
/// was kept of the removed files.
struct Records<'a> {
    warc_dirs: Vec<PathBuf>,
    kept: &'a Kept,
}

/// Checks each portal's index (its segments, then `index/{portal}.jsonl`) and
/// `index/cdxj/*.cdxj`.
pub(super) fn check(sources: &Sources, kept: &Kept, report: &mut Report) -> Result<(), Error> {
    let archive_dir = sources.archive_dir();
    let index_dir = archive_dir.join("index");
    let records = Records {
        warc_dirs: sources.warc_dirs(),
        kept,
    };
    for file in json_files(sources)? {
        check_file(archive_dir, &file, report, |text| json_line(&records, text))?;
    }
    for file in files_ending(&index_dir.join("cdxj"), ".cdxj")? {
        check_file(archive_dir, &file, report, |text| cdxj_line(&records, text))?;
        check_sorted(archive_dir, &file, report)?;
    }
    Ok(())
}

/// Every (`filename`, `offset`) the index lines point at, read before any removed file is
/// brought back, so each is brought back once; lines that do not parse point nowhere.
pub(super) fn pointers(sources: &Sources) -> Result<Vec<(String, u64)>, Error> {
    let mut found = Vec::new();
    for file in json_files(sources)? {
        for text in lines(&file)?.into_iter().filter_map(|(_, t)| t.ok()) {
            let Ok(line) = serde_json::from_str::<Line>(&text) else {
                continue;
            };
            found.extend(line.previous.map(|p| (p.filename, p.offset)));
            found.push((line.filename, line.offset));
        }
    }
    let cdxj_dir = sources.archive_dir().join("index").join("cdxj");
    for file in files_ending(&cdxj_dir, ".cdxj")? {
        for text in lines(&file)?.into_iter().filter_map(|(_, t)| t.ok()) {
            if let Ok(entry) = Entry::parse(&text) {
                found.push((entry.filename, entry.offset));
            }
        }
    }
    Ok(found)
}

/// The JSON index files, portal by portal (segments, then the current file).
fn json_files(sources: &Sources) -> Result<Vec<PathBuf>, Error> {
    let listed = sources.line_files("index", None);
    listed.map_err(|source| Error::Io {
        path: sources.archive_dir().join("index"),
        source,
    })
}

fn files_ending(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<PathBuf> = list_dir(dir)?
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(suffix) && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// A 1-based line number and the line, or why it is no text.
type Numbered = (usize, Result<String, String>);

/// The non-blank lines of `file` with their 1-based numbers; a line that is not UTF-8 comes back
/// as `Err`.
fn lines(file: &Path) -> Result<Vec<Numbered>, Error> {
    let bytes = std::fs::read(file).map_err(|source| Error::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let numbered = bytes
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, raw)| !raw.iter().all(u8::is_ascii_whitespace))
        .map(|(i, raw)| {
            let text = String::from_utf8(raw.to_vec()).map_err(|_| "not UTF-8".to_string());
            (i + 1, text)
        })
        .collect();
    Ok(numbered)
}

fn check_file(
    archive_dir: &Path,
    file: &Path,
    report: &mut Report,
    check_line: impl Fn(&str) -> Result<(), String>,
) -> Result<(), Error> {
    for (line, text) in lines(file)? {
        report.index_lines += 1;
        if let Err(detail) = text.and_then(|t| check_line(&t)) {
            report.problems.push(Problem::IndexLine {
                index: relative(archive_dir, file),
                line,
                detail,
            });
        }
    }
    Ok(())
}

/// pywb binary-searches CDXJ files: a line out of order hides the lines around it.
fn check_sorted(archive_dir: &Path, file: &Path, report: &mut Report) -> Result<(), Error> {
    let numbered = lines(file)?;
    for pair in numbered.windows(2) {
        let ((_, Ok(before)), (line, Ok(after))) = (&pair[0], &pair[1]) else {
            continue;
        };
        if after.as_bytes() < before.as_bytes() {
            report.problems.push(Problem::IndexLine {
                index: relative(archive_dir, file),
                line: *line,
                detail: format!(
                    "out of order: sorts before line {}; CDXJ lines must be sorted bytewise",
                    pair[0].0
                ),
            });
        }
    }
    Ok(())
}

/// A JSON index line: a `response` record of the same URL, status, payload digest and length.
fn json_line(records: &Records, text: &str) -> Result<(), String> {
    let line: Line =
        serde_json::from_str(text).map_err(|e| format!("not a JSON index line: {e}"))?;
    let record = records.open(&line.filename, line.offset)?;
    let kind = record.kind.as_deref().unwrap_or("untyped");
    if kind != "response" {
        return Err(format!(
            "points at a {kind} record at offset {} of {}, not a response",
            line.offset, line.filename
        ));
    }
    let status = record.status.map(|s| s.to_string());
    let length = record.length.to_string();
    same("url", &line.url, record.url.as_deref())?;
    same("digest", &line.digest, record.digest.as_deref())?;
    same("status", &line.status.to_string(), status.as_deref())?;
    same("length", &line.length.to_string(), Some(&length))?;
    previous(records, &line)
}

/// An edited article's `previous` (issue 15): the prior version's response record, of the same
/// URL and of that length.
fn previous(records: &Records, line: &Line) -> Result<(), String> {
    let Some(previous) = &line.previous else {
        return match line.version {
            1 => Ok(()),
            v => Err(format!("version {v} without a previous version")),
        };
    };
    let record = (records.open(&previous.filename, previous.offset))
        .map_err(|e| format!("previous: {e}"))?;
    if record.kind.as_deref() != Some("response") {
        return Err(format!(
            "previous points at a {} record, not a response",
            record.kind.as_deref().unwrap_or("untyped")
        ));
    }
    same("previous url", &line.url, record.url.as_deref())?;
    let length = record.length.to_string();
    same(
        "previous length",
        &previous.length.to_string(),
        Some(&length),
    )
}

/// A CDXJ line: exactly the line [`crate::cdxj`] would write for the record it points at.
fn cdxj_line(records: &Records, text: &str) -> Result<(), String> {
    let entry = Entry::parse(text).map_err(|e| format!("not a CDXJ line: {e}"))?;
    let record = records.open(&entry.filename, entry.offset)?;
    let expected = record.entry.clone()?.ok_or_else(|| {
        format!(
            "points at a {} record, which a replay index leaves out",
            record.kind.as_deref().unwrap_or("untyped")
        )
    })?;
    let fields = [
        ("key", Some(entry.key), Some(expected.key)),
        ("timestamp", Some(entry.timestamp), Some(expected.timestamp)),
        ("url", Some(entry.url), Some(expected.url)),
        ("mime", entry.mime, expected.mime),
        ("status", entry.status, expected.status),
        ("digest", entry.digest, expected.digest),
        (
            "length",
            Some(entry.length.to_string()),
            Some(expected.length.to_string()),
        ),
    ];
    for (name, stated, actual) in fields {
        if stated != actual {
            let show = |v: Option<String>| v.unwrap_or_else(|| "(none)".to_string());
            return Err(format!(
                "`{name}` is {} but the record gives {}",
                show(stated),
                show(actual)
            ));
        }
    }
    Ok(())
}

fn same(name: &str, stated: &str, actual: Option<&str>) -> Result<(), String> {
    match actual {
        Some(actual) if actual == stated => Ok(()),
        Some(actual) => Err(format!(
            "`{name}` is {stated} but the record gives {actual}"
        )),
        None => Err(format!("`{name}` is {stated} but the record has none")),
    }
}

impl Records<'_> {
    /// What was read of the record whose member starts at `offset` in the WARC named
    /// `filename` (or in its `.open` form while a writer still has it): kept, for a removed
    /// file, else read now.
    fn open(&self, filename: &str, offset: u64) -> Result<Seen, String> {
        let plain = Path::new(filename)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if filename.is_empty() || !plain {
            return Err(format!(
                "`filename` {filename:?} is not a name inside warc/"
            ));
        }
        if let Some(kept) = self.kept.get(filename, offset) {
            return kept;
        }
        let open = format!("{filename}{}", super::OPEN_SUFFIX);
        let path = (self.warc_dirs.iter())
            .flat_map(|dir| [dir.join(filename), dir.join(&open)])
            .find(|p| p.is_file())
            .ok_or_else(|| format!("points into {filename}, which is not in warc/"))?;
        read_record(&path, filename, offset).map(|record| Seen::of(&record, filename))
    }
}

/// The record whose member starts at `offset` of the file at `path` (the WARC `filename`).
pub(super) fn read_record(path: &Path, filename: &str, offset: u64) -> Result<Record, String> {
    reader::read_at(path, offset).map_err(|e| match e {
        archive::Error::Corrupt { detail, .. } => {
            format!("no record at offset {offset} of {filename}: {detail}")
        }
        other => other.to_string(),
    })
}
