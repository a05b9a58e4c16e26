//! Finding articles a profile's patterns miss (issue 14, parts 2 and 3): evidence and content
//! beat URL patterns.
//!
//! A URL on the portal's hosts that matches no pattern becomes a [`Kind::Probable`] candidate
//! when the portal's own sitemap or feed lists it, or when a followed page links it and it
//! *looks* like an article (slug + id, a date path, a page extension, a trailing hash). Such
//! candidates are fetched within a per-run budget (`explore_pages`); the page then counts as an
//! article by its content ([`recognised`]), not by its URL. Three pages of one URL shape (probe's
//! [`article_path`]) confirmed by content make the shape *learned*: it is free of the budget
//! for the rest of the run and in later runs, until the profile's patterns change. AMP, mobile
//! and print variants collapse onto the article they copy. Pure bookkeeping: it never fetches,
//! and robots.txt, politeness, traps and scope rules apply to these candidates unchanged.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};

use regex::Regex;
use url::Url;

use crate::extract::Article;
use crate::probe::article_path;

/// Pages of one shape confirmed as articles by content before the shape is learned.
pub(super) const LEARN_AFTER: u32 = 3;
/// Flag of an indexed article that matched none of the profile's `article_urls`.
pub const FLAG_PATTERN_MISS: &str = "pattern-miss";
/// Flag of such an article whose URL shape was learned (it was not paid from the budget).
pub const FLAG_LEARNED: &str = "learned-pattern";
/// A prose body shorter than this (characters) is a teaser, not an article.
const MIN_PROSE: usize = 200;

/// A page name that is an article in most CMSs: `slug-123`, `slug-a123`, `slug-3f2a9c1`,
/// `123456`, or any slug with a page extension.
static ARTICLE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?: [a-z0-9-]*[a-z][a-z0-9-]*-[a-z]{0,4}\d{3,} (?:\.[a-z]+)?
                | [a-z0-9-]+-[0-9a-f]{6,12}
                | \d{5,}
                | [a-z0-9_.-]+\.(?:html?|bbg|aspx|shtml) )$",
    )
    .expect("constant regex")
});
/// `/2025/06/17/` or `/2025/06/` followed by a slug.
static DATE_PATH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"/(?:19|20)\d{2}/[01]?\d/(?:[0-3]?\d/)?[a-z0-9-]{8,}/?$").expect("constant regex")
});
static JSON_LD_ARTICLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#""@type"\s*:\s*\[?\s*"(?:News|Reportage|Analysis|Opinion|Blog)?(?:Article|Posting)""#,
    )
    .expect("constant regex")
});

/// Search results, tag pages and print copies: never articles (probe's `EXCLUDE_PATH`).
static NOT_ARTICLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(crate::probe::EXCLUDE_PATH).expect("constant regex"));

/// Whether `url`'s path reads like an article's (issue 14, part 3).
pub(super) fn looks_like_article(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    if NOT_ARTICLE.is_match(&path) {
        return false;
    }
    if DATE_PATH.is_match(&path) {
        return true;
    }
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    !name.is_empty() && ARTICLE_NAME.is_match(name)
}

/// The article an AMP, mobile or print copy stands for (`/amp/…`, `…/amp`, `m.` host,
/// `?print…`), when that host is the portal's; the URL itself otherwise.
pub(super) fn original(url: &Url, on_hosts: impl Fn(&Url) -> bool) -> Url {
    let mut out = url.clone();
    let path = out.path().to_string();
    let stripped = path
        .strip_prefix("/amp/")
        .map(|rest| format!("/{rest}"))
        .or_else(|| path.strip_suffix("/amp").map(str::to_string))
        .or_else(|| path.strip_suffix(".amp").map(str::to_string));
    if let Some(p) = stripped {
        out.set_path(&p);
    }
    if out
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("print")))
    {
        out.set_query(None);
    }
    if let Some(desktop) = out
        .host_str()
        .and_then(|h| h.strip_prefix("m."))
        .map(str::to_string)
    {
        let mut candidate = out.clone();
        if candidate.set_host(Some(&desktop)).is_ok() && on_hosts(&candidate) {
            out = candidate;
        }
    }
    if on_hosts(&out) { out } else { url.clone() }
}

/// The shape of `url` as a regex over whole URLs: its escaped origin and probe's generalised
/// path. None when the path carries no id (nothing to generalise from).
pub fn shape(url: &Url) -> Option<String> {
    let origin = url.origin().ascii_serialization();
    Some(format!("{}{}", regex::escape(&origin), article_path(url)?))
}

