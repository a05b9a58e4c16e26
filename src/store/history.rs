//! Article history in the store (issue 15): the revisit ladder's next due time, each article's
//! current version (number, fingerprint of its extracted fields, pointer to its response
//! record) and whether it is gone. The crawl reads [`Store::known`] before judging a revisit
//! and writes [`Store::record_history`] *before* [`Store::mark_done`], so a kill between the
//! two leaves the URL in flight (fetched again) with its new state, never done with its old
//! one (no event is emitted twice). A removal waits in the `held` column until its run's end,
//! when the run is judged for suspect removals ([`crate::history::is_suspect`]).

use rusqlite::{OptionalExtension, params};

use super::{Doing, Error, Store};
use crate::history::Pointer;

/// The priority of a due revisit: after every new article and page requisite (issue 15).
pub const REVISIT: i64 = 6;

/// What the store knows of an archived article's history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Its newest index line's version (0: never indexed).
    pub version: u32,
    /// JSON of [`crate::history::Fingerprint`]; None for articles archived before issue 15.
    pub fingerprint: Option<String>,
    /// The newest version's response record and index-line `ts`.
    pub pointer: Option<Pointer>,
    /// `removed`, `moved` or `suspect`; None while the article is there.
    pub gone: Option<String>,
    /// RFC 3339 UTC of the first capture (the ladder counts from it).
    pub first_captured_at: Option<String>,
}

/// The history state a landed fetch leaves; `None` fields keep what the store has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Revision {
    pub version: Option<u32>,
    pub fingerprint: Option<String>,
    pub pointer: Option<Pointer>,
    /// The new `gone` value (None: present again).
    pub gone: Option<String>,
    /// Set only when the row has none yet.
    pub first_captured_at: Option<String>,
    /// Unix seconds; None: never revisited again.
    pub next_revisit: Option<f64>,
    /// JSON of a [`crate::history::Held`] removal, judged at the run's end (None: nothing held;
    /// a fetch that finds the article again drops what an earlier one held).
    pub held: Option<String>,
}

/// A removal held in the store (see [`Store::held`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HeldRow {
    pub id: i64,
    /// The run that queued the revisit which saw the removal.
    pub run: Option<i64>,
    /// JSON of a [`crate::history::Held`].
    pub held: String,
}

/// Adds the held removals (issue 15, item 4: suspect runs).
pub(super) const SUSPECT: &str = "
ALTER TABLE urls ADD COLUMN held TEXT;  -- JSON: a removal event waiting for its run's end
CREATE INDEX urls_held ON urls (portal) WHERE held IS NOT NULL;
";

const KNOWN: &str = "
    SELECT version, fingerprint, version_file, version_offset, version_length, version_ts, gone,
           first_captured_at
    FROM urls WHERE id = ?1";

const RECORD: &str = "
    UPDATE urls SET version = COALESCE(?2, version), fingerprint = COALESCE(?3, fingerprint),
        version_file = COALESCE(?4, version_file), version_offset = COALESCE(?5, version_offset),
        version_length = COALESCE(?6, version_length), version_ts = COALESCE(?7, version_ts),
        gone = ?8, first_captured_at = COALESCE(first_captured_at, ?9), next_revisit = ?10,
        held = ?11
    WHERE id = ?1";

/// A held removal judged: its event was written (?2: `suspect` or `removed`). A suspect article
/// is due at once, so the next run confirms or drops it first.
const RELEASE: &str = "
    UPDATE urls SET gone = ?2, held = NULL,
        next_revisit = CASE WHEN ?2 = 'suspect' THEN 0.0 ELSE next_revisit END
    WHERE id = ?1";

/// Queues `portal`'s articles due by ?3 for run ?1, soonest due first, up to what is left of
/// the budget ?4 after the revisits this run queued already (a resumed run).
const QUEUE: &str = "
    UPDATE urls SET state = 'queued', run_id = ?1, revisit_run = ?1, priority = ?5, attempts = 0,
        not_before = 0.0, reason = NULL
    WHERE id IN (
        SELECT id FROM urls
        WHERE portal = ?2 AND kind = 'article' AND state = 'done' AND next_revisit <= ?3
          AND run_id != ?1
        ORDER BY next_revisit
        LIMIT max(0, ?4 - (SELECT COUNT(*) FROM urls WHERE revisit_run = ?1 AND portal = ?2)))";

/// After a kill: an index line newer than the store's version (docs/architecture.md rule 6).
const SETTLE_VERSION: &str = "
    UPDATE urls SET version = ?2, fingerprint = ?3, version_file = ?4, version_offset = ?5,
        version_length = ?6, version_ts = ?7, gone = NULL,
        first_captured_at = COALESCE(first_captured_at, ?7)
    WHERE url = ?1 AND version < ?2";

/// After a kill: a gone/present event the store had not recorded yet.
const SETTLE_GONE: &str = "
    UPDATE urls SET gone = ?2 WHERE url = ?1 AND state IN ('queued', 'inflight')";

