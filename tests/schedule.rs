//! The daemon's scheduling decision under a clock the test drives (issue 13, item 5): the
//! [`Planner`] the run loop asks at every wake, fed from a real SQLite store in a temp
//! directory, as the daemon feeds it. Fresh portals, clocks that step forward and back, runs
//! longer than their period, and restarts (a new planner over the same database).

use baoluu::schedule::{Planner, Schedule};
use baoluu::store::Store;
use chrono::{DateTime, Duration, Utc};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// A portal under the daemon's bookkeeping: the store records runs, the planner decides.
struct Portal {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    store: Store,
    planner: Planner,
    schedule: Schedule,
}

impl Portal {
    fn new(schedule: &str) -> Portal {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        Portal {
            store: Store::open(&path).unwrap(),
            path,
            _dir: dir,
            planner: Planner::new(),
            schedule: Schedule::parse(schedule).unwrap(),
        }
    }

    /// What the run loop asks at a wake at `now`.
    fn due(&mut self, now: DateTime<Utc>) -> DateTime<Utc> {
        let last = self.store.last_run("p").unwrap();
        self.planner.due("p", &self.schedule, &last, now)
    }

    fn is_due(&mut self, now: DateTime<Utc>) -> bool {
        self.due(now) <= now
    }

    /// A run from `start` to `end`, recorded as the daemon records it.
    fn run(&mut self, start: DateTime<Utc>, end: DateTime<Utc>) {
        self.store.run_started("p", start).unwrap();
        self.planner.started("p");
        self.store.run_ended("p", end, "completed").unwrap();
    }

    /// The daemon stops and starts again: same database, nothing kept in memory.
    fn restart(&mut self) {
        self.store = Store::open(&self.path).unwrap();
        self.planner = Planner::new();
    }
}

/// Wakes every `step` from `from` until the portal is due; the first due wake.
fn first_due_wake(
    p: &mut Portal,
    from: DateTime<Utc>,
    step: Duration,
    limit: usize,
) -> DateTime<Utc> {
    let mut now = from;
    for _ in 0..limit {
        if p.is_due(now) {
            return now;
        }
        now += step;
    }
    panic!("not due within {limit} wakes of {step} from {from}");
}

#[test]
fn a_fresh_every_portal_runs_at_once() {
    let mut p = Portal::new("every 2h");
    let now = utc("2025-03-01T03:20:00Z");
    assert!(p.is_due(now));
}

#[test]
fn a_fresh_cron_portal_runs_at_the_first_slot_after_start_however_often_it_wakes() {
    // Daemon started 10:20:10 +07:00; hourly: the first run is 11:00. Waking every 7 s (the
    // daemon wakes at least once a minute) must not move that slot.
    let mut p = Portal::new("0 * * * *");
    let start = utc("2025-03-01T03:20:10Z");
    assert_eq!(p.due(start), utc("2025-03-01T04:00:00Z"));
    let ran = first_due_wake(&mut p, start, Duration::seconds(7), 1000);
    assert!(ran >= utc("2025-03-01T04:00:00Z"), "early: {ran}");
    assert!(ran < utc("2025-03-01T04:00:07Z"), "late: {ran}");
    // Every second, as the end-to-end test in tests/daemon.rs uses it.
    let mut p = Portal::new("* * * * * *");
    let start = utc("2025-03-01T03:20:10.300Z");
    let ran = first_due_wake(&mut p, start, Duration::milliseconds(100), 100);
    assert_eq!(ran, utc("2025-03-01T03:20:11.000Z"));
}

#[test]
fn every_after_the_clock_stepped_back_fires_one_period_after_the_step() {
    let mut p = Portal::new("every 2h");
    // The last run "ended" in 2030 by a clock that was wrong; it is 2025 again.
    p.run(utc("2030-01-01T00:00:00Z"), utc("2030-01-01T00:10:00Z"));
    let step = utc("2025-03-01T10:00:00Z");
    let ran = first_due_wake(&mut p, step, Duration::minutes(1), 1000);
    assert_eq!(ran, step + Duration::hours(2));
}

#[test]
fn a_kept_due_time_is_computed_again_when_the_clock_steps_back_while_waiting() {
    let mut p = Portal::new("every 2h");
    p.run(utc("2025-03-01T09:00:00Z"), utc("2025-03-01T10:00:00Z"));
    assert_eq!(
        p.due(utc("2025-03-01T10:30:00Z")),
        utc("2025-03-01T12:00:00Z")
    );
    // The clock steps back a year while the daemon waits: the run end now lies in the future.
    let step = utc("2024-03-01T10:31:00Z");
    let ran = first_due_wake(&mut p, step, Duration::minutes(1), 1000);
    assert_eq!(ran, step + Duration::hours(2));
    // Cron: its next slot after the step, not the slot after the future end.
    let mut p = Portal::new("0 * * * *");
    p.run(utc("2025-03-01T09:00:00Z"), utc("2025-03-01T09:10:00Z"));
    assert_eq!(
        p.due(utc("2025-03-01T09:30:00Z")),
        utc("2025-03-01T10:00:00Z")
    );
    let step = utc("2024-03-01T09:31:00Z");
    let ran = first_due_wake(&mut p, step, Duration::minutes(1), 1000);
    assert_eq!(ran, utc("2024-03-01T10:00:00Z"));
}

