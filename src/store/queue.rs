//! The URL queue: enqueue with dedup, take the next URL of a host, list hosts with work.
//!
//! Each per-page operation is one statement on an index (`urls.url` UNIQUE or the partial
//! `urls_queue` index), so its cost grows with log n, never with the number of URLs seen.

use rusqlite::{Connection, Row, params};

use super::{Candidate, Doing, Enqueued, Error, Store, single_row};

/// Inserts a URL never seen before; does nothing for a known one.
const INSERT: &str = "
    INSERT INTO urls (url, portal, host, kind, priority, state, run_id, depth, via,
                      chain_page, chain_stale, attempts, not_before)
    VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8, ?9, ?10, 0, 0.0)
    ON CONFLICT (url) DO NOTHING";

/// Queues a known URL again for run ?6 when that is due: it was left queued by another run
/// (adopted), or it is a seed or listing (?11) finished in an earlier run. Validators, digest
/// and WARC pointer of the last capture stay for conditional GETs and revisits.
const REQUEUE: &str = "
    UPDATE urls SET portal = ?2, host = ?3, kind = ?4, priority = ?5, state = 'queued',
                    run_id = ?6, depth = ?7, via = ?8, chain_page = ?9, chain_stale = ?10,
                    attempts = 0, not_before = 0.0, reason = NULL
    WHERE url = ?1 AND run_id != ?6
      AND (state = 'queued' OR (?11 AND state IN ('done', 'failed', 'deferred')))";

/// Takes the first eligible queued URL of a host in (priority, id) order, in one statement.
const TAKE: &str = "
    UPDATE urls SET state = 'inflight'
    WHERE id = (SELECT id FROM urls
                WHERE run_id = ?1 AND host = ?2 AND state = 'queued' AND not_before <= ?3
                ORDER BY priority, id LIMIT 1)
    RETURNING id, url, portal, host, kind, depth, via, chain_page, chain_stale";

const HOSTS: &str = "
    SELECT host, MIN(not_before) FROM urls
    WHERE run_id = ?1 AND state = 'queued' GROUP BY host ORDER BY host";

const HOST_NEXT_AT: &str = "
    SELECT MIN(not_before) FROM urls WHERE run_id = ?1 AND host = ?2 AND state = 'queued'";

impl Store {
    /// Queues `candidate` for `run` unless it is known (see [`Enqueued`]). An article done in
    /// any run is never queued again (issue 3); a seed or listing finished in an earlier run
    /// is, with its chain fields updated.
    pub fn enqueue(&self, run: i64, candidate: &Candidate) -> Result<Enqueued, Error> {
        Ok(self.enqueue_many(run, std::slice::from_ref(candidate))?[0])
    }

