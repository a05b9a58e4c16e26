//! The upload queue (issue 18): one row per closed archive file that belongs in the bucket,
//! `pending` until its object is verified, then `done` with the size and SHA-256 the bucket
//! was checked against.
//!
//! Written by the uploader (the storage module) only; read by `status` and `verify --remote`. A row becomes
//! `done` only after the verification (docs/storage.md), and a local file is deleted only when
//! its row is `done` — so a `kill -9` mid-upload leaves a `pending` row that the next start
//! uploads again. This module never touches the network or the files.

use rusqlite::params;

use super::{Doing, Error, Store};

/// The migration adding the queue (issue 18). Kept apart from the other migrations so that a
/// concurrent one merges as a reordering of [`super::schema`]'s list.
pub(super) const UPLOADS: &str = "
CREATE TABLE uploads (
    path       TEXT PRIMARY KEY,  -- relative to archive_dir, '/'-separated: also the object key
    kind       TEXT NOT NULL,     -- warc | cdxj | run | index | changes (segments)
    state      TEXT NOT NULL,     -- pending | done
    size       INTEGER,           -- done: bytes verified in the bucket
    sha256     TEXT,              -- done: hex digest of those bytes, computed locally
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    REAL NOT NULL DEFAULT 0,   -- unix seconds: not retried before (backoff)
    last_error TEXT,
    queued_at  REAL NOT NULL,
    done_at    REAL,
    deleted_at REAL               -- the local copy was removed (keep_local)
);
CREATE INDEX uploads_due ON uploads (state, next_at);
";

/// The migration recording each failure's problem code and time (issue 18 review): `status`
/// names the newest failure by when it happened, not by when it is retried, and reads its code
/// as written instead of parsing it back out of the message.
pub(super) const UPLOAD_FAILURES: &str = "
ALTER TABLE uploads ADD COLUMN last_code TEXT;   -- storage-… problem code of last_error
ALTER TABLE uploads ADD COLUMN failed_at REAL;   -- unix seconds of last_error
";

/// One queued file.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub path: String,
    pub attempts: u32,
}

/// One failed attempt, as recorded.
#[derive(Debug, Clone, Copy)]
pub struct UploadFailure<'a> {
    /// The `status` problem code (`storage-…`).
    pub code: &'a str,
    pub message: &'a str,
    /// When it failed, and when it may be tried again (unix seconds).
    pub at: f64,
    pub next_at: f64,
}

/// A verified object, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// The local copy was deleted after verification (keep_local).
    pub deleted: bool,
}

/// The queue at a glance, for `status`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UploadSummary {
    pub pending: u64,
    pub done: u64,
    /// Pending rows that failed at least once, and the newest failure's code and message.
    pub failing: u64,
    pub last_code: Option<String>,
    pub last_error: Option<String>,
    pub deleted: u64,
}

impl Store {
    /// Queues a closed file; one already known (pending or done) is left as it is.
    pub fn upload_enqueue(&self, path: &str, kind: &str, now: f64) -> Result<bool, Error> {
        let queued = self.upload_enqueue_all(&[(path.to_string(), kind)], now)?;
        Ok(!queued.is_empty())
    }

