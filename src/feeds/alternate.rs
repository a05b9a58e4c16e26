//! Alternate feeds: the RSS and Atom feeds an HTML page advertises.
//!
//! Part of the feeds stage, run by the crawl on pages it already parsed (a seed, a listing). A
//! feed is a `<link rel="alternate" type="application/rss+xml|application/atom+xml" href>`
//! (RSS Autodiscovery; RFC 4287 §7.1 for the media type). It is looked for anywhere in the
//! document, not only in `<head>`: broken pages push head elements into `<body>` (docs/profiles.md).
//! JSON Feed (`application/feed+json`) is skipped, since [`super::parse`] reads XML and text
//! only; so is `application/rdf+xml`, which names RDF documents of every kind, not only RSS 1.0
//! feeds. Never fetches, never decides scope.

use std::sync::LazyLock;

use scraper::{Html, Selector};
use url::Url;

use crate::canonical::resolve;

/// Feed media types, lowercase, without parameters.
const FEED_TYPES: &[&str] = &["application/rss+xml", "application/atom+xml"];

static LINK: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("link[rel][href][type]").expect("constant selector"));
static BASE: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("base[href]").expect("constant selector"));

/// The feeds `doc` (fetched from `page_url`) advertises: resolved against its `<base href>`,
/// without fragments, http(s) only, deduplicated, in document order.
pub fn alternate_feeds(doc: &Html, page_url: &Url) -> Vec<Url> {
    let base = base_url(doc, page_url);
    let mut feeds: Vec<Url> = Vec::new();
    for link in doc.select(&LINK) {
        let element = link.value();
        let (Some(rel), Some(kind), Some(href)) = (
            element.attr("rel"),
            element.attr("type"),
            element.attr("href"),
        ) else {
            continue;
        };
        if !is_alternate(rel) || !is_feed_type(kind) {
            continue;
        }
        if let Some(url) = resolve(&base, href).filter(|url| !feeds.contains(url)) {
            feeds.push(url);
        }
    }
    feeds
}

/// The document base URL: the first `<base href>` resolved against the page URL when it is
/// http(s), else the page URL (HTML §4.2.3).
fn base_url(doc: &Html, page_url: &Url) -> Url {
    doc.select(&BASE)
        .next()
        .and_then(|base| base.value().attr("href"))
        .and_then(|href| resolve(page_url, href))
        .unwrap_or_else(|| page_url.clone())
}

/// `rel` is a space-separated, ASCII case-insensitive token list (HTML §4.6.7).
fn is_alternate(rel: &str) -> bool {
    rel.split_ascii_whitespace()
        .any(|token| token.eq_ignore_ascii_case("alternate"))
}

/// "application/rss+xml; charset=utf-8" is a feed type too.
fn is_feed_type(kind: &str) -> bool {
    let essence = kind.split(';').next().unwrap_or_default().trim();
    FEED_TYPES
        .iter()
        .any(|feed| essence.eq_ignore_ascii_case(feed))
}
