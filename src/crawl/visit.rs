//! One polite visit: robots.txt → the host's gate → fetch → record, hop by hop.
//!
//! Both `baoluu save` and the crawl go through a [`Visitor`]: it fetches and archives a host's
//! robots.txt before any other URL of its authority (RFC 9309 §2.3; cached in memory, and in
//! the store when one is attached), waits for the host's politeness gate, records every
//! exchange (each redirect hop is its own exchange: docs/archive.md, pywb#18/#73) and reports what
//! happened as a [`Visit`]. It never decides scope by itself: the caller passes the rule for
//! redirect targets, and decides what a status means for the frontier.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use url::Url;

use crate::archive::{self, Capture, Original, Recorder, RevisitProfile, Unsynced};
use crate::canonical;
use crate::fetch::{self, Exchange, Fetcher, Validators};
use crate::outcome::Label;
use crate::politeness::{self, Hosts};
use crate::robots::{self, Robots};
use crate::store::Store;

/// How long a robots.txt that could not be reached blocks its host before we ask again
/// (RFC 9309 §2.3.1.4: unreachable ⇒ disallow everything, retry later).
pub const ROBOTS_RETRY: Duration = Duration::from_secs(600);

/// Why a visit stops before fetching.
enum Stop {
    Refused(Refusal),
    Failed(fetch::Error),
}

/// An earlier capture of a URL: validators for a conditional GET, and what a revisit record
/// refers to.
#[derive(Debug, Clone)]
pub struct Prior {
    pub validators: Validators,
    pub original: Original,
}

/// One archived exchange of a visit.
#[derive(Debug, Clone)]
pub struct Hop {
    pub exchange: Arc<Exchange>,
    pub capture: Capture,
    /// Set when the capture was written deferred and is not durable yet (issue 17).
    pub unsynced: Option<archive::Unsynced>,
}

/// What a visit ended with.
#[derive(Debug)]
pub enum Visit {
    /// Every hop was archived; the last one is not a followed redirect.
    Archived { hops: Vec<Hop> },
    /// Not fetched, with the reason (robots.txt, scope of a redirect, too many redirects).
    /// `hops` holds what was archived before the refusal (redirect hops).
    Refused { hops: Vec<Hop>, refusal: Refusal },
    /// The fetch failed before any response of this hop arrived.
    Failed { hops: Vec<Hop>, error: fetch::Error },
}

/// Why a URL was not fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    RobotsDisallowed {
        robots_url: String,
    },
    RobotsUnreachable {
        robots_url: String,
    },
    RedirectOutOfScope {
        target: String,
    },
    /// The redirect target was already archived in this run: following it would archive it twice.
    AlreadyArchived {
        target: String,
    },
    TooManyRedirects {
        limit: u32,
    },
}

impl Refusal {
    /// A short label for the store and logs.
    pub fn reason(&self) -> Label {
        match self {
            Refusal::RobotsDisallowed { .. } => Label::RobotsDisallowed,
            Refusal::RobotsUnreachable { .. } => Label::RobotsUnreachable,
            Refusal::RedirectOutOfScope { .. } => Label::RedirectOutOfScope,
            Refusal::AlreadyArchived { .. } => Label::RedirectToKnown,
            Refusal::TooManyRedirects { .. } => Label::TooManyRedirects,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::RobotsDisallowed { robots_url } => {
                write!(f, "robots.txt disallows it ({robots_url})")
            }
            Refusal::RobotsUnreachable { robots_url } => {
                write!(
                    f,
                    "robots.txt could not be fetched, so nothing on that host is fetched for now ({robots_url})"
                )
            }
            Refusal::RedirectOutOfScope { target } => {
                write!(f, "redirects out of scope, to {target}")
            }
            Refusal::AlreadyArchived { target } => {
                write!(f, "redirects to {target}, already archived")
            }
            Refusal::TooManyRedirects { limit } => write!(f, "more than {limit} redirects"),
        }
    }
}

/// How a visit fetches and records: the body cap (None: `max_body`), and whether its last
/// response is written deferred.
struct How {
    max_body: Option<u64>,
    defer: bool,
}

impl Visit {
    /// What the visit archived, redirect hops first.
    pub fn hops(&self) -> &[Hop] {
        match self {
            Visit::Archived { hops } | Visit::Refused { hops, .. } | Visit::Failed { hops, .. } => {
                hops
            }
        }
    }

