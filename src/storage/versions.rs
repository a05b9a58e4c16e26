//! The reading of `baoluu changes` with `[storage]` (issue 18 item 4): its changes segments
//! are fetched back as [`fetched::for_changes`] picks them, and for the text form only the
//! index segments that hold the versions its word diffs compare, not every index segment of
//! the portal (a portal archived for years has thousands).
//!
//! The versions an edit compares are its `previous` and `current` pointers; their index lines
//! are looked for in the local index files first, then in the removed segments of the event's
//! portal in name (closing) order, from the first one closed at or after the version's
//! capture time: a line is appended once its record is durable, after the capture, and the
//! segment holding it is closed after that (`archive::segments`, both on this machine's clock),
//! so no earlier segment holds it. A version found nowhere leaves the segments after its bound
//! fetched, as before. Never reads a WARC, never uploads or deletes.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::Error;
use super::fetched::{self, Deferred, Reading, is_segment_of};
use crate::archive::segments;
use crate::config::Config;
use crate::history::{Event, Filter, Pointer};
use crate::index::{Line, Sources};

/// The sources `changes` reads for `filter`: the changes segments it shows and, unless
/// `json`, the index segments holding the versions its diffs compare.
pub async fn for_changes(config: &Config, filter: &Filter, json: bool) -> Result<Reading, Error> {
    let (portal, since) = (filter.portal.as_deref(), filter.since);
    let wanted = fetched::for_changes(portal, since, !json);
    let reading = fetched::reading_deferring(config, wanted, |p| is_segment_of(p, "index", None));
    let reading = reading.await?;
    if let Some(segments) = &reading.deferred {
        let versions = versions(&reading.sources, filter)?;
        fetch_holding(segments, versions).await?;
    }
    Ok(reading)
}

/// A version a diff compares: its portal, its pointer's key, and the earliest closing time
/// of a segment that may hold its index line.
struct Version {
    portal: String,
    key: (String, u64),
    after: Option<DateTime<Utc>>,
}

/// The versions of the edits `filter` keeps whose index line is not in a local file.
fn versions(sources: &Sources, filter: &Filter) -> Result<Vec<Version>, Error> {
    let events = crate::history::select_from(sources, filter).map_err(local(sources))?;
    let edits = events.iter().filter(|e| !e.fields.is_empty());
    let mut versions: Vec<Version> = edits.flat_map(versions_of).collect();
    let mut portals: Vec<&str> = versions.iter().map(|v| v.portal.as_str()).collect();
    portals.sort_unstable();
    portals.dedup();
    let mut here = HashSet::new();
    for portal in portals {
        let files = sources.line_files("index", Some(portal));
        for file in files.map_err(local(sources))? {
            here.extend(keys_in(&file));
        }
    }
    versions.retain(|v| !here.contains(&v.key));
    Ok(versions)
}

fn versions_of(event: &Event) -> [Version; 2] {
    let version = |pointer: &Pointer, captured: Option<&str>| Version {
        portal: event.portal.clone(),
        key: (pointer.filename.clone(), pointer.offset),
        after: (pointer.ts.as_deref().or(captured))
            .and_then(|ts| DateTime::parse_from_rfc3339(ts).ok())
            .map(|ts| ts.to_utc()),
    };
    // `ts` is the capture time of `current`; an old event's `previous` may have none.
    [
        version(&event.previous, None),
        version(&event.current, Some(&event.ts)),
    ]
}

/// Fetches the removed index segments, oldest first, that may hold a version not found yet,
/// until every version is found.
async fn fetch_holding(segments: &Deferred, mut missing: Vec<Version>) -> Result<(), Error> {
    let mut paths: Vec<&str> = segments.paths().collect();
    paths.sort_unstable();
    let mut fetched = 0;
    for path in paths {
        let closed = segments::closed_at(path);
        let may_hold = |v: &Version| {
            is_segment_of(path, "index", Some(&v.portal))
                && v.after
                    .zip(closed)
                    .is_none_or(|(after, closed)| closed >= after)
        };
        if !missing.iter().any(may_hold) {
            continue;
        }
        let copy = segments.fetch(path).await?;
        fetched += 1;
        let found = keys_in(&copy);
        missing.retain(|v| !found.contains(&v.key));
        if missing.is_empty() {
            break;
        }
    }
    tracing::info!(files = fetched, unfound = missing.len(), "versions_fetched");
    Ok(())
}

/// The (`filename`, `offset`) of every index line in `file`; lines that do not parse are
/// left out, as `changes` leaves them out.
fn keys_in(file: &Path) -> HashSet<(String, u64)> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    (text.lines())
        .filter_map(|l| serde_json::from_str::<Line>(l).ok())
        .map(|line| (line.filename, line.offset))
        .collect()
}

fn local(sources: &Sources) -> impl Fn(std::io::Error) -> Error + '_ {
    |source| Error::Local {
        path: sources.archive_dir().to_path_buf(),
        source,
    }
}
