//! The run loop: takes candidates from the frontier, runs their tasks concurrently, applies the
//! results in commit order, and decides when the run is over.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::disk::Guard;
use super::feed;
use super::links;
use super::session::Session;
use super::task::{self, Finished, PortalRun, Retries, Tools};
use super::{Error, Observer, Options, Summary, Visitor};
use crate::archive;
use crate::config::Portal;
use crate::frontier::{Frontier, Gate, Next};
use crate::index::Index;
use crate::scope::Scope;
use crate::store::{Candidate, Deferred, Kind, Outcome, RunStatus, Store};

/// One run over a set of portals, on a [`Session`]'s shared parts.
pub(super) struct Run {
    store: Arc<Store>,
    visitor: Arc<Visitor>,
    index: Arc<std::sync::Mutex<Index>>,
    /// What the tasks share.
    tools: Arc<Tools>,
    slots: Arc<Semaphore>,
    observer: Option<Observer>,
    portals: HashMap<String, Arc<PortalRun>>,
    run_id: i64,
    resumed: bool,
    retries: u32,
    second_chances: u32,
    grace: Duration,
    /// `archive_dir` and `min_free_space`, for the disk guard.
    disk: (std::path::PathBuf, u64),
    base_delay: Duration,
}

/// The result of one task, tagged with what the loop needs to apply it.
struct Landed {
    id: i64,
    candidate: Candidate,
    finished: Result<Finished, archive::Error>,
}

impl Run {
    /// Starts (or resumes) the run of `portals`: an unfinished run of the same portal set is
    /// continued, so URLs it already fetched are not fetched again (issue 3). A new run queues
    /// the URLs earlier runs deferred after transient failures (issue 5: second chances).
    pub(super) fn prepare(
        session: &Session,
        portals: &[Portal],
        options: Options,
        observer: Option<Observer>,
    ) -> Result<Run, Error> {
        let mut names: Vec<String> = portals.iter().map(|p| p.name.clone()).collect();
        names.sort();
        let store = &session.store;
        let run = store.begin_run(&names)?;
        if !run.resumed {
            for name in &names {
                let queued = store.requeue_deferred(run.id, name)?;
                if queued > 0 {
                    tracing::info!(portal = %name, queued, "second_chances_queued");
                }
            }
        }
        let mut runs = HashMap::new();
        for p in portals {
            let backfill = match options.backfill {
                true => Some(links::Backfill::load(store, p)?),
                false => None,
            };
            let since = store
                .last_completed_start(&p.name)?
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map(|t| t.to_utc());
            let portal_run = PortalRun {
                portal: p.clone(),
                scope: Scope::new(p),
                backfill,
                since,
            };
            runs.insert(p.name.clone(), Arc::new(portal_run));
        }
        let portals = runs;
        let crawler = &session.config.crawler;
        Ok(Run {
            store: session.store.clone(),
            visitor: session.visitor.clone(),
            index: session.index.clone(),
            tools: Arc::new(Tools {
                visitor: session.visitor.clone(),
                crawl_log: session.crawl_log.clone(),
                store: session.store.clone(),
                run_id: run.id,
                feed_cap: crawler.max_feed_body,
            }),
            slots: session.slots.clone(),
            observer,
            portals,
            run_id: run.id,
            resumed: run.resumed,
            retries: crawler.retries,
            second_chances: crawler.second_chances,
            grace: crawler.grace_period,
            disk: (crawler.archive_dir.clone(), crawler.min_free_space),
            base_delay: crawler.min_delay,
        })
    }