#[test]
fn a_clock_step_forward_runs_once_not_once_per_slot() {
    let mut p = Portal::new("0 * * * *");
    p.run(utc("2025-03-01T09:00:00Z"), utc("2025-03-01T09:10:00Z"));
    assert_eq!(
        p.due(utc("2025-03-01T09:30:00Z")),
        utc("2025-03-01T10:00:00Z")
    );
    // The clock jumps a day ahead: one run now.
    let jump = utc("2025-03-02T09:31:00Z");
    assert!(p.is_due(jump));
    p.run(jump, jump + Duration::minutes(5));
    // Then the next slot after that run, not the 23 slots the jump skipped.
    assert_eq!(
        p.due(jump + Duration::minutes(5)),
        utc("2025-03-02T10:00:00Z")
    );
}

#[test]
fn a_run_longer_than_its_period_is_followed_after_its_end_without_a_burst() {
    // every 30m, a run of 70 minutes: the next run a period after its end, never during it.
    let mut p = Portal::new("every 30m");
    let start = utc("2025-03-01T10:00:00Z");
    assert!(p.is_due(start));
    let end = start + Duration::minutes(70);
    p.run(start, end);
    assert_eq!(p.due(end), end + Duration::minutes(30));
    // Cron every 15 minutes, a run of 50: the slots it overran (10:15, 10:30, 10:45) are not
    // made up; the next run is the first slot after its end.
    let mut p = Portal::new("*/15 * * * *");
    let start = utc("2025-03-01T03:00:00Z");
    let end = start + Duration::minutes(50);
    p.run(start, end);
    assert_eq!(p.due(end), utc("2025-03-01T04:00:00Z"));
    let ran = first_due_wake(&mut p, end, Duration::minutes(1), 100);
    assert_eq!(ran, utc("2025-03-01T04:00:00Z"));
}

#[test]
fn a_restart_mid_schedule_neither_runs_a_cron_portal_early_nor_skips_it() {
    let mut p = Portal::new("0 6 * * *");
    // The 06:00 +07:00 run ended 06:20; the daemon restarts at 14:00 the same day.
    p.run(utc("2025-02-28T23:00:00Z"), utc("2025-02-28T23:20:00Z"));
    p.restart();
    let restart = utc("2025-03-01T07:00:00Z");
    assert_eq!(p.due(restart), utc("2025-03-01T23:00:00Z"), "not early");
    // Stopped again before 06:00 and started at 06:30: the missed slot runs once, now.
    p.restart();
    let late = utc("2025-03-01T23:30:00Z");
    assert!(p.is_due(late), "not skipped");
    p.run(late, late + Duration::minutes(20));
    assert_eq!(
        p.due(late + Duration::minutes(20)),
        utc("2025-03-02T23:00:00Z")
    );
}

#[test]
fn a_restart_mid_schedule_neither_runs_an_every_portal_early_nor_skips_it() {
    let mut p = Portal::new("every 2h");
    p.run(utc("2025-03-01T09:00:00Z"), utc("2025-03-01T10:00:00Z"));
    p.restart();
    assert_eq!(
        p.due(utc("2025-03-01T10:30:00Z")),
        utc("2025-03-01T12:00:00Z")
    );
    p.restart();
    assert!(p.is_due(utc("2025-03-01T13:00:00Z")));
}

#[test]
fn a_first_run_that_never_completed_resumes_at_once_after_a_restart() {
    // The daemon was killed during a cron portal's first run: its slot came, so the restart
    // resumes it instead of waiting for the next slot.
    let mut p = Portal::new("0 6 * * *");
    let slot = utc("2025-02-28T23:00:00Z");
    p.store.run_started("p", slot).unwrap();
    p.restart();
    assert!(p.is_due(slot + Duration::hours(1)));
}

#[test]
fn a_changed_schedule_is_planned_afresh() {
    let mut p = Portal::new("0 6 * * *");
    let now = utc("2025-03-01T03:00:00Z");
    assert_eq!(p.due(now), utc("2025-03-01T23:00:00Z"));
    p.schedule = Schedule::parse("0 * * * *").unwrap();
    assert_eq!(p.due(now), utc("2025-03-01T04:00:00Z"));
}
