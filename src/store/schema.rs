//! Schema and migrations, versioned with `PRAGMA user_version`.
//!
//! Each entry of [`MIGRATIONS`] moves the schema from version `i` to `i + 1` and runs in one
//! transaction with the version bump, so a crash mid-migration leaves the old version intact.
//! Later issues (revisits, schedules, retries) append entries; entries are never edited.

use std::path::Path;

use rusqlite::Connection;

use super::{Doing, Error};

/// Version 1 (issue 3): runs, urls, robots.
const V1: &str = "
-- One row per crawl run. A run without ended_at is resumable: the next `baoluu crawl` for the
-- same portal set continues it instead of starting over (issue 3).
CREATE TABLE runs (
    id         INTEGER PRIMARY KEY,
    portals    TEXT NOT NULL,   -- portal names, sorted and comma-joined: the resume key
    started_at TEXT NOT NULL,   -- RFC 3339 UTC
    ended_at   TEXT,            -- RFC 3339 UTC; NULL while the run can be resumed
    status     TEXT NOT NULL    -- running | interrupted | failed | completed
);
CREATE INDEX runs_open ON runs (portals) WHERE ended_at IS NULL;

-- One row per URL ever seen (the url is canonical, so it is the dedup key).
CREATE TABLE urls (
    id             INTEGER PRIMARY KEY,
    url            TEXT NOT NULL UNIQUE,
    portal         TEXT NOT NULL,      -- the portal whose crawl found it
    host           TEXT NOT NULL,      -- host key of the politeness queue (host or host:port)
    kind           TEXT NOT NULL,      -- seed | listing | article | robots | other
    priority       INTEGER NOT NULL,   -- lower first: robots 0, seed 1, listing 2, article 3, other 4
    state          TEXT NOT NULL,      -- queued | inflight | done | failed
    run_id         INTEGER NOT NULL REFERENCES runs (id),  -- the run that last queued it
    depth          INTEGER NOT NULL,   -- links followed from a seed
    via            TEXT,               -- the page it was discovered on
    chain_page     INTEGER NOT NULL,   -- position in its pagination chain (max_listing_pages)
    chain_stale    INTEGER NOT NULL,   -- pages in the chain without a new article (stale_listing_pages)
    attempts       INTEGER NOT NULL,   -- transient failures in this run (retries)
    not_before     REAL NOT NULL,      -- unix seconds; a retried URL waits until then
    status         INTEGER,            -- HTTP status of the last fetch, if any
    outcome        TEXT,               -- outcome label of the last fetch (archived, not-found, ...)
    reason         TEXT,               -- why it failed or was retried, for reports
    fetched_at     TEXT,               -- RFC 3339 UTC of the last fetch
    captured_at    TEXT,               -- RFC 3339 UTC (WARC-Date) of the last good capture:
    warc_file      TEXT,               -- its WARC pointer: file name,
    warc_offset    INTEGER,            --   byte offset and
    warc_length    INTEGER,            --   length of the response record's gzip member
    payload_digest TEXT,               -- sha1: digest of that payload, for revisit records
    record_id      TEXT,               -- its WARC-Record-ID, for WARC-Refers-To
    etag           TEXT,               -- validators for a conditional GET (RFC 9110 §13.1)
    last_modified  TEXT
);
-- The queue: only queued rows, so it shrinks as the crawl proceeds. Serves the next queued URL of
-- host H in run R in (priority, id) order in O(log n) and, being ordered by host within a run,
-- the hosts with work and their earliest not_before as one pass over the run's queued rows.
CREATE INDEX urls_queue ON urls (run_id, host, priority, id, not_before) WHERE state = 'queued';
-- Per-run counts for summaries, and the inflight rows to put back on resume.
CREATE INDEX urls_run ON urls (run_id, state, outcome);

