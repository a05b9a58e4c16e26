//! Feeds the crawl log (`archive_dir/logs/crawl.log`, issue 5 part 4): one line per fetch a
//! task made — every redirect hop, the final response, or the failure that left no response —
//! with the outcome the run loop will record. Built from the visit before the page is read, so
//! a line says what the wire did, not what extraction thought of it. Writing is best effort:
//! the store and the WARC files are the record; a log write that fails is reported and the
//! crawl goes on (a full disk is the disk guard's business).

use chrono::Utc;
use url::Url;

use super::task::Finished;
use super::visit::{Hop, Visit};
use crate::report::{CrawlLog, LogEntry};
use crate::store::{Candidate, Kind};

/// The hop letter of Heritrix's discovery path for how `candidate` was found: seeds have
/// none, pagination pages `P`, page requisites `E`, other links `L`. The store keeps the last
/// hop only, so the path is that hop (plus `R` for each redirect followed).
fn discovery(candidate: &Candidate) -> &'static str {
    match candidate.kind {
        Kind::Seed => "",
        Kind::Other => "E",
        Kind::Listing | Kind::Robots => {
            let paged = Url::parse(&candidate.url)
                .ok()
                .and_then(|u| crate::discover::chain_position(&u));
            if paged.is_some() { "P" } else { "L" }
        }
        Kind::Article | Kind::Feed | Kind::Probable => "L",
    }
}

/// The lines of one visit; the last hop's outcome is filled in by [`finish`].
pub(super) fn entries(visit: &Visit, candidate: &Candidate) -> Vec<LogEntry> {
    let (hops, failure) = match visit {
        Visit::Archived { hops } => (hops, None),
        Visit::Refused { hops, refusal } => (hops, Some(refusal.reason())),
        Visit::Failed { hops, error } => (hops, Some(error.reason())),
    };
    let path = discovery(candidate);
    let mut lines: Vec<LogEntry> = hops
        .iter()
        .enumerate()
        .map(|(i, hop)| hop_entry(hop, candidate, path, i))
        .collect();
    if let Some(reason) = failure {
        let url = hops
            .last()
            .and_then(|h| h.exchange.header("location"))
            .and_then(|l| hops.last().and_then(|h| h.capture.url.join(&l).ok()))
            .map_or_else(|| candidate.url.clone(), |u| u.to_string());
        lines.push(LogEntry {
            time: Utc::now(),
            status: None,
            size: 0,
            url,
            discovery: format!("{path}{}", "R".repeat(hops.len())),
            via: candidate.via.clone(),
            mime: String::new(),
            duration: std::time::Duration::ZERO,
            digest: None,
            warc: None,
            outcome: reason.to_string(),
        });
    }
    lines
}

fn hop_entry(hop: &Hop, candidate: &Candidate, path: &str, i: usize) -> LogEntry {
    let capture = &hop.capture;
    let via = match i {
        0 => candidate.via.clone(),
        _ => Some(candidate.url.clone()),
    };
    LogEntry {
        time: capture.date + hop.exchange.duration,
        status: Some(capture.status),
        size: hop.exchange.body.len() as u64,
        url: capture.url.to_string(),
        discovery: format!("{path}{}", "R".repeat(i)),
        via,
        mime: capture.mime.clone(),
        duration: hop.exchange.duration,
        digest: Some(capture.payload_digest.clone()),
        warc: Some(capture.filename.clone()),
        outcome: "redirect".to_string(),
    }
}

/// Writes `lines`, the last one with the outcome the visit came to.
pub(super) fn finish(log: &CrawlLog, mut lines: Vec<LogEntry>, finished: &Finished) {
    let outcome = match finished {
        Finished::Done { outcome, .. } | Finished::Failed { outcome, .. } => {
            outcome.label.to_string()
        }
        Finished::Retry { reason, .. } => format!("retry:{reason}"),
    };
    if let Some(last) = lines.last_mut() {
        last.outcome = outcome;
    }
    for line in &lines {
        if let Err(err) = log.line(line) {
            tracing::warn!(error = %crate::causes::Causes(&err), "crawl_log_failed");
            return;
        }
    }
}
