//! Which element holds the article body.
//!
//! Part of the extract stage, before the block walk ([`super::blocks`]). The containers of the
//! known CMS families come first (portals.md "CMS families": `.content-fck`, `div.article__body`,
//! `#dcontent`, …, and schema.org's `[itemprop=articleBody]`); a page none of them fits is scored
//! the way Readability does it: every paragraph of 25 characters or more gives its parent
//! 1 + commas + length/100 (at most 3) and its grandparent half that; candidates start from
//! their tag and from class/id words (`content`, `post` up; `comment`, `sidebar` down); the
//! best one, discounted by link density, wins. Comment threads and sidebars are never scored,
//! and a known container inside a comment thread is no container. Pure: no I/O.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;
use scraper::{ElementRef, Html, Node, Selector};

use super::text::{char_len, clean, hidden_within, is_hidden, keep_all, visible_text};

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
/// Shortest paragraph that counts for scoring (Readability's 25 characters).
const MIN_PARAGRAPH_CHARS: usize = 25;

static CONTAINER_SELECTORS: LazyLock<Vec<Selector>> = LazyLock::new(|| {
    CONTAINERS
        .iter()
        .filter_map(|c| Selector::parse(c).ok())
        .collect()
});
/// All of [`CONTAINERS`] as one selector list.
static ANY_CONTAINER: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse(&CONTAINERS.join(", ")).unwrap());
static ANCHORS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href]").unwrap());
static BODY: LazyLock<Selector> = LazyLock::new(|| Selector::parse("body").unwrap());

/// Class/id words of blocks that are never the article (Readability's "unlikely candidates").
static UNLIKELY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)-ad-|ai2html|banner|breadcrumb|combx|comment|community|cover-wrap|disqus|extra|footer|gdpr|header|legends|menu|related|remark|replies|rss|shoutbox|sidebar|skyscraper|social|sponsor|supplemental|ad-break|agegate|pagination|pager(?:$|[^a-z])|popup|yom-remote").unwrap()
});
/// Words that rescue an unlikely-looking block (`main-header-and-content`).
static MAYBE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)and|article|body|column|content|main|shadow").unwrap());
static POSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)article|body|content|entry|hentry|h-entry|main|page|pagination|post|text|blog|story|detail|noidung")
        .unwrap()
});
static NEGATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)-ad-|hidden|^hid$| hid$| hid |^hid |banner|combx|comment|com-|contact|foot|footer|footnote|gdpr|masthead|media|meta|outbrain|promo|related|scroll|share|shoutbox|sidebar|skyscraper|sponsor|shopping|tags|tool|widget")
        .unwrap()
});
/// A comment thread: its articles and text are readers', not the paper's.
static COMMENTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)comment|disqus|replies|reply").unwrap());

/// The element holding the article body: a known CMS container with enough prose, else the
/// best-scoring block.
pub fn locate(doc: &Html) -> Option<ElementRef<'_>> {
    known_container(doc).or_else(|| best_scored(doc))
}

/// The candidates of the most specific container selector that has one with enough prose.
/// One walk over the page with all the selectors at once (each selector walking the page on
/// its own took 8% of extraction time), then each match is ranked by the first selector it
/// fits.
fn known_container(doc: &Html) -> Option<ElementRef<'_>> {
    let mut by_rank: Vec<Vec<ElementRef>> = vec![Vec::new(); CONTAINER_SELECTORS.len()];
    for el in doc.select(&ANY_CONTAINER) {
        if let Some(rank) = CONTAINER_SELECTORS.iter().position(|s| s.matches(&el)) {
            by_rank[rank].push(el);
        }
    }
    by_rank.into_iter().find_map(|candidates| {
        candidates
            .into_iter()
            .filter(|el| !hidden_within(*el) && !in_comments(*el))
            .take(MAX_CONTAINER_CANDIDATES)
            .map(|el| (prose_chars(el), el))
            .filter(|(prose, _)| *prose >= MIN_PROSE_CHARS)
            .max_by_key(|(prose, _)| *prose)
            .map(|(_, el)| el)
    })
}

