//! Suspect removals (issue 15, item 4): when most of a run's revisits of a portal come back
//! removed, the portal is more likely down or redesigned than emptied. A removal seen by a
//! revisit is therefore *held* (kept in the store with its event, not yet written) until the
//! portal's run ends; then [`is_suspect`] judges the run as a whole and every held event is
//! written as `suspect` or `removed`. The next run revisits the suspect articles first: still
//! gone confirms a `removed` event, back drops the suspicion without an event. This module
//! only defines the rule and the held record; the crawl (`crawl/revise.rs`) writes them.

use serde::{Deserialize, Serialize};

use super::Event;

/// Fewest removals in one run that can make it suspect: a small portal losing a few articles
/// at once is ordinary.
pub const MIN_SUSPECT: u64 = 10;

/// True when `removed` of a run's `revisits` of a portal are too many to be takedowns: more
/// than half of them, and at least [`MIN_SUSPECT`].
pub fn is_suspect(removed: u64, revisits: u64) -> bool {
    removed >= MIN_SUSPECT && removed * 2 > revisits
}

/// A removal held until the run's end: its event (change `removed` until judged) and what
/// its WARC `metadata` record refers to (the response that proves it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub event: Event,
    /// `<urn:uuid:…>` of the proving response record (`WARC-Refers-To`).
    pub record_id: String,
    /// Its WARC-Date, RFC 3339 UTC.
    pub date: String,
}

impl Held {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Option<Held> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_revisits_removed_and_at_least_ten_is_suspect() {
        assert!(is_suspect(12, 12));
        assert!(is_suspect(10, 19));
        assert!(!is_suspect(10, 20), "half is not more than half");
        assert!(!is_suspect(9, 9), "too few to judge");
        assert!(!is_suspect(2, 6));
    }
}
