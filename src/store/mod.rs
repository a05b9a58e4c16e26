//! Store: the embedded crawl-state database (SQLite, `archive_dir/state.sqlite`).
//!
//! Sits under the frontier and the crawl (docs/architecture.md): it remembers every URL the crawl has
//! seen, its state (`queued` → `inflight` → `done`|`failed`), how it ended (the Outcome with its
//! WARC pointer, payload digest and validators), the runs, and the robots.txt cache. It is what
//! makes a run resumable after SIGINT, SIGTERM or `kill -9` (issue 3): the crawl marks a URL done
//! only after its WARC bytes are durable (docs/architecture.md rule 6), so a URL is either done with a valid
//! pointer or fetched again. Every question the crawl asks per page is one indexed statement
//! (O(log n)); the frontier lives here rather than in memory (docs/architecture.md rule 4).
//! This module never knows HTTP: it stores labels, numbers and strings that others produce.
//!
//! The API by step of a run: [`Store::begin_run`] (new, or resume: in-flight URLs go back to
//! the queue) → [`Store::enqueue`]/[`Store::enqueue_many`] (dedup; listings requeued each run,
//! done articles never) → [`Store::next_for_host`] (marks in flight) → [`Store::mark_done`] /
//! [`Store::mark_failed`] / [`Store::retry_later`] (+ [`Store::attempts`]) → [`Store::summary`]
//! and [`Store::finish_run`]. For the frontier: [`Store::hosts_with_work`] and
//! [`Store::host_next_at`]. For conditional GETs and revisits (issue 5): [`Store::prior`].
//! For robots.txt: [`Store::robots_get`]/[`Store::robots_put`].
//!
//! rusqlite is synchronous, so [`Store`] wraps its connection in a `std::sync::Mutex`: each call
//! takes the lock for one short statement or transaction and releases it before returning, so it
//! is never held across an `.await`. Async callers call it briefly or from `spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::Connection;

use batch::write_transaction;

mod articles;
mod batch;
mod chains;
mod chances;
mod history;
mod learned;
mod outcome;
mod queue;
mod robots;
mod runs;
mod schedules;
mod schema;
mod types;
mod uploads;
mod visits;

pub use articles::{ArticleRow, fold};
pub use chains::Chain;
pub use chances::Deferred;
pub use history::{HeldRow, Known, REVISIT, Revision};
pub use learned::Coverage;
pub use robots::CachedRobots;
pub use schedules::LastRun;
pub use types::{
    Candidate, Enqueued, FRESH_ARTICLE, Kind, Outcome, Prior, Run, RunStatus, Summary, WarcPointer,
};
pub use uploads::{Upload, UploadFailure, UploadSummary, Uploaded};

/// Why the crawl state could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "could not open the crawl state at {path}; check that its folder exists and is writable"
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "the crawl state at {path} has schema version {found}, newer than this baoluu knows \
         ({known}); run a newer baoluu"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "the crawl state at {path} has schema version {found}, older than this baoluu's \
         ({known}); run `baoluu crawl` (or the daemon) once as the archive's owner to upgrade it"
    )]
    SchemaTooOld {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("could not {doing} in the crawl state; the disk may be full or the file corrupt")]
    Sqlite {
        doing: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "url #{0} is not in flight, so it cannot be marked finished; take it from the frontier first"
    )]
    NotInFlight(i64),
}

