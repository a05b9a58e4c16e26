//! Finishing URLs: done, failed or retried later; per-run summaries; what earlier captures
//! left behind.
//!
//! A URL is finished with one UPDATE (one transaction), and only once it is in flight. The
//! crawl calls [`Store::mark_done`] after the WARC bytes are fsynced and the index line
//! written (docs/architecture.md rule 6), so a `done` row always points at durable bytes.

use rusqlite::{OptionalExtension, Row, params};

use super::{Doing, Error, Outcome, Prior, Store, Summary, WarcPointer, single_row};
use crate::outcome::Label;

/// Records the outcome. Pointer, digest, record id and validators are kept when the new
/// outcome has none (a 304, or a failed refetch of a listing), because they describe the
/// last good capture, which revisit records and conditional GETs still need.
const FINISH: &str = "
    UPDATE urls SET state = ?2, status = ?3, outcome = ?4, reason = ?5, fetched_at = ?6,
        failed_runs = CASE WHEN ?2 = 'done' THEN 0 ELSE failed_runs END,
        captured_at = CASE WHEN ?7 IS NULL THEN captured_at ELSE ?6 END,
        warc_file = COALESCE(?7, warc_file), warc_offset = COALESCE(?8, warc_offset),
        warc_length = COALESCE(?9, warc_length),
        payload_digest = COALESCE(?10, payload_digest), record_id = COALESCE(?11, record_id),
        etag = COALESCE(?12, etag), last_modified = COALESCE(?13, last_modified)
    WHERE id = ?1 AND state = 'inflight'";

const RETRY: &str = "
    UPDATE urls SET state = 'queued', attempts = attempts + 1, not_before = ?2, reason = ?3
    WHERE id = ?1 AND state = 'inflight' RETURNING attempts";

const SUMMARY: &str = "
    SELECT state, outcome, COUNT(*) FROM urls WHERE run_id = ?1 GROUP BY state, outcome";

const PRIOR: &str = "
    SELECT captured_at, warc_file, warc_offset, warc_length, payload_digest, record_id,
           etag, last_modified
    FROM urls WHERE id = ?1 AND COALESCE(warc_file, payload_digest, etag, last_modified) IS NOT NULL";

impl Store {
    /// Marks an in-flight URL done with its outcome, in one transaction.
    pub fn mark_done(&self, id: i64, outcome: &Outcome) -> Result<(), Error> {
        self.finish(id, "done", outcome)
    }

    /// Marks an in-flight URL failed for good in this run.
    pub fn mark_failed(&self, id: i64, outcome: &Outcome) -> Result<(), Error> {
        self.finish(id, "failed", outcome)
    }

    /// Puts an in-flight URL back in the queue until `not_before` (unix seconds) after a
    /// transient failure; returns its attempts so far. The crawl compares that with
    /// `retries` before calling, using [`Store::attempts`].
    pub fn retry_later(&self, id: i64, not_before: f64, reason: Label) -> Result<u32, Error> {
        self.conn()
            .prepare_cached(RETRY)
            .and_then(|mut stmt| {
                single_row(&mut stmt, params![id, not_before, reason], |row| row.get(0))
            })
            .doing("queue a url for a retry")?
            .ok_or(Error::NotInFlight(id))
    }