    /// Crawls until the frontier is empty and nothing is in flight, or until `cancel`.
    pub(super) async fn execute(self, cancel: CancellationToken) -> Result<Summary, Error> {
        let started = Instant::now();
        let mut summary = Summary {
            run: self.run_id,
            resumed: self.resumed,
            ..Summary::default()
        };
        tracing::info!(
            run = self.run_id,
            resumed = self.resumed,
            portals = self.portals.len(),
            "run_started"
        );
        let mut frontier = Frontier::new(self.store.clone(), self.run_id)?;
        self.seed(&mut frontier)?;
        let slots = self.slots.clone();
        let mut tasks: JoinSet<Landed> = JoinSet::new();
        let mut busy: HashSet<String> = HashSet::new();
        let mut guard = Guard::new(&self.disk.0, self.disk.1);
        let interrupted = loop {
            if cancel.is_cancelled() {
                break true;
            }
            if let Some(free) = guard.low() {
                let reason = format!(
                    "only {free} bytes free under {}, below min_free_space ({} bytes); free space and run again",
                    self.disk.0.display(),
                    self.disk.1
                );
                tracing::error!(free, min_free_space = self.disk.1, "disk_guard_stopped");
                summary.stopped_by = Some(reason);
                break true;
            }
            while let Some(joined) = tasks.try_join_next() {
                self.apply(flatten(joined)?, &mut frontier, &mut summary, &mut busy)?;
            }
            match self.next(&mut frontier, &busy)? {
                Next::Ready(id, candidate) => {
                    let permit = tokio::select! {
                        permit = slots.clone().acquire_owned() => permit.map_err(|_| closed())?,
                        _ = cancel.cancelled() => {
                            self.store.requeue(id)?;
                            break true;
                        }
                    };
                    busy.insert(candidate.host.clone());
                    self.spawn(&mut tasks, id, candidate, permit)?;
                }
                Next::Wait(until) => {
                    tokio::select! {
                        Some(joined) = tasks.join_next() => self.apply(flatten(joined)?, &mut frontier, &mut summary, &mut busy)?,
                        _ = tokio::time::sleep(wait_time(until)) => {}
                        _ = cancel.cancelled() => break true,
                    }
                }
                Next::Empty => match tasks.join_next().await {
                    Some(joined) => {
                        self.apply(flatten(joined)?, &mut frontier, &mut summary, &mut busy)?
                    }
                    None => break false,
                },
            }
        };
        self.drain(&mut tasks, &mut frontier, &mut summary, &mut busy)
            .await?;
        if !interrupted {
            self.store.finish_run(self.run_id, RunStatus::Completed)?;
        }
        summary.interrupted = interrupted;
        summary.elapsed = started.elapsed();
        Ok(summary)
    }

    /// The frontier's next candidate whose host has no task out and whose politeness gate is
    /// open now. The frontier moves a host whose gate opens later to that time, so the loop
    /// sleeps until then instead of spinning; busy hosts come back when their fetch lands.
    fn next(&self, frontier: &mut Frontier, busy: &HashSet<String>) -> Result<Next, Error> {
        let hosts = self.visitor.hosts();
        let next = frontier.next(unix_now(), |host| {
            // A task taken for this host may not have reached the gate yet: the gate alone
            // would say "free" and a second URL of the host would jump the priority order.
            if busy.contains(host) {
                return Gate::Busy;
            }
            let Some(at) = hosts.ready_at(host) else {
                return Gate::Busy;
            };
            // Read the clock after the gate did: a fresh gate is "ready at now".
            let now = tokio::time::Instant::now();
            if at <= now {
                Gate::Free
            } else {
                Gate::OpensAt(unix_now() + (at - now).as_secs_f64())
            }
        })?;
        Ok(next)
    }

    /// Queues every portal's seeds (a resumed run already has them: they come back as Known),
    /// and in a backfill run the deepest page of each chain an earlier backfill reached.
    fn seed(&self, frontier: &mut Frontier) -> Result<(), Error> {
        for portal in self.portals.values() {
            if let Some(backfill) = &portal.backfill {
                frontier.push_all(&backfill.edges(&portal.portal.name))?;
            }
            for seed in &portal.portal.seeds {
                let candidate = Candidate {
                    url: crate::canonical::canonicalize(seed).to_string(),
                    portal: portal.portal.name.clone(),
                    host: crate::canonical::host_key(seed),
                    kind: Kind::Seed,
                    depth: 0,
                    via: None,
                    chain_page: 0,
                    chain_stale: 0,
                };
                frontier.push(&candidate)?;
            }
            let sources: Vec<_> = feed::starting_points(portal)
                .iter()
                .map(|url| links::source(&portal.portal.name, url))
                .collect();
            frontier.push_all(&sources)?;
        }
        Ok(())
    }

