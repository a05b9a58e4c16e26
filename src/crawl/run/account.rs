//! Run accounting for issue 14: what the run learned about how well a portal's profile finds
//! its articles — listing pages and the article links they held, sitemap and feed entries (kept
//! in the store for coverage), articles no pattern matched, and the URL shapes their content
//! confirmed (three make a shape learned). Counts and records only; queueing is `links`'.

use super::Run;
use crate::crawl::explore::{self, LEARN_AFTER};
use crate::crawl::task::{Found, PortalRun};
use crate::crawl::{Error, Summary};
use crate::store::{Candidate, Kind};

/// Example URLs of missed articles kept per portal and run (the report stays small).
const MAX_EXAMPLES: usize = 5;
/// Distinct shapes of missed articles kept per portal and run.
const MAX_SHAPES: usize = 20;

impl Run {
    /// Counts what one fetched page or source yielded (`archived`: the page itself was).
    pub(super) fn account(
        &self,
        portal: &PortalRun,
        candidate: &Candidate,
        (found, listed_by, archived): (&[Found], Option<&'static str>, bool),
        summary: &mut Summary,
    ) -> Result<(), Error> {
        let stats = summary.portals.entry(candidate.portal.clone()).or_default();
        let articles: Vec<&str> = found
            .iter()
            .filter(|f| matches!(f.kind, Kind::Article | Kind::Probable))
            .map(|f| f.url.as_str())
            .collect();
        match (candidate.kind, listed_by) {
            (Kind::Seed | Kind::Listing, _) if archived => {
                stats.listing_pages += 1;
                stats.listing_article_links += articles.len() as u64;
            }
            (Kind::Feed, Some(source)) => {
                let count = articles.len() as u64;
                match source {
                    "sitemap" => stats.sitemap_entries += count,
                    _ => stats.feed_entries += count,
                }
                self.store
                    .record_listed(&portal.portal.name, self.run_id, &articles)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// An indexed article that matched no `article_urls`: counted with an example and its
    /// shape; when exploration found it, its shape gets one more confirmation.
    pub(super) fn missed(
        &self,
        candidate: &Candidate,
        url: &url::Url,
        summary: &mut Summary,
    ) -> Result<(), Error> {
        let stats = summary.portals.entry(candidate.portal.clone()).or_default();
        stats.pattern_miss += 1;
        if stats.miss_examples.len() < MAX_EXAMPLES {
            stats.miss_examples.push(url.to_string());
        }
        let Some(shape) = explore::shape(url) else {
            return Ok(());
        };
        if stats.miss_shapes.len() < MAX_SHAPES {
            stats.miss_shapes.insert(shape.clone());
        }
        let Some(portal) = self.portals.get(&candidate.portal) else {
            return Ok(());
        };
        if candidate.kind != Kind::Probable || portal.explore.is_learned(url) {
            return Ok(());
        }
        let key = (portal.portal.name.as_str(), portal.explore.profile.as_str());
        if self.store.confirm_shape(key, &shape, LEARN_AFTER)? {
            tracing::info!(portal = %portal.portal.name, shape = %shape, "article_shape_learned");
            portal.explore.learn(shape);
        }
        Ok(())
    }

    /// Coverage at the end of the run: what the sitemaps and feeds listed against what the
    /// archive holds.
    pub(super) fn coverage(&self, summary: &mut Summary) -> Result<(), Error> {
        for name in self.portals.keys() {
            let coverage = self.store.coverage(name, self.run_id)?;
            let stats = summary.portals.entry(name.clone()).or_default();
            stats.listed = coverage.listed;
            stats.listed_archived = coverage.archived;
        }
        Ok(())
    }
}