/// Class and id of an element, space separated.
fn names(el: &Element) -> String {
    let mut names = el.attr("class").unwrap_or_default().to_string();
    if let Some(id) = el.id() {
        names.push(' ');
        names.push_str(id);
    }
    names
}

/// Is `el` (or an ancestor) part of a comment thread?
fn in_comments(el: ElementRef) -> bool {
    std::iter::once(*el)
        .chain(el.ancestors())
        .filter_map(|n| n.value().as_element())
        .any(|e| COMMENTS.is_match(&names(e)))
}

/// Visible characters outside links.
pub fn prose_chars(el: ElementRef) -> usize {
    let total = char_len(&visible_text(el, &keep_all));
    total.saturating_sub(link_chars(el))
}

fn link_chars(el: ElementRef) -> usize {
    el.select(&ANCHORS)
        .map(|a| char_len(&visible_text(a, &keep_all)))
        .sum()
}

fn link_density(el: ElementRef) -> f64 {
    let total = char_len(&visible_text(el, &keep_all)).max(1);
    link_chars(el) as f64 / total as f64
}

/// Readability-style scoring over the whole `<body>`. When skipping unlikely blocks leaves
/// too little (a page wrapped in `div.Page-ad-margins`), the page is scored again with them,
/// as Readability retries with fewer rules.
fn best_scored(doc: &Html) -> Option<ElementRef<'_>> {
    let body = doc.select(&BODY).next()?;
    let strict = scored_pass(body, true);
    match strict {
        Some((_, prose)) if prose >= RETRY_BELOW_PROSE => strict.map(|(el, _)| el),
        _ => {
            let lenient = scored_pass(body, false);
            [strict, lenient]
                .into_iter()
                .flatten()
                .max_by_key(|(_, prose)| *prose)
                .map(|(el, _)| el)
        }
    }
}

/// Readability's 500-character threshold for trying again with fewer rules.
const RETRY_BELOW_PROSE: usize = 500;

/// One scoring pass; the winner and its prose characters.
fn scored_pass(body: ElementRef, strip_unlikely: bool) -> Option<(ElementRef, usize)> {
    let mut scorer = Scorer {
        scores: HashMap::new(),
        strip_unlikely,
    };
    scorer.element(body, 0);
    let mut ranked: Vec<(ElementRef, f64)> = scorer.scores.into_values().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(MAX_SCORED_CANDIDATES);
    ranked
        .into_iter()
        .map(|(el, score)| (score * (1.0 - link_density(el)), el, prose_chars(el)))
        .filter(|(_, _, prose)| *prose >= MIN_PROSE_CHARS)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, el, prose)| (el, prose))
}

/// Elements whose text runs are paragraphs of their own.
const PARAGRAPH_TAGS: &[&str] = &["p", "pre", "td", "blockquote", "li", "dd"];
/// Elements that break inline text into separate paragraphs.
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "blockquote",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "table",
    "tbody",
    "thead",
    "tr",
    "td",
    "th",
    "pre",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "footer",
    "nav",
    "aside",
    "form",
    "hr",
];
/// Deepest nesting scored; deeper content is treated as absent (hostile pages).
const MAX_DEPTH: usize = 256;

/// Candidate scores, keyed by the address of the element in the parsed tree (stable while the
/// document lives; `ElementRef` is not `Hash`).
struct Scorer<'a> {
    scores: HashMap<usize, (ElementRef<'a>, f64)>,
    /// Skip comment threads, sidebars, menus… ([`unlikely`]); hidden blocks are always skipped.
    strip_unlikely: bool,
}

/// The text runs directly inside one element, split at `<br>` the way Readability turns
/// `<br><br>` chains into paragraphs.
#[derive(Default)]
struct Inline {
    runs: Vec<String>,
    current: String,
    /// The element has block-level children (or inline children that hold blocks).
    has_blocks: bool,
}

