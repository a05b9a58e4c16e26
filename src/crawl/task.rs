//! One candidate's trip through the pipeline: visit (robots, gate, fetch, archive), then read
//! the page (links; for an article, its extraction, recorded as a WARC `metadata` record that
//! refers to the response). Runs concurrently with other hosts' tasks; it never touches the
//! frontier or the index — it returns a [`Finished`] for the run loop to apply in commit order.

use std::time::{Duration, SystemTime};

use url::Url;

use std::sync::Arc;

use super::page;
use super::visit::{Hop, Prior, Refusal, Visit, Visitor};
use crate::archive::{self, Capture, Original};
use crate::config::Portal;
use crate::extract::FLAG_GENERIC;
use crate::fetch::Validators;
use crate::index;
use crate::scope::Scope;
use crate::store::{Candidate, Kind, Outcome, Store, WarcPointer};

/// A portal and its compiled scope, shared by every task of that portal.
pub(super) struct PortalRun {
    pub portal: Portal,
    pub scope: Scope,
    /// Set in a `crawl --backfill` run.
    pub backfill: Option<super::links::Backfill>,
    /// When the portal's last completed run started: feed entries dated later are fresh.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
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
        /// Set for an archived article whose index line (and metadata record) is durable.
        indexed: Option<Indexed>,
        /// The host an out-of-scope redirect pointed to: a portal that moved (issue 9 health).
        moved_to: Option<String>,
    },
    /// Try again later (transient failure, host backing off, robots.txt unreachable).
    Retry {
        not_before: SystemTime,
        reason: String,
        bytes: u64,
    },
    /// Given up for this run: a failure that retrying will not fix, or retries exhausted.
    /// A `transient` failure (5xx, 429, timeout, connection, robots.txt unreachable) gets a
    /// second chance in a later run (issue 5).
    Failed {
        outcome: Outcome,
        bytes: u64,
        transient: bool,
    },
}

/// What the run reports of an indexed article (its line went to the index with its metadata
/// record).
pub(super) struct Indexed {
    /// The body came from the generic extractor: the portal's selectors did not match.
    pub generic: bool,
}

/// A discovered in-scope link, classified.
pub(super) struct Found {
    pub url: String,
    pub kind: Kind,
    /// How a feed or sitemap dates it against the portal's last run.
    pub age: Age,
}

/// A feed's or sitemap's date for an entry, against the start of the portal's last completed
/// run (issue 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Age {
    /// Not dated (any link found on a page).
    Unknown,
    /// Dated after the last run: an article is fetched before the others.
    New,
    /// Dated before it: a child sitemap is fetched only if it never was (a portal's index of
    /// monthly sitemaps would otherwise cost hundreds of requests every run).
    Old,
}

/// The limits that decide between retrying and giving up.
pub(super) struct Retries {
    pub attempts: u32,
    pub max: u32,
    pub base_delay: Duration,
}

/// What every task of a run works with.
pub(super) struct Tools {
    pub visitor: Arc<Visitor>,
    pub crawl_log: Arc<crate::report::CrawlLog>,
    pub store: Arc<Store>,
    pub run_id: i64,
    /// `max_feed_body`: the body cap of sitemaps and feeds.
    pub feed_cap: u64,
    /// `archive_dir/index`: where the JSON index lines go.
    pub index_dir: std::path::PathBuf,
}