impl Store {
    /// The history of URL `id`, if it was ever archived.
    pub fn known(&self, id: i64) -> Result<Option<Known>, Error> {
        self.conn()
            .prepare_cached(KNOWN)
            .and_then(|mut stmt| stmt.query_row([id], known_from).optional())
            .doing("read the history of a url")
    }

    /// Records what a landed fetch of URL `id` changed in its history (before `mark_done`).
    pub fn record_history(&self, id: i64, r: &Revision) -> Result<(), Error> {
        let p = r.pointer.as_ref();
        self.conn()
            .prepare_cached(RECORD)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    id,
                    r.version,
                    r.fingerprint,
                    p.map(|p| &p.filename),
                    p.map(|p| p.offset as i64),
                    p.map(|p| p.length as i64),
                    p.and_then(|p| p.ts.as_ref()),
                    r.gone,
                    r.first_captured_at,
                    r.next_revisit,
                    r.held,
                ])
            })
            .doing("record the history of a url")
            .map(drop)
    }

    /// [`Store::record_history`] of the URL `url` (a move's new URL, issue 15); nothing when
    /// the store does not hold it.
    pub fn record_history_of(&self, url: &str, r: &Revision) -> Result<(), Error> {
        match self.id_of(url)? {
            Some(id) => self.record_history(id, r),
            None => Ok(()),
        }
    }

    pub(super) fn id_of(&self, url: &str) -> Result<Option<i64>, Error> {
        self.conn()
            .prepare_cached("SELECT id FROM urls WHERE url = ?1")
            .and_then(|mut stmt| stmt.query_row([url], |row| row.get(0)).optional())
            .doing("look up a url")
    }

    /// Queues `portal`'s revisits due at `now` (unix seconds) for `run`, within `budget` per
    /// run; returns how many were queued. Call before the run's frontier is built.
    pub fn queue_revisits(
        &self,
        run: i64,
        portal: &str,
        now: f64,
        budget: u32,
    ) -> Result<usize, Error> {
        self.conn()
            .prepare_cached(QUEUE)
            .and_then(|mut stmt| stmt.execute(params![run, portal, now, budget, REVISIT]))
            .doing("queue due revisits")
    }

    /// True when URL `id` was queued as a revisit in `run`.
    pub fn is_revisit(&self, id: i64, run: i64) -> Result<bool, Error> {
        self.conn()
            .prepare_cached("SELECT 1 FROM urls WHERE id = ?1 AND revisit_run = ?2")
            .and_then(|mut stmt| stmt.exists(params![id, run]))
            .doing("look up a revisit")
    }

    /// After a kill between an index line and the store: takes the line's version. True when
    /// the store was behind.
    pub fn settle_version(
        &self,
        url: &str,
        version: u32,
        fingerprint: &str,
        pointer: &Pointer,
    ) -> Result<bool, Error> {
        self.conn()
            .prepare_cached(SETTLE_VERSION)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    url,
                    version,
                    fingerprint,
                    pointer.filename,
                    pointer.offset as i64,
                    pointer.length as i64,
                    pointer.ts,
                ])
            })
            .doing("settle an article version")
            .map(|n| n > 0)
    }

    /// After a kill between an event line and the store: takes the event's gone state for a
    /// URL not yet finished. True when a row changed.
    pub fn settle_gone(&self, url: &str, gone: Option<&str>) -> Result<bool, Error> {
        self.conn()
            .prepare_cached(SETTLE_GONE)
            .and_then(|mut stmt| stmt.execute(params![url, gone]))
            .doing("settle a change event")
            .map(|n| n > 0)
    }

    /// `portal`'s held removals, in the order they were seen.
    pub fn held(&self, portal: &str) -> Result<Vec<HeldRow>, Error> {
        const HELD: &str = "SELECT id, revisit_run, held FROM urls WHERE portal = ?1 AND held IS NOT NULL ORDER BY fetched_at, id";
        self.conn()
            .prepare_cached(HELD)
            .and_then(|mut stmt| {
                stmt.query_map([portal], |row| {
                    Ok(HeldRow {
                        id: row.get(0)?,
                        run: row.get(1)?,
                        held: row.get(2)?,
                    })
                })?
                .collect()
            })
            .doing("read held removals")
    }

    /// How many of `portal`'s articles queued as revisits in `run` were fetched.
    pub fn revisits_landed(&self, run: Option<i64>, portal: &str) -> Result<u64, Error> {
        const LANDED: &str =
            "SELECT COUNT(*) FROM urls WHERE revisit_run IS ?1 AND portal = ?2 AND state = 'done'";
        self.conn()
            .prepare_cached(LANDED)
            .and_then(|mut stmt| stmt.query_row(params![run, portal], |row| row.get(0)))
            .doing("count a run's revisits")
            .map(|n: i64| n.max(0) as u64)
    }

    /// A held removal's event was written as `change` (`suspect` or `removed`).
    pub fn release_held(&self, id: i64, change: &str) -> Result<(), Error> {
        self.conn()
            .prepare_cached(RELEASE)
            .and_then(|mut stmt| stmt.execute(params![id, change]))
            .doing("release a held removal")
            .map(drop)
    }

    /// After a kill between a held removal's event line and [`Store::release_held`]: releases
    /// the row of `url` whose held event shows `current`. True when a row changed.
    pub fn settle_held(&self, url: &str, current: &Pointer, change: &str) -> Result<bool, Error> {
        const ROW: &str = "SELECT id, held FROM urls WHERE url = ?1 AND held IS NOT NULL";
        let row: Option<(i64, String)> = self
            .conn()
            .prepare_cached(ROW)
            .and_then(|mut stmt| {
                stmt.query_row([url], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()
            })
            .doing("read a held removal")?;
        let Some((id, held)) = row else {
            return Ok(false);
        };
        let shows = crate::history::Held::from_json(&held).is_some_and(|h| {
            (&h.event.current.filename, h.event.current.offset)
                == (&current.filename, current.offset)
        });
        if shows {
            self.release_held(id, change)?;
        }
        Ok(shows)
    }

    /// How many of `portal`'s articles are suspect removals, and a few of their URLs (for
    /// `status`).
    pub fn suspects(&self, portal: &str, examples: u32) -> Result<(u64, Vec<String>), Error> {
        const COUNT: &str = "SELECT COUNT(*) FROM urls WHERE portal = ?1 AND gone = 'suspect'";
        const SOME: &str =
            "SELECT url FROM urls WHERE portal = ?1 AND gone = 'suspect' ORDER BY url LIMIT ?2";
        let conn = self.conn();
        let count: i64 = conn
            .prepare_cached(COUNT)
            .and_then(|mut stmt| stmt.query_row([portal], |row| row.get(0)))
            .doing("count suspect removals")?;
        let urls = conn
            .prepare_cached(SOME)
            .and_then(|mut stmt| {
                stmt.query_map(params![portal, examples], |row| row.get(0))?
                    .collect()
            })
            .doing("list suspect removals")?;
        Ok((count.max(0) as u64, urls))
    }

    /// The store's version of `url` and its fingerprint (crash recovery of lost events).
    pub fn known_by_url(&self, url: &str) -> Result<Option<Known>, Error> {
        match self.id_of(url)? {
            Some(id) => self.known(id),
            None => Ok(None),
        }
    }
}

