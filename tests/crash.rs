//! Crash safety (issue 7 part 1): `baoluu crawl` killed with SIGKILL at random moments, then
//! restarted until a run exits 0, must leave an archive as good as an uninterrupted crawl's.
//!
//! The crawl runs against the two-host fixture portal of `tests/crawl.rs`. Each kill comes after
//! a random 50–1500 ms, or right after a random 1–8 further requests reached the fixture
//! servers (so that fetches are in flight). The RNG is seeded; the seed is printed and
//! `BAOLUU_CRASH_SEED` repeats a run. The default run survives at least 10 kills;
//! `BAOLUU_CRASH_KILLS=N` asks for more. When a crawl finishes before enough kills were dealt,
//! a fresh archive starts a new round. After every round:
//! - every WARC file reads back with our reader (digests verified) and passes `warcio check`,
//!   and no `.open` file is left;
//! - every reachable article has exactly one index line, pointing at its response record,
//!   and no line points past the end of its file;
//! - every indexed article has its status page row, pointing at the `metadata` record of its
//!   line (written in the run loop's batch, or by the next start after a kill: issue 17);
//! - articles were fetched twice only when a kill caught them in flight: the duplicates counted
//!   from the servers' logs are at most kills × `max_in_flight`.

mod support;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use baoluu::archive::reader;

use support::cli;
use support::portal::{self, TwoHosts};
use support::wait::wait_past_last_fetch;

const MAX_IN_FLIGHT: usize = 4;
/// A round that needs more runs than this is not making progress.
const MAX_RUNS_PER_ROUND: usize = 60;
/// The last, unkilled run of a round must finish within this.
const LIMIT: Duration = Duration::from_secs(60);

/// splitmix64: small, seedable, good enough to pick kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

type World = TwoHosts;

/// The two-host world; `storage` is a `[storage]` table to append (empty: none).
fn world(storage: &str) -> World {
    let crawler = format!(
        "min_delay = \"40ms\"\ndelay_factor = 0.0\nretries = 2\nmax_in_flight = {MAX_IN_FLIGHT}\ngrace_period = \"5s\""
    );
    let w = TwoHosts::start(None, &crawler);
    let mut text = std::fs::read_to_string(&w.config).unwrap();
    text.push_str(storage);
    std::fs::write(&w.config, text).unwrap();
    w
}

impl World {
    fn requests(&self) -> usize {
        self.a.log().len() + self.b.log().len()
    }

    /// Starts a crawl, its stderr kept in `run-N.log` for a failure message.
    fn spawn(&self, n: usize) -> (Child, PathBuf) {
        let log = self.dir.path().join(format!("run-{n}.log"));
        let mut crawl = cli::command(&self.config, &["crawl"]);
        let child = support::s3::keyed(&mut crawl, support::s3::SECRET_KEY)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        (child, log)
    }
}

/// What one round did.
struct Round {
    kills: usize,
    runs: usize,
    duplicates: usize,
    records: usize,
}

