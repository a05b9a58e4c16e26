//! Frontier: what to fetch next, host by host.
//!
//! Sits at the head of the crawl (docs/architecture.md): the crawl asks [`Frontier::next`] for a
//! [`Candidate`], and discovery's in-scope links come back through [`Frontier::push`]. The
//! queue itself lives in the [`Store`] (docs/architecture.md rule 4: a million URLs cost disk, not memory);
//! the frontier keeps only the hosts that have queued work, each with the time it may next be
//! asked, ordered by that time so the next eligible host is found in O(log hosts). Listing
//! pages come before articles through the store's priority column (issue 3).
//! It never does I/O except through the store, and never decides politeness: it asks the
//! caller whether a host is free and lets the gate push a host back with [`Frontier::defer_host`].
//!
//! Store calls are short synchronous SQLite statements; an async crawl calls them briefly or
//! moves the frontier into `spawn_blocking`.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::outcome::Label;
use crate::store::{Error, Store};

pub use crate::store::{Candidate, Enqueued, Kind};

/// What [`Frontier::next`] found.
#[derive(Debug, Clone, PartialEq)]
pub enum Next {
    /// Fetch this URL (store id and candidate); it is now in flight in the store.
    Ready(i64, Candidate),
    /// Nothing is eligible now. `Some(t)`: a host becomes eligible at unix time `t`.
    /// `None`: every host with work is busy; wait for a fetch to finish (or a push).
    Wait(Option<f64>),
    /// No host has queued work. The run is over once nothing is in flight either.
    Empty,
}

/// What the politeness gate says about a host, for [`Frontier::next`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gate {
    /// A request may start now.
    Free,
    /// A request is in flight; the host comes back when it ends.
    Busy,
    /// No request before this unix time.
    OpensAt(f64),
}

/// A unix time with a total order, so it can key a `BTreeSet`.
#[derive(Debug, Clone, Copy)]
struct At(f64);

impl PartialEq for At {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for At {}

impl PartialOrd for At {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for At {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Per-host scheduling over the store's queue for one run.
pub struct Frontier {
    store: Arc<Store>,
    run: i64,
    /// Host → the time it may next be asked for work.
    due: HashMap<String, At>,
    /// The same entries ordered by time (then host, for a stable order).
    order: BTreeSet<(At, String)>,
    /// URLs queued in this run, kept up to date as they come and go (counted once at the
    /// start, never again: a gauge for metrics, not a per-page query).
    queued: u64,
}

impl Frontier {
    /// A frontier for `run`, knowing every host that already has queued work (a resumed run).
    pub fn new(store: Arc<Store>, run: i64) -> Result<Frontier, Error> {
        let hosts = store.hosts_with_work(run)?;
        let queued = store.queued_count(run)?;
        let mut frontier = Frontier {
            store,
            run,
            due: HashMap::new(),
            order: BTreeSet::new(),
            queued,
        };
        for (host, not_before) in hosts {
            frontier.schedule(&host, not_before);
        }
        Ok(frontier)
    }

    /// The run this frontier serves.
    pub fn run(&self) -> i64 {
        self.run
    }

    /// URLs queued in this run right now.
    pub fn queued(&self) -> u64 {
        self.queued
    }

    /// True when no host is known to have queued work.
    pub fn is_empty(&self) -> bool {
        self.due.is_empty()
    }

    /// Queues a candidate in the store; a host that got work becomes eligible now.
    pub fn push(&mut self, candidate: &Candidate) -> Result<Enqueued, Error> {
        Ok(self.push_all(std::slice::from_ref(candidate))?[0])
    }

    /// [`Frontier::push`] for all links of one page, in one store transaction.
    pub fn push_all(&mut self, candidates: &[Candidate]) -> Result<Vec<Enqueued>, Error> {
        let results = self.store.enqueue_many(self.run, candidates)?;
        for (candidate, result) in candidates.iter().zip(&results) {
            if *result != Enqueued::Known {
                self.queued += 1;
                // New URLs are eligible at once (not_before 0); this may undo a gate deferral,
                // which only costs the gate one more question.
                self.schedule_earlier(&candidate.host, 0.0);
            }
        }
        Ok(results)
    }

    /// Raises queued URLs to `priority` (articles a feed dates after the last run, issue 9).
    pub fn prioritise(&mut self, urls: &[&str], priority: i64) -> Result<(), Error> {
        self.store.prioritise(self.run, urls, priority)
    }