    /// [`Store::enqueue`] for all links of one page in a single transaction (one commit per
    /// page instead of one per link).
    pub fn enqueue_many(&self, run: i64, candidates: &[Candidate]) -> Result<Vec<Enqueued>, Error> {
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn).doing("begin an enqueue")?;
        let results = candidates
            .iter()
            .map(|candidate| enqueue_one(&tx, run, candidate, true))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().doing("commit an enqueue")?;
        Ok(results)
    }

    /// Queues the candidates never seen before, in one transaction; known URLs are left as they
    /// are. Returns the URLs queued.
    pub fn enqueue_new(&self, run: i64, candidates: &[Candidate]) -> Result<Vec<String>, Error> {
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn).doing("begin an enqueue")?;
        let mut queued = Vec::new();
        for c in candidates {
            if enqueue_one(&tx, run, c, false)? == Enqueued::New {
                queued.push(c.url.clone());
            }
        }
        tx.commit().doing("commit an enqueue")?;
        Ok(queued)
    }

    /// Takes the queued URL of `host` with the lowest (priority, id) whose `not_before` has
    /// passed, and marks it in flight in the same statement.
    pub fn next_for_host(
        &self,
        run: i64,
        host: &str,
        now: f64,
    ) -> Result<Option<(i64, Candidate)>, Error> {
        self.conn()
            .prepare_cached(TAKE)
            .and_then(|mut stmt| single_row(&mut stmt, params![run, host, now], taken))
            .doing("take the next url of a host")
    }

    /// Hosts with queued URLs in `run`, each with its earliest `not_before`. One pass over the
    /// run's queued rows in the queue index: meant for the start of a run, not for every page.
    pub fn hosts_with_work(&self, run: i64) -> Result<Vec<(String, f64)>, Error> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(HOSTS).doing("list hosts with work")?;
        let rows = stmt.query_map([run], |row| Ok((row.get(0)?, row.get(1)?)));
        rows.and_then(Iterator::collect)
            .doing("list hosts with work")
    }

    /// Raises the queued URLs among `urls` in `run` to `priority` (when that is higher, i.e.
    /// lower), in one transaction: articles a feed dates after the last run (issue 9).
    pub fn prioritise(&self, run: i64, urls: &[&str], priority: i64) -> Result<(), Error> {
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn).doing("begin a priority change")?;
        for url in urls {
            tx.prepare_cached(
                "UPDATE urls SET priority = ?3 WHERE url = ?1 AND run_id = ?2 AND state = 'queued' AND priority > ?3",
            )
            .and_then(|mut stmt| stmt.execute(params![url, run, priority]))
            .doing("raise the priority of a url")?;
        }
        tx.commit().doing("commit a priority change")
    }

    /// URLs queued in `run`: one pass over the run's queued rows in the queue index, for the
    /// start of a run.
    pub fn queued_count(&self, run: i64) -> Result<u64, Error> {
        self.conn()
            .prepare_cached("SELECT COUNT(*) FROM urls WHERE run_id = ?1 AND state = 'queued'")
            .and_then(|mut stmt| stmt.query_row([run], |row| row.get::<_, i64>(0)))
            .doing("count queued urls")
            .map(|n| n.max(0) as u64)
    }

    /// The earliest `not_before` among `host`'s queued URLs in `run`, or None when it has
    /// none. The frontier asks when [`Store::next_for_host`] found nothing eligible yet.
    pub fn host_next_at(&self, run: i64, host: &str) -> Result<Option<f64>, Error> {
        self.conn()
            .prepare_cached(HOST_NEXT_AT)
            .and_then(|mut stmt| stmt.query_row(params![run, host], |row| row.get(0)))
            .doing("look up when a host has work")
    }
}

/// Inserts `c` if new; otherwise, with `requeue`, queues it again when that is due.
fn enqueue_one(
    conn: &Connection,
    run: i64,
    c: &Candidate,
    requeue: bool,
) -> Result<Enqueued, Error> {
    let fields = params![
        c.url,
        c.portal,
        c.host,
        c.kind,
        c.kind.priority(),
        run,
        c.depth,
        c.via,
        c.chain_page,
        c.chain_stale,
        c.kind.refetched_each_run()
    ];
    let inserted = conn
        .prepare_cached(INSERT)
        .and_then(|mut stmt| stmt.execute(&fields[..10]))
        .doing("queue a new url")?;
    if inserted == 1 {
        return Ok(Enqueued::New);
    }
    if !requeue {
        return Ok(Enqueued::Known);
    }
    let requeued = conn
        .prepare_cached(REQUEUE)
        .and_then(|mut stmt| stmt.execute(fields))
        .doing("queue a known url again")?;
    Ok(if requeued == 1 {
        Enqueued::Requeued
    } else {
        Enqueued::Known
    })
}

