//! Reading an archived page: decode it once, find its in-scope links and, for an article,
//! extract the [`Article`]. CPU work on a parsed DOM (`scraper::Html` is `!Send`), so it runs on
//! the blocking pool, never on the async workers.

use std::sync::Arc;

use super::explore;
use super::task::{Age, Found, PortalRun, store_kind};
use super::visit::Hop;
use crate::discover;
use crate::extract::{self, Article};
use crate::history::Fingerprint;
use crate::scope::{Decision, Kind, Reason};
use crate::store;

/// What a page yielded.
#[derive(Default)]
pub(super) struct Read {
    pub found: Vec<Found>,
    /// Set for an article page whose extraction found a title or a body.
    pub article: Option<Article>,
    /// The article's images and the page's stylesheets, at one embed hop, on the portal's
    /// hosts or `embed_hosts` (issue 6: without them replay shows articles without photos).
    pub requisites: Vec<Found>,
}

/// An extracted article and its history fingerprint, made here on the blocking pool with the
/// extraction (issue 17: it was made in async code, on a tokio worker, and was 8% of a crawl's
/// CPU before `Fingerprint::of_extracted`).
pub(super) struct Extracted {
    pub article: Article,
    pub fingerprint: Fingerprint,
}

impl Extracted {
    fn of(article: Article) -> Extracted {
        Extracted {
            fingerprint: Fingerprint::of_extracted(&article),
            article,
        }
    }
}

/// Reads `hop` (a 2xx HTML response to a candidate of `kind`) of `portal` on the blocking pool,
/// its article (taken out of the [`Read`]) with its fingerprint. Reading a page again for its
/// links alone (`relink`) calls [`read_now`] and makes no fingerprint.
pub(super) async fn read(
    hop: Hop,
    portal: Arc<PortalRun>,
    kind: store::Kind,
) -> (Read, Option<Extracted>) {
    tokio::task::spawn_blocking(move || {
        let mut read = read_now(&hop, &portal, kind);
        let article = read.article.take().map(Extracted::of);
        (read, article)
    })
    .await
    .unwrap_or_default()
}

pub(super) fn read_now(hop: &Hop, portal: &PortalRun, kind: store::Kind) -> Read {
    let exchange = &hop.exchange;
    let content_type = exchange.header("content-type");
    let encoding = exchange.header("content-encoding");
    let decoded = match extract::decode(
        &exchange.body,
        content_type.as_deref(),
        encoding.as_deref(),
        extract::MAX_DECODED,
    ) {
        Ok(decoded) => decoded,
        Err(err) => {
            tracing::warn!(url = %hop.capture.url, error = %err, "page_undecodable");
            return Read::default();
        }
    };
    let url = &hop.capture.url;
    // One parse serves both discovery and extraction (parsing is most of the cost of a page).
    let doc = scraper::Html::parse_document(&decoded.text);
    let page = discover::discover_document(&doc, url);
    let is_article = portal.scope.classify(url) == Decision::In(Kind::Article);
    let probable = !is_article && kind == store::Kind::Probable;
    let article = ((is_article || probable) && hop.capture.status == 200)
        .then(|| article(&doc, &decoded, hop, portal))
        .flatten();
    // Issue 14: a page no pattern calls an article is one only by its content; a page that
    // is not one is archived but not followed (one hop of exploration, no more).
    let article = match article {
        Some(found) if probable => explored(&doc, found, url, portal),
        other => other,
    };
    if probable && article.is_none() {
        return Read::default();
    }
    let requisites = match &article {
        Some(article) => requisites(article, &page.stylesheets, portal),
        None => Vec::new(),
    };
    let mut found = links(page.links, portal);
    if article.is_none() {
        // Seeds and sections advertise their RSS feeds (issue 9); articles repeat them.
        found.extend(super::feed::advertised(&doc, url, portal));
    }
    Read {
        found,
        article,
        requisites,
    }
}

/// A page fetched by exploration, kept as an article when its content says it is one, and
/// flagged: it matched no `article_urls` (and, when paid by a learned shape, says so).
fn explored(
    doc: &scraper::Html,
    mut article: Article,
    url: &url::Url,
    portal: &PortalRun,
) -> Option<Article> {
    if !explore::recognised(doc, &article) {
        tracing::info!(url = %url, "explored_not_an_article");
        return None;
    }
    article.flags.push(explore::FLAG_PATTERN_MISS.to_string());
    if portal.explore.is_learned(url) {
        article.flags.push(explore::FLAG_LEARNED.to_string());
    }
    Some(article)
}

fn requisites(article: &Article, stylesheets: &[url::Url], portal: &PortalRun) -> Vec<Found> {
    let images = article
        .images
        .iter()
        .filter_map(|i| url::Url::parse(&i.url).ok());
    images
        .chain(stylesheets.iter().cloned())
        .filter(|u| portal.scope.allows_requisite(u))
        .map(|u| Found {
            url: crate::canonical::canonicalize(&u).to_string(),
            kind: store::Kind::Other,
            age: Age::Unknown,
        })
        .collect()
}

fn links(links: Vec<discover::Link>, portal: &PortalRun) -> Vec<Found> {
    links
        .into_iter()
        .filter_map(|link| {
            let url = explore::original(&link.url, |u| portal.scope.on_hosts(u));
            let kind = match portal.scope.classify(&url) {
                Decision::In(kind) => store_kind(kind),
                // Issue 14: an on-host link that reads like an article is worth a look.
                Decision::Out(Reason::Pattern) if explore::looks_like_article(&url) => {
                    store::Kind::Probable
                }
                Decision::Out(_) => return None,
            };
            Some(Found {
                url: url.to_string(),
                kind,
                age: Age::Unknown,
            })
        })
        .collect()
}

/// The article, or None when extraction found neither title nor body (logged).
fn article(
    doc: &scraper::Html,
    decoded: &extract::Decoded,
    hop: &Hop,
    portal: &PortalRun,
) -> Option<Article> {
    let url = &hop.capture.url;
    let selectors = portal.portal.selectors.as_ref();
    let mut article = extract::extract_document(doc, &decoded.text, url, selectors);
    if decoded.suspect {
        article
            .flags
            .push(extract::FLAG_ENCODING_SUSPECT.to_string());
    }
    // Cut while downloading (max_body, a timeout, a reset) or while inflating (MAX_DECODED).
    if decoded.truncated || hop.capture.truncated.is_some() {
        article.flags.push(extract::FLAG_TRUNCATED.to_string());
    }
    if article.title.is_empty() && article.text.is_empty() {
        tracing::warn!(url = %url, "extraction_failed");
        return None;
    }
    Some(article)
}
