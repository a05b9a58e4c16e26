//! What a finished page adds to the frontier: its links, under the listing-chain rules, and the
//! redirect targets archived on the way.

use super::task::{self, Found, PortalRun};
use crate::archive::Capture;
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
    let (requisites, found): (Vec<Found>, Vec<Found>) =
        found.into_iter().partition(|f| f.kind == Kind::Other);
    let requisites: Vec<Candidate> = requisites
        .into_iter()
        .map(|f| {
            child(
                parent,
                f.url,
                Kind::Other,
                parent.chain_page,
                parent.chain_stale,
            )
        })
        .collect();
    frontier.push_all(&requisites)?;
    let (articles, listings): (Vec<Found>, Vec<Found>) =
        found.into_iter().partition(|f| f.kind == Kind::Article);
    let (page, stale) = (parent.chain_page, parent.chain_stale);
    let articles: Vec<Candidate> = articles
        .into_iter()
        .map(|f| child(parent, f.url, Kind::Article, page, stale))
        .collect();
    if let Some(before) = revisit_before(portal) {
        frontier.revisit(&articles, &before)?;
    }
    let new_articles = frontier
        .push_all(&articles)?
        .iter()
        .filter(|e| **e == Enqueued::New)
        .count();
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

/// Known articles last fetched before this time are due for a revisit, if the portal asks.
fn revisit_before(portal: &PortalRun) -> Option<String> {
    let after = chrono::Duration::from_std(portal.portal.revisit_after?).ok()?;
    let before = chrono::Utc::now().checked_sub_signed(after)?;
    Some(before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
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
