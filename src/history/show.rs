//! `baoluu changes`: the events of an archive, newest first, as text with word-level diffs of
//! the changed fields, or as JSON lines. The diffs compare the two versions' index lines (found
//! by their WARC pointers in the portal's index: segments, then `index/{portal}.jsonl`), never
//! the WARCs. Segments `keep_local` removed are read from the copies fetched back
//! ([`Sources`]).

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::events::{Change, Event, read_all};
use super::fingerprint::normalised;
use crate::index::{Line, Sources};

/// Which events to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub portal: Option<String>,
    /// Only events captured at or after this time (`--since`, as `wacz --since`).
    pub since: Option<DateTime<Utc>>,
}

impl Filter {
    fn keeps(&self, event: &Event) -> bool {
        let portal = self.portal.as_ref().is_none_or(|p| *p == event.portal);
        let since = self.since.is_none_or(|since| {
            DateTime::parse_from_rfc3339(&event.ts).is_ok_and(|ts| ts.to_utc() >= since)
        });
        portal && since
    }
}

/// The events of `archive_dir` that `filter` keeps, newest first (local files only).
pub fn select(archive_dir: &Path, filter: &Filter) -> std::io::Result<Vec<Event>> {
    select_from(&Sources::local(archive_dir), filter)
}

/// The events of `sources` that `filter` keeps, newest first.
pub fn select_from(sources: &Sources, filter: &Filter) -> std::io::Result<Vec<Event>> {
    let mut events: Vec<Event> = read_all(sources)?
        .into_iter()
        .filter(|e| filter.keeps(e))
        .collect();
    // RFC 3339 UTC text sorts in time order; the stable sort keeps file order within a second.
    events.sort_by(|a, b| b.ts.cmp(&a.ts));
    Ok(events)
}

/// One JSON object per line.
pub fn render_json(sources: &Sources, filter: &Filter) -> std::io::Result<String> {
    let mut out = String::new();
    for event in select_from(sources, filter)? {
        out.push_str(&serde_json::to_string(&event).unwrap_or_default());
        out.push('\n');
    }
    Ok(out)
}

/// The text form: one block per event, with a word diff per changed field of an edit.
pub fn render_text(sources: &Sources, filter: &Filter) -> std::io::Result<String> {
    let events = select_from(sources, filter)?;
    let lines = index_lines(sources, &events)?;
    let mut out = String::new();
    for event in &events {
        out.push_str(&heading(event));
        let versions = (
            lines.get(&key(&event.previous.filename, event.previous.offset)),
            lines.get(&key(&event.current.filename, event.current.offset)),
        );
        if let (Some(old), Some(new)) = versions {
            for field in &event.fields {
                let (a, b) = (
                    normalised(&old.article, field),
                    normalised(&new.article, field),
                );
                out.push_str(&format!("  {field}: {}\n", super::words(&a, &b)));
            }
        }
    }
    if events.is_empty() {
        out.push_str("no changes recorded\n");
    }
    Ok(out)
}

fn heading(event: &Event) -> String {
    let mut line = format!(
        "{} {} {} [{}] (HTTP {})",
        event.ts,
        event.change.as_str(),
        event.url,
        event.portal,
        event.status
    );
    if let Some(target) = &event.target {
        line.push_str(&format!(" → {target}"));
    }
    if event.change == Change::Edited {
        line.push_str(&format!(": {}", event.fields.join(", ")));
    }
    line.push('\n');
    line
}

fn key(filename: &str, offset: u64) -> String {
    format!("{filename}#{offset}")
}

/// The index lines of the portals that have edits, by WARC pointer.
fn index_lines(sources: &Sources, events: &[Event]) -> std::io::Result<HashMap<String, Line>> {
    let mut portals: Vec<&str> = events
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| e.portal.as_str())
        .collect();
    portals.sort();
    portals.dedup();
    let mut lines = HashMap::new();
    for portal in portals {
        for path in sources.line_files("index", Some(portal))? {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            for line in text
                .lines()
                .filter_map(|l| serde_json::from_str::<Line>(l).ok())
            {
                lines.insert(key(&line.filename, line.offset), line);
            }
        }
    }
    Ok(lines)
}