/// Attaches "what was being done" to a rusqlite error.
trait Doing<T> {
    fn doing(self, doing: &'static str) -> Result<T, Error>;
}

impl<T> Doing<T> for rusqlite::Result<T> {
    fn doing(self, doing: &'static str) -> Result<T, Error> {
        self.map_err(|source| Error::Sqlite { doing, source })
    }
}

/// Runs a statement expected to return at most one row and steps it to completion.
///
/// `query_row` stops after the first row and lets the reset finish the statement; for an
/// `UPDATE … RETURNING` that means the autocommit happens inside `sqlite3_reset`, where
/// SQLite does not call the WAL hook, so no auto-checkpoint runs and the WAL file grows
/// without bound (measured: +9 MB per 500 takes). Stepping to SQLITE_DONE avoids that.
fn single_row<T>(
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let rows = stmt.query_map(params, f)?;
    let mut all = rows.collect::<rusqlite::Result<Vec<T>>>()?;
    Ok(all.pop())
}

/// How long a statement waits for a lock held by another connection (e.g. `baoluu status`
/// reading while a crawl writes) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Enough cached statements for every distinct query in this module.
const STATEMENT_CACHE: usize = 64;

/// The crawl-state database. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let open_err = |source| Error::Open {
            path: path.to_path_buf(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        configure(&conn).map_err(open_err)?;
        schema::migrate(&mut conn, path)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// Opens an existing database for reading only (`status` and the other read-only commands,
    /// run by an operator who may read the archive but not write it: issue 13, item 8). Nothing
    /// is written: no WAL switch, no migration. A database of an older schema is refused with
    /// the way to upgrade it, since the queries of this build may need the newer columns.
    pub fn open_read_only(path: &Path) -> Result<Store, Error> {
        let conn = read_only_connection(path).map_err(|source| Error::Open {
            path: path.to_path_buf(),
            source,
        })?;
        schema::check_current(&conn, path)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    /// Takes the connection for one short call.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held cannot leave a half-applied change behind: every
        // multi-statement change runs in a rusqlite Transaction or Savepoint, which rolls back on drop.
        // So the connection is still consistent and the poison flag carries no information.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Connection settings, applied on every open (they are per connection, not stored).
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // WAL: readers (status, verify) never block the crawl's writer, and a commit is one append.
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "state_wal_refused");
    }
    // synchronous=NORMAL in WAL mode: a commit is durable against a process crash or SIGKILL
    // (it is in the WAL file, which the OS keeps); only a power loss or kernel crash can lose
    // the last few commits. That is safe here because of the commit order (docs/architecture.md rule 6): a
    // lost "done" mark only means the URL is fetched again, never a pointer to missing bytes.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // The query planner's stability guarantee: a plan never depends on a bound value. Without
    // it, SQLite 3.54 marks statements such as the queue's take (an equality on a parameter
    // and an ORDER BY) to be prepared again when their parameters change, and rusqlite's
    // statement cache clears the parameters of every statement it takes back: each take was
    // compiled anew, 2.4% of a crawl's CPU (issue 17). No query here depends on a value's plan.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)
}

/// A read-only connection that has read the schema version. A WAL database needs its `-shm`
/// file: while a crawl runs, it exists and a plain read-only open shares it; after the last
/// writer closed, it is gone and a reader without write access to the folder cannot create
/// it. Then (and only when no `-wal` file holds unmerged commits) the file is opened as
/// `immutable`, which reads it without the WAL index or locks: correct for a file nobody is
/// writing, and a crawl that starts meanwhile can at worst make this one reading fail.
fn read_only_connection(path: &Path) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let plain = Connection::open_with_flags(path, flags).and_then(|conn| {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))?;
        Ok(conn)
    });
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    match plain {
        Err(_) if !Path::new(&wal).exists() => {
            let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            let Ok(mut uri) = url::Url::from_file_path(&absolute) else {
                return plain;
            };
            uri.set_query(Some("immutable=1"));
            Connection::open_with_flags(uri.as_str(), flags | OpenFlags::SQLITE_OPEN_URI)
        }
        other => other,
    }
}

// The store keeps time in two forms, each for one job (issue 16 item 2), and each made by one
// function here:
// - unix seconds (`f64`, [`unix`]): scheduling times compared and ordered in SQL
//   (`not_before`, robots `fetched_at`, `next_revisit`);
// - RFC 3339 text with microseconds and `Z` ([`stamp`]): instants of captures and runs. It
//   equals the WARC-Date it names (a revisit's WARC-Refers-To-Date must match the original),
//   and its fixed width keeps time order in text compares.

/// Now, in unix seconds.
pub fn unix_now() -> f64 {
    unix(std::time::SystemTime::now())
}