    /// Queues every file of `files` (`(path, kind)`) not known yet, in one transaction (a
    /// listing of thousands of closed files is one commit, not thousands); returns those
    /// queued now.
    pub fn upload_enqueue_all(
        &self,
        files: &[(String, &str)],
        now: f64,
    ) -> Result<Vec<String>, Error> {
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn).doing("begin queueing uploads")?;
        let mut queued = Vec::new();
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO uploads (path, kind, state, queued_at)
                     VALUES (?1, ?2, 'pending', ?3)",
                )
                .doing("queue an upload")?;
            for (path, kind) in files {
                if insert
                    .execute(params![path, kind, now])
                    .doing("queue an upload")?
                    > 0
                {
                    queued.push(path.clone());
                }
            }
        }
        tx.commit().doing("commit queued uploads")?;
        Ok(queued)
    }

    /// Pending uploads due at `now`, oldest first.
    pub fn uploads_due(&self, now: f64, limit: usize) -> Result<Vec<Upload>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT path, attempts FROM uploads
                 WHERE state = 'pending' AND next_at <= ?1 ORDER BY queued_at, path LIMIT ?2",
            )
            .doing("read due uploads")?;
        let rows = stmt
            .query_map(params![now, limit as i64], |r| {
                Ok(Upload {
                    path: r.get(0)?,
                    attempts: r.get(1)?,
                })
            })
            .doing("read due uploads")?;
        rows.collect::<rusqlite::Result<_>>()
            .doing("read due uploads")
    }

    /// Records a verified object: only now is the upload done (docs/storage.md).
    pub fn upload_done(&self, path: &str, size: u64, sha256: &str, now: f64) -> Result<(), Error> {
        self.conn()
            .prepare_cached(
                "UPDATE uploads SET state = 'done', size = ?2, sha256 = ?3, done_at = ?4,
                     last_error = NULL WHERE path = ?1",
            )
            .and_then(|mut s| s.execute(params![path, size as i64, sha256, now]))
            .doing("record an upload")?;
        Ok(())
    }

    /// A failed attempt: counted, its code, message and time kept, not retried before
    /// `next_at`.
    pub fn upload_failed(&self, path: &str, failure: UploadFailure) -> Result<(), Error> {
        let UploadFailure {
            code,
            message,
            at,
            next_at,
        } = failure;
        self.conn()
            .prepare_cached(
                "UPDATE uploads SET attempts = attempts + 1, last_code = ?2, last_error = ?3,
                     failed_at = ?4, next_at = ?5
                 WHERE path = ?1 AND state = 'pending'",
            )
            .and_then(|mut s| s.execute(params![path, code, message, at, next_at]))
            .doing("record a failed upload")?;
        Ok(())
    }

    /// Makes every pending upload due now (a drain after the crawl should not sleep through
    /// a backoff the server has since recovered from).
    pub fn uploads_due_now(&self) -> Result<(), Error> {
        self.conn()
            .execute("UPDATE uploads SET next_at = 0 WHERE state = 'pending'", [])
            .doing("reset upload backoff")?;
        Ok(())
    }

    /// Verified uploads of WARC files and index/changes segments (the kinds `keep_local`
    /// applies to) done before `before` whose local copy is still there.
    pub fn uploads_to_delete(&self, before: f64) -> Result<Vec<String>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT path FROM uploads WHERE state = 'done'
                   AND kind IN ('warc', 'index', 'changes')
                   AND deleted_at IS NULL AND done_at <= ?1 ORDER BY done_at, path",
            )
            .doing("read deletable uploads")?;
        let rows = stmt
            .query_map([before], |r| r.get(0))
            .doing("read deletable uploads")?;
        rows.collect::<rusqlite::Result<_>>()
            .doing("read deletable uploads")
    }

    /// The local copy of a verified upload is gone.
    pub fn upload_deleted(&self, path: &str, now: f64) -> Result<(), Error> {
        self.conn()
            .execute(
                "UPDATE uploads SET deleted_at = ?2 WHERE path = ?1 AND state = 'done'",
                params![path, now],
            )
            .doing("record a deleted local copy")?;
        Ok(())
    }

    /// Every verified object (for `verify --remote` and `wacz --from-storage`).
    pub fn uploaded(&self) -> Result<Vec<Uploaded>, Error> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT path, size, sha256, deleted_at IS NOT NULL FROM uploads
                 WHERE state = 'done' ORDER BY path",
            )
            .doing("read uploads")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Uploaded {
                    path: r.get(0)?,
                    size: r.get::<_, i64>(1)? as u64,
                    sha256: r.get(2)?,
                    deleted: r.get(3)?,
                })
            })
            .doing("read uploads")?;
        rows.collect::<rusqlite::Result<_>>().doing("read uploads")
    }

    /// Counts for `status`.
    pub fn upload_summary(&self) -> Result<UploadSummary, Error> {
        let conn = self.conn();
        let counts = conn
            .query_row(
                "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'done'), 0),
                        COALESCE(SUM(state = 'pending' AND attempts > 0), 0),
                        COALESCE(SUM(deleted_at IS NOT NULL), 0)
                 FROM uploads",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .doing("count uploads")?;
        let (last_code, last_error) = conn
            .query_row(
                "SELECT last_code, last_error FROM uploads
                 WHERE state = 'pending' AND last_error IS NOT NULL
                 ORDER BY failed_at DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap_or((None, None));
        let (pending, done, failing, deleted): (i64, i64, i64, i64) = counts;
        Ok(UploadSummary {
            pending: pending as u64,
            done: done as u64,
            failing: failing as u64,
            last_code,
            last_error,
            deleted: deleted as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::store;

    #[test]
    fn a_row_is_done_only_when_recorded_and_deletable_only_then() {
        let (_dir, store) = store();
        assert!(store.upload_enqueue("warc/a.warc.gz", "warc", 1.0).unwrap());
        assert!(!store.upload_enqueue("warc/a.warc.gz", "warc", 2.0).unwrap());
        assert_eq!(store.uploads_due(5.0, 10).unwrap().len(), 1);
        let refused = super::UploadFailure {
            code: "storage-credentials-refused",
            message: "refused",
            at: 4.0,
            next_at: 100.0,
        };
        store.upload_failed("warc/a.warc.gz", refused).unwrap();
        assert!(store.uploads_due(5.0, 10).unwrap().is_empty(), "backoff");
        assert!(
            store.uploads_to_delete(1e12).unwrap().is_empty(),
            "pending: kept"
        );
        let summary = store.upload_summary().unwrap();
        assert_eq!((summary.pending, summary.failing), (1, 1));
        assert_eq!(summary.last_error.as_deref(), Some("refused"));
        assert_eq!(
            summary.last_code.as_deref(),
            Some("storage-credentials-refused")
        );
        store
            .upload_done("warc/a.warc.gz", 10, "ab", 200.0)
            .unwrap();
        assert!(store.uploads_to_delete(199.0).unwrap().is_empty());
        assert_eq!(store.uploads_to_delete(200.0).unwrap(), ["warc/a.warc.gz"]);
        store.upload_deleted("warc/a.warc.gz", 201.0).unwrap();
        assert!(store.uploads_to_delete(1e12).unwrap().is_empty());
        assert!(store.uploaded().unwrap()[0].deleted);
        for (path, kind) in [
            ("index/cdxj/a.warc.gz.cdxj", "cdxj"),
            ("index/segments/p/p-1.jsonl", "index"),
            ("changes/segments/p/p-1.jsonl", "changes"),
        ] {
            store.upload_enqueue(path, kind, 300.0).unwrap();
            store.upload_done(path, 1, "cd", 300.0).unwrap();
        }
        assert_eq!(
            store.uploads_to_delete(1e12).unwrap(),
            ["changes/segments/p/p-1.jsonl", "index/segments/p/p-1.jsonl"],
            "segments go like WARCs; CDXJ stays"
        );
    }
}
