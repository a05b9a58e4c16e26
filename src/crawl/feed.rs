//! Reading an archived sitemap or feed (issue 9): its entries become candidates — a sitemap
//! index's entries more sources to fetch, every other entry an article or listing when the
//! portal's scope says so. Entries dated after the portal's last completed run are marked
//! new, so those articles are fetched before the others; a sitemap index's children dated
//! before it are fetched only if they never were. Parsing streams (the `feeds`
//! module); it runs on the blocking pool like page reading. Never fetches anything.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use super::task::{Age, Found, PortalRun, store_kind};
use super::visit::Hop;
use crate::canonical::canonicalize;
use crate::feeds::{self, Kind as Source, Limits};
use crate::scope::{Decision, Reason};
use crate::store::Kind;

/// The sources found on an HTML page (`<link rel=alternate>` feeds) on the portal's hosts.
pub(super) fn advertised(doc: &scraper::Html, url: &Url, portal: &PortalRun) -> Vec<Found> {
    feeds::alternate_feeds(doc, url)
        .into_iter()
        .filter(|feed| portal.scope.on_hosts(feed))
        .map(|feed| source(&feed))
        .collect()
}

/// The configured feeds and `/sitemap.xml` of each seed's origin: where a run starts looking.
pub(super) fn starting_points(portal: &PortalRun) -> Vec<Url> {
    let mut urls: Vec<Url> = portal.portal.feeds.clone();
    for seed in &portal.portal.seeds {
        urls.extend(feeds::well_known(seed));
    }
    let mut seen = std::collections::HashSet::new();
    urls.retain(|u| seen.insert(canonicalize(u).to_string()));
    urls
}

/// A sitemap or feed to fetch.
pub(super) fn source(url: &Url) -> Found {
    Found {
        url: canonicalize(url).to_string(),
        kind: Kind::Feed,
        age: Age::Unknown,
    }
}

/// Which kind of discovery source listed a page, as `status` names it (issue 14, part 4).
pub(super) fn source_name(kind: Source) -> Option<&'static str> {
    match kind {
        Source::SitemapIndex => None,
        Source::UrlSet | Source::Text => Some("sitemap"),
        Source::Rss | Source::Atom => Some("feed"),
    }
}

/// Reads `hop` (a 2xx response to a sitemap or feed request) on the blocking pool: its
/// candidates, and what kind of source listed them.
pub(super) async fn read(hop: Hop, portal: Arc<PortalRun>) -> (Vec<Found>, Option<&'static str>) {
    tokio::task::spawn_blocking(move || read_now(&hop, &portal))
        .await
        .unwrap_or_default()
}

fn read_now(hop: &Hop, portal: &PortalRun) -> (Vec<Found>, Option<&'static str>) {
    let url = &hop.capture.url;
    let parsed = match feeds::parse(&hop.exchange.body, &Limits::default()) {
        Ok(parsed) => parsed,
        Err(err) => {
            tracing::warn!(url = %url, error = %err, "feed_unreadable");
            return (Vec::new(), None);
        }
    };
    if let Some(stop) = &parsed.stop {
        tracing::warn!(url = %url, entries = parsed.entries.len(), stop = ?stop, "feed_cut");
    }
    let found: Vec<Found> = parsed
        .entries
        .iter()
        .filter_map(|entry| {
            let target = url.join(entry.url.trim()).ok()?;
            found(&target, parsed.kind, entry.modified, portal)
        })
        .collect();
    tracing::info!(url = %url, kind = ?parsed.kind, entries = parsed.entries.len(), in_scope = found.len(), "feed_read");
    (found, source_name(parsed.kind))
}

fn found(
    target: &Url,
    source: Source,
    modified: Option<DateTime<chrono::FixedOffset>>,
    portal: &PortalRun,
) -> Option<Found> {
    let age = match (modified, portal.since) {
        (Some(at), Some(since)) if at.with_timezone(&Utc) <= since => Age::Old,
        (Some(_), _) => Age::New,
        (None, _) => Age::Unknown,
    };
    if source == Source::SitemapIndex {
        let found = portal.scope.on_hosts(target).then(|| self::source(target));
        return found.map(|f| Found { age, ..f });
    }
    let target = super::explore::original(target, |u| portal.scope.on_hosts(u));
    let kind = match portal.scope.classify(&target) {
        Decision::In(kind) => store_kind(kind),
        // Issue 14, part 2: the portal's own list of its pages is evidence the patterns lack.
        Decision::Out(Reason::Pattern) => Kind::Probable,
        Decision::Out(_) => return None,
    };
    Some(Found {
        url: canonicalize(&target).to_string(),
        kind,
        age,
    })
}
