//! Which element holds the article body.
//!
//! Part of the extract stage, before the block walk ([`super::blocks`]). The containers of the
//! known CMS families come first (docs/profiles.md: `.content-fck`, `div.article__body`,
//! `#dcontent`, …, and schema.org's `[itemprop=articleBody]`); a known container inside a
//! comment thread is no container. A page none of them fits is scored the way Readability does
//! it ([`super::score`]); the best of the top candidates, discounted by link density, wins, and
//! when that leaves under 500 characters the page is scored again without skipping unlikely
//! blocks. Pure: no I/O.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use super::score;
use super::text::{TextStats, hidden_within, is_ad, is_hidden, keep_all, visible_text};

/// Article containers of the CMS families, most specific first; `[itemprop=articleBody]` is
/// schema.org's own name for it.
const CONTAINERS: &[&str] = &[
    "[itemprop=articleBody]",
    ".content-fck",
    "#newscontents",
    "div.article__body",
    ".cms-body",
    "div.contentView",
    ".divDetail",
    "div.b-maincontent",
    "div.content-detail",
    "#content-detail",
    "#dcontent",
    ".detail-content",
    ".the-article-body",
    ".article-body",
    ".article-content",
    ".entry-content",
];

/// Prose (non-link characters) a container needs before it is believed to hold an article.
const MIN_PROSE_CHARS: usize = 150;
/// Matches of one container selector that are weighed (a home page has hundreds of `article`s).
const MAX_CONTAINER_CANDIDATES: usize = 40;
/// Best-scoring candidates whose link density is checked.
const MAX_SCORED_CANDIDATES: usize = 8;

static CONTAINER_SELECTORS: LazyLock<Vec<Selector>> = LazyLock::new(|| {
    CONTAINERS
        .iter()
        .filter_map(|c| Selector::parse(c).ok())
        .collect()
});
static BODY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("body").unwrap());

/// A comment thread: its articles and text are readers', not the paper's.
static COMMENTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)comment|disqus|replies|reply").unwrap());

/// The elements holding the article body, in document order: a known CMS container with
/// enough prose, else the best-scoring block with the siblings Readability would append to it
/// (bodies split by ad slots into several `div.text-description`s). Either way a body cut
/// into same-class parts (wired.com's chunks, nbcdfw's `div.articleText`s) keeps all its
/// parts. Empty when nothing qualifies.
pub fn locate(doc: &Html) -> Vec<ElementRef<'_>> {
    if let Some(winner) = known_container(doc) {
        return with_parts(doc, vec![winner]);
    }
    best_scored(doc)
        .map(|pass| with_parts(doc, with_siblings(pass)))
        .unwrap_or_default()
}

/// The first container selector (most specific first) with a match that has enough prose. One
/// walk per selector, stopping at the first that fits: most portal pages stop at the first
/// or second (a single walk with all selectors at once measured 2.3 times the instructions).
fn known_container(doc: &Html) -> Option<ElementRef<'_>> {
    CONTAINER_SELECTORS.iter().find_map(|selector| {
        doc.select(selector)
            .filter(|el| !hidden_within(*el) && !in_comments(*el))
            .take(MAX_CONTAINER_CANDIDATES)
            .map(|el| (prose_chars(el), el))
            .filter(|(prose, _)| *prose >= MIN_PROSE_CHARS)
            .max_by_key(|(prose, _)| *prose)
            .map(|(_, el)| el)
    })
}

/// Prose a same-class part needs, and the link density it must stay under.
const MIN_PART_PROSE: usize = 80;
const MAX_PART_LINKS: f64 = 0.5;

/// `found` (document order, the winner first among equals) plus the elements elsewhere that
/// have the winner's tag and exact class list, hold prose, and are neither inside nor around
/// an element already taken.
fn with_parts<'a>(doc: &'a Html, found: Vec<ElementRef<'a>>) -> Vec<ElementRef<'a>> {
    let Some(winner) = found.first().copied() else {
        return found;
    };
    let Some(class) = winner
        .value()
        .attr("class")
        .filter(|c| !c.trim().is_empty())
    else {
        return found;
    };
    let name = winner.value().name();
    let mut parts: Vec<ElementRef<'a>> = Vec::new();
    for el in doc.root_element().descendent_elements() {
        let taken = found.contains(&el);
        let part = !taken
            && el.value().name() == name
            && el.value().attr("class") == Some(class)
            && !hidden_within(el)
            && !in_comments(el)
            && is_part(el);
        let overlaps = |e: &ElementRef| parts.iter().chain(&found).any(|f| nested(*f, *e));
        if taken || (part && !overlaps(&el)) {
            parts.push(el);
        }
    }
    parts
}