    /// Queues those of `candidates` never seen before, leaving known ones alone (even seeds,
    /// listings and feeds, which [`Frontier::push_all`] would queue again).
    pub fn push_new(&mut self, candidates: &[Candidate]) -> Result<usize, Error> {
        let inserted = self.store.enqueue_new(self.run, candidates)?;
        for candidate in candidates.iter().filter(|c| inserted.contains(&c.url)) {
            self.queued += 1;
            self.schedule_earlier(&candidate.host, 0.0);
        }
        Ok(inserted.len())
    }

    /// The next URL to fetch: the first queued URL of the earliest eligible host whose gate
    /// says [`Gate::Free`], marked in flight. A host whose gate opens later moves to that time
    /// (so the answer can be "wait until then" rather than "wait for a fetch"); hosts whose
    /// queue turned out empty are dropped; hosts whose queued URLs all wait for a retry move to
    /// that time.
    pub fn next(&mut self, now: f64, gate: impl Fn(&str) -> Gate) -> Result<Next, Error> {
        for host in self.due_hosts(now) {
            match gate(&host) {
                Gate::Free => {}
                Gate::Busy => continue,
                Gate::OpensAt(at) => {
                    self.defer_host(&host, at);
                    continue;
                }
            }
            if let Some((id, candidate)) = self.store.next_for_host(self.run, &host, now)? {
                self.queued = self.queued.saturating_sub(1);
                return Ok(Next::Ready(id, candidate));
            }
            match self.store.host_next_at(self.run, &host)? {
                Some(at) => self.schedule(&host, at),
                None => self.forget(&host),
            }
        }
        Ok(self.idle(now))
    }

    /// The politeness gate says `host` must not be asked before `until` (unix seconds).
    /// A host without queued work is ignored: a later push brings it back.
    pub fn defer_host(&mut self, host: &str, until: f64) {
        if self.due.contains_key(host) {
            self.schedule(host, until);
        }
    }

    /// Puts in-flight URL `id` of `host` back in the queue until `not_before` after a
    /// transient failure (see [`Store::retry_later`]); returns its attempts so far.
    pub fn retry_later(
        &mut self,
        id: i64,
        host: &str,
        not_before: f64,
        reason: Label,
    ) -> Result<u32, Error> {
        let attempts = self.store.retry_later(id, not_before, reason)?;
        self.queued += 1;
        self.schedule_earlier(host, not_before);
        Ok(attempts)
    }

    /// Hosts eligible at `now`, earliest first.
    fn due_hosts(&self, now: f64) -> Vec<String> {
        let due = self.order.iter().take_while(|(at, _)| at.0 <= now);
        due.map(|(_, host)| host.clone()).collect()
    }

    /// What to say when no host produced a URL.
    fn idle(&self, now: f64) -> Next {
        if self.order.is_empty() {
            return Next::Empty;
        }
        let later = self.order.iter().find(|(at, _)| at.0 > now);
        Next::Wait(later.map(|(at, _)| at.0))
    }

    /// Sets `host`'s time to `at`, whatever it was.
    fn schedule(&mut self, host: &str, at: f64) {
        self.forget(host);
        self.due.insert(host.to_string(), At(at));
        self.order.insert((At(at), host.to_string()));
    }

    /// Moves `host`'s time to `at` if that is earlier, or adds the host.
    fn schedule_earlier(&mut self, host: &str, at: f64) {
        match self.due.get(host) {
            Some(current) if current.0 <= at => {}
            _ => self.schedule(host, at),
        }
    }

