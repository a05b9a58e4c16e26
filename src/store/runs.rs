//! Runs: start a new one or resume the unfinished one for the same portals (issue 3).

use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{Doing, Error, Run, RunStatus, Store};

impl Store {
    /// Starts a run over `portals`, or resumes the unfinished run over the same set. On resume,
    /// URLs that were in flight when the process died go back to the queue: their WARC bytes
    /// may or may not have been written, and a URL is done only once the store says so (house
    /// rule 6), so fetching them again is the safe choice.
    pub fn begin_run(&self, portals: &[String]) -> Result<Run, Error> {
        let key = portal_key(portals);
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn).doing("begin a run")?;
        let run = match open_run(&tx, &key)? {
            Some(id) => resume(&tx, id)?,
            None => start(&tx, &key)?,
        };
        tx.commit().doing("commit the run start")?;
        Ok(run)
    }

    /// When the last completed run that included `portal` started: what a feed's dates are
    /// compared with to find the articles published since (issue 9).
    pub fn last_completed_start(&self, portal: &str) -> Result<Option<String>, Error> {
        self.conn()
            .prepare_cached(
                "SELECT MAX(started_at) FROM runs WHERE status = 'completed'
                 AND instr(',' || portals || ',', ',' || ?1 || ',') > 0",
            )
            .and_then(|mut stmt| stmt.query_row([portal], |row| row.get(0)))
            .doing("look up the last completed run")
    }

    /// Records how a run stands. `Completed` ends it (the next crawl starts a new run); any
    /// other status leaves it resumable.
    pub fn finish_run(&self, id: i64, status: RunStatus) -> Result<(), Error> {
        let ended = (status == RunStatus::Completed).then(now_rfc3339);
        self.conn()
            .prepare_cached("UPDATE runs SET status = ?1, ended_at = ?2 WHERE id = ?3")
            .and_then(|mut stmt| stmt.execute(params![status.as_str(), ended, id]))
            .doing("record the end of a run")?;
        Ok(())
    }
}

/// The resume key: the portal names sorted, deduplicated and comma-joined, so `--portal b
/// --portal a` resumes a run started as `--portal a --portal b`.
fn portal_key(portals: &[String]) -> String {
    let mut names: Vec<&str> = portals.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

fn open_run(tx: &Connection, key: &str) -> Result<Option<i64>, Error> {
    tx.query_row(
        "SELECT id FROM runs WHERE portals = ?1 AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
        [key],
        |row| row.get(0),
    )
    .optional()
    .doing("look for an unfinished run")
}

fn resume(tx: &Connection, id: i64) -> Result<Run, Error> {
    let requeued = tx
        .execute(
            "UPDATE urls SET state = 'queued' WHERE run_id = ?1 AND state = 'inflight'",
            [id],
        )
        .doing("put in-flight urls back in the queue")?;
    tx.execute("UPDATE runs SET status = 'running' WHERE id = ?1", [id])
        .doing("mark a run running")?;
    tracing::info!(run = id, requeued, "run_resumed");
    Ok(Run { id, resumed: true })
}

fn start(tx: &Connection, key: &str) -> Result<Run, Error> {
    tx.execute(
        "INSERT INTO runs (portals, started_at, status) VALUES (?1, ?2, 'running')",
        params![key, now_rfc3339()],
    )
    .doing("start a run")?;
    let id = tx.last_insert_rowid();
    tracing::info!(run = id, portals = key, "run_started");
    Ok(Run { id, resumed: false })
}

fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::{candidate, store};
    use crate::store::{Kind, unix_now};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn unfinished_run_is_resumed_whatever_the_portal_order() {
        let (_dir, store) = store();
        let first = store.begin_run(&names(&["b", "a"])).unwrap();
        assert!(!first.resumed);
        store.finish_run(first.id, RunStatus::Interrupted).unwrap();
        let again = store.begin_run(&names(&["a", "b", "a"])).unwrap();
        assert_eq!(
            again,
            Run {
                id: first.id,
                resumed: true
            }
        );
        let other = store.begin_run(&names(&["a"])).unwrap();
        assert!(!other.resumed && other.id != first.id);
    }

    #[test]
    fn completed_run_is_not_resumed() {
        let (_dir, store) = store();
        let first = store.begin_run(&names(&["a"])).unwrap();
        store.finish_run(first.id, RunStatus::Completed).unwrap();
        let second = store.begin_run(&names(&["a"])).unwrap();
        assert!(!second.resumed);
        assert_ne!(second.id, first.id);
    }

    #[test]
    fn resume_moves_inflight_back_to_queued() {
        let (_dir, store) = store();
        let run = store.begin_run(&names(&["cantho"])).unwrap();
        for n in 0..3 {
            let url = format!("https://a.vn/{n}-a{n}.html");
            store
                .enqueue(run.id, &candidate(&url, Kind::Article))
                .unwrap();
        }
        let (taken, _) = store
            .next_for_host(run.id, "a.vn", unix_now())
            .unwrap()
            .unwrap();
        assert_eq!(store.summary(run.id).unwrap().inflight, 1);
        drop(store); // the process is killed here: no finish_run
        let store = crate::store::Store::open(&_dir.path().join("state.sqlite")).unwrap();
        let resumed = store.begin_run(&names(&["cantho"])).unwrap();
        assert_eq!(
            resumed,
            Run {
                id: run.id,
                resumed: true
            }
        );
        let summary = store.summary(run.id).unwrap();
        assert_eq!((summary.queued, summary.inflight), (3, 0));
        let (again, _) = store
            .next_for_host(run.id, "a.vn", unix_now())
            .unwrap()
            .unwrap();
        assert_eq!(again, taken, "the interrupted URL is first again");
    }
}
