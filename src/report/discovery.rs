//! The issue 14 problems (part 4): a profile whose `article_urls` missed articles that the
//! sitemaps, feeds or content recognition found — with a suggested pattern generalised from
//! them by probe's URL shapes — and listings that link no article at all. Judged from one run's
//! [`PortalStats`] and the portal's listing URLs; pure, it reads and writes nothing.

use regex::Regex;

use super::health::{Problem, code};
use crate::summary::PortalStats;

/// Adds the discovery problems `stats` show; `listings` are the portal's seed and listing
/// URLs, which a suggested pattern must not match.
pub(super) fn problems(stats: &PortalStats, listings: &[String], out: &mut Vec<Problem>) {
    if stats.pattern_miss > 0 {
        out.push(pattern_miss(stats, listings));
    }
    if stats.listing_pages > 0 && stats.listing_article_links == 0 {
        out.push(listings_without_articles(stats));
    }
}

fn pattern_miss(stats: &PortalStats, listings: &[String]) -> Problem {
    let suggested = suggest(stats.miss_shapes.iter().map(String::as_str), listings);
    let advice = match &suggested {
        Some(re) => format!("add to article_urls: {re}"),
        None => "no single pattern fits them without matching listing pages: see the examples"
            .to_string(),
    };
    Problem {
        count: Some(stats.pattern_miss),
        examples: stats.miss_examples.clone(),
        suggested_pattern: suggested,
        ..Problem {
            code: code::ARTICLE_PATTERN_MISS,
            message: format!(
                "{} articles matched no article_urls pattern (found through sitemaps, feeds or their content, e.g. {}); {advice}",
                stats.pattern_miss,
                stats.miss_examples.first().map_or("?", String::as_str)
            ),
            ..Problem::default()
        }
    }
}

/// `^(?:shape|…)$` over the shapes that match no listing URL; None when none is left.
fn suggest<'a>(shapes: impl Iterator<Item = &'a str>, listings: &[String]) -> Option<String> {
    let kept: Vec<&str> = shapes
        .filter(|shape| {
            Regex::new(&format!("^{shape}$"))
                .is_ok_and(|re| !listings.iter().any(|l| re.is_match(l)))
        })
        .collect();
    match kept.as_slice() {
        [] => None,
        [one] => Some(format!("^{one}$")),
        many => Some(format!("^(?:{})$", many.join("|"))),
    }
}

fn listings_without_articles(stats: &PortalStats) -> Problem {
    let mut sources = Vec::new();
    if stats.sitemap_entries > 0 {
        sources.push("sitemap");
    }
    if stats.feed_entries > 0 {
        sources.push("feed");
    }
    let still = match sources.as_slice() {
        [] => "and no sitemap or feed listed any either: the run found no articles at all; check the portal in a browser".to_string(),
        names => format!(
            "articles were still found through the {} (coverage: {} listed, {} archived)",
            names.join(" and "),
            stats.listed,
            stats.listed_archived
        ),
    };
    Problem {
        count: Some(stats.listing_pages),
        sources: Some(sources),
        ..Problem {
            code: code::LISTINGS_WITHOUT_ARTICLES,
            message: format!(
                "listings without articles: {} seed and listing pages linked no article (rendered by JavaScript, or the article URLs changed); {still}",
                stats.listing_pages
            ),
            ..Problem::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suggestion_leaves_out_shapes_that_match_listings() {
        let shapes = [
            r"http://a\.vn/[a-z0-9-]+-\d+\.html",
            r"http://a\.vn/[a-z0-9-]+/[a-z0-9-]+-\d+\.html",
        ];
        let listings = vec!["http://a.vn/thoi-su-215.html".to_string()];
        let re = suggest(shapes.into_iter(), &listings).unwrap();
        assert_eq!(re, r"^http://a\.vn/[a-z0-9-]+/[a-z0-9-]+-\d+\.html$");
        assert!(suggest(shapes[..1].iter().copied(), &listings).is_none());
    }

    #[test]
    fn listings_without_articles_name_the_source_that_worked() {
        let stats = PortalStats {
            listing_pages: 3,
            sitemap_entries: 9,
            ..PortalStats::default()
        };
        let mut out = Vec::new();
        problems(&stats, &[], &mut out);
        assert_eq!(out[0].code, code::LISTINGS_WITHOUT_ARTICLES);
        assert_eq!(out[0].sources, Some(vec!["sitemap"]));
        assert!(
            out[0].message.contains("through the sitemap"),
            "{}",
            out[0].message
        );
    }
}