    /// The deferred capture of the visit's last hop, if it is not durable yet.
    pub fn unsynced(&self) -> Option<Unsynced> {
        self.hops().last().and_then(|h| h.unsynced.clone())
    }
}

/// A cached robots.txt verdict for one authority.
struct Entry {
    robots: Arc<Robots>,
    fetched: SystemTime,
}

/// Shared handles for polite, recorded fetching.
pub struct Visitor {
    /// Replaced whole when a reload changes the portals (its address guard derives from their
    /// hosts: issue 13 item 7); a fetch clones it out, so one in flight keeps its own.
    fetcher: std::sync::RwLock<Fetcher>,
    hosts: Arc<Hosts>,
    recorder: Arc<Recorder>,
    max_redirects: u32,
    product_token: String,
    /// robots.txt per authority; the inner async mutex makes concurrent visits of one authority
    /// wait for a single fetch instead of each fetching it.
    robots: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Entry>>>>>,
    store: Option<Arc<Store>>,
    /// `[crawler] max_rate`: one ceiling in front of every request, whatever the host.
    ceiling: Option<Arc<governor::DefaultDirectRateLimiter>>,
}

impl Visitor {
    pub fn new(
        fetcher: Fetcher,
        hosts: Arc<Hosts>,
        recorder: Arc<Recorder>,
        max_redirects: u32,
        user_agent: &str,
    ) -> Visitor {
        Visitor {
            fetcher: std::sync::RwLock::new(fetcher),
            hosts,
            recorder,
            max_redirects,
            product_token: robots::product_token(user_agent),
            robots: Mutex::new(HashMap::new()),
            store: None,
            ceiling: None,
        }
    }

    /// Puts the operator's ceiling (`[crawler] max_rate`) in front of every request: a GCRA
    /// limiter without bursts, so requests across all hosts start at least `interval` apart.
    /// The per-host gate still decides each host's own gap (docs/dependencies.md says why
    /// governor is this ceiling and not the gate).
    pub fn with_ceiling(mut self, rate: Option<crate::config::units::Rate>) -> Visitor {
        self.ceiling = rate.and_then(|r| {
            let quota = governor::Quota::with_period(r.interval())?;
            Some(Arc::new(governor::RateLimiter::direct(quota)))
        });
        self
    }

    /// Fetches with `fetcher` from now on (a reloaded configuration's address guard).
    pub fn set_fetcher(&self, fetcher: Fetcher) {
        *self.fetcher.write().unwrap_or_else(|p| p.into_inner()) = fetcher;
    }

    /// Keeps robots.txt verdicts in the store too, so a resumed run need not refetch them.
    pub fn with_store(mut self, store: Arc<Store>) -> Visitor {
        self.store = Some(store);
        self
    }

    /// The `Sitemap:` lines of the robots.txt this visitor holds for `url`'s authority (none
    /// before a visit fetched it), resolved against the robots.txt URL.
    pub fn sitemaps(&self, url: &Url) -> Vec<Url> {
        let authority = robots::authority(url);
        let slot = {
            let map = self.robots.lock().unwrap_or_else(|p| p.into_inner());
            map.get(&authority).cloned()
        };
        let Some(entry) = slot.as_ref().and_then(|s| s.try_lock().ok()) else {
            return Vec::new();
        };
        let base = robots::robots_url(url);
        entry
            .as_ref()
            .map(|e| e.robots.sitemaps())
            .unwrap_or_default()
            .iter()
            .filter_map(|s| base.join(s.trim()).ok())
            .collect()
    }

    /// The WARC recorder every visit writes through.
    pub fn recorder(&self) -> &Arc<Recorder> {
        &self.recorder
    }

    /// The politeness gates, shared with the crawl's scheduler.
    pub fn hosts(&self) -> &Arc<Hosts> {
        &self.hosts
    }

    /// Visits `url`, following redirects whose targets `follow` accepts, archiving under `prefix`.
    /// With `prior`, the first request is a conditional GET, and an unchanged answer is archived
    /// as a `revisit` record of the prior capture (issue 5).
    pub async fn visit(
        &self,
        url: &Url,
        prefix: &str,
        prior: Option<&Prior>,
        follow: &(dyn Fn(&Url) -> Result<(), Refusal> + Sync),
    ) -> Result<Visit, archive::Error> {
        let how = How {
            max_body: None,
            defer: false,
        };
        self.visit_with(url, prefix, prior, follow, how).await
    }

