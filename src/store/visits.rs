//! URLs the crawl reached other than by taking them from the queue: redirect targets, and the
//! in-flight URL handed back when a run stops before fetching it.

use rusqlite::params;

use super::{Candidate, Doing, Error, Outcome, Store};

/// Records a URL archived as a redirect target as done for run ?6, so that discovering it later
/// does not archive it twice. A URL another task has in flight is left alone.
const RECORD: &str = "
    INSERT INTO urls (url, portal, host, kind, priority, state, run_id, depth, via,
                      chain_page, chain_stale, attempts, not_before, status, outcome, fetched_at,
                      captured_at, warc_file, warc_offset, warc_length, payload_digest, record_id)
    VALUES (?1, ?2, ?3, ?4, ?5, 'done', ?6, ?7, ?8, ?9, ?10, 0, 0.0, ?11, ?12, ?13, ?13, ?14, ?15,
            ?16, ?17, ?18)
    ON CONFLICT (url) DO UPDATE SET state = 'done', run_id = excluded.run_id,
        status = excluded.status, outcome = excluded.outcome, fetched_at = excluded.fetched_at,
        captured_at = excluded.captured_at, warc_file = excluded.warc_file,
        warc_offset = excluded.warc_offset, warc_length = excluded.warc_length,
        payload_digest = excluded.payload_digest, record_id = excluded.record_id
    WHERE urls.state != 'inflight'";

/// Reached already: finished or in flight in this run, or an article finished in any run.
const VISITED: &str = "
    SELECT 1 FROM urls WHERE url = ?2
      AND ((run_id = ?1 AND state IN ('done', 'failed', 'deferred', 'inflight'))
           OR (state = 'done' AND kind IN ('article', 'other', 'probable')))";

/// Marks a URL done with the capture an index line proves durable, unless it already is. A
/// line the store already holds as the URL's version proves nothing about a revisit queued
/// since (issue 15: settling it would skip the revisit).
const SETTLE: &str = "
    UPDATE urls SET state = 'done', status = ?2, outcome = ?3, warc_file = ?4, warc_offset = ?5,
        warc_length = ?6, payload_digest = ?7
    WHERE url = ?1 AND state IN ('queued', 'inflight')
      AND NOT (version_file IS ?4 AND version_offset IS ?5)";

impl Store {
    /// After a kill between an index line and the store's "done" (docs/architecture.md rule 6): marks `url`
    /// done with `outcome`'s pointer. True when a row changed.
    pub fn settle(&self, url: &str, outcome: &Outcome) -> Result<bool, Error> {
        let warc = outcome.warc.as_ref();
        self.conn()
            .prepare_cached(SETTLE)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    url,
                    outcome.status,
                    outcome.label,
                    warc.map(|w| &w.file),
                    warc.map(|w| w.offset as i64),
                    warc.map(|w| w.length as i64),
                    outcome.payload_digest,
                ])
            })
            .doing("settle an indexed url")
            .map(|changed| changed > 0)
    }

    /// After a kill (docs/architecture.md rule 6): records `candidate`, a URL an index line
    /// proves archived but the store has no row for — a redirect target, recorded by the run
    /// loop after the capture is durable — as done in the latest run, so the redirecting URL's
    /// refetch finds it [`Store::visited`] instead of archiving and indexing it again. True
    /// when a row was added.
    pub fn settle_unqueued(&self, candidate: &Candidate, outcome: &Outcome) -> Result<bool, Error> {
        if self.id_of(&candidate.url)?.is_some() {
            return Ok(false);
        }
        let run: Option<i64> = self
            .conn()
            .query_row("SELECT max(id) FROM runs", [], |row| row.get(0))
            .doing("find the latest run")?;
        match run {
            Some(run) => self.record_visited(run, candidate, outcome).map(|()| true),
            None => Ok(false),
        }
    }

    /// Hands an in-flight URL back to the queue untouched (no attempt counted): the run stopped
    /// before its fetch began.
    pub fn requeue(&self, id: i64) -> Result<(), Error> {
        self.conn()
            .prepare_cached("UPDATE urls SET state = 'queued' WHERE id = ?1 AND state = 'inflight'")
            .and_then(|mut stmt| stmt.execute([id]))
            .doing("hand a url back to the queue")
            .map(drop)
    }

    /// True when following a redirect to `url` would fetch something this run already has.
    pub fn visited(&self, run: i64, url: &str) -> Result<bool, Error> {
        self.conn()
            .prepare_cached(VISITED)
            .and_then(|mut stmt| stmt.exists(params![run, url]))
            .doing("look up a redirect target")
    }

    /// Records `target` (reached through a redirect, already archived) as done in `run`.
    pub fn record_visited(
        &self,
        run: i64,
        target: &Candidate,
        outcome: &Outcome,
    ) -> Result<(), Error> {
        let fetched_at = outcome.fetched_at.map(super::stamp);
        let warc = outcome.warc.as_ref();
        self.conn()
            .prepare_cached(RECORD)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    target.url,
                    target.portal,
                    target.host,
                    target.kind,
                    target.kind.priority(),
                    run,
                    target.depth,
                    target.via,
                    target.chain_page,
                    target.chain_stale,
                    outcome.status,
                    outcome.label,
                    fetched_at,
                    warc.map(|w| &w.file),
                    warc.map(|w| w.offset as i64),
                    warc.map(|w| w.length as i64),
                    outcome.payload_digest,
                    outcome.record_id,
                ])
            })
            .doing("record a redirect target")
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::outcome::Label;
    use crate::store::testing::{candidate, store};
    use crate::store::{Enqueued, Kind, Outcome};

    #[test]
    fn a_recorded_redirect_target_is_visited_and_not_queued_again() {
        let (_dir, store) = store();
        let run = store.begin_run(&["p".to_string()]).unwrap().id;
        let target = candidate("https://a.vn/moi-a2.html", Kind::Article);
        assert!(!store.visited(run, &target.url).unwrap());
        store
            .record_visited(run, &target, &Outcome::labelled(Label::Archived))
            .unwrap();
        assert!(store.visited(run, &target.url).unwrap());
        assert_eq!(store.enqueue(run, &target).unwrap(), Enqueued::Known);
    }

    #[test]
    fn a_queued_url_reached_by_redirect_is_done_and_never_taken() {
        let (_dir, store) = store();
        let run = store.begin_run(&["p".to_string()]).unwrap().id;
        let target = candidate("https://a.vn/moi-a2.html", Kind::Article);
        store.enqueue(run, &target).unwrap();
        store
            .record_visited(run, &target, &Outcome::labelled(Label::Archived))
            .unwrap();
        assert!(
            store
                .next_for_host(run, &target.host, 1e12)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn requeue_hands_an_inflight_url_back_without_an_attempt() {
        let (_dir, store) = store();
        let run = store.begin_run(&["p".to_string()]).unwrap().id;
        let listing = candidate("https://a.vn/thoi-su/", Kind::Listing);
        store.enqueue(run, &listing).unwrap();
        let (id, _) = store
            .next_for_host(run, &listing.host, 1e12)
            .unwrap()
            .unwrap();
        store.requeue(id).unwrap();
        assert_eq!(store.attempts(id).unwrap(), 0);
        assert_eq!(
            store
                .next_for_host(run, &listing.host, 1e12)
                .unwrap()
                .map(|(i, _)| i),
            Some(id)
        );
    }
}