    fn spawn(
        &self,
        tasks: &mut JoinSet<Landed>,
        id: i64,
        candidate: Candidate,
        permit: tokio::sync::OwnedSemaphorePermit,
    ) -> Result<(), Error> {
        let Some(portal) = self.portals.get(&candidate.portal).cloned() else {
            // Only a store shared with another portal set could hold such a URL.
            let outcome = Outcome {
                reason: Some("its portal is not part of this run".into()),
                ..Outcome::labelled("portal-not-in-run")
            };
            self.store.mark_failed(id, &outcome)?;
            return Ok(());
        };
        let tools = self.tools.clone();
        let retries = Retries {
            attempts: self.store.attempts(id).unwrap_or(0),
            max: self.retries,
            base_delay: self.base_delay,
        };
        tasks.spawn(async move {
            let finished = task::run(&tools, &portal, (id, &candidate), &retries).await;
            drop(permit);
            Landed {
                id,
                candidate,
                finished,
            }
        });
        Ok(())
    }

    /// Applies one task's result: links first, then the URL's own state (house rule 6).
    fn apply(
        &self,
        landed: Landed,
        frontier: &mut Frontier,
        summary: &mut Summary,
        busy: &mut HashSet<String>,
    ) -> Result<(), Error> {
        let Landed {
            id,
            candidate,
            finished,
        } = landed;
        busy.remove(&candidate.host);
        match finished? {
            Finished::Done {
                outcome,
                found,
                redirects,
                bytes,
                line,
                moved_to,
            } => {
                let stats = summary.portals.entry(candidate.portal.clone()).or_default();
                if let Some(host) = moved_to {
                    *stats.moved_to.entry(host).or_default() += 1;
                }
                summary.fetched += 1;
                summary.bytes += bytes;
                if let Some(portal) = self.portals.get(&candidate.portal) {
                    links::record_redirects(
                        &self.store,
                        self.run_id,
                        portal,
                        &candidate,
                        &redirects,
                    )?;
                    links::queue(frontier, portal, &candidate, found)?;
                    if candidate.kind == Kind::Seed {
                        let sitemaps = self.robots_sitemaps(portal, &candidate);
                        frontier.push_all(&sitemaps)?;
                    }
                    if outcome.label == "archived" {
                        links::record_reach(&self.store, portal, &candidate)?;
                    }
                }
                if let Some(line) = line {
                    let stats = summary.portals.entry(candidate.portal.clone()).or_default();
                    stats.indexed += 1;
                    if line
                        .article
                        .flags
                        .iter()
                        .any(|f| f == crate::extract::FLAG_GENERIC)
                    {
                        stats.generic += 1;
                    }
                    self.index
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .append(&line)?;
                    summary.indexed += 1;
                }
                count(summary, &outcome.label);
                log_outcome(&candidate, &outcome.label, outcome.status);
                self.store.mark_done(id, &outcome)?;
            }
            Finished::Retry {
                not_before,
                reason,
                bytes,
            } => {
                summary.bytes += bytes;
                count_backoff(summary, &candidate, &reason);
                tracing::info!(url = %candidate.url, reason = %reason, "fetch_deferred");
                frontier.retry_later(id, &candidate.host, unix(not_before), &reason)?;
            }
            Finished::Failed {
                outcome,
                bytes,
                transient,
            } => {
                summary.fetched += 1;
                summary.bytes += bytes;
                count_backoff(summary, &candidate, &outcome.label);
                let label = match transient {
                    true => self.defer(id, &candidate, &outcome)?,
                    false => {
                        self.store.mark_failed(id, &outcome)?;
                        outcome.label.clone()
                    }
                };
                count(summary, &label);
                log_outcome(&candidate, &label, outcome.status);
            }
        }
        summary.queued = frontier.queued();
        if let Some(observe) = &self.observer {
            observe(summary);
        }
        Ok(())
    }

