//! Run records: one JSON report per crawl run, the Heritrix-style crawl log, and the text
//! `baoluu status` prints (issue 5, part 4).
//!
//! The crawl run loop hands its final [`crate::summary::Summary`] to [`RunReport::from_summary`]
//! and [`write`]s it under `archive_dir/runs/`; every finished fetch appends one line to
//! [`CrawlLog`] (`archive_dir/logs/crawl.log`, format in [`log`] and `docs/crawl-log.md`).
//! [`status()`] reads those reports back together with the store's schedule rows. This module
//! never fetches, never touches WARC files and never decides what runs when: it only records.
//!
//! Report files are named `{portals joined by '+'}-{YYYYMMDDhhmmss, UTC}-run{id}.json`, so
//! within one portal set they sort by start time. They are written atomically (temporary file,
//! fsync, rename, fsync of the folder) so a crash never leaves half a report behind.

mod changes;
mod discovery;
pub mod health;
pub mod log;
mod politeness;
mod status;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::summary::Summary;

pub use health::{Problem, code};
pub use log::{CrawlLog, LogEntry};
pub use status::{status, status_json};

/// Folder under `archive_dir` that holds the run reports.
pub const RUNS_DIR: &str = "runs";

/// Joined portal names longer than this are shortened in file names (the JSON keeps them all):
/// a run over fifty portals would otherwise exceed the 255-byte file-name limit.
const MAX_NAME_PORTALS: usize = 100;

/// Why a report or log could not be written or read. Messages say what to check.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not {doing} {path}; check that the archive folder exists and is writable")]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the run report {path} is not valid JSON; move it aside and run again")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

impl Error {
    fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            doing,
            path,
            source,
        }
    }
}

/// What one crawl run did, as stored in `runs/*.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    pub portals: Vec<String>,
    pub run: i64,
    #[serde(with = "rfc3339")]
    pub started: DateTime<Utc>,
    #[serde(with = "rfc3339")]
    pub ended: DateTime<Utc>,
    /// A signal stopped the run before its frontier was empty; the next run resumes it.
    pub interrupted: bool,
    pub resumed: bool,
    pub fetched: u64,
    pub archived: u64,
    /// New articles: those that got an index line.
    pub indexed: u64,
    pub bytes: u64,
    /// Final outcome label (`archived`, `robots-disallowed`, …: [`crate::outcome::Label::as_str`]) → number of URLs.
    pub by_outcome: BTreeMap<String, u64>,
    /// Per portal: new articles, how many needed the generic extractor, redirects to other
    /// hosts — what `baoluu status` judges a portal's health by (issue 9). Absent in reports
    /// written before it existed.
    #[serde(default)]
    pub per_portal: BTreeMap<String, crate::summary::PortalStats>,
    /// Host → how often it answered 429/503 and the whole host was paused (issue 13, item 12:
    /// `status` shows the politeness in force). Absent in older reports.
    #[serde(default)]
    pub backoffs: BTreeMap<String, u64>,
}

impl RunReport {
    /// The report of a finished (or interrupted) run.
    pub fn from_summary(
        portals: Vec<String>,
        started: DateTime<Utc>,
        ended: DateTime<Utc>,
        summary: &Summary,
    ) -> RunReport {
        let mut by_outcome = summary.failed.clone();
        if summary.archived > 0 {
            by_outcome.insert("archived".to_string(), summary.archived);
        }
        RunReport {
            portals,
            run: summary.run,
            started,
            ended,
            interrupted: summary.interrupted,
            resumed: summary.resumed,
            fetched: summary.fetched,
            archived: summary.archived,
            indexed: summary.indexed,
            bytes: summary.bytes,
            by_outcome,
            per_portal: summary.portals.clone(),
            backoffs: summary.backoffs.clone(),
        }
    }

    /// The file name this report is stored under.
    pub fn file_name(&self) -> String {
        let mut portals = self.portals.join("+");
        if portals.is_empty() {
            portals = "all".to_string();
        } else if portals.len() > MAX_NAME_PORTALS {
            portals = format!("{}+{}more", self.portals[0], self.portals.len() - 1);
        }
        let stamp = self.started.format("%Y%m%d%H%M%S");
        format!("{portals}-{stamp}-run{}.json", self.run)
    }
}

/// Writes `report` atomically to `archive_dir/runs/` and returns its path.
pub fn write(archive_dir: &Path, report: &RunReport) -> Result<PathBuf, Error> {
    let dir = archive_dir.join(RUNS_DIR);
    fs::create_dir_all(&dir).map_err(Error::io("create the folder", &dir))?;
    let path = dir.join(report.file_name());
    let json = serde_json::to_vec_pretty(report).map_err(|source| Error::Json {
        path: path.clone(),
        source,
    })?;
    write_atomic(&path, &json)?;
    Ok(path)
}

/// The one place a run report is built and written, for `baoluu crawl` and for each of the
/// daemon's portal runs (issue 16): `portals` ran from `started` to `ended` and did `summary`.
pub fn record_run(
    archive_dir: &Path,
    portals: Vec<String>,
    (started, ended): (DateTime<Utc>, DateTime<Utc>),
    summary: &Summary,
) -> Result<PathBuf, Error> {
    write(
        archive_dir,
        &RunReport::from_summary(portals, started, ended, summary),
    )
}