/// Reads a row of [`TAKE`]'s RETURNING clause.
fn taken(row: &Row) -> rusqlite::Result<(i64, Candidate)> {
    let candidate = Candidate {
        url: row.get(1)?,
        portal: row.get(2)?,
        host: row.get(3)?,
        kind: row.get(4)?,
        depth: row.get(5)?,
        via: row.get(6)?,
        chain_page: row.get(7)?,
        chain_stale: row.get(8)?,
    };
    Ok((row.get(0)?, candidate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{candidate, store};
    use crate::store::{Kind, RunStatus};

    fn run(store: &Store) -> i64 {
        store.begin_run(&["cantho".to_string()]).unwrap().id
    }

    fn take(store: &Store, run: i64, host: &str) -> Option<String> {
        let next = store.next_for_host(run, host, 1e12).unwrap();
        next.map(|(_, c)| c.url)
    }

    #[test]
    fn enqueue_deduplicates_within_a_run() {
        let (_dir, store) = store();
        let run = run(&store);
        let article = candidate("https://a.vn/tin-a1.html", Kind::Article);
        assert_eq!(store.enqueue(run, &article).unwrap(), Enqueued::New);
        assert_eq!(store.enqueue(run, &article).unwrap(), Enqueued::Known);
        let listing = candidate("https://a.vn/thoi-su/", Kind::Listing);
        let results = store
            .enqueue_many(run, &[listing.clone(), listing, article])
            .unwrap();
        assert_eq!(results, [Enqueued::New, Enqueued::Known, Enqueued::Known]);
        assert_eq!(store.summary(run).unwrap().queued, 2);
    }

    #[test]
    fn listings_come_before_articles_within_a_host() {
        let (_dir, store) = store();
        let run = run(&store);
        for url in ["https://a.vn/x-a1.html", "https://a.vn/y-a2.html"] {
            store.enqueue(run, &candidate(url, Kind::Article)).unwrap();
        }
        store
            .enqueue(run, &candidate("https://a.vn/kinh-te/", Kind::Listing))
            .unwrap();
        store
            .enqueue(run, &candidate("https://a.vn/", Kind::Seed))
            .unwrap();
        store
            .enqueue(run, &candidate("https://a.vn/robots.txt", Kind::Robots))
            .unwrap();
        let order: Vec<_> = std::iter::from_fn(|| take(&store, run, "a.vn")).collect();
        assert_eq!(
            order,
            [
                "https://a.vn/robots.txt",
                "https://a.vn/",
                "https://a.vn/kinh-te/",
                "https://a.vn/x-a1.html",
                "https://a.vn/y-a2.html"
            ]
        );
    }

    #[test]
    fn next_run_requeues_listings_but_not_done_articles() {
        let (_dir, store) = store();
        let first = run(&store);
        let mut listing = candidate("https://a.vn/thoi-su/", Kind::Listing);
        let article = candidate("https://a.vn/tin-a1.html", Kind::Article);
        store
            .enqueue_many(first, &[listing.clone(), article.clone()])
            .unwrap();
        while let Some((id, _)) = store.next_for_host(first, "a.vn", 1e12).unwrap() {
            store
                .mark_done(
                    id,
                    &crate::store::Outcome::labelled(crate::outcome::Label::Archived),
                )
                .unwrap();
        }
        store.finish_run(first, RunStatus::Completed).unwrap();
        let second = run(&store);
        assert_ne!(first, second);
        listing.chain_page = 3;
        assert_eq!(store.enqueue(second, &listing).unwrap(), Enqueued::Requeued);
        assert_eq!(store.enqueue(second, &listing).unwrap(), Enqueued::Known);
        assert_eq!(store.enqueue(second, &article).unwrap(), Enqueued::Known);
        let (_, again) = store.next_for_host(second, "a.vn", 1e12).unwrap().unwrap();
        assert_eq!(
            (again.url.as_str(), again.chain_page),
            ("https://a.vn/thoi-su/", 3)
        );
        assert_eq!(
            take(&store, second, "a.vn"),
            None,
            "the article is not fetched again"
        );
    }

    #[test]
    fn url_left_queued_by_another_run_is_adopted() {
        let (_dir, store) = store();
        let other = store
            .begin_run(&["cantho".into(), "haugiang".into()])
            .unwrap()
            .id;
        let article = candidate("https://a.vn/tin-a1.html", Kind::Article);
        store.enqueue(other, &article).unwrap();
        let run = run(&store);
        assert_eq!(store.enqueue(run, &article).unwrap(), Enqueued::Requeued);
        assert_eq!(take(&store, other, "a.vn"), None);
        assert_eq!(
            take(&store, run, "a.vn").as_deref(),
            Some("https://a.vn/tin-a1.html")
        );
    }

    #[test]
    fn next_for_host_respects_not_before() {
        let (_dir, store) = store();
        let run = run(&store);
        store
            .enqueue(run, &candidate("https://a.vn/", Kind::Seed))
            .unwrap();
        store
            .enqueue(run, &candidate("https://a.vn/tin-a1.html", Kind::Article))
            .unwrap();
        let (seed, _) = store.next_for_host(run, "a.vn", 100.0).unwrap().unwrap();
        assert_eq!(
            store
                .retry_later(seed, 200.0, crate::outcome::Label::Timeout)
                .unwrap(),
            1
        );
        let (_, c) = store.next_for_host(run, "a.vn", 150.0).unwrap().unwrap();
        assert_eq!(
            c.url, "https://a.vn/tin-a1.html",
            "the waiting seed is passed over"
        );
        assert_eq!(store.next_for_host(run, "a.vn", 199.9).unwrap(), None);
        assert_eq!(store.host_next_at(run, "a.vn").unwrap(), Some(200.0));
        let (again, c) = store.next_for_host(run, "a.vn", 200.0).unwrap().unwrap();
        assert_eq!((again, c.url.as_str()), (seed, "https://a.vn/"));
        assert_eq!(store.attempts(seed).unwrap(), 1);
        assert_eq!(store.host_next_at(run, "a.vn").unwrap(), None);
    }

    #[test]
    fn hosts_with_work_reports_earliest_time_per_host() {
        let (_dir, store) = store();
        let run = run(&store);
        store
            .enqueue(run, &candidate("https://a.vn/", Kind::Seed))
            .unwrap();
        store
            .enqueue(run, &candidate("https://b.vn/", Kind::Seed))
            .unwrap();
        store
            .enqueue(run, &candidate("https://b.vn/tin-a1.html", Kind::Article))
            .unwrap();
        let (id, _) = store.next_for_host(run, "a.vn", 0.0).unwrap().unwrap();
        store
            .retry_later(id, 50.0, crate::outcome::Label::Timeout)
            .unwrap();
        let hosts = store.hosts_with_work(run).unwrap();
        assert_eq!(
            hosts,
            [("a.vn".to_string(), 50.0), ("b.vn".to_string(), 0.0)]
        );
    }

    /// Taking URLs must let SQLite's auto-checkpoint run, or the WAL grows with every take
    /// (see `single_row`). 1,500 takes write well over 1,000 pages; a checkpointed WAL stays
    /// near its 1,000-page (4 MB) threshold.
    #[test]
    fn wal_stays_bounded_while_taking() {
        let (dir, store) = store();
        let run = run(&store);
        let batch: Vec<_> = (0..1500)
            .map(|i| candidate(&format!("https://a.vn/tin-a{i}.html"), Kind::Article))
            .collect();
        store.enqueue_many(run, &batch).unwrap();
        for _ in 0..1500 {
            let (id, _) = store.next_for_host(run, "a.vn", 0.0).unwrap().unwrap();
            store
                .retry_later(id, 1e12, crate::outcome::Label::Timeout)
                .unwrap();
        }
        let wal = std::fs::metadata(dir.path().join("state.sqlite-wal"))
            .unwrap()
            .len();
        assert!(wal < 6_000_000, "wal is {wal} bytes");
    }

    /// The per-page statements must search an index, never scan the table (issue 3: no O(n)
    /// work per page). SQLite's plan says `SCAN urls` for a full scan.
    #[test]
    fn per_page_statements_use_indexes() {
        let (_dir, store) = store();
        let conn = store.conn();
        for sql in [INSERT, REQUEUE, TAKE, HOST_NEXT_AT, HOSTS] {
            let plan = query_plan(&conn, sql);
            assert!(
                !plan.iter().any(|line| line.starts_with("SCAN urls")),
                "{sql}\n{plan:?}"
            );
            assert!(
                !plan.iter().any(|line| line.contains("TEMP B-TREE")),
                "{sql}\n{plan:?}"
            );
        }
        assert!(
            query_plan(&conn, TAKE)
                .iter()
                .any(|l| l.contains("urls_queue"))
        );
    }

    fn query_plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let count = stmt.parameter_count();
        let nulls = vec![rusqlite::types::Null; count];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(nulls), |row| row.get(3))
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// The take runs once per page: compiled again on every call (a new host each time, and
    /// rusqlite's cache clears the parameters), it cost 2.4% of a crawl's CPU (issue 17).
    /// With the planner's stability guarantee it is compiled once, and its plan still walks
    /// the queue index.
    #[test]
    fn the_take_is_compiled_once_and_walks_the_queue_index() {
        let (_dir, store) = store();
        let run = run(&store);
        for h in 0..4 {
            for i in 0..10 {
                let url = format!("https://h{h}.vn/tin-a{i}.html");
                store.enqueue(run, &candidate(&url, Kind::Article)).unwrap();
            }
        }
        for i in 0..40 {
            assert!(take(&store, run, &format!("h{}.vn", i % 4)).is_some());
        }
        let conn = store.conn();
        let stmt = conn.prepare_cached(TAKE).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
        drop(stmt);
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {TAKE}"))
            .unwrap()
            .query_map(params![run, "h0.vn", 1e12], |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("urls_queue")),
            "{plan:?}"
        );
    }
}
