//! One candidate's trip through the pipeline: visit (robots, gate, fetch, archive), then
//! discover its links. Runs concurrently with other hosts' tasks; it never touches the frontier —
//! it returns a [`Finished`] for the run loop to apply in commit order.

use std::time::{Duration, SystemTime};

use url::Url;

use super::visit::{Hop, Refusal, Visit, Visitor};
use crate::archive::{self, Capture};
use crate::config::Portal;
use crate::discover;
use crate::extract;
use crate::scope::{Decision, Scope};
use crate::store::{Candidate, Kind, Outcome, Store, WarcPointer};

/// The most a compressed page may inflate to before decoding stops (gzip bombs: issue 7).
const MAX_DECODED: usize = 64 << 20;

/// A portal and its compiled scope, shared by every task of that portal.
pub(super) struct PortalRun {
    pub portal: Portal,
    pub scope: Scope,
}

/// What the run loop must do with a candidate after its visit.
pub(super) enum Finished {
    /// A final outcome; `found` are the in-scope links of the page, `redirects` the hop targets
    /// that were archived on the way (they count as visited).
    Done {
        outcome: Outcome,
        found: Vec<Found>,
        redirects: Vec<Capture>,
        bytes: u64,
    },
    /// Try again later (transient failure, host backing off, robots.txt unreachable).
    Retry {
        not_before: SystemTime,
        reason: String,
        bytes: u64,
    },
    /// Given up: a failure that retrying will not fix, or retries exhausted.
    Failed { outcome: Outcome, bytes: u64 },
}

/// A discovered in-scope link, classified.
pub(super) struct Found {
    pub url: String,
    pub kind: Kind,
}

/// The limits that decide between retrying and giving up.
pub(super) struct Retries {
    pub attempts: u32,
    pub max: u32,
    pub base_delay: Duration,
}

pub(super) async fn run(
    visitor: &Visitor,
    store: &Store,
    run_id: i64,
    portal: &PortalRun,
    candidate: &Candidate,
    retries: &Retries,
) -> Result<Finished, archive::Error> {
    let Ok(url) = Url::parse(&candidate.url) else {
        return Ok(Finished::Failed {
            outcome: refused("bad-url", "the stored URL does not parse"),
            bytes: 0,
        });
    };
    let follow = |target: &Url| -> Result<(), Refusal> {
        if !portal.scope.on_hosts(target) {
            return Err(Refusal::RedirectOutOfScope {
                target: target.to_string(),
            });
        }
        match store.visited(run_id, target.as_str()) {
            Ok(true) => Err(Refusal::AlreadyArchived {
                target: target.to_string(),
            }),
            _ => Ok(()),
        }
    };
    let visit = visitor
        .visit(&url, &portal.portal.name, None, &follow)
        .await?;
    Ok(judge(visit, portal, retries))
}

/// Turns a visit into what the frontier should do next.
fn judge(visit: Visit, portal: &PortalRun, retries: &Retries) -> Finished {
    match visit {
        Visit::Archived { hops } => judge_response(hops, portal, retries),
        Visit::Refused { hops, refusal } => {
            let bytes = body_bytes(&hops);
            if matches!(refusal, Refusal::RobotsUnreachable { .. })
                && retries.attempts < retries.max
            {
                let not_before = SystemTime::now() + super::ROBOTS_RETRY.min(backoff(retries));
                return Finished::Retry {
                    not_before,
                    reason: refusal.reason().into(),
                    bytes,
                };
            }
            let outcome = refused(refusal.reason(), &refusal.to_string());
            Finished::Done {
                outcome,
                found: Vec::new(),
                redirects: redirect_targets(&hops),
                bytes,
            }
        }
        Visit::Failed { hops, error } => {
            let bytes = body_bytes(&hops);
            if error.is_retryable() && retries.attempts < retries.max {
                let not_before = SystemTime::now() + backoff(retries);
                return Finished::Retry {
                    not_before,
                    reason: error.reason().into(),
                    bytes,
                };
            }
            Finished::Failed {
                outcome: refused(error.reason(), &error.to_string()),
                bytes,
            }
        }
    }
}