fn known_from(row: &rusqlite::Row) -> rusqlite::Result<Known> {
    let file: Option<String> = row.get(2)?;
    let (offset, length): (Option<i64>, Option<i64>) = (row.get(3)?, row.get(4)?);
    let pointer = match (file, offset, length) {
        (Some(filename), Some(offset), Some(length)) => Some(Pointer {
            filename,
            offset: offset.max(0) as u64,
            length: length.max(0) as u64,
            ts: row.get(5)?,
        }),
        _ => None,
    };
    Ok(Known {
        version: row.get::<_, i64>(0)?.max(0) as u32,
        fingerprint: row.get(1)?,
        pointer,
        gone: row.get(6)?,
        first_captured_at: row.get(7)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::store::testing::{candidate, store};
    use crate::store::{Kind, Outcome, RunStatus};

    use super::*;

    /// An article archived in run 1, due at unix time `due`.
    fn archived(store: &Store, url: &str, due: f64) -> i64 {
        let run = store.begin_run(&["p".to_string()]).unwrap().id;
        let article = candidate(url, Kind::Article);
        store.enqueue(run, &article).unwrap();
        let (id, _) = store
            .next_for_host(run, &article.host, 1e12)
            .unwrap()
            .unwrap();
        let revision = Revision {
            version: Some(1),
            next_revisit: Some(due),
            ..Revision::default()
        };
        store.record_history(id, &revision).unwrap();
        store
            .mark_done(id, &Outcome::labelled(crate::outcome::Label::Archived))
            .unwrap();
        store.finish_run(run, RunStatus::Completed).unwrap();
        id
    }

    #[test]
    fn due_articles_are_queued_soonest_first_within_the_budget_once_per_run() {
        let (_dir, store) = store();
        let a = archived(&store, "https://a.vn/a.html", 10.0);
        let b = archived(&store, "https://a.vn/b.html", 5.0);
        let c = archived(&store, "https://a.vn/c.html", 50.0);
        let run = store.begin_run(&["p".to_string()]).unwrap().id;
        assert_eq!(store.queue_revisits(run, "cantho", 20.0, 1).unwrap(), 1);
        assert!(
            store.is_revisit(b, run).unwrap(),
            "the longest overdue goes first"
        );
        // The budget is per run: asking again (a resumed run) queues nothing more.
        assert_eq!(store.queue_revisits(run, "cantho", 20.0, 1).unwrap(), 0);
        assert!(!store.is_revisit(a, run).unwrap() && !store.is_revisit(c, run).unwrap());
        assert_eq!(store.known(a).unwrap().unwrap().version, 1);
    }
}
