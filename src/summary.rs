//! What a crawl run did: the [`Summary`] the run loop keeps and [`PortalStats`] per portal.
//!
//! Shared result types (docs/architecture.md, module map): `crawl` fills them in as URLs
//! finish, and `report` turns the final summary into run reports, the status page and metrics,
//! so neither depends on the other for them (issue 16). This module only holds and prints
//! counts; it never crawls, writes files or reads the store.

use std::fmt;
use std::time::Duration;

/// What a run did, printed at its end.
#[derive(Debug, Default)]
pub struct Summary {
    pub run: i64,
    pub resumed: bool,
    /// True when a signal stopped the run before the frontier was empty (exit 75).
    pub interrupted: bool,
    /// Why the run stopped early on its own (the disk guard), if it did.
    pub stopped_by: Option<String>,
    pub fetched: u64,
    pub archived: u64,
    /// Articles that got an index line.
    pub indexed: u64,
    pub bytes: u64,
    /// Final outcomes that were not an archived page, by reason ([`crate::outcome::Label::as_str`],
    /// the spelling of `runs/*.json` and the metrics labels).
    pub failed: std::collections::BTreeMap<String, u64>,
    /// 429/503 answers that made a host back off, by host.
    pub backoffs: std::collections::BTreeMap<String, u64>,
    /// URLs queued right now.
    pub queued: u64,
    /// Per portal: the signals of a redesign or a move (issue 9, portal health).
    pub portals: std::collections::BTreeMap<String, PortalStats>,
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.interrupted {
            "interrupted (resumable)"
        } else {
            "finished"
        };
        let resumed = if self.resumed { ", resumed" } else { "" };
        if let Some(reason) = &self.stopped_by {
            writeln!(f, "stopped early: {reason}")?;
        }
        write!(
            f,
            "run {} {state}{resumed}: {} fetched, {} archived, {} articles indexed, {} bytes in {:.1}s",
            self.run,
            self.fetched,
            self.archived,
            self.indexed,
            self.bytes,
            self.elapsed.as_secs_f64()
        )?;
        for (reason, count) in &self.failed {
            write!(f, "\n  {reason}: {count}")?;
        }
        for (portal, stats) in &self.portals {
            if let Some(changes) = stats.changes_line() {
                write!(f, "\n  {portal}: {changes}")?;
            }
        }
        Ok(())
    }
}

/// What one run saw of one portal that tells whether its profile still fits.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortalStats {
    /// Articles that got an index line.
    pub indexed: u64,
    /// Of those, articles whose body came from the generic extractor: the portal's selectors
    /// (its own or its family's) did not match.
    pub generic: u64,
    /// Hosts outside the portal that its pages redirected to, with counts.
    pub moved_to: std::collections::BTreeMap<String, u64>,
    /// Indexed articles that matched none of `article_urls` (issue 14: found through a
    /// sitemap, a feed or by their content), a few of their URLs, and their URL shapes
    /// (see `crawl::shape`), from which `status` suggests a pattern.
    #[serde(default)]
    pub pattern_miss: u64,
    #[serde(default)]
    pub miss_examples: Vec<String>,
    #[serde(default)]
    pub miss_shapes: std::collections::BTreeSet<String>,
    /// Seed and listing pages read, and the article links (pattern or probable) they held: a
    /// portal whose listings hold none renders them with JavaScript, or changed its URLs.
    #[serde(default)]
    pub listing_pages: u64,
    #[serde(default)]
    pub listing_article_links: u64,
    /// Article candidates read from sitemaps and from RSS/Atom feeds (with repeats).
    #[serde(default)]
    pub sitemap_entries: u64,
    #[serde(default)]
    pub feed_entries: u64,
    /// Coverage: distinct article candidates this run's sitemaps and feeds listed, and how many
    /// of them the archive holds.
    #[serde(default)]
    pub listed: u64,
    #[serde(default)]
    pub listed_archived: u64,
    /// Article changes found by revisits (issue 15).
    #[serde(default)]
    pub edited: u64,
    #[serde(default)]
    pub removed: u64,
    #[serde(default)]
    pub restored: u64,
    #[serde(default)]
    pub moved: u64,
    /// Removals judged suspect: most of the run's revisits came back removed (issue 15).
    #[serde(default)]
    pub suspect: u64,
}

impl PortalStats {
    /// Counts the change events of one fetch.
    pub fn count_changes(&mut self, changes: &[crate::history::Change]) {
        use crate::history::Change;
        for change in changes {
            match change {
                Change::Edited => self.edited += 1,
                Change::Removed => self.removed += 1,
                Change::Suspect => self.suspect += 1,
                Change::Restored => self.restored += 1,
                Change::Moved => self.moved += 1,
            }
        }
    }

    /// "2 edited, 1 removed (baoluu changes)", or None when the run recorded no change: the
    /// run summary's and `status`'s line.
    pub fn changes_line(&self) -> Option<String> {
        let counts: Vec<String> = self
            .changes()
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(change, n)| format!("{n} {change}"))
            .collect();
        (!counts.is_empty()).then(|| format!("{} (baoluu changes)", counts.join(", ")))
    }

    /// The change counts by label, for reports and metrics.
    pub fn changes(&self) -> [(&'static str, u64); 5] {
        [
            ("edited", self.edited),
            ("removed", self.removed),
            ("restored", self.restored),
            ("moved", self.moved),
            ("suspect", self.suspect),
        ]
    }
}