    /// Transient failures of URL `id` in its current run.
    pub fn attempts(&self, id: i64) -> Result<u32, Error> {
        self.conn()
            .prepare_cached("SELECT attempts FROM urls WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([id], |row| row.get(0)))
            .doing("read the attempts of a url")
    }

    /// Counts of `run`'s URLs by state, and of its finished URLs by outcome label. Reads the
    /// run's rows in the `urls_run` index: for run reports, not for every page.
    pub fn summary(&self, run: i64) -> Result<Summary, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(SUMMARY).doing("summarise a run")?;
        let rows = stmt.query_map([run], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)));
        let rows: Vec<(String, Option<Label>, i64)> =
            rows.and_then(Iterator::collect).doing("summarise a run")?;
        Ok(summarise(rows))
    }

    /// True when `url` was finished successfully in some run (an archived article is never
    /// fetched again, issue 3).
    pub fn article_known(&self, url: &str) -> Result<bool, Error> {
        self.conn()
            .prepare_cached("SELECT 1 FROM urls WHERE url = ?1 AND state = 'done'")
            .and_then(|mut stmt| stmt.exists([url]))
            .doing("look up a url")
    }

    /// What the last fetch of URL `id` left: validators for a conditional GET, and the digest,
    /// record id, pointer and date a revisit record refers to. None when nothing was kept.
    pub fn prior(&self, id: i64) -> Result<Option<Prior>, Error> {
        self.conn()
            .prepare_cached(PRIOR)
            .and_then(|mut stmt| stmt.query_row([id], prior_from).optional())
            .doing("read the last capture of a url")
    }

    fn finish(&self, id: i64, state: &str, o: &Outcome) -> Result<(), Error> {
        let fetched_at = o
            .fetched_at
            // Microseconds, as in WARC-Date: a revisit's WARC-Refers-To-Date must equal the
            // original's WARC-Date, and fixed-width text keeps time order in string compares.
            .map(super::stamp);
        let warc = o.warc.as_ref();
        let (offset, length) = (
            warc.map(|w| to_i64(w.offset)),
            warc.map(|w| to_i64(w.length)),
        );
        let changed = self
            .conn()
            .prepare_cached(FINISH)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id,
                    state,
                    o.status,
                    o.label,
                    o.reason,
                    fetched_at,
                    warc.map(|w| &w.file),
                    offset,
                    length,
                    o.payload_digest,
                    o.record_id,
                    o.etag,
                    o.last_modified
                ])
            })
            .doing("record the outcome of a url")?;
        if changed == 0 {
            return Err(Error::NotInFlight(id));
        }
        Ok(())
    }
}

/// WARC offsets and lengths fit an i64 by far (files rotate at `warc_max_size`); saturate
/// rather than fail on the impossible.
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn summarise(rows: Vec<(String, Option<Label>, i64)>) -> Summary {
    let mut summary = Summary::default();
    for (state, outcome, count) in rows {
        let count = count.max(0) as u64;
        match state.as_str() {
            "queued" => summary.queued += count,
            "inflight" => summary.inflight += count,
            "done" => summary.done += count,
            _ => summary.failed += count,
        }
        let finished = state == "done" || state == "failed";
        if let (true, Some(label)) = (finished, outcome) {
            add_outcome(&mut summary.by_outcome, label, count);
        }
    }
    summary
}

fn add_outcome(by_outcome: &mut Vec<(Label, u64)>, label: Label, count: u64) {
    match by_outcome.binary_search_by(|(l, _)| l.as_str().cmp(label.as_str())) {
        Ok(i) => by_outcome[i].1 += count,
        Err(i) => by_outcome.insert(i, (label, count)),
    }
}