    /// [`Visitor::visit`] with its own body cap (sitemaps and feeds: `max_body`, None for the
    /// configured one), whose last response (not a redirect, not a revisit) is written
    /// deferred ([`Recorder::record_deferred`]): the caller settles its [`Hop::unsynced`], or
    /// writes a metadata record after it, before telling anyone it exists (issue 17).
    pub async fn visit_deferred(
        &self,
        url: &Url,
        prefix: &str,
        prior: Option<&Prior>,
        follow: &(dyn Fn(&Url) -> Result<(), Refusal> + Sync),
        max_body: Option<u64>,
    ) -> Result<Visit, archive::Error> {
        let how = How {
            max_body,
            defer: true,
        };
        self.visit_with(url, prefix, prior, follow, how).await
    }

    async fn visit_with(
        &self,
        url: &Url,
        prefix: &str,
        prior: Option<&Prior>,
        follow: &(dyn Fn(&Url) -> Result<(), Refusal> + Sync),
        How { max_body, defer }: How,
    ) -> Result<Visit, archive::Error> {
        let mut hops = Vec::new();
        let mut current = url.clone();
        loop {
            match self.check_robots(&current, prefix).await? {
                Ok(()) => {}
                Err(Stop::Refused(refusal)) => return Ok(Visit::Refused { hops, refusal }),
                Err(Stop::Failed(error)) => return Ok(Visit::Failed { hops, error }),
            }
            // Only the URL itself has a prior capture; redirect targets are fetched plainly.
            let prior = prior.filter(|_| hops.is_empty());
            let validators = prior.map(|p| &p.validators);
            let exchange = match self.fetch_politely(&current, validators, max_body).await {
                Ok(exchange) => exchange,
                Err(error) => return Ok(Visit::Failed { hops, error }),
            };
            let target = exchange.redirect_target();
            let defer = defer && target.is_none();
            let (capture, unsynced) = self.archive(prefix, exchange.clone(), prior, defer).await?;
            hops.push(Hop {
                exchange,
                capture,
                unsynced,
            });
            let Some(target) = target else {
                return Ok(Visit::Archived { hops });
            };
            if hops.len() > self.max_redirects as usize {
                let refusal = Refusal::TooManyRedirects {
                    limit: self.max_redirects,
                };
                return Ok(Visit::Refused { hops, refusal });
            }
            if let Err(refusal) = follow(&target) {
                return Ok(Visit::Refused { hops, refusal });
            }
            current = target;
        }
    }

    /// Writes a response record, or a revisit record when the answer repeats `prior`: a 304 to
    /// its validators (profile server-not-modified) or a body with its payload digest
    /// (identical-payload-digest), WARC 1.1 §6.7. A response is written `defer`red when asked.
    async fn archive(
        &self,
        prefix: &str,
        exchange: Arc<Exchange>,
        prior: Option<&Prior>,
        defer: bool,
    ) -> Result<(Capture, Option<Unsynced>), archive::Error> {
        let profile = prior.and_then(|p| revisit_profile(&exchange, &p.original));
        match (profile, prior) {
            (Some(profile), Some(prior)) => {
                let original = prior.original.clone();
                tracing::info!(url = %exchange.url, profile = profile.uri(), "revisit_recorded");
                let recorded = self.recorder.revisit(prefix, exchange, profile, original);
                Ok((recorded.await?, None))
            }
            _ if defer => {
                let (capture, unsynced) = self.recorder.record_deferred(prefix, exchange).await?;
                Ok((capture, Some(unsynced)))
            }
            _ => Ok((self.recorder.record(prefix, exchange).await?, None)),
        }
    }