/// `t` in seconds since the Unix epoch (0 for a time before it).
pub fn unix(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `at` as the store writes an instant: RFC 3339, microseconds, `Z`.
pub fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A store in a fresh temporary folder (kept alive by the returned guard).
    pub fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        (dir, store)
    }

    pub fn candidate(url: &str, kind: Kind) -> Candidate {
        let host = url::Url::parse(url)
            .unwrap()
            .host_str()
            .unwrap()
            .to_string();
        Candidate {
            url: url.to_string(),
            portal: "cantho".to_string(),
            host,
            kind,
            depth: 1,
            via: None,
            chain_page: 0,
            chain_stale: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    #[test]
    fn open_sets_wal_and_foreign_keys() {
        let (_dir, store) = testing::store();
        let conn = store.conn();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        let fk: bool = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert!(fk);
        assert_eq!(sync, 1, "NORMAL");
    }

    #[test]
    fn open_fails_with_path_in_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder").join("state.sqlite");
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, Error::Open { .. }));
        assert!(err.to_string().contains("missing-folder"), "{err}");
    }

    #[test]
    fn read_only_sees_a_running_writers_commits_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let writer = Store::open(&path).unwrap();
        writer
            .conn()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (7);")
            .unwrap();
        let reader = Store::open_read_only(&path).unwrap();
        let x: i64 = reader
            .conn()
            .query_row("SELECT x FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(x, 7);
        let write = reader.conn().execute("INSERT INTO t VALUES (8)", []);
        assert!(write.is_err(), "a read-only store cannot write");
        drop((writer, reader));
        // After the writer closed (no -wal, no -shm), a reader still opens it.
        let reader = Store::open_read_only(&path).unwrap();
        let n: i64 = reader
            .conn()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn read_only_refuses_an_older_schema_with_the_way_to_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 1)
            .unwrap();
        let err = Store::open_read_only(&path).unwrap_err();
        assert!(
            matches!(err, Error::SchemaTooOld { found: 1, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("baoluu crawl"), "{err}");
        let missing = Store::open_read_only(&dir.path().join("none.sqlite")).unwrap_err();
        assert!(
            matches!(missing, Error::Open { .. }),
            "never created: {missing:?}"
        );
        assert!(!dir.path().join("none.sqlite").exists());
    }

    /// Whether the second store of the test below had to wait for the write lock. Its busy
    /// handler is a plain `fn`, so this is a static; only that test sets it.
    static SECOND_WAITED: AtomicBool = AtomicBool::new(false);

    /// The busy timeout's wait (retry every millisecond up to [`BUSY_TIMEOUT`]) that also says
    /// it waited.
    fn observed_wait(tries: i32) -> bool {
        SECOND_WAITED.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1));
        Duration::from_millis(u64::try_from(tries).unwrap_or(0)) < BUSY_TIMEOUT
    }

    /// The "database is locked" at a crawl's start (tests/crash.rs with segments): a store
    /// transaction reads, another connection (the uploader) commits a write, and the
    /// transaction then writes. Deferred, its write fails at once with SQLITE_BUSY: the
    /// read-to-write upgrade of a stale WAL snapshot never calls the busy handler. From
    /// [`write_transaction`] (`BEGIN IMMEDIATE`) the other writer waits for the commit instead,
    /// and both writes land. Two stores on one file; the second's busy timeout is replaced by
    /// [`observed_wait`], the same wait made visible, so that the test knows the other write
    /// either committed or is waiting before the transaction writes, without timing anything.
    #[test]
    fn a_store_transaction_that_read_first_still_writes_beside_another_writer() {
        let (dir, first) = testing::store();
        let second = Store::open(&dir.path().join("state.sqlite")).unwrap();
        second.conn().busy_handler(Some(observed_wait)).unwrap();
        let mut conn = first.conn();
        let tx = write_transaction(&mut conn).unwrap();
        let count = |tx: &Connection| -> i64 {
            tx.query_row("SELECT count(*) FROM robots", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(count(&tx), 0);
        std::thread::scope(|scope| {
            let other = scope.spawn(|| second.robots_put("other:80", 1.0, "parsed", b""));
            while !other.is_finished() && !SECOND_WAITED.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let written = tx.execute(
                "INSERT INTO robots (authority, fetched_at, state, body) VALUES ('mine:80', 2, 'parsed', x'')",
                [],
            );
            assert!(written.is_ok(), "the transaction's write: {written:?}");
            assert_eq!(count(&tx), 1, "the other write waits for this commit");
            tx.commit().unwrap();
            other.join().unwrap().unwrap();
        });
        assert!(SECOND_WAITED.load(Ordering::SeqCst));
        drop(conn);
        assert!(second.robots_get("mine:80").unwrap().is_some());
        assert!(second.robots_get("other:80").unwrap().is_some());
    }
}