    /// The `Sitemap:` lines of a seed's robots.txt (fetched before the seed was), on the
    /// portal's hosts, as sources to fetch (issue 9).
    fn robots_sitemaps(&self, portal: &PortalRun, seed: &Candidate) -> Vec<Candidate> {
        let Ok(url) = url::Url::parse(&seed.url) else {
            return Vec::new();
        };
        self.visitor
            .sitemaps(&url)
            .iter()
            .filter(|s| portal.scope.on_hosts(s))
            .map(|s| links::source(&portal.portal.name, s))
            .collect()
    }

    /// A transient failure after its retries: a later run tries again, up to
    /// `second_chances` runs (issue 5). Returns the outcome label recorded.
    fn defer(&self, id: i64, candidate: &Candidate, outcome: &Outcome) -> Result<String, Error> {
        match self.store.defer(id, outcome, self.second_chances)? {
            Deferred::Later { failed_runs } => {
                tracing::info!(url = %candidate.url, failed_runs, reason = %outcome.label, "url_deferred_to_next_run");
                Ok(outcome.label.clone())
            }
            Deferred::GivenUp { failed_runs } => {
                tracing::warn!(url = %candidate.url, failed_runs, reason = %outcome.label, "url_given_up");
                Ok("given-up".to_string())
            }
        }
    }

    /// Lets in-flight tasks finish within the grace period (house rule 5); the rest stay
    /// `inflight` in the store and are requeued by the next run.
    async fn drain(
        &self,
        tasks: &mut JoinSet<Landed>,
        frontier: &mut Frontier,
        summary: &mut Summary,
        busy: &mut HashSet<String>,
    ) -> Result<(), Error> {
        if tasks.is_empty() {
            return Ok(());
        }
        tracing::info!(
            in_flight = tasks.len(),
            grace_s = self.grace.as_secs_f64(),
            "draining"
        );
        let deadline = tokio::time::Instant::now() + self.grace;
        while !tasks.is_empty() {
            match tokio::time::timeout_at(deadline, tasks.join_next()).await {
                Ok(Some(landed)) => self.apply(flatten(landed)?, frontier, summary, busy)?,
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(abandoned = tasks.len(), "grace_period_expired");
                    tasks.abort_all();
                    break;
                }
            }
        }
        Ok(())
    }
}

/// How long the loop sleeps when nothing is eligible: until the earliest host is due, or (every
/// host busy) until a fetch lands — the sleep is only a safety net then.
fn wait_time(until: Option<f64>) -> Duration {
    let ceiling = Duration::from_secs(1);
    until
        .map(|t| Duration::from_secs_f64((t - unix_now()).clamp(0.001, ceiling.as_secs_f64())))
        .unwrap_or(ceiling)
}

fn unix_now() -> f64 {
    unix(SystemTime::now())
}

fn unix(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn flatten(joined: Result<Landed, tokio::task::JoinError>) -> Result<Landed, Error> {
    joined.map_err(|err| Error::Internal(format!("a fetch task ended abnormally: {err}")))
}

fn closed() -> Error {
    Error::Internal("the pool of fetch slots closed".into())
}

fn count(summary: &mut Summary, outcome: &str) {
    if outcome == "archived" {
        summary.archived += 1;
    } else {
        *summary.failed.entry(outcome.to_string()).or_default() += 1;
    }
}

/// A 429 or 503 snoozes the whole host (the politeness gate did it already): counted for
/// the `baoluu_host_backoffs_total` metric.
fn count_backoff(summary: &mut Summary, candidate: &Candidate, reason: &str) {
    if reason == "http-429" || reason == "http-503" {
        *summary.backoffs.entry(candidate.host.clone()).or_default() += 1;
    }
}

fn log_outcome(candidate: &Candidate, outcome: &str, status: Option<u16>) {
    tracing::info!(url = %candidate.url, kind = candidate.kind.as_str(), status, outcome, "url_finished");
}