    /// Waits for the host's gate, fetches, and releases the gate with what the response says
    /// about the host (429/503 snooze the whole host: docs/politeness.md).
    async fn fetch_politely(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        max_body: Option<u64>,
    ) -> Result<Arc<Exchange>, fetch::Error> {
        let host = canonical::host_key(url);
        let permit = self.hosts.begin(&host).await;
        if let Some(ceiling) = &self.ceiling {
            ceiling.until_ready().await;
        }
        let fetcher = self
            .fetcher
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let result = match max_body {
            Some(cap) => fetcher.fetch_capped(url, validators, cap).await,
            None => fetcher.fetch(url, validators).await,
        };
        log_fetch(url, &result);
        match &result {
            Ok(exchange) => {
                if let Some(ip) = exchange.remote_ip {
                    self.hosts.learn_ip(&host, ip);
                }
                if matches!(exchange.status, 429 | 503) {
                    let wait = exchange
                        .header("retry-after")
                        .and_then(|v| politeness::retry_after(&v, SystemTime::now()));
                    tracing::warn!(host = %host, status = exchange.status, retry_after = ?wait, "host_backed_off");
                    permit.back_off(wait);
                } else {
                    permit.finish(exchange.duration);
                }
            }
            Err(_) => permit.finish(Duration::ZERO),
        }
        result.map(Arc::new)
    }

    /// Ok(None) when `url` may be fetched; the refusal otherwise.
    async fn check_robots(
        &self,
        url: &Url,
        prefix: &str,
    ) -> Result<Result<(), Stop>, archive::Error> {
        let robots_url = robots::robots_url(url);
        if url.path() == "/robots.txt" && url.query().is_none() {
            return Ok(Ok(())); // RFC 9309 §2.2.2: /robots.txt itself is always allowed.
        }
        let robots = match self.robots_for(url, prefix).await? {
            Ok(robots) => robots,
            Err(error) => return Ok(Err(Stop::Failed(error))),
        };
        let robots_url = robots_url.to_string();
        if robots.is_unreachable() {
            return Ok(Err(Stop::Refused(Refusal::RobotsUnreachable {
                robots_url,
            })));
        }
        if !robots.allowed(url) {
            tracing::info!(url = %url, robots = %robots_url, "robots_precluded");
            return Ok(Err(Stop::Refused(Refusal::RobotsDisallowed { robots_url })));
        }
        Ok(Ok(()))
    }

    /// The cached verdict for `url`'s authority, fetching robots.txt when missing or stale.
    /// The inner error is a fetch failure no retry can fix (the host's address is refused, the
    /// URL cannot be sent): the URL fails with it, and nothing is cached.
    async fn robots_for(
        &self,
        url: &Url,
        prefix: &str,
    ) -> Result<Result<Arc<Robots>, fetch::Error>, archive::Error> {
        let authority = robots::authority(url);
        let slot = {
            let mut map = self.robots.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(authority.clone()).or_default().clone()
        };
        let mut entry = slot.lock().await;
        if entry.is_none() {
            *entry = self.robots_from_store(&authority);
            // Issue 13: a verdict from the store carries its Crawl-delay too, or every run
            // within 24 h of the fetch (and every daemon restart) crawls at min_delay.
            if let Some(stored) = entry.as_ref() {
                self.apply_crawl_delay(url, &stored.robots);
            }
        }
        if let Some(cached) = entry.as_ref().filter(|e| fresh(e)) {
            return Ok(Ok(cached.robots.clone()));
        }
        let robots = match self.fetch_robots(url, prefix).await? {
            Ok(robots) => Arc::new(robots),
            Err(error) => return Ok(Err(error)),
        };
        self.apply_crawl_delay(url, &robots);
        self.robots_to_store(&authority, &robots);
        *entry = Some(Entry {
            robots: robots.clone(),
            fetched: SystemTime::now(),
        });
        Ok(Ok(robots))
    }

    /// Hands the verdict's Crawl-delay to the host's politeness gate (None clears an old one).
    fn apply_crawl_delay(&self, url: &Url, robots: &Robots) {
        let host = canonical::host_key(url);
        self.hosts.set_crawl_delay(&host, robots.crawl_delay());
    }