-- robots.txt cache per authority (scheme://host:port), kept 24 h by the robots module.
CREATE TABLE robots (
    authority  TEXT PRIMARY KEY,
    fetched_at REAL NOT NULL,   -- unix seconds
    state      TEXT NOT NULL,   -- the robots module's label (e.g. parsed, unavailable, unreachable)
    body       BLOB NOT NULL    -- the robots.txt bytes as fetched (empty when none)
);
";

/// Migration `i` takes the schema from version `i` to `i + 1`.
/// Version 2 (issue 5): when each portal last ran under `baoluu daemon`, so a restart neither
/// runs a portal early nor skips it.
const V2: &str = "
CREATE TABLE schedules (
    portal       TEXT PRIMARY KEY,
    last_start   TEXT,            -- RFC 3339 UTC of the last run's start
    last_end     TEXT,            -- RFC 3339 UTC of the last completed run's end
    last_status  TEXT             -- completed | interrupted | failed
);
";

/// Version 3 (issue 5, part 6): second chances and backfill.
const V3: &str = "
-- Runs in which the URL failed transiently (5xx, 429, timeouts, robots.txt unreachable) after
-- its retries. Such a URL ends a run 'deferred' and is queued again by the next run of its
-- portal, until `second_chances` runs have failed; then it is 'failed' as 'given-up'.
ALTER TABLE urls ADD COLUMN failed_runs INTEGER NOT NULL DEFAULT 0;
CREATE INDEX urls_deferred ON urls (portal) WHERE state = 'deferred';

-- How far `crawl --backfill` walked each pagination chain: the deepest page number reached and
-- its URL, where the next backfill run picks the chain up.
CREATE TABLE chains (
    portal     TEXT NOT NULL,
    chain      TEXT NOT NULL,   -- the listing URL without its page number
    reached    INTEGER NOT NULL,
    edge_url   TEXT NOT NULL,
    updated_at TEXT NOT NULL,   -- RFC 3339 UTC
    PRIMARY KEY (portal, chain)
);
";

/// Version 4 (issue 14): what a run learned beyond its profile's patterns.
const V4: &str = "
-- URL shapes recognised as articles by their content. Three confirmations make a shape
-- learned: it then counts as an article pattern. Keyed by a hash of the portal's article_urls
-- and listing_urls, so editing the profile drops what was learned under the old one.
CREATE TABLE learned_shapes (
    portal     TEXT NOT NULL,
    profile    TEXT NOT NULL,    -- hash of the profile's patterns when the shape was seen
    shape      TEXT NOT NULL,    -- regex: escaped origin + generalised path (probe's shapes)
    confirmed  INTEGER NOT NULL, -- pages of this shape whose content was an article
    learned_at TEXT,             -- RFC 3339 UTC when confirmed reached the threshold
    PRIMARY KEY (portal, profile, shape)
);

-- Article candidates a portal's own sitemaps and feeds listed (coverage: listed vs archived).
CREATE TABLE listed (
    portal TEXT NOT NULL,
    url    TEXT NOT NULL,
    run_id INTEGER NOT NULL,     -- the last run whose sitemaps or feeds listed it
    PRIMARY KEY (portal, url)
);
";

/// Article history (issue 15): the revisit ladder, each article's current version and the
/// fingerprint of its extracted fields, and whether it is gone. Placed after the other
/// migrations (its number is its position in [`MIGRATIONS`]).
const HISTORY: &str = "
ALTER TABLE urls ADD COLUMN first_captured_at TEXT;   -- RFC 3339 UTC: the ladder counts from it
ALTER TABLE urls ADD COLUMN next_revisit REAL;        -- unix seconds; NULL: never again
ALTER TABLE urls ADD COLUMN revisit_run INTEGER;      -- the run that last queued it as a revisit
ALTER TABLE urls ADD COLUMN version INTEGER NOT NULL DEFAULT 0;  -- its newest index line's
ALTER TABLE urls ADD COLUMN fingerprint TEXT;         -- JSON: field -> sha1 of the normalised value
ALTER TABLE urls ADD COLUMN version_file TEXT;        -- the newest version's response record:
ALTER TABLE urls ADD COLUMN version_offset INTEGER;   --   file, offset, length and
ALTER TABLE urls ADD COLUMN version_length INTEGER;
ALTER TABLE urls ADD COLUMN version_ts TEXT;          --   its index line's ts
ALTER TABLE urls ADD COLUMN gone TEXT;                -- removed | moved | suspect; NULL: present
-- Articles archived before: version 1 (their index line), due on the default ladder's first
-- rung (a day after their capture). Their fingerprint is taken at the first revisit.
UPDATE urls SET first_captured_at = captured_at, version = 1, version_file = warc_file,
    version_offset = warc_offset, version_length = warc_length,
    version_ts = strftime('%Y-%m-%dT%H:%M:%SZ', captured_at),
    next_revisit = (julianday(captured_at) - 2440587.5) * 86400.0 + 86400.0
  WHERE kind = 'article' AND state = 'done' AND captured_at IS NOT NULL AND warc_file IS NOT NULL;
CREATE INDEX urls_revisit ON urls (portal, next_revisit) WHERE kind = 'article' AND state = 'done';
CREATE INDEX urls_revisit_run ON urls (revisit_run) WHERE revisit_run IS NOT NULL;
";

const MIGRATIONS: &[&str] = &[
    V1,
    V2,
    V3,
    V4,
    HISTORY,
    super::articles::ARTICLES,
    super::history::SUSPECT,
    super::uploads::UPLOADS,
    super::uploads::UPLOAD_FAILURES,
];

/// The schema version this build writes.
pub(super) fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Applies every migration the database has not seen yet.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), Error> {
    let found = version(conn)?;
    if found > current_version() {
        let (path, known) = (path.to_path_buf(), current_version());
        return Err(Error::SchemaTooNew { path, found, known });
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        apply(conn, sql, from as i64 + 1)?;
        tracing::info!(version = from + 1, "state_migrated");
    }
    Ok(())
}

/// For a read-only open: the schema must be exactly this build's (nothing can be migrated).
pub(super) fn check_current(conn: &Connection, path: &Path) -> Result<(), Error> {
    let (found, known) = (version(conn)?, current_version());
    let path = path.to_path_buf();
    match found.cmp(&known) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(Error::SchemaTooNew { path, found, known }),
        std::cmp::Ordering::Less => Err(Error::SchemaTooOld { path, found, known }),
    }
}

fn version(conn: &Connection) -> Result<i64, Error> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
        .doing("read the schema version")
}

fn apply(conn: &mut Connection, sql: &str, to: i64) -> Result<(), Error> {
    let tx = super::write_transaction(conn).doing("begin a migration")?;
    tx.execute_batch(sql).doing("migrate the schema")?;
    tx.pragma_update(None, "user_version", to)
        .doing("record the schema version")?;
    tx.commit().doing("commit a migration")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn reopening_keeps_version_and_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let store = Store::open(&path).unwrap();
        store
            .robots_put("https://a.vn:443", 1.0, "parsed", b"x")
            .unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(version(&store.conn()).unwrap(), current_version());
        assert!(store.robots_get("https://a.vn:443").unwrap().is_some());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, Error::SchemaTooNew { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("newer baoluu"));
    }
}
