//! Links a kill cost (docs/architecture.md rule 6): a page whose index line was durable but
//! whose task the run loop never applied is marked done from that line when the archive is
//! reopened (`session::settle_indexed`), so it is not archived and indexed again — but its
//! links (a related-only article, its photos) were never queued, and nothing would queue them.
//! Here they are read back from the response record the line points at, exactly as the live
//! page was read (`page`), and queued when the URL's portal next runs. Reads WARC records;
//! never writes one, never fetches.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::page;
use super::task::{Found, PortalRun};
use super::visit::Hop;
use crate::archive::reader;
use crate::fetch::Exchange;
use crate::frontier::Frontier;
use crate::index::Line;
use crate::store::{Candidate, Kind};

/// Queues the links of each of `lines` whose portal is in `portals`, read from its response
/// record under `warc_dir`. A record that cannot be read (its WARC shipped and removed by
/// `keep_local`, say) costs its links, logged, never the run.
pub(super) async fn queue_links(
    lines: &[Line],
    warc_dir: &Path,
    portals: &HashMap<String, Arc<PortalRun>>,
    frontier: &mut Frontier,
) -> Result<(), crate::store::Error> {
    for line in lines {
        let Some(portal) = portals.get(&line.portal) else {
            continue;
        };
        let path = warc_dir.join(&line.filename);
        let (portal2, line2) = (portal.clone(), line.clone());
        let found = tokio::task::spawn_blocking(move || links_of(&path, &line2, &portal2)).await;
        match found {
            Ok(Ok(found)) => {
                tracing::info!(url = %line.url, links = found.len(), "links_recovered");
                super::links::queue(frontier, portal, &candidate_of(line), found)?;
            }
            Ok(Err(reason)) => {
                tracing::warn!(url = %line.url, %reason, "links_unrecoverable");
            }
            Err(err) => tracing::warn!(url = %line.url, %err, "links_unrecoverable"),
        }
    }
    Ok(())
}

/// The store's view of an indexed URL (`session::settle_indexed` made sure it has a row): an
/// article of the line's portal and host.
pub(super) fn candidate_of(line: &Line) -> Candidate {
    Candidate {
        url: line.url.clone(),
        portal: line.portal.clone(),
        host: line.host.clone(),
        kind: Kind::Article,
        depth: 0,
        via: None,
        chain_page: 0,
        chain_stale: 0,
    }
}

/// The links and requisites of the page `line` indexed, read back from its response record.
fn links_of(path: &Path, line: &Line, portal: &PortalRun) -> Result<Vec<Found>, String> {
    let record = reader::read_at(path, line.offset).map_err(|e| e.to_string())?;
    let body = record.http_body().ok_or("not an HTTP response")?.to_vec();
    let capture = super::recover::capture_of(line, &record).ok_or("no WARC-Date or record id")?;
    let exchange = Exchange {
        url: capture.url.clone(),
        date: capture.date,
        request_headers: Vec::new(),
        version: "HTTP/1.1".to_string(),
        status: line.status,
        reason: String::new(),
        response_headers: record.http_headers(),
        body,
        truncated: None,
        remote_ip: None,
        duration: Duration::ZERO,
    };
    let hop = Hop {
        exchange: Arc::new(exchange),
        capture,
        unsynced: None, // read back from a durable record
    };
    let mut read = page::read_now(&hop, portal, Kind::Article);
    read.found.append(&mut read.requisites);
    Ok(read.found)
}