fn is_part(el: ElementRef) -> bool {
    let stats = TextStats::of(el);
    stats.prose() >= MIN_PART_PROSE && stats.link_density() < MAX_PART_LINKS
}

/// Is one of `a`, `b` inside the other?
fn nested(a: ElementRef, b: ElementRef) -> bool {
    a.ancestors().any(|n| n == *b) || b.ancestors().any(|n| n == *a)
}

/// Is `el` (or an ancestor) part of a comment thread?
fn in_comments(el: ElementRef) -> bool {
    std::iter::once(*el)
        .chain(el.ancestors())
        .filter_map(|n| n.value().as_element())
        .any(|e| COMMENTS.is_match(&score::names(e)))
}

/// Visible characters outside links.
pub fn prose_chars(el: ElementRef) -> usize {
    TextStats::of(el).prose()
}

/// Readability-style scoring over the whole `<body>`. When skipping unlikely blocks leaves
/// too little (a page wrapped in `div.Page-ad-margins`), the page is scored again with them,
/// as Readability retries with fewer rules.
fn best_scored(doc: &Html) -> Option<Pass<'_>> {
    let body = doc.select(&BODY).next()?;
    let strict = scored_pass(body, true);
    match strict {
        Some(pass) if pass.prose >= RETRY_BELOW_PROSE => Some(pass),
        _ => {
            let lenient = scored_pass(body, false);
            [strict, lenient]
                .into_iter()
                .flatten()
                .max_by_key(|pass| pass.prose)
        }
    }
}

/// Readability's 500-character threshold for trying again with fewer rules.
const RETRY_BELOW_PROSE: usize = 500;
/// A sibling joins the winner when its score reaches this share of the winner's (Readability).
const SIBLING_SHARE: f64 = 0.2;
/// ... and at least this score.
const MIN_SIBLING_SCORE: f64 = 10.0;
/// A sibling `<p>` longer than this joins when its link density is under [`MAX_P_LINKS`].
const LONG_P_CHARS: usize = 80;
const MAX_P_LINKS: f64 = 0.25;

/// The outcome of one scoring pass: the winner and every candidate's score.
struct Pass<'a> {
    winner: ElementRef<'a>,
    /// The winner's score discounted by its link density.
    score: f64,
    prose: usize,
    scores: HashMap<usize, f64>,
}

