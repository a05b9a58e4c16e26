//! What a finished page adds to the frontier: its links, under the listing-chain rules, and the
//! redirect targets archived on the way.
//!
//! A `crawl --backfill` run (issue 5, part 6) changes the rules for pagination URLs only: the
//! stale-page stop does not apply, pages an earlier backfill walked are skipped, and each chain
//! goes at most `backfill_pages` past where the last backfill stopped (never past
//! `max_listing_pages`), so a portal's history is archived over several gentle runs. Links
//! that are not pagination keep the ordinary rules, which is what still ends calendar traps.

use std::collections::HashMap;

use super::task::{self, Age, Found, PortalRun};
use crate::archive::Capture;
use crate::discover::chain_position;
use crate::frontier::Frontier;
use crate::scope::Decision;
use crate::store::{self, Candidate, Enqueued, Kind, Store};

/// Queues a page's links, one store transaction per kind. Articles go first, so the page's
/// count of new articles is known when its listing links are judged: a chain of listing pages
/// ends after `stale_listing_pages` pages without a new article and never passes
/// `max_listing_pages` (issue 3), which is what ends endless pagination and calendars.
pub(super) fn queue(
    frontier: &mut Frontier,
    portal: &PortalRun,
    parent: &Candidate,
    found: Vec<Found>,
) -> Result<(), store::Error> {
    let (requisites, found): (Vec<Found>, Vec<Found>) = found
        .into_iter()
        .partition(|f| matches!(f.kind, Kind::Other | Kind::Feed));
    let (old, requisites): (Vec<Found>, Vec<Found>) =
        requisites.into_iter().partition(|f| f.age == Age::Old);
    let as_children = |found: Vec<Found>| -> Vec<Candidate> {
        found
            .into_iter()
            .map(|f| child(parent, f.url, f.kind, parent.chain_page, parent.chain_stale))
            .collect()
    };
    frontier.push_all(&as_children(requisites))?;
    // Sitemaps unchanged since the last run: only if never fetched (issue 9).
    frontier.push_new(&as_children(old))?;
    let (articles, listings): (Vec<Found>, Vec<Found>) = found
        .into_iter()
        .partition(|f| matches!(f.kind, Kind::Article | Kind::Probable));
    let articles = explore(portal, articles);
    let (page, stale) = (parent.chain_page, parent.chain_stale);
    let fresh: Vec<String> = articles
        .iter()
        .filter(|f| f.age == Age::New)
        .map(|f| f.url.clone())
        .collect();
    let articles: Vec<Candidate> = articles
        .into_iter()
        .map(|f| child(parent, f.url, f.kind, page, stale))
        .collect();
    // Known articles found again are not requeued here: revisits come from the store, due on
    // the portal's ladder or `revisit_after`, below new articles and within `revisit_budget`
    // (issue 15, item 1; `Store::queue_revisits`).
    let enqueued = frontier.push_all(&articles)?;
    for (candidate, e) in articles.iter().zip(&enqueued) {
        // Known already (or archived in an earlier run): not fetched now, so not paid for.
        if candidate.kind == Kind::Probable && *e == Enqueued::Known {
            portal.explore.refund(&candidate.url);
        }
    }
    let new_articles = enqueued.iter().filter(|e| **e == Enqueued::New).count();
    if !fresh.is_empty() {
        let urls: Vec<&str> = fresh.iter().map(String::as_str).collect();
        frontier.prioritise(&urls, store::FRESH_ARTICLE)?;
    }
    let listings = match &portal.backfill {
        Some(backfill) => backfill.queue_deeper(frontier, parent, listings)?,
        None => listings,
    };
    let (page, stale) = chain_step(parent, new_articles);
    let limits = &portal.portal;
    if page > limits.max_listing_pages || stale >= limits.stale_listing_pages.max(1) {
        tracing::debug!(url = %parent.url, page, stale, "listing_chain_ended");
        return Ok(());
    }
    let listings: Vec<Candidate> = listings
        .into_iter()
        .map(|f| child(parent, f.url, f.kind, page, stale))
        .collect();
    frontier.push_all(&listings)?;
    Ok(())
}

/// The article candidates worth queueing: every pattern-matched article, and the probable ones
/// (issue 14) the exploration budget admits — learned shapes always, others while it lasts.
fn explore(portal: &PortalRun, articles: Vec<Found>) -> Vec<Found> {
    articles
        .into_iter()
        .filter(|f| {
            if f.kind != Kind::Probable {
                return true;
            }
            let admitted = url::Url::parse(&f.url).is_ok_and(|u| portal.explore.admit(&u));
            if !admitted {
                tracing::debug!(url = %f.url, "explore_budget_spent");
            }
            admitted
        })
        .collect()
}

/// How far earlier backfills walked a portal's pagination chains, read when the run starts.
pub(super) struct Backfill {
    /// Chain identity (see [`chain_position`]) → the page the last backfill reached.
    start: HashMap<String, u32>,
    /// Those pages' URLs, where this run picks each chain up.
    edges: Vec<(String, u32)>,
    /// Pages past `start` this run may go (`backfill_pages`), and the hard cap.
    step: u32,
    max_page: u32,
}

impl Backfill {
    pub(super) fn load(
        store: &Store,
        portal: &crate::config::Portal,
    ) -> Result<Backfill, store::Error> {
        let chains = store.chains(&portal.name)?;
        let edges = chains
            .iter()
            .filter(|c| c.reached < portal.max_listing_pages)
            .map(|c| (c.edge_url.clone(), c.reached))
            .collect();
        Ok(Backfill {
            start: chains.into_iter().map(|c| (c.chain, c.reached)).collect(),
            edges,
            step: portal.backfill_pages.max(1),
            max_page: portal.max_listing_pages,
        })
    }