/// Temporary file, fsync, rename, fsync of the folder: the report is whole or absent.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = path.with_extension("json.tmp");
    let mut file = fs::File::create(&tmp).map_err(Error::io("create", &tmp))?;
    file.write_all(bytes).map_err(Error::io("write", &tmp))?;
    file.sync_all().map_err(Error::io("fsync", &tmp))?;
    fs::rename(&tmp, path).map_err(Error::io("rename into place", path))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let handle = fs::File::open(dir).map_err(Error::io("open the folder", dir))?;
    handle
        .sync_all()
        .map_err(Error::io("fsync the folder", dir))
}

/// The newest report (by start time, then run id) whose portals include `portal`.
pub fn latest(archive_dir: &Path, portal: &str) -> Result<Option<RunReport>, Error> {
    let dir = archive_dir.join(RUNS_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io("list", &dir)(err)),
    };
    let mut named: Vec<((String, i64), PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(Error::io("list", &dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(key) = sort_key(&name) {
            named.push((key, entry.path()));
        }
    }
    // Newest first; read JSON until one names the portal (shortened names hide some portals).
    named.sort_by(|a, b| b.0.cmp(&a.0));
    for (_, path) in named {
        let report = read(&path)?;
        if report.portals.iter().any(|p| p == portal) {
            return Ok(Some(report));
        }
    }
    Ok(None)
}

/// `(stamp, run id)` from `…-{stamp}-run{id}.json`; `None` for other files (such as `.tmp`).
fn sort_key(name: &str) -> Option<(String, i64)> {
    let stem = name.strip_suffix(".json")?;
    let (rest, id) = stem.rsplit_once("-run")?;
    let (_, stamp) = rest.rsplit_once('-')?;
    let valid = stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return None;
    }
    Some((stamp.to_string(), id.parse().ok()?))
}

fn read(path: &Path) -> Result<RunReport, Error> {
    let bytes = fs::read(path).map_err(Error::io("read", path))?;
    serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// RFC 3339 timestamps in the JSON (the crate builds chrono without its serde feature).
mod rfc3339 {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.to_utc())
            .map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn sample(portals: &[&str], run: i64, hour: u32) -> RunReport {
        let started = Utc.with_ymd_and_hms(2026, 11, 27, hour, 0, 0).unwrap();
        RunReport {
            portals: portals.iter().map(|p| p.to_string()).collect(),
            run,
            started,
            ended: started + chrono::TimeDelta::minutes(5),
            interrupted: false,
            resumed: false,
            fetched: 10,
            archived: 8,
            indexed: 3,
            bytes: 12345,
            by_outcome: BTreeMap::from([("archived".into(), 8), ("robots-disallowed".into(), 2)]),
            per_portal: BTreeMap::new(),
            backoffs: BTreeMap::new(),
        }
    }

    #[test]
    fn from_summary_counts_archived_with_failures() {
        let summary = Summary {
            run: 7,
            archived: 4,
            fetched: 6,
            failed: BTreeMap::from([("robots-disallowed".to_string(), 2)]),
            ..Summary::default()
        };
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let report = RunReport::from_summary(vec!["p".into()], t, t, &summary);
        assert_eq!(report.run, 7);
        assert_eq!(report.by_outcome["archived"], 4);
        assert_eq!(report.by_outcome["robots-disallowed"], 2);
        assert_eq!(report.file_name(), "p-20260102030405-run7.json");
    }

    #[test]
    fn long_portal_lists_are_shortened_in_the_name() {
        let names: Vec<String> = (0..40).map(|i| format!("portal{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let report = sample(&refs, 3, 1);
        assert_eq!(
            report.file_name(),
            "portal00+39more-20261127010000-run3.json"
        );
    }

    #[test]
    fn write_is_atomic_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let report = sample(&["a", "b"], 1, 2);
        let path = write(dir.path(), &report).unwrap();
        assert_eq!(path, dir.path().join("runs/a+b-20261127020000-run1.json"));
        let names: Vec<_> = fs::read_dir(dir.path().join("runs")).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
        assert_eq!(read(&path).unwrap(), report);
    }

    #[test]
    fn latest_picks_the_newest_report_naming_the_portal() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &sample(&["a"], 1, 1)).unwrap();
        write(dir.path(), &sample(&["a", "b"], 2, 3)).unwrap();
        write(dir.path(), &sample(&["b"], 3, 5)).unwrap();
        fs::write(dir.path().join("runs/stray.json.tmp"), b"{").unwrap();
        assert_eq!(latest(dir.path(), "a").unwrap().unwrap().run, 2);
        assert_eq!(latest(dir.path(), "b").unwrap().unwrap().run, 3);
        assert_eq!(latest(dir.path(), "c").unwrap(), None);
    }

    #[test]
    fn latest_without_a_runs_folder_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(latest(dir.path(), "a").unwrap(), None);
    }

    #[test]
    fn sort_key_ignores_foreign_files() {
        assert_eq!(
            sort_key("a-b-20261127020000-run12.json"),
            Some(("20261127020000".into(), 12))
        );
        assert_eq!(sort_key("a-20261127-run1.json"), None);
        assert_eq!(sort_key("a-20261127020000-run1.json.tmp"), None);
    }
}
