//! Which element holds the article body.
//!
//! Part of the extract stage, before the block walk ([`super::blocks`]). The containers of the
//! known CMS families come first (portals.md "CMS families": `.content-fck`, `div.article__body`,
//! `#dcontent`, …, and schema.org's `[itemprop=articleBody]`); a known container inside a
//! comment thread is no container. A page none of them fits is scored the way Readability does
//! it ([`super::score`]); the best of the top candidates, discounted by link density, wins, and
//! when that leaves under 500 characters the page is scored again without skipping unlikely
//! blocks. Pure: no I/O.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};

use super::score;
use super::text::{hidden_within, is_ad, is_hidden};

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
/// Deepest nesting counted; deeper content is treated as absent (hostile pages).
const MAX_DEPTH: usize = 256;

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

/// The element holding the article body: a known CMS container with enough prose, else the
/// best-scoring block.
pub fn locate(doc: &Html) -> Option<ElementRef<'_>> {
    known_container(doc).or_else(|| best_scored(doc))
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

/// Is `el` (or an ancestor) part of a comment thread?
fn in_comments(el: ElementRef) -> bool {
    std::iter::once(*el)
        .chain(el.ancestors())
        .filter_map(|n| n.value().as_element())
        .any(|e| COMMENTS.is_match(&score::names(e)))
}

/// Visible characters outside links.
pub fn prose_chars(el: ElementRef) -> usize {
    let stats = TextStats::of(el);
    stats.all.len().saturating_sub(stats.links.len())
}

/// Visible text of an element and the part of it inside links, counted in one walk without
/// copying text, by the visibility rules of [`super::text::visible_text`] (building the strings
/// twice per candidate was a fifth of extraction time on pages that need scoring).
#[derive(Default)]
struct TextStats {
    all: Count,
    links: Count,
}

/// Characters of a text with whitespace collapsed: non-space characters plus one per gap.
#[derive(Default)]
struct Count {
    chars: usize,
    words: usize,
    in_word: bool,
}

impl Count {
    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if c.is_whitespace() {
                self.in_word = false;
            } else {
                self.words += usize::from(!self.in_word);
                self.in_word = true;
                self.chars += 1;
            }
        }
    }

    fn len(&self) -> usize {
        self.chars + self.words.saturating_sub(1)
    }
}

impl TextStats {
    fn of(el: ElementRef) -> TextStats {
        let mut stats = TextStats::default();
        stats.walk(el, false, 0);
        stats
    }

    fn walk(&mut self, el: ElementRef, in_link: bool, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        for child in el.children() {
            match child.value() {
                Node::Text(t) => {
                    self.all.text(t);
                    if in_link {
                        self.links.text(t);
                    }
                }
                Node::Element(e) if is_hidden(e) || is_ad(e) => {}
                Node::Element(e) => {
                    if e.name() == "br" {
                        self.all.in_word = false;
                    }
                    let link = in_link || (e.name() == "a" && e.attr("href").is_some());
                    if let Some(child) = ElementRef::wrap(child) {
                        self.walk(child, link, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    fn link_density(&self) -> f64 {
        self.links.len() as f64 / self.all.len().max(1) as f64
    }
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
    let mut ranked = score::score(body, strip_unlikely);
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked.truncate(MAX_SCORED_CANDIDATES);
    ranked
        .into_iter()
        .map(|(el, score)| {
            let stats = TextStats::of(el);
            let prose = stats.all.len().saturating_sub(stats.links.len());
            (score * (1.0 - stats.link_density()), el, prose)
        })
        .filter(|(_, _, prose)| *prose >= MIN_PROSE_CHARS)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, el, prose)| (el, prose))
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