    fn forget(&mut self, host: &str) {
        if let Some(at) = self.due.remove(host) {
            self.order.remove(&(at, host.to_string()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{candidate, store};
    use crate::store::{Outcome, RunStatus};

    fn free(_: &str) -> Gate {
        Gate::Free
    }

    fn free_unless(busy: bool) -> Gate {
        if busy { Gate::Busy } else { Gate::Free }
    }

    #[test]
    fn a_host_whose_gate_opens_later_makes_the_frontier_wait_until_then() {
        let (_dir, store) = store();
        let mut frontier = frontier(store);
        frontier
            .push(&candidate("https://a.vn/x-a1.html", Kind::Article))
            .unwrap();
        assert_eq!(
            frontier.next(10.0, |_| Gate::OpensAt(12.5)).unwrap(),
            Next::Wait(Some(12.5))
        );
        assert!(matches!(
            frontier.next(12.5, free).unwrap(),
            Next::Ready(..)
        ));
    }

    fn frontier(store: Store) -> Frontier {
        let store = Arc::new(store);
        let run = store.begin_run(&["cantho".to_string()]).unwrap().id;
        Frontier::new(store, run).unwrap()
    }

    fn ready(next: Next) -> (i64, Candidate) {
        match next {
            Next::Ready(id, candidate) => (id, candidate),
            other => panic!("expected a url, got {other:?}"),
        }
    }

    #[test]
    fn empty_frontier_says_empty() {
        let (_dir, store) = store();
        let mut frontier = frontier(store);
        assert!(frontier.is_empty());
        assert_eq!(frontier.next(0.0, free).unwrap(), Next::Empty);
    }

    #[test]
    fn two_hosts_interleave_when_the_gate_holds_the_last_one() {
        let (_dir, store) = store();
        let mut frontier = frontier(store);
        for n in 0..3 {
            for host in ["a.vn", "b.vn"] {
                let url = format!("https://{host}/tin-a{n}.html");
                assert_eq!(
                    frontier.push(&candidate(&url, Kind::Article)).unwrap(),
                    Enqueued::New
                );
            }
        }
        let mut busy = String::new();
        let mut hosts = Vec::new();
        for _ in 0..6 {
            let (id, c) = ready(frontier.next(10.0, |h| free_unless(h == busy)).unwrap());
            frontier
                .store
                .mark_done(id, &Outcome::labelled(Label::Archived))
                .unwrap();
            hosts.push(c.host.clone());
            busy = c.host;
        }
        assert_eq!(hosts, ["a.vn", "b.vn", "a.vn", "b.vn", "a.vn", "b.vn"]);
        assert_eq!(frontier.next(10.0, free).unwrap(), Next::Empty);
        assert!(frontier.is_empty());
    }

    #[test]
    fn busy_and_deferred_hosts_make_the_caller_wait() {
        let (_dir, store) = store();
        let mut frontier = frontier(store);
        frontier
            .push(&candidate("https://a.vn/", Kind::Seed))
            .unwrap();
        frontier
            .push(&candidate("https://b.vn/", Kind::Seed))
            .unwrap();
        frontier.defer_host("b.vn", 100.0);
        assert_eq!(
            frontier.next(50.0, |h| free_unless(h == "a.vn")).unwrap(),
            Next::Wait(Some(100.0))
        );
        frontier.defer_host("a.vn", 100.0);
        frontier.defer_host("b.vn", 100.0);
        assert_eq!(
            frontier.next(100.0, |_| Gate::Busy).unwrap(),
            Next::Wait(None)
        );
        let (_, c) = ready(frontier.next(100.0, |h| free_unless(h != "b.vn")).unwrap());
        assert_eq!(c.url, "https://b.vn/");
    }

    #[test]
    fn listing_pushed_later_is_taken_before_queued_articles() {
        let (_dir, store) = store();
        let mut frontier = frontier(store);
        let articles: Vec<_> = (0..3)
            .map(|n| candidate(&format!("https://a.vn/tin-a{n}.html"), Kind::Article))
            .collect();
        frontier.push_all(&articles).unwrap();
        frontier
            .push(&candidate("https://a.vn/thoi-su/?p=2", Kind::Listing))
            .unwrap();
        let (_, c) = ready(frontier.next(0.0, free).unwrap());
        assert_eq!(c.url, "https://a.vn/thoi-su/?p=2");
    }

    #[test]
    fn retried_url_comes_back_at_its_time() {
        let (_dir, store) = store();
        let mut frontier = frontier(store);
        frontier
            .push(&candidate("https://a.vn/", Kind::Seed))
            .unwrap();
        let (id, _) = ready(frontier.next(0.0, free).unwrap());
        assert_eq!(
            frontier.next(1.0, free).unwrap(),
            Next::Empty,
            "only one, in flight"
        );
        assert_eq!(
            frontier
                .retry_later(id, "a.vn", 200.0, Label::Timeout)
                .unwrap(),
            1
        );
        assert_eq!(frontier.next(150.0, free).unwrap(), Next::Wait(Some(200.0)));
        let (again, _) = ready(frontier.next(200.0, free).unwrap());
        assert_eq!(again, id);
    }

    #[test]
    fn new_url_is_not_held_back_by_a_retry() {
        let (_dir, store) = store();
        let mut frontier = frontier(store);
        frontier
            .push(&candidate("https://a.vn/", Kind::Seed))
            .unwrap();
        let (id, _) = ready(frontier.next(0.0, free).unwrap());
        frontier
            .retry_later(id, "a.vn", 500.0, Label::Timeout)
            .unwrap();
        frontier
            .push(&candidate("https://a.vn/tin-a1.html", Kind::Article))
            .unwrap();
        let (_, c) = ready(frontier.next(10.0, free).unwrap());
        assert_eq!(c.url, "https://a.vn/tin-a1.html");
        assert_eq!(frontier.next(10.0, free).unwrap(), Next::Wait(Some(500.0)));
    }

    #[test]
    fn resumed_run_knows_its_hosts_and_skips_fetched_urls() {
        let (dir, store) = store();
        let mut frontier = frontier(store);
        for url in ["https://a.vn/", "https://b.vn/"] {
            frontier.push(&candidate(url, Kind::Seed)).unwrap();
        }
        frontier
            .push(&candidate("https://b.vn/tin-a1.html", Kind::Article))
            .unwrap();
        let (done, _) = ready(frontier.next(0.0, free).unwrap());
        frontier
            .store
            .mark_done(done, &Outcome::labelled(Label::Archived))
            .unwrap();
        ready(frontier.next(0.0, |h| free_unless(h != "b.vn")).unwrap()); // in flight at the kill
        let run = frontier.run();
        drop(frontier);
        let store = Arc::new(Store::open(&dir.path().join("state.sqlite")).unwrap());
        let resumed = store.begin_run(&["cantho".to_string()]).unwrap();
        assert!(resumed.resumed && resumed.id == run);
        let mut frontier = Frontier::new(store, run).unwrap();
        let mut urls = Vec::new();
        while let Next::Ready(id, c) = frontier.next(0.0, free).unwrap() {
            frontier
                .store
                .mark_done(id, &Outcome::labelled(Label::Archived))
                .unwrap();
            urls.push(c.url);
        }
        assert_eq!(urls, ["https://b.vn/", "https://b.vn/tin-a1.html"]);
        frontier
            .store
            .finish_run(run, RunStatus::Completed)
            .unwrap();
    }

    /// Issue 3's scale check: `cargo test --lib frontier::tests::bench -- --ignored
    /// --nocapture`. Debug builds compile SQLite at -O0; for release-like numbers add
    /// `--config 'profile.dev.package.libsqlite3-sys.opt-level=3'`.
    #[test]
    #[ignore = "micro-benchmark, about a minute"]
    fn bench_million_urls() {
        let (dir, store) = store();
        let mut frontier = frontier(store);
        let batches = (0..10_000).map(|b| bench_page(b, 100));
        let started = std::time::Instant::now();
        for batch in batches {
            frontier.push_all(&batch).unwrap();
        }
        let per_enqueue = started.elapsed().as_secs_f64() * 1e6 / 1e6;
        let single = bench_page(10_000, 10_000);
        let started = std::time::Instant::now();
        for c in &single {
            frontier.push(c).unwrap();
        }
        let per_single = started.elapsed().as_secs_f64() * 1e6 / 1e4;
        let started = std::time::Instant::now();
        for _ in 0..10_000 {
            ready(frontier.next(0.0, free).unwrap());
        }
        let per_pop = started.elapsed().as_secs_f64() * 1e6 / 1e4;
        eprintln!(
            "enqueue in pages of 100: {per_enqueue:.1} µs/url; one by one: {per_single:.1} µs/url"
        );
        eprintln!("pop: {per_pop:.1} µs; {}", bench_sizes(dir.path()));
    }

    /// `n` article candidates spread over 10 hosts, numbered from `page * n`.
    fn bench_page(page: usize, n: usize) -> Vec<Candidate> {
        let urls = (page * n..(page + 1) * n).map(|i| {
            format!(
                "https://h{}.vn/chuyen-muc/bai-viet-so-{i}-a{i}.html",
                i % 10
            )
        });
        urls.map(|url| candidate(&url, Kind::Article)).collect()
    }

    fn bench_sizes(dir: &std::path::Path) -> String {
        let size = |name: &str| {
            std::fs::metadata(dir.join(name))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        let rss = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let rss = rss
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap_or("")
            .to_string();
        format!(
            "db {} MB, wal {} MB, {rss}",
            size("state.sqlite") / 1_000_000,
            size("state.sqlite-wal") / 1_000_000
        )
    }
}
