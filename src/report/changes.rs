//! Article history in `baoluu status` (issue 15, item 7): the last run's edits, moves,
//! removals, restorations and suspect removals per portal, and the `suspect-removals` problem
//! while the store holds removals judged suspect (most of a run's revisits came back removed:
//! an outage or a redesign, confirmed or dropped by the next run). Read-only; it never writes
//! an event (the crawl does, see docs/history.md).

use super::Error;
use super::health::{Problem, code};
use crate::store::Store;
use crate::summary::PortalStats;

/// Suspect URLs shown as examples.
const EXAMPLES: u32 = 3;

/// `{"edited": n, "removed": n, "restored": n, "moved": n, "suspect": n}`.
pub(super) fn json(stats: &PortalStats) -> serde_json::Value {
    stats
        .changes()
        .iter()
        .map(|(change, n)| (change.to_string(), serde_json::Value::from(*n)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Adds `suspect-removals` while some of `portal`'s articles are suspect removals.
pub(super) fn suspect(store: &Store, name: &str, out: &mut Vec<Problem>) -> Result<(), Error> {
    let (count, examples) = store.suspects(name, EXAMPLES)?;
    if count == 0 {
        return Ok(());
    }
    out.push(Problem {
        code: code::SUSPECT_REMOVALS,
        message: format!(
            "suspect removals: {count} articles answered as removed in one run, more than half of its revisits (an outage or a redesign?); the next run revisits them to confirm or drop them"
        ),
        count: Some(count),
        examples,
        ..Problem::default()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_name_each_change_and_skip_none() {
        let stats = PortalStats {
            edited: 2,
            suspect: 12,
            ..PortalStats::default()
        };
        assert_eq!(
            stats.changes_line().as_deref(),
            Some("2 edited, 12 suspect (baoluu changes)")
        );
        assert_eq!(PortalStats::default().changes_line(), None);
        assert_eq!(json(&stats)["suspect"], 12);
        assert_eq!(json(&stats)["moved"], 0);
    }
}