/// One scoring pass; `None` when no candidate has enough prose.
fn scored_pass(body: ElementRef<'_>, strip_unlikely: bool) -> Option<Pass<'_>> {
    let mut ranked = score::score(body, strip_unlikely);
    let scores = ranked.iter().map(|(el, s)| (score::key(*el), *s)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(MAX_SCORED_CANDIDATES);
    ranked
        .into_iter()
        .map(|(el, score)| {
            let stats = TextStats::of(el);
            (score * (1.0 - stats.link_density()), el, stats.prose())
        })
        .filter(|(_, _, prose)| *prose >= MIN_PROSE_CHARS)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(score, winner, prose)| Pass {
            winner,
            score,
            prose,
            scores,
        })
}

/// The winner and the siblings Readability appends: those scoring at least a fifth of the
/// winner (a fifth more when they share its class), and `<p>`s that read as prose.
fn with_siblings(pass: Pass<'_>) -> Vec<ElementRef<'_>> {
    let top = pass.winner;
    let Some(parent) = top.parent() else {
        return vec![top];
    };
    let threshold = (pass.score * SIBLING_SHARE).max(MIN_SIBLING_SCORE);
    let class = top.value().attr("class").filter(|c| !c.is_empty());
    parent
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|sibling| {
            if *sibling == top {
                return true;
            }
            if is_hidden(sibling.value()) || is_ad(sibling.value()) {
                return false;
            }
            let stats = TextStats::of(*sibling);
            let bonus = if class.is_some() && sibling.value().attr("class") == class {
                pass.score * SIBLING_SHARE
            } else {
                0.0
            };
            let scored = pass
                .scores
                .get(&score::key(*sibling))
                .is_some_and(|s| s * (1.0 - stats.link_density()) + bonus >= threshold);
            scored || (sibling.value().name() == "p" && prose_paragraph(*sibling, &stats))
        })
        .collect()
}

/// A `<p>` that reads as prose: long with few links, or short, linkless and ending a sentence.
fn prose_paragraph(p: ElementRef, stats: &TextStats) -> bool {
    let len = stats.prose() + stats.link_chars();
    if len > LONG_P_CHARS {
        return stats.link_density() < MAX_P_LINKS;
    }
    len > 0 && stats.link_chars() == 0 && {
        let text = visible_text(p, &keep_all);
        text.ends_with('.') || text.contains(". ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: &str =
        "Đoạn văn dài của bài báo, có đủ chữ để được tính là nội dung chính của trang tin tức.";

    #[test]
    fn known_containers_beat_scoring_and_hidden_ones_are_ignored() {
        let prose = LONG.repeat(3);
        let html = format!(
            r#"<html><body><div class="hide"><article><p>{prose}</p></article></div>
            <div class="cms-body"><p>{prose}</p></div><div id="side"><p>{prose}, {prose}</p></div></body></html>"#
        );
        let doc = Html::parse_document(&html);
        let found = locate(&doc)[0];
        assert!(found.value().classes().any(|c| c == "cms-body"));
    }

    #[test]
    fn scoring_finds_an_unknown_container() {
        let prose = LONG.repeat(2);
        let html = format!(
            r#"<html><body><ul class="menu"><li><a href="/a">Thời sự</a></li></ul>
            <div id="main"><p>{prose}</p><p>{prose}</p><p>{prose}</p></div>
            <div id="foot"><p>Bản quyền thuộc về tòa soạn, ghi rõ nguồn khi phát hành lại.</p></div></body></html>"#
        );
        let doc = Html::parse_document(&html);
        assert_eq!(locate(&doc)[0].value().id(), Some("main"));
    }

    #[test]
    fn a_page_wide_form_hides_nothing_and_comments_are_no_article() {
        // ASP.NET WebForms wrap the page in a <form>; comment threads use <article> too.
        let prose = LONG.repeat(2);
        let html = format!(
            r#"<html><body><form id="aspnetForm"><div class="story"><div class="text"><span>{prose}</span></div>
            <div class="text">{prose}<br>{prose}</div></div>
            <ol class="comment-list"><li><article class="comment-body entry-content"><p>{prose}, {prose}, {prose}</p></article></li></ol>
            </form></body></html>"#
        );
        let doc = Html::parse_document(&html);
        let found = locate(&doc)[0];
        assert!(
            found.value().classes().any(|c| c == "story"),
            "{:?}",
            found.value()
        );
    }

    #[test]
    fn text_loose_in_a_div_between_breaks_is_scored() {
        let prose = LONG.repeat(2);
        let html = format!(
            r#"<html><body><div id="nav"><p>{LONG}</p></div><div class="art">{prose}<br><br>{prose}<br><br>{prose}<div class="img"></div></div></body></html>"#
        );
        let doc = Html::parse_document(&html);
        let found = locate(&doc);
        assert_eq!(found.len(), 1);
        assert!(found[0].value().classes().any(|c| c == "art"));
    }

    #[test]
    fn a_body_split_by_ad_slots_keeps_its_sibling_parts() {
        let prose = LONG.repeat(2);
        let html = format!(
            r#"<html><body><div class="wrap"><h2>Tiêu đề phụ</h2>
            <div class="text-description"><p>{prose}</p><p>{prose}</p><p>{prose}</p></div>
            <div class="ad-slot"><p>{LONG}</p></div>
            <div class="text-description"><p>{prose}</p></div>
            <p>Một câu ngắn kết bài.</p>
            <div class="more"><a href="/a">Bài khác</a> <a href="/b">Bài khác nữa</a></div></div></body></html>"#
        );
        let doc = Html::parse_document(&html);
        let found: Vec<(&str, Option<&str>)> = locate(&doc)
            .iter()
            .map(|el| (el.value().name(), el.value().attr("class")))
            .collect();
        assert_eq!(
            found,
            [
                ("div", Some("text-description")),
                ("div", Some("text-description")),
                ("p", None)
            ]
        );
    }
}
