//! Writing the removals held for a run's judgement (issue 15, item 4: suspect runs): at a
//! run's end, each held removal of a portal becomes a `suspect` or a `removed` event, written
//! through the WARC recorder like every event, then let go in the store. Never fetches.

use std::collections::BTreeMap;

use chrono::DateTime;
use url::Url;

use super::event_record;
use crate::archive::Capture;
use crate::crawl::task::Tools;
use crate::history::{self, Change, Event, Held};
use crate::store::HeldRow;

/// Writes `portal`'s held removals (issue 15, item 4): each run's as `suspect` when most of
/// that run's revisits came back removed ([`history::is_suspect`]), as `removed` otherwise.
/// The removals of `current`, the run in progress, wait for its end unless it `ended`; an
/// earlier run's (one that never finished) are judged at once. Each event is written (its
/// `metadata` record, then its line) before the store lets it go, so a kill in between finds
/// the event in the changes file's tail (`recover.rs`), never writes it twice.
pub(in crate::crawl) async fn release_held(
    tools: &Tools,
    portal: &str,
    (current, ended): (i64, bool),
) -> Result<Vec<Change>, crate::crawl::Error> {
    let store = &tools.store;
    let mut runs: BTreeMap<Option<i64>, Vec<HeldRow>> = BTreeMap::new();
    for row in store.held(portal)? {
        if ended || row.run != Some(current) {
            runs.entry(row.run).or_default().push(row);
        }
    }
    let mut changes = Vec::new();
    for (run, rows) in runs {
        let (removed, revisits) = (rows.len() as u64, store.revisits_landed(run, portal)?);
        let change = match history::is_suspect(removed, revisits) {
            true => Change::Suspect,
            false => Change::Removed,
        };
        if change == Change::Suspect {
            tracing::warn!(portal, removed, revisits, "suspect_removals");
        }
        for row in rows {
            // A held value that does not read back (never written so) is let go without event.
            if let Some((event, proof)) = Held::from_json(&row.held).and_then(|h| judged(h, change))
            {
                event_record(tools.visitor.recorder(), &tools.changes_dir, &event, &proof).await?;
                tracing::info!(url = %event.url, change = change.as_str(), "article_changed");
                changes.push(change);
            }
            store.release_held(row.id, change.as_str())?;
        }
    }
    Ok(changes)
}

/// A held removal's event as `change`, and the capture its `metadata` record refers to.
fn judged(held: Held, change: Change) -> Option<(Event, Capture)> {
    let event = Event {
        change,
        ..held.event
    };
    let date = DateTime::parse_from_rfc3339(&held.date).ok()?.to_utc();
    let proof = Capture {
        url: Url::parse(&event.url).ok()?,
        date,
        record_id: held.record_id,
        filename: event.current.filename.clone(),
        offset: event.current.offset,
        length: event.current.length,
        status: event.status,
        mime: String::new(),
        payload_digest: String::new(),
        truncated: None,
        revisit: None,
    };
    Some((event, proof))
}
