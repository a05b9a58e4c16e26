//! Which closed WARC files a package holds, and the CDXJ lines that describe them.
//!
//! A file is a closed `warc/*.warc.gz` (never a `.open` one, which a crawl may still be
//! writing). `--portal` keeps files whose IIPC name (docs/archive.md) carries that
//! portal; `--since` keeps files whose newest indexed capture is at or after the time. Both are
//! decided from the file's CDXJ index (`index/cdxj/{name}.cdxj`), which is read once here; a
//! file without one (its indexing was interrupted) is indexed again in memory with
//! [`cdxj::index_file`], and the archive is left untouched. While reading, the 200 HTML
//! responses are kept: they are the candidate listing pages for `pages.jsonl`; so are the revisit
//! lines, which [`super::revisits`] resolves.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;

use super::revisits::{REVISIT_MIME, Revisit};
use super::{Error, Selection};
use crate::cdxj::{self, Entry};
use crate::index::Sources;

/// `{portal}-{YYYYMMDDhhmmss}-{serial:05}-{host}.warc.gz`; the portal is the shortest prefix
/// followed by the timestamp and serial, so portal names may hold dashes.
static IIPC_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(.+?)-\d{14}-\d{5}-.+\.warc\.gz$").expect("a valid constant pattern")
});

/// Media types of pages a reader browses (pages.jsonl lists pages, not images or feeds).
const PAGE_MIMES: [&str; 2] = ["text/html", "application/xhtml+xml"];

/// One selected WARC file.
#[derive(Debug)]
pub(super) struct Source {
    /// The file name, as the CDXJ `filename` field and the `archive/` entry spell it.
    pub name: String,
    pub path: PathBuf,
    lines: Lines,
}

/// Where a source's sorted CDXJ lines come from.
#[derive(Debug)]
pub(super) enum Lines {
    OnDisk(PathBuf),
    Rebuilt(Vec<String>),
}

/// A 200 HTML response record in a selected file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HtmlCapture {
    pub url: String,
    /// 14 digits, from the CDXJ line.
    pub timestamp: String,
    pub path: PathBuf,
    pub offset: u64,
}

/// The selected files (sorted by name) and their HTML captures.
#[derive(Debug, Default)]
pub(super) struct Chosen {
    pub sources: Vec<Source>,
    pub html: Vec<HtmlCapture>,
    /// Revisit lines, for [`super::revisits`].
    pub revisits: Vec<Revisit>,
}

impl Chosen {
    pub fn holds(&self, filename: &str) -> bool {
        self.sources.iter().any(|s| s.name == filename)
    }
}

impl Source {
    pub fn new(name: String, path: PathBuf, lines: Lines) -> Source {
        Source { name, path, lines }
    }

    /// The CDXJ lines, in file order (sorted), blank lines skipped.
    pub fn lines(&self) -> Result<Box<dyn Iterator<Item = Result<String, Error>> + '_>, Error> {
        match &self.lines {
            Lines::Rebuilt(lines) => Ok(Box::new(lines.iter().cloned().map(Ok))),
            Lines::OnDisk(path) => {
                let file = File::open(path).map_err(|source| read_error(path, source))?;
                let lines = BufReader::new(file)
                    .lines()
                    .map(move |line| line.map_err(|source| read_error(path, source)))
                    .filter(|line| line.as_ref().map_or(true, |l| !l.is_empty()));
                Ok(Box::new(lines))
            }
        }
    }

    /// Where the lines come from, for error messages.
    fn origin(&self) -> PathBuf {
        match &self.lines {
            Lines::OnDisk(path) => path.clone(),
            Lines::Rebuilt(_) => self.path.clone(),
        }
    }
}

