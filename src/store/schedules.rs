//! When each portal last ran, for `baoluu daemon` (issue 5): the next run is computed from the
//! last end, so a restart neither runs a portal early nor skips it.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Doing, Error, Store};

pub use crate::schedule::LastRun;

const STARTED: &str = "
    INSERT INTO schedules (portal, last_start, last_status) VALUES (?1, ?2, 'running')
    ON CONFLICT (portal) DO UPDATE SET last_start = excluded.last_start, last_status = 'running'";

const ENDED: &str = "
    INSERT INTO schedules (portal, last_end, last_status) VALUES (?1, ?2, ?3)
    ON CONFLICT (portal) DO UPDATE SET
        last_end = CASE WHEN ?3 = 'completed' THEN excluded.last_end ELSE last_end END,
        last_status = excluded.last_status";

impl Store {
    /// The last run of `portal`, if it ever ran under the daemon.
    pub fn last_run(&self, portal: &str) -> Result<LastRun, Error> {
        let row = self
            .conn()
            .prepare_cached(
                "SELECT last_start, last_end, last_status FROM schedules WHERE portal = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([portal], |row| {
                    Ok((
                        row.get::<_, Option<String>>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get(2)?,
                    ))
                })
                .optional()
            })
            .doing("read a portal's last run")?;
        let Some((start, end, status)) = row else {
            return Ok(LastRun::default());
        };
        Ok(LastRun {
            start: start.as_deref().and_then(parse),
            end: end.as_deref().and_then(parse),
            status,
        })
    }

    /// Records that a run of `portal` started at `at`.
    pub fn run_started(&self, portal: &str, at: DateTime<Utc>) -> Result<(), Error> {
        self.conn()
            .prepare_cached(STARTED)
            .and_then(|mut stmt| stmt.execute(params![portal, super::stamp(at)]))
            .doing("record a run start")
            .map(drop)
    }

    /// Records how a run of `portal` ended (`completed`, `interrupted`, `failed`) at `at`.
    pub fn run_ended(&self, portal: &str, at: DateTime<Utc>, status: &str) -> Result<(), Error> {
        self.conn()
            .prepare_cached(ENDED)
            .and_then(|mut stmt| stmt.execute(params![portal, super::stamp(at), status]))
            .doing("record a run end")
            .map(drop)
    }
}

fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::store;

    #[test]
    fn only_a_completed_run_moves_the_last_end() {
        let (_dir, store) = store();
        assert_eq!(store.last_run("a").unwrap(), LastRun::default());
        let t1 = DateTime::parse_from_rfc3339("2026-11-27T01:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t2 = t1 + chrono::Duration::hours(2);
        store.run_started("a", t1).unwrap();
        store
            .run_ended("a", t1 + chrono::Duration::minutes(5), "completed")
            .unwrap();
        store.run_started("a", t2).unwrap();
        store
            .run_ended("a", t2 + chrono::Duration::minutes(5), "interrupted")
            .unwrap();
        let last = store.last_run("a").unwrap();
        assert_eq!(last.start, Some(t2));
        assert_eq!(last.end, Some(t1 + chrono::Duration::minutes(5)));
        assert_eq!(last.status.as_deref(), Some("interrupted"));
    }
}