    /// Where this run resumes each chain: its deepest page so far, as a listing to fetch.
    pub(super) fn edges(&self, portal: &str) -> Vec<Candidate> {
        self.edges
            .iter()
            .filter_map(|(url, page)| {
                let parsed = url::Url::parse(url).ok()?;
                Some(Candidate {
                    url: url.clone(),
                    portal: portal.to_string(),
                    host: crate::canonical::host_key(&parsed),
                    kind: Kind::Listing,
                    depth: 0,
                    via: None,
                    chain_page: *page,
                    chain_stale: 0,
                })
            })
            .collect()
    }

    /// The page number of a pagination URL this run should fetch: not walked by an earlier
    /// backfill (the edge itself is fetched again, to find the next link), and within this
    /// run's reach.
    fn admits(&self, url: &str) -> Option<Option<u32>> {
        let (chain, page) = chain_position(&url::Url::parse(url).ok()?)?;
        let start = self.start.get(&chain).copied().unwrap_or(0);
        let reach = start.saturating_add(self.step).min(self.max_page);
        Some((start..=reach).contains(&page).then_some(page))
    }

    /// Queues the pagination links among `listings` the backfill rules admit, and returns the
    /// others (not pagination) for the ordinary rules.
    fn queue_deeper(
        &self,
        frontier: &mut Frontier,
        parent: &Candidate,
        listings: Vec<Found>,
    ) -> Result<Vec<Found>, store::Error> {
        let mut ordinary = Vec::new();
        let mut deeper = Vec::new();
        for found in listings {
            match self.admits(&found.url) {
                None => ordinary.push(found),
                Some(Some(page)) => deeper.push(child(parent, found.url, found.kind, page, 0)),
                Some(None) => {}
            }
        }
        frontier.push_all(&deeper)?;
        Ok(ordinary)
    }
}

/// A sitemap or feed of `portal` to fetch, found outside any page (configured, well known, or
/// listed in robots.txt).
pub(super) fn source(portal: &str, url: &url::Url) -> Candidate {
    Candidate {
        url: crate::canonical::canonicalize(url).to_string(),
        portal: portal.to_string(),
        host: crate::canonical::host_key(url),
        kind: Kind::Feed,
        depth: 0,
        via: None,
        chain_page: 0,
        chain_stale: 0,
    }
}

/// Records a backfill's progress when a pagination page was archived.
pub(super) fn record_reach(
    store: &Store,
    portal: &PortalRun,
    page: &Candidate,
) -> Result<(), store::Error> {
    if portal.backfill.is_none() || !matches!(page.kind, Kind::Listing) {
        return Ok(());
    }
    let Some((chain, n)) = url::Url::parse(&page.url)
        .ok()
        .as_ref()
        .and_then(chain_position)
    else {
        return Ok(());
    };
    store.chain_reached(&page.portal, &chain, n, &page.url)
}

/// The chain position and stale count a page passes to the listings it links: one page
/// further, and one more stale page when a listing brought no new article (an article page
/// passes its own count on unchanged).
fn chain_step(parent: &Candidate, new_articles: usize) -> (u32, u32) {
    let from_listing = matches!(parent.kind, Kind::Seed | Kind::Listing);
    let stale = match (from_listing, new_articles) {
        (true, 0) => parent.chain_stale + 1,
        (true, _) => 0,
        (false, _) => parent.chain_stale,
    };
    (parent.chain_page + 1, stale)
}

/// Redirect targets archived on the way count as visited, so discovering them later does not
/// archive them twice (issue 3: every article archived exactly once).
pub(super) fn record_redirects(
    store: &Store,
    run: i64,
    portal: &PortalRun,
    parent: &Candidate,
    hops: &[Capture],
) -> Result<(), store::Error> {
    for capture in hops {
        let kind = match portal.scope.classify(&capture.url) {
            Decision::In(kind) => task::store_kind(kind),
            Decision::Out(_) => Kind::Other,
        };
        let url = capture.url.to_string();
        let target = child(parent, url, kind, parent.chain_page, parent.chain_stale);
        store.record_visited(run, &target, &task::archived(capture))?;
    }
    Ok(())
}

/// A candidate found on `parent`.
pub(super) fn child(
    parent: &Candidate,
    url: String,
    kind: Kind,
    chain_page: u32,
    chain_stale: u32,
) -> Candidate {
    let host = url::Url::parse(&url)
        .map(|u| crate::canonical::host_key(&u))
        .unwrap_or_default();
    Candidate {
        url,
        portal: parent.portal.clone(),
        host,
        kind,
        depth: parent.depth + 1,
        via: Some(parent.url.clone()),
        chain_page,
        chain_stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(kind: Kind, page: u32, stale: u32) -> Candidate {
        Candidate {
            url: "http://a.vn/thoi-su/".into(),
            portal: "a".into(),
            host: "a.vn".into(),
            kind,
            depth: 0,
            via: None,
            chain_page: page,
            chain_stale: stale,
        }
    }

    #[test]
    fn a_listing_without_new_articles_makes_its_chain_staler() {
        assert_eq!(chain_step(&listing(Kind::Listing, 3, 1), 0), (4, 2));
        assert_eq!(chain_step(&listing(Kind::Seed, 0, 0), 0), (1, 1));
    }

    #[test]
    fn a_listing_with_new_articles_resets_the_stale_count() {
        assert_eq!(chain_step(&listing(Kind::Listing, 3, 1), 5), (4, 0));
    }

    #[test]
    fn an_article_passes_its_chain_on() {
        assert_eq!(chain_step(&listing(Kind::Article, 2, 1), 0), (3, 1));
    }
}