#[test]
fn sigkill_at_random_moments_loses_nothing_and_repeats_little() {
    let seed = seed();
    let wanted: usize = std::env::var("BAOLUU_CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    survive(seed, wanted, "");
}

/// Issue 18 item 4: with `[storage]` and a one-byte `segment_size`, the writer closes the index
/// file into a segment after every batch, and every session opening closes what is left; kills
/// at random moments (renames and uploads included) lose no index line and duplicate none,
/// counted across each portal's segments and current file.
#[test]
fn sigkill_while_segments_close_loses_no_index_line_and_duplicates_none() {
    let Some((server, _root)) = support::s3::temporary() else {
        return;
    };
    let storage = server.table("crash", "segment_size = 1\ndrain_timeout = \"10s\"");
    survive(seed(), 6, &storage);
}

/// `BAOLUU_CRASH_SEED`, or one from the clock.
fn seed() -> u64 {
    std::env::var("BAOLUU_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// Kills crawls until `wanted` kills were dealt, round after round (see the module doc).
fn survive(seed: u64, wanted: usize, storage: &str) {
    println!("crash test: seed {seed} (BAOLUU_CRASH_SEED={seed} repeats it), {wanted} kills");
    let mut rng = Rng(seed);
    let (mut kills, mut duplicates, mut rounds) = (0, 0, 0);
    while kills < wanted {
        let round = round(&mut rng, wanted - kills, (seed, storage));
        rounds += 1;
        println!(
            "round {rounds}: {} kills, {} runs, {} duplicate article fetches, {} WARC records",
            round.kills, round.runs, round.duplicates, round.records
        );
        kills += round.kills;
        duplicates += round.duplicates;
    }
    println!(
        "crash test: seed {seed}: survived {kills} SIGKILLs in {rounds} rounds; \
         {duplicates} duplicate article fetches (bound {})",
        kills * MAX_IN_FLIGHT
    );
}

/// Crawls one fresh archive, killing up to `budget` runs, then checks it.
fn round(rng: &mut Rng, budget: usize, (seed, storage): (u64, &str)) -> Round {
    let w = world(storage);
    let mut kills = 0;
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(
            runs <= MAX_RUNS_PER_ROUND,
            "seed {seed}: no finished run after {MAX_RUNS_PER_ROUND} starts"
        );
        let (mut child, log) = w.spawn(runs);
        if kills < budget && kill_at_random(rng, &w, &mut child) {
            kills += 1;
            continue;
        }
        let status = wait_limited(&mut child, LIMIT);
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(
            status.code(),
            Some(0),
            "seed {seed}: run {runs} (after {kills} kills) failed:\n{text}"
        );
        break;
    }
    let records = cli::check_warcs(&w.archive());
    match storage.is_empty() {
        true => {
            let indexed = check_index(&w, seed);
            check_rows(&w, seed, indexed);
        }
        false => {
            check_index_against_store(&w, seed);
            let files = index_files(&w.archive(), "a");
            assert!(
                files.len() > 2,
                "seed {seed}: segments were closed: {files:?}"
            );
        }
    }
    let duplicates = duplicates(&w);
    assert!(
        duplicates <= kills * MAX_IN_FLIGHT,
        "seed {seed}: {duplicates} duplicate article fetches after {kills} kills \
         (at most {} may have been in flight)",
        kills * MAX_IN_FLIGHT
    );
    Round {
        kills,
        runs,
        duplicates,
        records,
    }
}

/// Waits a random moment and SIGKILLs `child`; false when it exited first (it must then have
/// finished: the caller checks its status).
fn kill_at_random(rng: &mut Rng, w: &World, child: &mut Child) -> bool {
    let started = Instant::now();
    let by_time = rng.next().is_multiple_of(2);
    let wait = Duration::from_millis(rng.between(50, 1500));
    let target = w.requests() + rng.between(1, 8) as usize;
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let due = if by_time {
            started.elapsed() >= wait
        } else {
            w.requests() >= target || started.elapsed() >= Duration::from_secs(3)
        };
        if due {
            child.kill().unwrap(); // SIGKILL on Unix
            child.wait().unwrap();
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn wait_limited(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("a crawl did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One index line per reachable article, each pointing inside its file at its response.
/// Returns the URLs indexed.
fn check_index(w: &World, seed: u64) -> BTreeSet<String> {
    let mut indexed = BTreeSet::new();
    for (name, fixture, spec) in [("a", &w.a, &w.spec_a), ("b", &w.b, &w.spec_b)] {
        let per_url = index_lines_by_url(w, name, seed);
        indexed.extend(per_url.keys().cloned());
        for path in portal::reachable_articles(spec) {
            let url = fixture.url(&path);
            assert_eq!(
                per_url.get(&url),
                Some(&1),
                "seed {seed}: {url} has {:?} index lines",
                per_url.get(&url)
            );
        }
        assert_eq!(
            per_url.len(),
            portal::reachable_articles(spec).len(),
            "seed {seed}: portal {name} has index lines for other URLs: {per_url:?}"
        );
    }
    indexed
}

/// The status page's rows (issue 19): one per indexed article, each pointing at the `metadata`
/// record that holds its index line. The run loop writes a row in the batch that marks its URL
/// done; a kill between the line and that batch leaves the next start to write it (issue 17).
fn check_rows(w: &World, seed: u64, indexed: BTreeSet<String>) {
    let archive = w.archive();
    let db = rusqlite::Connection::open(archive.join("state.sqlite")).unwrap();
    let mut stmt = db
        .prepare("SELECT url, warc_file, meta_offset, meta_length FROM articles")
        .unwrap();
    let rows: Vec<(String, String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let urls: BTreeSet<String> = rows.iter().map(|row| row.0.clone()).collect();
    assert_eq!(urls, indexed, "seed {seed}: rows and index lines differ");
    for (url, file, offset, length) in rows {
        let record = reader::read_at(&archive.join("warc").join(&file), offset as u64).unwrap();
        assert_eq!(record.record_type(), Some("metadata"), "seed {seed}: {url}");
        assert_eq!(record.length, length as u64, "seed {seed}: {url}");
        let line: serde_json::Value = serde_json::from_slice(&record.block).unwrap();
        assert_eq!(line["url"].as_str(), Some(url.as_str()), "seed {seed}");
    }
}

/// With segments: exactly one index line for every article the store holds as archived, and
/// none for any other URL, across each portal's segments and current file. (Not reach: an
/// article whose line was durable but whose outlinks were not yet queued when the kill came is
/// settled from its line, and those outlinks are not found again — a crawl matter, not an
/// index one, made likelier by a second SQLite writer; see the issue 18 report.)
fn check_index_against_store(w: &World, seed: u64) {
    let db = rusqlite::Connection::open(w.archive().join("state.sqlite")).unwrap();
    // bai-cu-N redirects to bai-moi-N: the store holds both archived, the index the target.
    let mut stmt = db
        .prepare(
            "SELECT url FROM urls WHERE kind = 'article' AND outcome = 'archived'
               AND url NOT LIKE '%/bai-cu-%'",
        )
        .unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    let mut archived: Vec<String> = rows.map(Result::unwrap).collect();
    archived.sort();
    let mut indexed = Vec::new();
    for name in ["a", "b"] {
        for (url, lines) in index_lines_by_url(w, name, seed) {
            assert_eq!(lines, 1, "seed {seed}: {url} has {lines} index lines");
            indexed.push(url);
        }
    }
    indexed.sort();
    assert_eq!(
        indexed, archived,
        "seed {seed}: index lines and archived articles differ"
    );
}

/// How many index lines each URL has across portal `name`'s index files, each line's pointer
/// checked and the lines validated against the schema.
fn index_lines_by_url(w: &World, name: &str, seed: u64) -> HashMap<String, usize> {
    let archive = w.archive();
    let mut per_url: HashMap<String, usize> = HashMap::new();
    let mut all = String::new();
    for jsonl in index_files(&archive, name) {
        let text = std::fs::read_to_string(&jsonl).unwrap();
        all.push_str(&text);
        for (number, line) in text.lines().enumerate() {
            let line: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("seed {seed}: {} line {}: {e}", jsonl.display(), number + 1)
            });
            check_pointer(&archive, &line, seed);
            *per_url
                .entry(line["url"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    // The schema check once per portal, over its segments and current file together.
    let joined = w.dir.path().join(format!("{name}-index.jsonl"));
    std::fs::write(&joined, all).unwrap();
    cli::validate_index_lines(&joined);
    per_url
}

/// A portal's index files: its closed segments (with `[storage]`) in name order, then the
/// current file when there is one.
fn index_files(archive: &Path, portal: &str) -> Vec<PathBuf> {
    let segments = archive.join("index/segments").join(portal);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&segments)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let current = archive.join("index").join(format!("{portal}.jsonl"));
    files.extend(current.is_file().then_some(current));
    files
}

fn check_pointer(archive: &Path, line: &serde_json::Value, seed: u64) {
    let url = line["url"].as_str().unwrap();
    let file = archive
        .join("warc")
        .join(line["filename"].as_str().unwrap());
    let size = std::fs::metadata(&file)
        .unwrap_or_else(|e| panic!("seed {seed}: {url}: {}: {e}", file.display()))
        .len();
    let (offset, length) = (
        line["offset"].as_u64().unwrap(),
        line["length"].as_u64().unwrap(),
    );
    assert!(
        offset + length <= size,
        "seed {seed}: {url} points at {offset}+{length}, past the end ({size}) of {}",
        file.display()
    );
    let record = reader::read_at(&file, offset).unwrap();
    assert_eq!(record.record_type(), Some("response"), "seed {seed}: {url}");
    assert_eq!(record.header("WARC-Target-URI"), Some(url));
    assert_eq!(record.length, length, "seed {seed}: {url}");
}

/// Article fetches beyond the one each needs (two for the article that gets a 429 first).
fn duplicates(w: &World) -> usize {
    let mut extra = 0;
    for (fixture, spec) in [(&w.a, &w.spec_a), (&w.b, &w.spec_b)] {
        let log = fixture.log();
        let throttled = portal::article_path(spec.first_id + 13);
        for path in portal::reachable_articles(spec) {
            let asked = log.iter().filter(|r| r.target == path).count();
            let needed = if path == throttled { 2 } else { 1 };
            extra += asked.saturating_sub(needed);
        }
    }
    extra
}

/// Issue 15: SIGKILL during a revisit run (after the fixture portal edited two articles and
/// removed two) loses no change event and records none twice: every round ends with exactly
/// the four events, however the kills fell between the WARC records, the index line, the event
/// line and the store.
#[test]
fn sigkill_during_a_revisit_run_loses_no_event_and_duplicates_none() {
    use std::sync::atomic::Ordering;
    use support::history;

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("revisit crash test: seed {seed}");
    let mut rng = Rng(seed);
    let mut kills = 0;
    for round in 0..4 {
        let w = history::world("127.0.0.42", "");
        history::crawl(&w);
        // Distinct capture seconds for the edited versions.
        wait_past_last_fetch(&w.dir.path().join("archive"), Duration::from_secs(1));
        w.edited.store(true, Ordering::SeqCst);
        for run in 0..MAX_RUNS_PER_ROUND {
            let log = w.dir.path().join(format!("run-{run}.log"));
            let mut child = cli::command(&w.config, &["crawl"])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap();
            // Kills land anywhere in a run of a few hundred milliseconds; later runs are left
            // alone so the round ends.
            let wait = Duration::from_millis(rng.between(5, 250));
            let started = Instant::now();
            while started.elapsed() < wait && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_millis(1));
            }
            if run < 3 && child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
                continue;
            }
            let status = wait_limited(&mut child, LIMIT);
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            assert_eq!(status.code(), Some(0), "seed {seed}: {text}");
            break;
        }
        let events = history::changes(&w);
        let mut got: Vec<(String, String)> = events
            .iter()
            .map(|e| {
                let url = e["url"].as_str().unwrap();
                let n = url.rsplit('-').next().unwrap().to_string();
                (n, e["change"].as_str().unwrap().to_string())
            })
            .collect();
        got.sort();
        let expected: Vec<(String, String)> = [
            ("1.html", "edited"),
            ("2.html", "edited"),
            ("4.html", "removed"),
            ("5.html", "removed"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, expected, "seed {seed}, round {round}: {events:#?}");
        // One new version per edit, whatever was refetched.
        let lines = history::index_lines(&w);
        for n in [1, 2] {
            assert_eq!(history::lines_of(&lines, &w, n).len(), 2, "seed {seed}");
        }
        cli::check_warcs(&w.dir.path().join("archive"));
    }
    println!("revisit crash test: seed {seed}: {kills} kills");
}

/// A kill between a redirect target's index line and the run loop's bookkeeping (issue 17's
/// crash rerun found it once in CI: `bai-moi-312` indexed twice). The target has no row of its
/// own yet (it is reached only through the redirect), so the restart could not mark it done:
/// the redirecting URL was fetched again, the redirect followed again, and the target indexed
/// a second time. Built exactly: after a whole crawl, the run is reopened, the target's row
/// removed and the redirecting URL put back in flight, as the kill leaves them.
#[test]
fn a_redirect_target_indexed_before_a_kill_is_not_indexed_again() {
    let w = World::start(None, "min_delay = \"0s\"\ndelay_factor = 0.0");
    let out = cli::baoluu(&w.config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", cli::stderr(&out));
    let id = w.spec_b.first_id + 12;
    let (old, target) = (
        w.b.url(&format!("/thoi-su/bai-cu-{id}.html")),
        w.b.url(&format!("/thoi-su/bai-moi-{id}.html")),
    );
    let db = rusqlite::Connection::open(w.archive().join("state.sqlite")).unwrap();
    db.execute_batch("UPDATE runs SET ended_at = NULL, status = 'interrupted'")
        .unwrap();
    assert_eq!(
        db.execute("DELETE FROM urls WHERE url = ?1", [&target])
            .unwrap(),
        1
    );
    assert_eq!(
        db.execute("UPDATE urls SET state = 'inflight' WHERE url = ?1", [&old])
            .unwrap(),
        1
    );
    drop(db);

    let out = cli::baoluu(&w.config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", cli::stderr(&out));
    let text = std::fs::read_to_string(w.archive().join("index/b.jsonl")).unwrap();
    let lines = text
        .lines()
        .filter(|l| l.contains(&format!("\"url\":\"{target}\"")))
        .count();
    assert_eq!(lines, 1, "{target} indexed {lines} times");
}

/// A kill between an article's index line and the run loop applying its task: the restart
/// marks the article done from its line (so it is not archived and indexed again), but its
/// links were never queued. The random-kill harness with segments saw related-only articles
/// (`tin-so-111`, `tin-so-112`) never fetched this way. Built exactly: after a whole crawl the
/// run is reopened, the related-only article `id0 + 13` forgotten (its row and index line),
/// and the only page linking it put back in flight. Its links are now read back from its
/// archived response; before, `id0 + 13` was never fetched again.
#[test]
fn links_of_a_page_indexed_before_a_kill_are_still_followed() {
    let w = World::start(None, "min_delay = \"0s\"\ndelay_factor = 0.0");
    let out = cli::baoluu(&w.config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", cli::stderr(&out));
    let id0 = w.spec_b.first_id;
    let page = w.b.url(&portal::article_path(id0 + 1));
    let related = w.b.url(&portal::article_path(id0 + 13));
    let index = w.archive().join("index/b.jsonl");
    let indexed = |url: &str| {
        let text = std::fs::read_to_string(&index).unwrap();
        let needle = format!("\"url\":\"{url}\"");
        (text.lines().filter(|l| l.contains(&needle)).count(), text)
    };
    let (once, text) = indexed(&related);
    assert_eq!(once, 1, "the first crawl indexed {related}");
    let needle = format!("\"url\":\"{related}\"");
    let kept: String = text
        .lines()
        .filter(|l| !l.contains(&needle))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&index, kept).unwrap();
    let db = rusqlite::Connection::open(w.archive().join("state.sqlite")).unwrap();
    db.execute_batch("UPDATE runs SET ended_at = NULL, status = 'interrupted'")
        .unwrap();
    let forgot = db.execute("DELETE FROM urls WHERE url = ?1", [&related]);
    assert_eq!(forgot.unwrap(), 1);
    // As before the run loop applied the page's task: in flight, no version recorded yet.
    let put_back = db.execute(
        "UPDATE urls SET state = 'inflight', version = 0, version_file = NULL, \
         version_offset = NULL, version_length = NULL, version_ts = NULL, fingerprint = NULL, \
         first_captured_at = NULL WHERE url = ?1",
        [&page],
    );
    assert_eq!(put_back.unwrap(), 1);
    drop(db);

    let out = cli::baoluu(&w.config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", cli::stderr(&out));
    assert_eq!(
        indexed(&related).0,
        1,
        "{related} followed again from {page}:\n{}",
        cli::stderr(&out)
    );
    assert_eq!(indexed(&page).0, 1, "{page} indexed once");
}