pub(super) fn read_error(path: &Path, source: std::io::Error) -> Error {
    Error::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// The closed WARC files of `sources` (local, or fetched back from the bucket) that `select`
/// picks, sorted by name.
pub(super) fn choose(sources: &Sources, select: &Selection) -> Result<Chosen, Error> {
    let index_dirs = sources.index_dirs();
    let since = select.since.map(|at| at.format("%Y%m%d%H%M%S").to_string());
    let mut chosen = Chosen::default();
    for (name, path) in closed_warcs(&sources.warc_dirs())? {
        if !portal_matches(&name, select.portal.as_deref()) {
            continue;
        }
        let source = open_source(&index_dirs, name, path)?;
        let scan = scan(&source)?;
        if since.as_ref().is_some_and(|s| scan.newest < *s) {
            continue;
        }
        chosen.html.extend(scan.html);
        chosen.revisits.extend(scan.revisits);
        chosen.sources.push(source);
    }
    Ok(chosen)
}

/// Whether `select` may pick the WARC file `name`, judged before it is fetched from the
/// bucket (issue 18 item 4): its portal matches, and with `since` its CDXJ under `index_dir`
/// (which stays local) has a capture at or after `since`; a file without one may.
pub fn might_pick(index_dir: &Path, name: &str, select: &Selection) -> bool {
    if !portal_matches(name, select.portal.as_deref()) {
        return false;
    }
    let Some(since) = select.since.map(|at| at.format("%Y%m%d%H%M%S").to_string()) else {
        return true;
    };
    let cdxj_path = cdxj::path_for(index_dir, name);
    if !cdxj_path.is_file() {
        return true;
    }
    let source = Source::new(name.to_string(), PathBuf::new(), Lines::OnDisk(cdxj_path));
    scan(&source).map_or(true, |scan| scan.newest >= since)
}

/// `(name, path)` of every `*.warc.gz` in `warc_dirs` (a name found in an earlier folder is not
/// taken again), sorted by name.
fn closed_warcs(warc_dirs: &[PathBuf]) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for warc_dir in warc_dirs {
        let entries = match fs::read_dir(warc_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(read_error(warc_dir, source)),
        };
        for entry in entries {
            let entry = entry.map_err(|source| read_error(warc_dir, source))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let known = files.iter().any(|(n, _)| *n == name);
            if name.ends_with(".warc.gz") && entry.path().is_file() && !known {
                files.push((name, entry.path()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// The portal a WARC file name carries, if it follows the IIPC naming of docs/configuration.md.
pub(super) fn portal_of(name: &str) -> Option<&str> {
    IIPC_NAME
        .captures(name)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str())
}

fn portal_matches(name: &str, wanted: Option<&str>) -> bool {
    wanted.is_none_or(|wanted| portal_of(name) == Some(wanted))
}

fn open_source(index_dirs: &[PathBuf], name: String, path: PathBuf) -> Result<Source, Error> {
    let on_disk = (index_dirs.iter())
        .map(|dir| cdxj::path_for(dir, &name))
        .find(|p| p.is_file());
    let lines = if let Some(cdxj_path) = on_disk {
        Lines::OnDisk(cdxj_path)
    } else {
        tracing::info!(file = %name, "wacz_cdxj_rebuilt");
        Lines::Rebuilt(cdxj::index_file(&path, &name)?)
    };
    Ok(Source { name, path, lines })
}

/// What one pass over a file's CDXJ lines tells.
struct Scan {
    /// The largest 14-digit timestamp ("" for a file without indexed records).
    newest: String,
    html: Vec<HtmlCapture>,
    revisits: Vec<Revisit>,
}

/// Reads every line: checks it names this file, notes the newest capture and the HTML pages.
fn scan(source: &Source) -> Result<Scan, Error> {
    let mut result = Scan {
        newest: String::new(),
        html: Vec::new(),
        revisits: Vec::new(),
    };
    for (number, line) in source.lines()?.enumerate() {
        let line = line?;
        let bad = |detail: String| Error::BadIndex {
            path: source.origin(),
            line: number + 1,
            detail,
        };
        let entry = Entry::parse(&line).map_err(bad)?;
        if entry.filename != source.name {
            let detail = format!("the line names {}, not {}", entry.filename, source.name);
            return Err(bad(detail));
        }
        if entry.timestamp > result.newest {
            result.newest = entry.timestamp.clone();
        }
        if entry.mime.as_deref() == Some(REVISIT_MIME) {
            result.revisits.push(Revisit {
                entry: entry.clone(),
                path: source.path.clone(),
            });
        }
        if is_page(&entry) {
            result.html.push(HtmlCapture {
                url: entry.url,
                timestamp: entry.timestamp,
                path: source.path.clone(),
                offset: entry.offset,
            });
        }
    }
    Ok(result)
}

/// A 200 response of an HTML type: a page a reader could open.
fn is_page(entry: &Entry) -> bool {
    entry.status.as_deref() == Some("200")
        && entry
            .mime
            .as_deref()
            .is_some_and(|m| PAGE_MIMES.iter().any(|p| m.eq_ignore_ascii_case(p)))
}
