//! The revisit ladder (issue 15, item 1): when an archived article is due to be fetched again.
//!
//! Ages are counted from the article's *first capture*, not its publication date, so a 2019
//! article archived by a backfill today is revisited like a new one rather than all at once.
//! After a revisit, the next rung is the first one still ahead: a run that missed rungs (the
//! daemon was down) revisits once, not once per rung. `revisit_after` is the simple form: due
//! again when the last fetch is older than it. Times are unix seconds.

use std::time::Duration;

/// How a portal schedules revisits.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// `revisit_after`: due this long after the last fetch.
    After(Duration),
    /// `revisit`: due at these ages since the first capture (empty: never).
    Ladder(Vec<Duration>),
}

impl Plan {
    pub fn of(portal: &crate::config::Portal) -> Plan {
        match portal.revisit_after {
            Some(after) => Plan::After(after),
            None => Plan::Ladder(portal.revisit.clone()),
        }
    }

    /// When an article first captured at `first` and fetched at `now` is next due, if ever.
    pub fn next(&self, first: f64, now: f64) -> Option<f64> {
        match self {
            Plan::After(after) => Some(now + after.as_secs_f64()),
            Plan::Ladder(rungs) => rungs
                .iter()
                .map(|r| first + r.as_secs_f64())
                .find(|due| *due > now),
        }
    }
}

/// Revisit requests per run for a portal whose archive reaches `articles` after `days` of
/// steady publishing (one run per `run_every`, each capped at `budget`), measured over the
/// runs after the first 31 days (past the default ladder's last rung: the steady state): the
/// benchmark figure of BENCHMARKS.md, computed from the ladder over synthetic rows.
pub fn steady_cost(plan: &Plan, articles: u64, days: u64, run_every: f64, budget: u64) -> Cost {
    let span = days as f64 * 86_400.0;
    let mut due: Vec<f64> = (0..articles)
        .filter_map(|i| {
            let first = span * i as f64 / articles as f64;
            plan.next(first, first)
        })
        .collect();
    let mut per_run = Vec::new();
    let mut t = 0.0;
    while t < span {
        t += run_every;
        let mut taken = 0u64;
        for (i, d) in due.iter_mut().enumerate() {
            if *d <= t && taken < budget && *d > 0.0 {
                taken += 1;
                let first = span * i as f64 / articles as f64;
                *d = plan.next(first, t).unwrap_or(-1.0);
            }
        }
        if t > 31.0 * 86_400.0 {
            per_run.push(taken);
        }
    }
    let max = per_run.iter().copied().max().unwrap_or(0);
    let mean = per_run.iter().sum::<u64>() as f64 / per_run.len().max(1) as f64;
    Cost { mean, max }
}

/// Revisit requests per run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cost {
    pub mean: f64,
    pub max: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: f64 = 86_400.0;

    fn ladder(days: &[u64]) -> Plan {
        Plan::Ladder(
            days.iter()
                .map(|d| Duration::from_secs(d * 86_400))
                .collect(),
        )
    }

    #[test]
    fn rungs_count_from_the_first_capture_and_missed_rungs_are_skipped() {
        let plan = ladder(&[1, 7, 30]);
        assert_eq!(plan.next(0.0, 0.0), Some(DAY));
        assert_eq!(plan.next(0.0, DAY), Some(7.0 * DAY));
        // Down for two weeks: the next revisit is the 30-day one, once.
        assert_eq!(plan.next(0.0, 15.0 * DAY), Some(30.0 * DAY));
        assert_eq!(plan.next(0.0, 30.0 * DAY), None);
        assert_eq!(Plan::Ladder(Vec::new()).next(0.0, 0.0), None);
    }

    /// BENCHMARKS.md "Revisit cost": 10,000 articles archived evenly over a year, a run every
    /// 2 h (the default schedule), the default ladder and budget.
    #[test]
    fn the_default_ladder_costs_three_requests_per_article_spread_over_runs() {
        let cost = steady_cost(&ladder(&[1, 7, 30]), 10_000, 365, 7_200.0, 200);
        println!("default ladder, 10k articles: {cost:?} revisits per run");
        // 27.4 new articles a day × 3 rungs / 12 runs a day.
        assert!((cost.mean - 6.85).abs() < 0.5, "{cost:?}");
        assert!(cost.max <= 12, "{cost:?}");
        // `revisit_after = \"0s\"` would revisit everything each run, up to the budget.
        let all = steady_cost(&Plan::After(Duration::ZERO), 10_000, 365, 7_200.0, 200);
        assert_eq!(all.max, 200, "{all:?}");
    }

    #[test]
    fn revisit_after_counts_from_the_last_fetch() {
        let plan = Plan::After(Duration::ZERO);
        assert_eq!(plan.next(0.0, 5.0), Some(5.0));
    }
}