impl Inline {
    fn all(mut self) -> String {
        self.runs.push(self.current);
        self.runs.join(" ")
    }
}

impl<'a> Scorer<'a> {
    /// Scores the paragraphs under `el`; returns its inline text runs.
    fn element(&mut self, el: ElementRef<'a>, depth: usize) -> Inline {
        let mut inline = Inline::default();
        if depth > MAX_DEPTH {
            return inline;
        }
        for child in el.children() {
            match child.value() {
                Node::Text(t) => inline.current.push_str(t),
                Node::Element(e) if e.name() == "br" => {
                    inline.runs.push(std::mem::take(&mut inline.current));
                }
                Node::Element(e) if !self.skipped(e) => {
                    let Some(child) = ElementRef::wrap(child) else {
                        continue;
                    };
                    let sub = self.element(child, depth + 1);
                    if BLOCK_TAGS.contains(&e.name()) {
                        inline.has_blocks = true;
                    } else {
                        inline.has_blocks |= sub.has_blocks;
                        inline.current.push_str(&sub.all());
                        inline.current.push(' ');
                    }
                }
                _ => {}
            }
        }
        inline.runs.push(std::mem::take(&mut inline.current));
        for run in &inline.runs {
            self.score_paragraph(el, run, inline.has_blocks);
        }
        inline
    }

    fn skipped(&self, el: &Element) -> bool {
        (is_hidden(el) && el.name() != "form") || (self.strip_unlikely && unlikely(el))
    }

    /// A paragraph scores for its parent and grandparent; text loose in a block with block
    /// children (`<div>text<br>text<div>…</div></div>`) scores for that block itself.
    fn score_paragraph(&mut self, el: ElementRef<'a>, run: &str, has_blocks: bool) {
        let name = el.value().name();
        let paragraph = PARAGRAPH_TAGS.contains(&name) || (name == "div" && !has_blocks);
        let loose = !paragraph && BLOCK_TAGS.contains(&name) && has_blocks;
        if !paragraph && !loose {
            return;
        }
        let text = clean(run);
        let len = char_len(&text);
        if len < MIN_PARAGRAPH_CHARS {
            return;
        }
        let score = 1.0 + text.matches(',').count() as f64 + (len as f64 / 100.0).min(3.0);
        let first = if loose { Some(el) } else { parent(el) };
        let ancestors = std::iter::successors(first, |e| parent(*e)).take(3);
        for (level, ancestor) in ancestors.enumerate() {
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                n => n as f64 * 3.0,
            };
            let key = ancestor.value() as *const Element as usize;
            self.scores
                .entry(key)
                .or_insert_with(|| (ancestor, initial_score(ancestor.value())))
                .1 += score / divider;
        }
    }
}

fn parent(el: ElementRef) -> Option<ElementRef> {
    el.parent().and_then(ElementRef::wrap)
}

/// Comment threads, sidebars, menus… unless their names also say they hold content.
fn unlikely(el: &Element) -> bool {
    if matches!(el.name(), "nav" | "aside" | "footer") {
        return true;
    }
    let names = names(el);
    !names.is_empty() && UNLIKELY.is_match(&names) && !MAYBE.is_match(&names)
}

/// Readability's starting score: by tag, plus or minus 25 for class and id words.
fn initial_score(el: &Element) -> f64 {
    let tag = match el.name() {
        "div" | "article" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    };
    tag + class_weight(el)
}

fn class_weight(el: &Element) -> f64 {
    let mut weight = 0.0;
    for name in [el.attr("class"), el.id()].into_iter().flatten() {
        if NEGATIVE.is_match(name) {
            weight -= 25.0;
        }
        if POSITIVE.is_match(name) {
            weight += 25.0;
        }
    }
    weight
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
        let found = locate(&doc).unwrap();
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
        assert_eq!(locate(&doc).unwrap().value().id(), Some("main"));
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
        let found = locate(&doc).unwrap();
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
        assert!(locate(&doc).unwrap().value().classes().any(|c| c == "art"));
    }
}