    /// Fetches and archives robots.txt, following up to five redirects (RFC 9309 §2.3.1.2);
    /// the rules apply to the original authority wherever they were found. The body is capped
    /// at [`robots::MAX_BODY`] whatever `max_body` says (RFC 9309 §2.5: parse at least 500 KiB).
    async fn fetch_robots(
        &self,
        url: &Url,
        prefix: &str,
    ) -> Result<Result<Robots, fetch::Error>, archive::Error> {
        let token = &self.product_token;
        let mut current = robots::robots_url(url);
        for hop in 0..=robots::MAX_REDIRECTS {
            let cap = Some(robots::MAX_BODY as u64);
            let exchange = match self.fetch_politely(&current, None, cap).await {
                Ok(exchange) => exchange,
                // The host itself refuses to be fetched (address guard, unsendable URL): no
                // robots.txt verdict, the URL fails with the real reason.
                Err(error) if hop == 0 && !error.is_retryable() => return Ok(Err(error)),
                // A redirect to somewhere we may not fetch (address guard, scheme): the file
                // could not be read, which is *unreachable* (RFC 9309 §2.3.1.4), not the
                // "too many redirects" of §2.3.1.2 (issue 13 item 4).
                Err(error) if !error.is_retryable() => {
                    tracing::warn!(robots = %current, error = %error, "robots_redirect_refused");
                    return Ok(Ok(Robots::from_fetch(robots::Fetched::Failed, token)));
                }
                Err(error) => {
                    tracing::warn!(robots = %current, error = %error, "robots_unreachable");
                    return Ok(Ok(Robots::from_fetch(robots::Fetched::Failed, token)));
                }
            };
            let target = exchange.redirect_target();
            self.recorder.record(prefix, exchange.clone()).await?;
            match target {
                Some(target) => current = target,
                None => return Ok(Ok(Robots::from_exchange(&exchange, token))),
            }
        }
        Ok(Ok(Robots::from_fetch(
            robots::Fetched::TooManyRedirects,
            token,
        )))
    }

    fn robots_from_store(&self, authority: &str) -> Option<Entry> {
        let store = self.store.as_ref()?;
        let crate::store::CachedRobots {
            fetched_at, body, ..
        } = store.robots_get(authority).ok()??;
        let robots = Robots::from_cache(&body, &self.product_token).ok()?;
        let fetched = SystemTime::UNIX_EPOCH + Duration::from_secs_f64(fetched_at.max(0.0));
        Some(Entry {
            robots: Arc::new(robots),
            fetched,
        })
    }

    fn robots_to_store(&self, authority: &str, robots: &Robots) {
        let Some(store) = &self.store else { return };
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        if let Err(err) = store.robots_put(
            authority,
            now.as_secs_f64(),
            robots.state(),
            &robots.to_cache(),
        ) {
            tracing::warn!(authority, error = %err, "robots_cache_failed");
        }
    }
}

/// One event per fetch (issue 3 "Observability"): URL, status, bytes, duration, outcome. A
/// fetched page is a `debug` event (issue 17: an `info` line on stderr for every page cost
/// on every page; `logs/crawl.log` is the record of each fetch); a failure stays a warning.
fn log_fetch(url: &Url, result: &Result<Exchange, fetch::Error>) {
    match result {
        Ok(ex) => tracing::debug!(
            url = %url,
            status = ex.status,
            bytes = ex.body.len(),
            duration_ms = ex.duration.as_millis() as u64,
            truncated = ex.truncated.map(|t| t.as_warc()),
            "page_fetched"
        ),
        Err(err) => {
            tracing::warn!(url = %url, outcome = err.reason().as_str(), error = %err, "fetch_failed")
        }
    }
}

/// Which revisit profile, if any, describes `exchange` against the `original` capture.
fn revisit_profile(exchange: &Exchange, original: &Original) -> Option<RevisitProfile> {
    if exchange.status == 304 {
        return Some(RevisitProfile::ServerNotModified);
    }
    let unchanged = exchange.status == 200
        && exchange.truncated.is_none()
        && archive::payload_digest(&exchange.body) == original.payload_digest;
    unchanged.then_some(RevisitProfile::IdenticalPayloadDigest)
}

/// Whether a cached verdict may still be used: 24 h for a parsed file (RFC 9309 §2.4), a few
/// minutes for an unreachable one so the host is retried.
fn fresh(entry: &Entry) -> bool {
    let age = entry.fetched.elapsed().unwrap_or(Duration::MAX);
    let ttl = if entry.robots.is_unreachable() {
        ROBOTS_RETRY
    } else {
        robots::CACHE_TTL
    };
    age < ttl
}