fn prior_from(row: &Row) -> rusqlite::Result<Prior> {
    let file: Option<String> = row.get(1)?;
    let (offset, length): (Option<i64>, Option<i64>) = (row.get(2)?, row.get(3)?);
    let warc = match (file, offset, length) {
        (Some(file), Some(offset), Some(length)) => Some(WarcPointer {
            file,
            offset: offset.max(0) as u64,
            length: length.max(0) as u64,
        }),
        _ => None,
    };
    Ok(Prior {
        captured_at: row.get(0)?,
        warc,
        payload_digest: row.get(4)?,
        record_id: row.get(5)?,
        etag: row.get(6)?,
        last_modified: row.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{candidate, store};
    use crate::store::{Kind, RunStatus};
    use chrono::{TimeZone, Utc};

    fn archived() -> Outcome {
        Outcome {
            status: Some(200),
            label: Label::Archived,
            reason: None,
            fetched_at: Some(Utc.with_ymd_and_hms(2025, 7, 1, 3, 4, 5).unwrap()),
            warc: Some(WarcPointer {
                file: "cantho-1.warc.gz".into(),
                offset: 1234,
                length: 567,
            }),
            payload_digest: Some("sha1:ABCDEF".into()),
            record_id: Some("<urn:uuid:1>".into()),
            etag: Some("\"v1\"".into()),
            last_modified: Some("Tue, 01 Jul 2025 03:00:00 GMT".into()),
        }
    }

    fn take_one(store: &Store, run: i64, url: &str, kind: Kind) -> i64 {
        store.enqueue(run, &candidate(url, kind)).unwrap();
        store.next_for_host(run, "a.vn", 1e12).unwrap().unwrap().0
    }

    #[test]
    fn mark_done_persists_outcome_and_pointer() {
        let (dir, store) = store();
        let run = store.begin_run(&["cantho".into()]).unwrap().id;
        let id = take_one(&store, run, "https://a.vn/tin-a1.html", Kind::Article);
        store.mark_done(id, &archived()).unwrap();
        drop(store);
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        let prior = store.prior(id).unwrap().unwrap();
        let expected = archived();
        assert_eq!(
            prior.captured_at.as_deref(),
            Some("2025-07-01T03:04:05.000000Z")
        );
        assert_eq!(prior.warc, expected.warc);
        assert_eq!(prior.payload_digest, expected.payload_digest);
        assert_eq!(prior.record_id, expected.record_id);
        assert_eq!(
            (prior.etag, prior.last_modified),
            (expected.etag, expected.last_modified)
        );
        assert!(store.article_known("https://a.vn/tin-a1.html").unwrap());
        let summary = store.summary(run).unwrap();
        assert_eq!(
            (summary.done, summary.by_outcome),
            (1, vec![(Label::Archived, 1)])
        );
    }

    #[test]
    fn failed_refetch_keeps_the_last_good_capture() {
        let (_dir, store) = store();
        let first = store.begin_run(&["cantho".into()]).unwrap().id;
        let id = take_one(&store, first, "https://a.vn/thoi-su/", Kind::Listing);
        store.mark_done(id, &archived()).unwrap();
        store.finish_run(first, RunStatus::Completed).unwrap();
        let second = store.begin_run(&["cantho".into()]).unwrap().id;
        let again = take_one(&store, second, "https://a.vn/thoi-su/", Kind::Listing);
        assert_eq!(again, id);
        let mut gone = Outcome::labelled(Label::ServiceUnavailable);
        gone.status = Some(503);
        store.mark_failed(id, &gone).unwrap();
        assert_eq!(store.prior(id).unwrap().unwrap().warc, archived().warc);
        let summary = store.summary(second).unwrap();
        assert_eq!(
            (summary.failed, summary.by_outcome),
            (1, vec![(Label::ServiceUnavailable, 1)])
        );
    }

    #[test]
    fn finishing_a_url_not_in_flight_is_refused() {
        let (_dir, store) = store();
        let run = store.begin_run(&["cantho".into()]).unwrap().id;
        store
            .enqueue(run, &candidate("https://a.vn/tin-a1.html", Kind::Article))
            .unwrap();
        let id = take_one(&store, run, "https://a.vn/tin-a1.html", Kind::Article);
        store.mark_done(id, &archived()).unwrap();
        let err = store.mark_done(id, &archived()).unwrap_err();
        assert!(matches!(err, Error::NotInFlight(i) if i == id));
        assert!(matches!(
            store.retry_later(id, 0.0, Label::Timeout),
            Err(Error::NotInFlight(_))
        ));
        assert!(matches!(
            store.mark_failed(999, &archived()),
            Err(Error::NotInFlight(999))
        ));
        assert_eq!(store.prior(999).unwrap(), None);
    }

    #[test]
    fn summary_counts_states_and_outcomes() {
        let (_dir, store) = store();
        let run = store.begin_run(&["cantho".into()]).unwrap().id;
        for n in 0..5 {
            let url = format!("https://a.vn/tin-a{n}.html");
            store.enqueue(run, &candidate(&url, Kind::Article)).unwrap();
        }
        let take = || store.next_for_host(run, "a.vn", 1e12).unwrap().unwrap().0;
        let (a, b, c, d) = (take(), take(), take(), take());
        store
            .mark_done(a, &Outcome::labelled(Label::Archived))
            .unwrap();
        store
            .mark_done(b, &Outcome::labelled(Label::Archived))
            .unwrap();
        store
            .mark_failed(c, &Outcome::labelled(Label::RobotsDisallowed))
            .unwrap();
        store.retry_later(d, 10.0, Label::Timeout).unwrap();
        let summary = store.summary(run).unwrap();
        let expected = Summary {
            queued: 2,
            inflight: 0,
            done: 2,
            failed: 1,
            by_outcome: vec![(Label::Archived, 2), (Label::RobotsDisallowed, 1)],
        };
        assert_eq!(summary, expected);
        assert!(
            !store.article_known("https://a.vn/tin-a2.html").unwrap(),
            "failed"
        );
    }
}
