//! Applying what tasks return, in commit order (docs/architecture.md rule 6): a task comes back once its WARC
//! records and its index line are durable (the recorder writes the line after the article's
//! metadata record, one fsync per batch); here its links are queued, then its URL is marked
//! done. Also the bookkeeping the run reports: counters, per-portal health stats, backoffs.

use std::collections::HashMap;

use super::{Landed, Run, flatten, links};
use crate::crawl::task::{Finished, Indexed, Landing, PortalRun};
use crate::crawl::{Error, Summary};
use crate::frontier::Frontier;
use crate::outcome::Label;
use crate::store::{Candidate, Deferred, Kind, Outcome, unix};

/// Tasks applied in one go before the loop looks at the frontier again.
const MAX_LANDED: usize = 64;

/// What the run loop carries from one landed task to the next.
pub(super) struct Progress {
    pub frontier: Frontier,
    pub summary: Summary,
    /// Hosts with a task out that has not finished fetching, and that task's URL id.
    pub busy: HashMap<String, i64>,
}

impl Run {
    /// Applies `first` and every other task that has landed meanwhile, in one store
    /// transaction (issue 17: `Store::batch`; the tasks' records and index lines are durable
    /// already, and their state becomes durable together at its commit).
    pub(super) fn land(
        &self,
        first: Result<Landed, tokio::task::JoinError>,
        tasks: &mut tokio::task::JoinSet<Landed>,
        progress: &mut Progress,
    ) -> Result<(), Error> {
        self.store.batch(|| {
            self.apply(flatten(first)?, progress)?;
            for _ in 1..MAX_LANDED {
                let Some(joined) = tasks.try_join_next() else {
                    break;
                };
                self.apply(flatten(joined)?, progress)?;
            }
            Ok(())
        })
    }

    /// Applies one task's result: links first, then the URL's own state (docs/architecture.md rule 6).
    fn apply(&self, landed: Landed, progress: &mut Progress) -> Result<(), Error> {
        let Landed {
            id,
            candidate,
            finished,
        } = landed;
        let Progress {
            frontier,
            summary,
            busy,
        } = progress;
        release(busy, &candidate.host, id);
        match finished? {
            Finished::Done {
                outcome,
                found,
                redirects,
                bytes,
                indexed,
                moved_to,
                listed_by,
                history,
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
                    let archived = outcome.label == Label::Archived;
                    self.account(portal, &candidate, (&found, listed_by, archived), summary)?;
                    links::queue(frontier, portal, &candidate, found)?;
                    if candidate.kind == Kind::Seed {
                        let sitemaps = self.robots_sitemaps(portal, &candidate);
                        frontier.push_all(&sitemaps)?;
                    }
                    if archived {
                        links::record_reach(&self.store, portal, &candidate)?;
                    }
                }
                if let Some(indexed) = indexed {
                    self.indexed(&candidate, &indexed, summary)?;
                }
                if let Some(landing) = history {
                    self.landed_history(id, &candidate, &landing, summary)?;
                }
                count(summary, outcome.label);
                log_outcome(&candidate, outcome.label, outcome.status);
                self.store.mark_done(id, &outcome)?;
            }
            Finished::Retry {
                not_before,
                reason,
                bytes,
            } => {
                summary.bytes += bytes;
                count_backoff(summary, &candidate, reason);
                tracing::info!(url = %candidate.url, reason = %reason, "fetch_deferred");
                frontier.retry_later(id, &candidate.host, unix(not_before), reason)?;
            }
            Finished::Failed {
                outcome,
                bytes,
                transient,
            } => self.failed(id, &candidate, (&outcome, bytes, transient), summary)?,
        }
        summary.queued = frontier.queued();
        if let Some(observe) = &self.observer {
            observe(summary);
        }
        Ok(())
    }

    /// A URL given up for this run: deferred to a later one when `transient`, else failed.
    fn failed(
        &self,
        id: i64,
        candidate: &Candidate,
        (outcome, bytes, transient): (&Outcome, u64, bool),
        summary: &mut Summary,
    ) -> Result<(), Error> {
        summary.fetched += 1;
        summary.bytes += bytes;
        count_backoff(summary, candidate, outcome.label);
        let label = match transient {
            true => self.defer(id, candidate, outcome)?,
            false => {
                self.store.mark_failed(id, outcome)?;
                outcome.label
            }
        };
        count(summary, label);
        log_outcome(candidate, label, outcome.status);
        Ok(())
    }

    /// Counts an article that got its index line, and records its row for the status page
    /// (issue 19) in the batch that marks its URL done.
    fn indexed(
        &self,
        candidate: &Candidate,
        indexed: &Indexed,
        summary: &mut Summary,
    ) -> Result<(), Error> {
        let stats = summary.portals.entry(candidate.portal.clone()).or_default();
        stats.indexed += 1;
        stats.generic += u64::from(indexed.generic);
        summary.indexed += 1;
        if let Some(row) = &indexed.row {
            self.store.record_article(row);
        }
        if let Some(url) = &indexed.missed {
            self.missed(candidate, url, summary)?;
        }
        Ok(())
    }

    /// Records an article's new history state and counts its change events. Before "done"
    /// (issue 15): a kill in between refetches the URL against its new state, so no event is
    /// recorded twice.
    fn landed_history(
        &self,
        id: i64,
        candidate: &Candidate,
        landing: &Landing,
        summary: &mut Summary,
    ) -> Result<(), Error> {
        self.store.record_history(id, &landing.revision)?;
        if let Some((url, revision)) = &landing.moved {
            self.store.record_history_of(url, revision)?;
        }
        let stats = summary.portals.entry(candidate.portal.clone()).or_default();
        stats.count_changes(&landing.changes);
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
    fn defer(&self, id: i64, candidate: &Candidate, outcome: &Outcome) -> Result<Label, Error> {
        match self.store.defer(id, outcome, self.second_chances)? {
            Deferred::Later { failed_runs } => {
                tracing::info!(url = %candidate.url, failed_runs, reason = %outcome.label, "url_deferred_to_next_run");
                Ok(outcome.label)
            }
            Deferred::GivenUp { failed_runs } => {
                tracing::warn!(url = %candidate.url, failed_runs, reason = %outcome.label, "url_given_up");
                Ok(Label::GivenUp)
            }
        }
    }
}