fn judge_response(hops: Vec<Hop>, portal: &PortalRun, retries: &Retries) -> Finished {
    let bytes = body_bytes(&hops);
    let Some(last) = hops.last() else {
        return Finished::Failed {
            outcome: refused("no-response", "nothing was fetched"),
            bytes,
        };
    };
    let status = last.capture.status;
    let transient = matches!(status, 429 | 500 | 502 | 503 | 504);
    if transient && retries.attempts < retries.max {
        let wait = last
            .exchange
            .header("retry-after")
            .and_then(|v| crate::politeness::retry_after(&v, SystemTime::now()))
            .unwrap_or_else(|| backoff(retries));
        return Finished::Retry {
            not_before: SystemTime::now() + wait,
            reason: format!("http-{status}"),
            bytes,
        };
    }
    let outcome = archived(&last.capture);
    let found = if (200..300).contains(&status) {
        links(last, portal)
    } else {
        Vec::new()
    };
    let redirects = redirect_targets(&hops);
    if transient {
        return Finished::Failed { outcome, bytes };
    }
    Finished::Done {
        outcome,
        found,
        redirects,
        bytes,
    }
}

/// The in-scope links of an HTML page, classified by the portal's patterns.
fn links(hop: &Hop, portal: &PortalRun) -> Vec<Found> {
    if !hop.capture.mime.contains("html") {
        return Vec::new();
    }
    let exchange = &hop.exchange;
    let content_type = exchange.header("content-type");
    let encoding = exchange.header("content-encoding");
    let Ok(decoded) = extract::decode(
        &exchange.body,
        content_type.as_deref(),
        encoding.as_deref(),
        MAX_DECODED,
    ) else {
        return Vec::new();
    };
    let page = discover::discover(&decoded.text, &hop.capture.url);
    page.links
        .into_iter()
        .filter_map(|link| {
            let kind = match portal.scope.classify(&link.url) {
                Decision::In(kind) => store_kind(kind),
                Decision::Out(_) => return None,
            };
            Some(Found {
                url: link.url.to_string(),
                kind,
            })
        })
        .collect()
}

fn redirect_targets(hops: &[Hop]) -> Vec<Capture> {
    hops.iter().skip(1).map(|h| h.capture.clone()).collect()
}

/// The store's record of an archived response.
pub(super) fn archived(capture: &Capture) -> Outcome {
    Outcome {
        status: Some(capture.status),
        label: "archived".into(),
        reason: capture
            .truncated
            .map(|t| format!("body truncated: {}", t.as_warc())),
        fetched_at: Some(capture.date),
        warc: Some(WarcPointer {
            file: capture.filename.clone(),
            offset: capture.offset,
            length: capture.length,
        }),
        payload_digest: Some(capture.payload_digest.clone()),
        record_id: Some(capture.record_id.clone()),
        etag: None,
        last_modified: None,
    }
}

/// The store's record of a URL that was not archived, with why.
fn refused(label: &str, reason: &str) -> Outcome {
    Outcome {
        reason: Some(reason.to_string()),
        ..Outcome::labelled(label)
    }
}

fn body_bytes(hops: &[Hop]) -> u64 {
    hops.iter().map(|h| h.exchange.body.len() as u64).sum()
}

/// Exponential backoff for a URL's next try: base × 2^attempts, at most ten minutes.
fn backoff(retries: &Retries) -> Duration {
    let factor = 2u32.saturating_pow(retries.attempts.min(10));
    (retries.base_delay.max(Duration::from_millis(100)) * factor).min(Duration::from_secs(600))
}

/// The frontier's kind for a scope verdict.
pub(super) fn store_kind(kind: crate::scope::Kind) -> Kind {
    match kind {
        crate::scope::Kind::Seed => Kind::Seed,
        crate::scope::Kind::Listing => Kind::Listing,
        crate::scope::Kind::Article => Kind::Article,
    }
}
