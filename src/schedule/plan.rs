//! Each portal's due time, computed once and kept until its run starts (issue 13).
//!
//! The daemon wakes often (a run ends, a reload, at most every minute) and asks the [`Planner`]
//! when each idle portal is due. Asking [`Schedule::next_after`] afresh at every wake is wrong
//! twice over: for a cron portal that never ran, "the first slot after now" moves past every
//! slot as the clock reaches it, so it never fires; and after the clock went back, "one period
//! after now" moves forward at every wake. So a due time is computed once, from what the store
//! knows of the portal's last run, and kept until the run starts. It is computed again only
//! when that cannot be right any more: the portal's schedule changed (SIGHUP), or the clock
//! went back (a `now` earlier than the previous one), when every kept time is recomputed with
//! the recorded ends counted as `now`.
//!
//! A restart starts from an empty plan: the due time of a portal that ran comes from the end
//! recorded in the store, so it is the same as before the restart. A cron portal that never
//! ran gets the first slot after the new start: a first slot missed while the daemon was
//! stopped is not caught up (as systemd's `Persistent=true` with no previous run).
//!
//! Pure bookkeeping: `now` and the last run are passed in; it never reads the clock or the store.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{LastRun, Schedule};

/// The kept due times of the daemon's idle portals.
#[derive(Debug, Default)]
pub struct Planner {
    planned: HashMap<String, Planned>,
    /// The `now` of the latest call: an earlier `now` later on means the clock went back.
    latest: Option<DateTime<Utc>>,
}

#[derive(Debug)]
struct Planned {
    schedule: Schedule,
    due: DateTime<Utc>,
}

impl Planner {
    pub fn new() -> Planner {
        Planner::default()
    }

    /// When `name` is due: the kept time, or one computed from `last` at `now` when none is kept
    /// (first call, after its run started, after its schedule changed or the clock went back).
    /// Due when the answer is not after `now`.
    pub fn due(
        &mut self,
        name: &str,
        schedule: &Schedule,
        last: &LastRun,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if self.latest.is_some_and(|latest| now < latest) {
            tracing::warn!(
                planned = self.planned.len(),
                "clock_went_back: due times computed again"
            );
            self.planned.clear();
        }
        self.latest = Some(now);
        if let Some(kept) = self.planned.get(name).filter(|p| p.schedule == *schedule) {
            return kept.due;
        }
        let due = first_due(schedule, last, now);
        let schedule = schedule.clone();
        self.planned
            .insert(name.to_string(), Planned { schedule, due });
        due
    }

    /// Forgets the portals `keep` says no to (removed by a reload): one re-added later is
    /// planned afresh.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.planned.retain(|name, _| keep(name));
    }

    /// `name`'s run started: its next due time is computed from the store once the run ended.
    pub fn started(&mut self, name: &str) {
        self.planned.remove(name);
    }
}

/// A due time from the store's record alone. A run that started and never completed (killed
/// or interrupted mid-run) is resumed at once: its slot already came. Otherwise
/// [`Schedule::next_after`] of the last completed end.
pub fn first_due(schedule: &Schedule, last: &LastRun, now: DateTime<Utc>) -> DateTime<Utc> {
    if last.end.is_none() && last.start.is_some() {
        return now;
    }
    schedule.next_after(last.end, now)
}