pub(super) async fn run(
    tools: &Tools,
    portal: &Arc<PortalRun>,
    (id, candidate): (i64, &Candidate),
    retries: &Retries,
) -> Result<Finished, archive::Error> {
    let Tools {
        visitor,
        crawl_log,
        store,
        run_id,
        feed_cap,
        ..
    } = tools;
    let (run_id, feed_cap) = (*run_id, *feed_cap);
    let Ok(url) = Url::parse(&candidate.url) else {
        return Ok(Finished::Failed {
            outcome: refused("bad-url", "the stored URL does not parse"),
            bytes: 0,
            transient: false,
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
    let prior = prior(store, id, candidate, portal);
    // Sitemaps and feeds have their own body cap (issue 9: a sitemap may be 50 MB).
    let cap = (candidate.kind == Kind::Feed).then_some(feed_cap);
    let visit = visitor
        .visit_capped(&url, &portal.portal.name, prior.as_ref(), &follow, cap)
        .await?;
    let lines = super::log::entries(&visit, candidate);
    let (mut finished, readable) = judge(visit, retries);
    super::log::finish(crawl_log, lines, &finished);
    let readable = match (readable, candidate.kind) {
        (Some(hop), Kind::Feed) => {
            if let Finished::Done { found, .. } = &mut finished {
                *found = super::feed::read(hop, portal.clone()).await;
            }
            None
        }
        (Some(hop), _) if hop.capture.mime.contains("html") => Some(hop),
        _ => None,
    };
    if let (Finished::Done { found, indexed, .. }, Some(hop)) = (&mut finished, readable) {
        let mut read = page::read(hop.clone(), portal.clone()).await;
        read.found.append(&mut read.requisites);
        *found = read.found;
        if let Some(article) = read.article {
            let generic = article.flags.iter().any(|f| f == FLAG_GENERIC);
            let line = index::Line::new(&portal.portal.name, &hop.capture, article);
            let json = serde_json::to_vec(&line).unwrap_or_default();
            let prefix = &portal.portal.name;
            // The index line is the metadata record's block, appended by the writer once the
            // record is durable and durable itself when this returns (house rule 6).
            let line_file = index::file_path(&tools.index_dir, prefix);
            let pointer = visitor
                .recorder()
                .metadata(
                    prefix,
                    &hop.capture,
                    "application/json",
                    json,
                    Some(line_file),
                )
                .await?;
            store.record_article(&line, pointer); // the status page's row (issue 19)
            *indexed = Some(Indexed { generic });
        }
    }
    Ok(finished)
}

/// The prior capture of an article due for a revisit (only portals with `revisit_after` queue
/// known articles again, so any article with a prior capture here is a revisit).
fn prior(store: &Store, id: i64, candidate: &Candidate, portal: &PortalRun) -> Option<Prior> {
    if candidate.kind != Kind::Article || portal.portal.revisit_after.is_none() {
        return None;
    }
    let prior = store.prior(id).ok()??;
    let date = chrono::DateTime::parse_from_rfc3339(prior.captured_at.as_deref()?).ok()?;
    let original = Original {
        record_id: prior.record_id?,
        url: Url::parse(&candidate.url).ok()?,
        date: date.with_timezone(&chrono::Utc),
        payload_digest: prior.payload_digest?,
    };
    let validators = Validators {
        etag: prior.etag,
        last_modified: prior.last_modified,
    };
    Some(Prior {
        validators,
        original,
    })
}

/// Turns a visit into what the frontier should do next, and the response worth reading (a
/// 2xx answer), if any.
fn judge(visit: Visit, retries: &Retries) -> (Finished, Option<Hop>) {
    match visit {
        Visit::Archived { hops } => judge_response(hops, retries),
        Visit::Refused { hops, refusal } => (judge_refused(&hops, &refusal, retries), None),
        Visit::Failed { hops, error } => (judge_failed(&hops, &error, retries), None),
    }
}

/// robots.txt unreachable is transient (RFC 9309 §2.3.1.4: retry later, then in a later run);
/// every other refusal is final. Redirect hops archived before the refusal still count as
/// visited.
fn judge_refused(hops: &[Hop], refusal: &Refusal, retries: &Retries) -> Finished {
    let bytes = body_bytes(hops);
    let outcome = refused(refusal.reason(), &refusal.to_string());
    if matches!(refusal, Refusal::RobotsUnreachable { .. }) {
        if retries.attempts < retries.max {
            let not_before = SystemTime::now() + super::ROBOTS_RETRY.min(backoff(retries));
            return Finished::Retry {
                not_before,
                reason: refusal.reason().into(),
                bytes,
            };
        }
        return Finished::Failed {
            outcome,
            bytes,
            transient: true,
        };
    }
    let redirects = redirect_targets(hops);
    let moved_to = match refusal {
        Refusal::RedirectOutOfScope { target } => Url::parse(target)
            .ok()
            .map(|u| crate::canonical::host_key(&u)),
        _ => None,
    };
    Finished::Done {
        outcome,
        found: Vec::new(),
        redirects,
        bytes,
        indexed: None,
        moved_to,
    }
}

fn judge_failed(hops: &[Hop], error: &crate::fetch::Error, retries: &Retries) -> Finished {
    let bytes = body_bytes(hops);
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
        transient: error.is_retryable(),
    }
}

fn judge_response(hops: Vec<Hop>, retries: &Retries) -> (Finished, Option<Hop>) {
    let bytes = body_bytes(&hops);
    let Some(last) = hops.last().cloned() else {
        let outcome = refused("no-response", "nothing was fetched");
        let failed = Finished::Failed {
            outcome,
            bytes,
            transient: false,
        };
        return (failed, None);
    };
    let status = last.capture.status;
    let transient = matches!(status, 429 | 500 | 502 | 503 | 504);
    if transient && retries.attempts < retries.max {
        let wait = last
            .exchange
            .header("retry-after")
            .and_then(|v| crate::politeness::retry_after(&v, SystemTime::now()))
            .unwrap_or_else(|| backoff(retries));
        let reason = format!("http-{status}");
        return (
            Finished::Retry {
                not_before: SystemTime::now() + wait,
                reason,
                bytes,
            },
            None,
        );
    }
    if last.capture.revisit.is_some() {
        // Unchanged since the prior capture: nothing new to read or index (issue 5: the index
        // never gets a second line for an unchanged article).
        let outcome = Outcome {
            status: Some(status),
            fetched_at: Some(last.capture.date),
            ..Outcome::labelled("revisited")
        };
        let redirects = redirect_targets(&hops);
        return (
            Finished::Done {
                outcome,
                found: Vec::new(),
                redirects,
                bytes,
                indexed: None,
                moved_to: None,
            },
            None,
        );
    }
    let mut outcome = archived(&last.capture);
    if transient {
        // Still failing after its retries: the response is in the WARC, but the URL failed.
        outcome.label = format!("http-{status}");
        let failed = Finished::Failed {
            outcome,
            bytes,
            transient,
        };
        return (failed, None);
    }
    // Validators for the next revisit's conditional GET (RFC 9110 §13.1).
    outcome.etag = last.exchange.header("etag");
    outcome.last_modified = last.exchange.header("last-modified");
    // The caller reads a 2xx body by what it asked for: an HTML page, or a sitemap or feed.
    let readable = (200..300).contains(&status);
    let redirects = redirect_targets(&hops);
    let finished = Finished::Done {
        outcome,
        found: Vec::new(),
        redirects,
        bytes,
        indexed: None,
        moved_to: None,
    };
    (finished, readable.then_some(last))
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