/// Whether an extracted page is an article by its content: JSON-LD `NewsArticle`/`Article`,
/// `og:type=article`, `article:published_time`, or a title, a date and a body of prose.
pub(super) fn recognised(doc: &scraper::Html, article: &Article) -> bool {
    static META: LazyLock<scraper::Selector> = LazyLock::new(|| {
        scraper::Selector::parse(
            r#"meta[property="og:type" i], meta[property="article:published_time" i]"#,
        )
        .expect("constant selector")
    });
    static LD: LazyLock<scraper::Selector> = LazyLock::new(|| {
        scraper::Selector::parse(r#"script[type="application/ld+json" i]"#)
            .expect("constant selector")
    });
    let meta = doc.select(&META).any(|m| {
        let v = m.value();
        let property = v.attr("property").unwrap_or("").to_ascii_lowercase();
        let content = v.attr("content").unwrap_or("").trim().to_ascii_lowercase();
        property == "article:published_time" && !content.is_empty() || content == "article"
    });
    let ld = doc
        .select(&LD)
        .any(|s| JSON_LD_ARTICLE.is_match(&s.text().collect::<String>()));
    let prose = article
        .text
        .split("\n\n")
        .filter(|p| p.chars().count() >= 40)
        .count()
        >= 2
        && article.text.chars().count() >= MIN_PROSE;
    let dated_prose = !article.title.is_empty() && article.published.is_some() && prose;
    (meta || ld) && !article.text.is_empty() || dated_prose
}

/// One portal's exploration in one run: the budget left, the URLs it paid for, the shapes
/// already learned. Shared by the run loop (which queues) and the tasks (which flag).
#[derive(Debug)]
pub(super) struct Explore {
    pub profile: String,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    budget: u32,
    paid: HashSet<String>,
    learned: HashSet<String>,
}

impl Explore {
    pub(super) fn new(profile: String, budget: u32, learned: Vec<String>) -> Explore {
        let state = State {
            budget,
            paid: HashSet::new(),
            learned: learned.into_iter().collect(),
        };
        Explore {
            profile,
            state: Mutex::new(state),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `url`'s shape is learned.
    pub(super) fn is_learned(&self, url: &Url) -> bool {
        shape(url).is_some_and(|s| self.state().learned.contains(&s))
    }

    /// Marks `shape` learned for the rest of the run.
    pub(super) fn learn(&self, shape: String) {
        self.state().learned.insert(shape);
    }

    /// Whether `url` may be queued: a learned shape always; otherwise once per run while the
    /// budget lasts (paid now; [`Explore::refund`] when it was known already).
    pub(super) fn admit(&self, url: &Url) -> bool {
        let learned = self.is_learned(url);
        let mut state = self.state();
        if learned || state.paid.contains(url.as_str()) {
            return true;
        }
        if state.budget == 0 {
            return false;
        }
        state.budget -= 1;
        state.paid.insert(url.to_string());
        true
    }

    /// Gives back what `url` cost: the frontier knew it already, so it is not fetched now.
    pub(super) fn refund(&self, url: &str) {
        let mut state = self.state();
        if state.paid.remove(url) {
            state.budget += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn article_like_urls() {
        for yes in [
            "http://a.vn/thoi-su/tin-moi-142279.html",
            "http://a.vn/hoi-nghi-a186301",
            "http://a.vn/x/202506/tin-3f2a9c1/",
            "http://a.vn/2025/06/17/mot-bai-bao-dai/",
            "http://a.vn/Tin-tuc/Chi-tiet.aspx",
            "http://a.vn/tin.bbg",
        ] {
            assert!(looks_like_article(&u(yes)), "{yes}");
        }
        for no in [
            "http://a.vn/",
            "http://a.vn/thoi-su/",
            "http://a.vn/the-loai/tag-1",
            "http://a.vn/tim-kiem/Ph%C3%B3%20Th%E1%BB%A7.html",
            "http://a.vn/tu-khoa/bao-lu-2025.html",
        ] {
            assert!(!looks_like_article(&u(no)), "{no}");
        }
    }

    #[test]
    fn variants_collapse_onto_the_article() {
        let hosts = |x: &Url| x.host_str() == Some("a.vn");
        let plain = "http://a.vn/tin-1.html";
        for variant in [
            "http://a.vn/amp/tin-1.html",
            "http://m.a.vn/tin-1.html",
            "http://a.vn/tin-1.html?print=1",
        ] {
            assert_eq!(original(&u(variant), hosts).as_str(), plain, "{variant}");
        }
        // Not the portal's: left alone.
        assert_eq!(
            original(&u("http://m.b.vn/x"), hosts).as_str(),
            "http://m.b.vn/x"
        );
    }

    #[test]
    fn the_budget_pays_once_per_url_and_never_for_learned_shapes() {
        let explore = Explore::new("h".into(), 1, Vec::new());
        assert!(explore.admit(&u("http://a.vn/t/tin-1.html")));
        assert!(explore.admit(&u("http://a.vn/t/tin-1.html")));
        assert!(!explore.admit(&u("http://a.vn/t/tin-2.html")));
        explore.learn(shape(&u("http://a.vn/t/tin-2.html")).unwrap());
        assert!(explore.admit(&u("http://a.vn/t/tin-3.html")));
        explore.refund("http://a.vn/t/tin-1.html");
        assert!(explore.admit(&u("http://a.vn/x-9/")));
    }
}
