//! One candidate's trip through the pipeline: visit (robots, gate, fetch, archive), then read
//! the page (links; for an article, its extraction, recorded as a WARC `metadata` record that
//! refers to the response). Runs concurrently with other hosts' tasks; it never touches the
//! frontier or the index — it returns a [`Finished`] for the run loop to apply in commit order.

use std::time::{Duration, SystemTime};

use url::Url;

use std::sync::Arc;

use super::page;
use super::revise;
use super::visit::{Hop, Prior, Refusal, Visit, Visitor};
use crate::archive::{self, Capture, Original};
use crate::config::Portal;
use crate::extract::FLAG_GENERIC;
use crate::fetch::Validators;
use crate::outcome::Label;
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
    /// The budget and learned shapes for URLs that match no pattern (issue 14).
    pub explore: super::explore::Explore,
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
        /// For a sitemap or feed: "sitemap" or "feed", the source that listed `found`.
        listed_by: Option<&'static str>,
        /// An article's history after this fetch, for the store, and the changes recorded.
        history: Option<Box<Landing>>,
    },
    /// Try again later (transient failure, host backing off, robots.txt unreachable).
    Retry {
        not_before: SystemTime,
        reason: Label,
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

/// What a fetch of an article did to its history (issue 15): the store's new state, written
/// before the URL is marked done, and the events recorded (for the run's counts).
pub(super) struct Landing {
    pub revision: crate::store::Revision,
    pub changes: Vec<crate::history::Change>,
    /// A move's new URL and its state, recorded after the redirect marked it visited.
    pub moved: Option<(String, crate::store::Revision)>,
}

/// What the run reports of an indexed article (its line went to the index with its metadata
/// record).
pub(super) struct Indexed {
    /// The body came from the generic extractor: the portal's selectors did not match.
    pub generic: bool,
    /// The article's URL when it matched none of the profile's `article_urls` (issue 14).
    pub missed: Option<Url>,
    /// The status page's row of the index line (issue 19).
    pub row: Option<Box<crate::store::ArticleRow>>,
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
    /// `archive_dir/changes`: where the change events go (issue 15).
    pub changes_dir: std::path::PathBuf,
    /// Tells the run loop a task's fetching is over (its host and URL id), so the host can
    /// take its next URL while this page is archived and read (issue 17: the per-host chain).
    /// Bounded; a full channel only means the host waits for the landing, as before.
    pub fetched: tokio::sync::mpsc::Sender<(String, i64)>,
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
            outcome: refused(Label::BadUrl, "the stored URL does not parse"),
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
    let known = known(tools, portal, (id, candidate)).await;
    // Sitemaps and feeds have their own body cap (issue 9: a sitemap may be 50 MB).
    let cap = (candidate.kind == Kind::Feed).then_some(feed_cap);
    // The last response is written deferred: its fsync is the article's metadata record's,
    // or the settle below (issue 17: one fsync per article instead of two).
    let visit = visitor
        .visit_deferred(&url, &portal.portal.name, prior.as_ref(), &follow, cap)
        .await?;
    // The politeness gate holds the host's next request to its delay whatever the loop does.
    let _ = tools.fetched.try_send((candidate.host.clone(), id));
    let mut unsynced = visit.unsynced();
    let lines = super::log::entries(&visit, candidate);
    let answer = revise::Answer::of(&visit, &url);
    let (mut finished, readable) = judge(visit, retries);
    let (readable, article) = read_landed(&mut finished, readable, portal, candidate.kind).await;
    // An article by its pattern, or a probable page whose content showed one (issue 14).
    let indexable =
        candidate.kind == Kind::Article || (candidate.kind == Kind::Probable && article.is_some());
    if let Finished::Done {
        indexed, history, ..
    } = &mut finished
        && indexable
    {
        let hop = readable.as_ref().map(|h| &h.capture);
        let missed = missed(article.as_ref().map(|e| &e.article), hop);
        let found = (hop, article);
        let landed = record(
            tools,
            portal,
            candidate,
            known,
            &answer,
            found,
            &mut unsynced,
        )
        .await?;
        *indexed = landed.1.map(|i| Indexed { missed, ..i });
        *history = landed.0;
    }
    // Durable before the run loop, or the crawl log, hears of it (docs/architecture.md rule 6).
    if let Some(unsynced) = unsynced {
        visitor.recorder().settle(unsynced).await?;
    }
    super::log::finish(crawl_log, lines, &finished);
    Ok(finished)
}

/// What the store knows of an article's history; only an article the store holds has one to
/// compare with (issue 15).
async fn known(
    tools: &Tools,
    portal: &PortalRun,
    (id, candidate): (i64, &Candidate),
) -> Option<crate::store::Known> {
    if candidate.kind != Kind::Article {
        return None;
    }
    let known = tools.store.known(id).ok().flatten()?;
    Some(revise::with_fingerprint(known, portal, &tools.changes_dir).await)
}

/// The URL of an article that matched none of the profile's `article_urls` (issue 14).
fn missed(article: Option<&crate::extract::Article>, hop: Option<&Capture>) -> Option<Url> {
    let flagged = article.is_some_and(|a| {
        a.flags
            .iter()
            .any(|f| f == super::explore::FLAG_PATTERN_MISS)
    });
    flagged.then(|| hop.map(|c| c.url.clone())).flatten()
}

/// Judges an article fetch against its history and records the new version's index line and
/// the change events (issue 15); returns the store's new state and the index report. The
/// index line's metadata record is written after the deferred capture `after` (taken).
async fn record(
    tools: &Tools,
    portal: &Arc<PortalRun>,
    candidate: &Candidate,
    known: Option<crate::store::Known>,
    answer: &revise::Answer,
    (hop, article): (Option<&Capture>, Option<page::Extracted>),
    after: &mut Option<archive::Unsynced>,
) -> Result<(Option<Box<Landing>>, Option<Indexed>), archive::Error> {
    let verdict = revise::decide(
        portal,
        known.as_ref(),
        answer,
        article.as_ref(),
        chrono::Utc::now(),
    );
    let (Some(revision), Some(proof)) = (verdict.revision.clone(), answer.proof.as_ref()) else {
        return Ok((None, None));
    };
    let generic = article
        .as_ref()
        .is_some_and(|e| e.article.flags.iter().any(|f| f == FLAG_GENERIC));
    let dirs = revise::Dirs {
        index: &tools.index_dir,
        changes: &tools.changes_dir,
    };
    let record = revise::Record {
        url: &candidate.url,
        previous: known.and_then(|k| k.pointer),
        proof,
        indexed: hop.zip(article.map(|e| e.article)),
        after,
    };
    let recorder = tools.visitor.recorder();
    let (changes, row) =
        revise::write(recorder, &dirs, &portal.portal.name, &verdict, record).await?;
    let indexed = verdict.line.is_some().then(|| Indexed {
        generic,
        missed: None,
        row: row.map(Box::new),
    });
    let moved = verdict.target.clone();
    let landing = Landing {
        revision,
        changes,
        moved,
    };
    Ok((Some(Box::new(landing)), indexed))
}

/// The prior capture of an article due for a revisit (issue 15: every archived article is
/// revisited on its portal's ladder, so any article with a prior capture here is a revisit).
fn prior(store: &Store, id: i64, candidate: &Candidate, _portal: &PortalRun) -> Option<Prior> {
    if candidate.kind != Kind::Article {
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
/// Reads what a landed page holds into `finished`: a feed's or sitemap's entries, or an HTML
/// page's links and requisites. Returns the HTML hop (what an index line points at) and the
/// article extracted from it.
async fn read_landed(
    finished: &mut Finished,
    readable: Option<Hop>,
    portal: &Arc<PortalRun>,
    kind: Kind,
) -> (Option<Hop>, Option<page::Extracted>) {
    let readable = match (readable, kind) {
        (Some(hop), Kind::Feed) => {
            if let Finished::Done {
                found, listed_by, ..
            } = finished
            {
                (*found, *listed_by) = super::feed::read(hop, portal.clone()).await;
            }
            None
        }
        (Some(hop), _) if hop.capture.mime.contains("html") => Some(hop),
        _ => None,
    };
    let mut article = None;
    if let (Finished::Done { found, .. }, Some(hop)) = (finished, &readable) {
        let (mut read, extracted) = page::read(hop.clone(), portal.clone(), kind).await;
        read.found.append(&mut read.requisites);
        *found = read.found;
        article = extracted;
    }
    (readable, article)
}

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
                reason: refusal.reason(),
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
        listed_by: None,
        history: None,
    }
}

fn judge_failed(hops: &[Hop], error: &crate::fetch::Error, retries: &Retries) -> Finished {
    let bytes = body_bytes(hops);
    if error.is_retryable() && retries.attempts < retries.max {
        let not_before = SystemTime::now() + backoff(retries);
        return Finished::Retry {
            not_before,
            reason: error.reason(),
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
        let outcome = refused(Label::NoResponse, "nothing was fetched");
        let failed = Finished::Failed {
            outcome,
            bytes,
            transient: false,
        };
        return (failed, None);
    };
    let status = last.capture.status;
    let transient = Label::transient_status(status);
    if let Some(reason) = transient
        && retries.attempts < retries.max
    {
        let wait = last
            .exchange
            .header("retry-after")
            .and_then(|v| crate::politeness::retry_after(&v, SystemTime::now()))
            .unwrap_or_else(|| backoff(retries));
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
            ..Outcome::labelled(Label::Revisited)
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
                listed_by: None,
                history: None,
            },
            None,
        );
    }
    let mut outcome = archived(&last.capture);
    if let Some(label) = transient {
        // Still failing after its retries: the response is in the WARC, but the URL failed.
        outcome.label = label;
        let failed = Finished::Failed {
            outcome,
            bytes,
            transient: true,
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
        listed_by: None,
        history: None,
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
        label: Label::Archived,
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
fn refused(label: Label, reason: &str) -> Outcome {
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