fn count(summary: &mut Summary, outcome: Label) {
    if outcome == Label::Archived {
        summary.archived += 1;
    } else {
        *summary.failed.entry(outcome.to_string()).or_default() += 1;
    }
}

/// A 429 or 503 snoozes the whole host (the politeness gate did it already): counted for
/// the `baoluu_host_backoffs_total` metric.
fn count_backoff(summary: &mut Summary, candidate: &Candidate, reason: Label) {
    if reason.backs_off_host() {
        *summary.backoffs.entry(candidate.host.clone()).or_default() += 1;
    }
}

/// A `debug` event per finished URL (issue 17, as `page_fetched`): `logs/crawl.log` and the
/// run summary are the record; `RUST_LOG=baoluu=debug` shows them on stderr.
fn log_outcome(candidate: &Candidate, outcome: Label, status: Option<u16>) {
    let outcome = outcome.as_str();
    tracing::debug!(url = %candidate.url, kind = candidate.kind.as_str(), status, outcome, "url_finished");
}

/// Frees `host` when the task of URL `id` still holds it: the task said its fetching was over
/// (`Tools::fetched`), or it landed. A host already given its next URL stays busy for that one.
pub(super) fn release(busy: &mut HashMap<String, i64>, host: &str, id: i64) {
    if busy.get(host) == Some(&id) {
        busy.remove(host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_freed_only_by_the_task_that_holds_it() {
        let mut busy = HashMap::from([("a.vn".to_string(), 7)]);
        release(&mut busy, "a.vn", 7);
        assert!(busy.is_empty(), "the fetching task frees its host");
        busy.insert("a.vn".to_string(), 8);
        release(&mut busy, "a.vn", 7);
        assert_eq!(
            busy.get("a.vn"),
            Some(&8),
            "a late landing keeps the next task's hold"
        );
    }
}
