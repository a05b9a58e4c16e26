//! Second chances (issue 5, part 6): a URL that failed transiently after its retries — a 5xx or
//! 429, a timeout, a refused connection, robots.txt unreachable — is not given up at once.
//! It ends the run `deferred`, and the next run of its portal queues it again, up to
//! `second_chances` later runs; then it is `failed` with the outcome `given-up`. A flaky hour
//! on a portal's server thus costs nothing but a delay, and a dead URL stops being tried.

use rusqlite::params;

use super::{Doing, Error, Outcome, Store, single_row};
use crate::outcome::Label;

/// Records a transient failure of an in-flight URL. SET expressions read the row's old values,
/// so `failed_runs + 1` is the count including this run. The pointer of the last good capture
/// is kept (a 503 page is not what a revisit should refer to).
const DEFER: &str = "
    UPDATE urls SET failed_runs = failed_runs + 1,
        state = CASE WHEN failed_runs + 1 > ?6 THEN 'failed' ELSE 'deferred' END,
        outcome = CASE WHEN failed_runs + 1 > ?6 THEN ?7 ELSE ?3 END,
        status = ?2, reason = ?4, fetched_at = ?5
    WHERE id = ?1 AND state = 'inflight'
    RETURNING state, failed_runs";

/// Queues the deferred URLs of portal ?2 for run ?1.
const REQUEUE_DEFERRED: &str = "
    UPDATE urls SET state = 'queued', run_id = ?1, attempts = 0, not_before = 0.0, reason = NULL
    WHERE state = 'deferred' AND portal = ?2 AND run_id != ?1";

/// What became of a transiently failed URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deferred {
    /// A later run tries again; this many runs have failed so far.
    Later { failed_runs: u32 },
    /// `second_chances` later runs failed too: recorded as `given-up`.
    GivenUp { failed_runs: u32 },
}

impl Store {
    /// Ends an in-flight URL's run after a transient failure: deferred to the next run, or
    /// given up once more than `second_chances` runs have failed.
    pub fn defer(
        &self,
        id: i64,
        outcome: &Outcome,
        second_chances: u32,
    ) -> Result<Deferred, Error> {
        let fetched_at = outcome.fetched_at.map(super::stamp);
        let fields = params![
            id,
            outcome.status,
            outcome.label,
            outcome.reason,
            fetched_at,
            second_chances,
            Label::GivenUp
        ];
        let row: Option<(String, u32)> = self
            .conn()
            .prepare_cached(DEFER)
            .and_then(|mut stmt| single_row(&mut stmt, fields, |r| Ok((r.get(0)?, r.get(1)?))))
            .doing("defer a url to a later run")?;
        match row.ok_or(Error::NotInFlight(id))? {
            (state, failed_runs) if state == "deferred" => Ok(Deferred::Later { failed_runs }),
            (_, failed_runs) => Ok(Deferred::GivenUp { failed_runs }),
        }
    }

    /// Queues `portal`'s deferred URLs for `run` (a new run gives them their second chance);
    /// returns how many. Reads only deferred rows, through their partial index.
    pub fn requeue_deferred(&self, run: i64, portal: &str) -> Result<usize, Error> {
        self.conn()
            .prepare_cached(REQUEUE_DEFERRED)
            .and_then(|mut stmt| stmt.execute(params![run, portal]))
            .doing("queue deferred urls again")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{candidate, store};
    use crate::store::{Kind, RunStatus};

    fn http_503() -> Outcome {
        Outcome {
            status: Some(503),
            reason: Some("service unavailable".into()),
            ..Outcome::labelled(Label::ServiceUnavailable)
        }
    }

    fn take(store: &Store, run: i64) -> Option<i64> {
        store
            .next_for_host(run, "a.vn", 1e12)
            .unwrap()
            .map(|(id, _)| id)
    }

    #[test]
    fn a_deferred_url_is_queued_by_the_next_runs_until_given_up() {
        let (_dir, store) = store();
        let portals = ["cantho".to_string()];
        let url = "https://a.vn/tin-a1.html";
        let mut seen = Vec::new();
        for _ in 0..3 {
            let run = store.begin_run(&portals).unwrap().id;
            store.enqueue(run, &candidate(url, Kind::Article)).unwrap();
            store.requeue_deferred(run, "cantho").unwrap();
            let Some(id) = take(&store, run) else { break };
            seen.push(store.defer(id, &http_503(), 2).unwrap());
            assert_eq!(store.summary(run).unwrap().failed, 1);
            store.finish_run(run, RunStatus::Completed).unwrap();
        }
        assert_eq!(
            seen,
            vec![
                Deferred::Later { failed_runs: 1 },
                Deferred::Later { failed_runs: 2 },
                Deferred::GivenUp { failed_runs: 3 },
            ]
        );
        let run = store.begin_run(&portals).unwrap().id;
        assert_eq!(store.requeue_deferred(run, "cantho").unwrap(), 0);
        assert_eq!(take(&store, run), None, "a given-up url is not tried again");
        let summary = store.summary(run - 1).unwrap();
        assert_eq!(summary.by_outcome, vec![(Label::GivenUp, 1)]);
    }

    #[test]
    fn deferred_urls_of_other_portals_and_of_the_same_run_stay() {
        let (_dir, store) = store();
        let run = store.begin_run(&["cantho".to_string()]).unwrap().id;
        store
            .enqueue(run, &candidate("https://a.vn/tin-a1.html", Kind::Article))
            .unwrap();
        let id = take(&store, run).unwrap();
        store.defer(id, &http_503(), 3).unwrap();
        assert_eq!(
            store.requeue_deferred(run, "cantho").unwrap(),
            0,
            "same run"
        );
        store.finish_run(run, RunStatus::Completed).unwrap();
        let next = store.begin_run(&["cantho".to_string()]).unwrap().id;
        assert_eq!(store.requeue_deferred(next, "other").unwrap(), 0);
        assert_eq!(store.requeue_deferred(next, "cantho").unwrap(), 1);
        assert_eq!(take(&store, next), Some(id));
        assert!(matches!(
            store.defer(999, &http_503(), 3),
            Err(Error::NotInFlight(999))
        ));
    }
}
