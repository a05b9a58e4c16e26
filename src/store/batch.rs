//! Write transactions, one per change or one per batch of changes (issue 17).
//!
//! Every change of the store runs in a transaction that takes the write lock at once
//! ([`write_transaction`]). The crawl's run loop lands up to 64 tasks at a time, and each task
//! makes several changes (its links queued, its history, its reach, its URL marked done). Each
//! committed on its own, they rewrote the same B-tree pages of `urls` and its indexes into the
//! WAL several times per page: about 19 WAL frames, 38 `pwrite`s and 45 `fcntl` lock calls per
//! page, 17% of a crawl's CPU in the store. [`Store::batch`] holds one transaction open while
//! the loop applies a batch; inside it, each change is a savepoint, so a change that fails
//! still undoes only itself. The commit order of docs/architecture.md rule 6 does not change:
//! the batch holds only tasks whose WARC records and index lines are already durable, and its
//! state becomes durable at once, at the commit. This module never decides what to write.

use std::ops::Deref;

use rusqlite::{Connection, Savepoint, Transaction, TransactionBehavior};

use super::{Doing, Error, Store};

/// One change's transaction: its own, or a savepoint of the batch that is open.
pub(super) enum Write<'c> {
    Own(Transaction<'c>),
    InBatch(Savepoint<'c>),
}

impl Deref for Write<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Write::Own(tx) => tx,
            Write::InBatch(sp) => sp,
        }
    }
}

impl Write<'_> {
    /// Commits the change: at once when it has its own transaction, with its batch otherwise.
    pub(super) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Write::Own(tx) => tx.commit(),
            Write::InBatch(sp) => sp.commit(),
        }
    }
}

/// A write transaction that takes the write lock at once (`BEGIN IMMEDIATE`), or a savepoint
/// when a batch is open. The uploader's connection writes beside the crawl's (issue 18): a
/// deferred transaction that read first cannot take the lock once the other connection has
/// committed since (SQLite answers `SQLITE_BUSY` at once, the busy timeout does not apply),
/// which failed a crawl's start with "database is locked" (tests/crash.rs, segments). An
/// immediate one waits under the timeout.
pub(super) fn write_transaction(conn: &mut Connection) -> rusqlite::Result<Write<'_>> {
    if conn.is_autocommit() {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map(Write::Own)
    } else {
        conn.savepoint().map(Write::InBatch)
    }
}

/// An open batch: ended once by [`Open::end`], and ended when dropped if it was not, so a
/// panic in the middle cannot leave the connection inside a transaction that never ends.
struct Open<'s> {
    store: &'s Store,
}

impl Open<'_> {
    /// Commits the batch if it is still open (a second call finds nothing to do).
    fn end(&mut self) -> Result<(), Error> {
        let conn = self.store.conn();
        if conn.is_autocommit() {
            return Ok(());
        }
        conn.execute_batch("COMMIT").doing("commit a batch")
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        let _ = self.end();
    }
}

impl Store {
    /// Runs `apply` with every change of this store inside one transaction, committed after
    /// it (see the module's comment). What `apply` changed before it failed is committed too,
    /// as it was when each change committed on its own; the failed change undid its savepoint.
    /// Other threads' statements meanwhile join the batch: their reads see its changes, as
    /// they would see them committed. Within an open batch, `apply` simply runs.
    pub fn batch<R, E: From<Error>>(&self, apply: impl FnOnce() -> Result<R, E>) -> Result<R, E> {
        {
            let conn = self.conn();
            if !conn.is_autocommit() {
                drop(conn);
                return apply();
            }
            conn.execute_batch("BEGIN IMMEDIATE")
                .doing("begin a batch")?;
        }
        let mut open = Open { store: self };
        let applied = apply();
        let committed = open.end();
        let applied = applied?;
        committed?;
        Ok(applied)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing;

    /// A batch's changes are invisible to another connection until the batch ends, and then
    /// all there; a change that failed inside it undid only itself.
    #[test]
    fn a_batch_commits_its_changes_together_and_a_failed_one_alone_is_undone() {
        let (dir, store) = testing::store();
        let other = crate::store::Store::open(&dir.path().join("state.sqlite")).unwrap();
        let result: Result<(), crate::store::Error> = store.batch(|| {
            store.robots_put("a:80", 1.0, "parsed", b"")?;
            store.robots_put("b:80", 1.0, "parsed", b"")?;
            assert!(other.robots_get("a:80").unwrap().is_none(), "not before the commit");
            assert!(store.robots_get("a:80").unwrap().is_some(), "seen inside the batch");
            // A failing change: its savepoint rolls back, the batch goes on.
            let failed = {
                let mut conn = store.conn();
                let sp = super::write_transaction(&mut conn).unwrap();
                sp.execute(
                    "INSERT INTO robots (authority, fetched_at, state, body) VALUES ('c:80', 2, 'parsed', x'')",
                    [],
                )
                    .and_then(|_| sp.execute("INSERT INTO no_such_table VALUES (1)", []))
            };
            assert!(failed.is_err());
            Ok(())
        });
        result.unwrap();
        assert!(other.robots_get("a:80").unwrap().is_some());
        assert!(other.robots_get("b:80").unwrap().is_some());
        assert!(
            other.robots_get("c:80").unwrap().is_none(),
            "the failed change"
        );
        assert!(store.conn().is_autocommit(), "no transaction left open");
    }

    /// What was applied before a failure is committed, and the error comes back.
    #[test]
    fn a_failed_batch_keeps_what_it_applied_before_the_failure() {
        let (dir, store) = testing::store();
        let result: Result<(), crate::store::Error> = store.batch(|| {
            store.robots_put("a:80", 1.0, "parsed", b"")?;
            Err(crate::store::Error::Sqlite {
                doing: "fail on purpose",
                source: rusqlite::Error::InvalidQuery,
            })
        });
        assert!(result.is_err());
        let other = crate::store::Store::open(&dir.path().join("state.sqlite")).unwrap();
        assert!(other.robots_get("a:80").unwrap().is_some());
        assert!(store.conn().is_autocommit());
    }
}
