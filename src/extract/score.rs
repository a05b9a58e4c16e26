//! Readability-style scoring of the blocks of a page, for pages no known container fits.
//!
//! Part of the extract stage, used by [`super::locate`]. Every paragraph of 25 characters or
//! more (a `p`, `td`, `li`…, a `div` without block children, or a run of text between `<br>`s)
//! gives its parent 1 + commas + length/100 (at most 3), its grandparent half that and its
//! great-grandparent a sixth; a candidate starts from its tag and from class/id words
//! (`content`, `post` up; `comment`, `sidebar` down). Comment threads, sidebars and menus are
//! skipped unless told otherwise. Text is counted, never copied: scoring walks the whole page.
//! Pure: no I/O.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;
use scraper::{ElementRef, Node};

use super::text::{BLOCK_TAGS, BLOCK_TAGS_SCORER, is_hidden};

/// Shortest paragraph that counts (Readability's 25 characters).
const MIN_PARAGRAPH_CHARS: usize = 25;
/// Deepest nesting scored; deeper content is treated as absent (hostile pages).
const MAX_DEPTH: usize = 256;

/// Elements whose text runs are paragraphs of their own.
const PARAGRAPH_TAGS: &[&str] = &["p", "pre", "td", "blockquote", "li", "dd"];
/// Where text breaks into blocks (the shared list and this step's extras, see
/// [`super::text::BLOCK_TAGS`]).
fn is_block(name: &str) -> bool {
    BLOCK_TAGS.contains(&name) || BLOCK_TAGS_SCORER.contains(&name)
}

/// Class/id words of blocks that are never the article (Readability's "unlikely candidates";
/// `pager` only as a word, not in `PageBuilder-pageRow`).
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

/// Scores every candidate under `body`; skips comment threads, sidebars, menus… when
/// `strip_unlikely`. Returns the candidates and their scores (before link density).
pub fn score(body: ElementRef<'_>, strip_unlikely: bool) -> Vec<(ElementRef<'_>, f64)> {
    let mut scorer = Scorer {
        scores: HashMap::new(),
        strip_unlikely,
    };
    scorer.element(body, 0);
    scorer.scores.into_values().collect()
}

/// Candidate scores, keyed by the address of the element in the parsed tree (stable while the
/// document lives; `ElementRef` is not `Hash`).
struct Scorer<'a> {
    scores: HashMap<usize, (ElementRef<'a>, f64)>,
    strip_unlikely: bool,
}

/// Length and commas of a run of text, whitespace collapsed.
#[derive(Default, Clone, Copy)]
struct Run {
    /// Non-space characters.
    chars: usize,
    /// Words (space-separated groups), so that length = chars + words − 1.
    words: usize,
    commas: usize,
    /// The run so far ends inside a word (the next text may continue it).
    in_word: bool,
}

impl Run {
    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if c.is_whitespace() {
                self.in_word = false;
                continue;
            }
            if !self.in_word {
                self.words += 1;
                self.in_word = true;
            }
            self.chars += 1;
            self.commas += usize::from(c == ',');
        }
    }

    /// Appends an inline child's text (a separate word group: `<b>` seldom splits a word).
    fn join(&mut self, other: Run) {
        self.chars += other.chars;
        self.words += other.words;
        self.commas += other.commas;
        self.in_word = false;
    }

    fn len(&self) -> usize {
        self.chars + self.words.saturating_sub(1)
    }
}

/// The text runs directly inside one element, split at `<br>` the way Readability turns
/// `<br><br>` chains into paragraphs.
#[derive(Default)]
struct Inline {
    runs: Vec<Run>,
    current: Run,
    /// The element has block-level children (or inline children that hold blocks).
    has_blocks: bool,
}

impl Inline {
    /// All runs as one (the element seen as inline text of its parent).
    fn all(&self) -> Run {
        let mut all = self.current;
        self.runs.iter().for_each(|r| all.join(*r));
        all
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
                Node::Text(t) => inline.current.text(t),
                Node::Element(e) if e.name() == "br" => {
                    inline.runs.push(std::mem::take(&mut inline.current));
                }
                Node::Element(e) if !self.skipped(e) => {
                    let Some(child) = ElementRef::wrap(child) else {
                        continue;
                    };
                    let sub = self.element(child, depth + 1);
                    if is_block(e.name()) {
                        inline.has_blocks = true;
                    } else {
                        inline.has_blocks |= sub.has_blocks;
                        inline.current.join(sub.all());
                    }
                }
                _ => {}
            }
        }
        inline.runs.push(inline.current);
        for run in &inline.runs {
            self.paragraph(el, run, inline.has_blocks);
        }
        inline.runs.pop();
        inline
    }

    fn skipped(&self, el: &Element) -> bool {
        (is_hidden(el) && el.name() != "form") || (self.strip_unlikely && unlikely(el))
    }

    /// A paragraph scores for its parent and grandparent; text loose in a block with block
    /// children (`<div>text<br>text<div>…</div></div>`) scores for that block itself.
    fn paragraph(&mut self, el: ElementRef<'a>, run: &Run, has_blocks: bool) {
        let name = el.value().name();
        let paragraph = PARAGRAPH_TAGS.contains(&name) || (name == "div" && !has_blocks);
        let loose = !paragraph && is_block(name) && has_blocks;
        let len = run.len();
        if (!paragraph && !loose) || len < MIN_PARAGRAPH_CHARS {
            return;
        }
        let score = 1.0 + run.commas as f64 + (len as f64 / 100.0).min(3.0);
        let first = if loose { Some(el) } else { parent(el) };
        let ancestors = std::iter::successors(first, |e| parent(*e)).take(3);
        for (level, ancestor) in ancestors.enumerate() {
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                n => n as f64 * 3.0,
            };
            self.scores
                .entry(key(ancestor))
                .or_insert_with(|| (ancestor, initial_score(ancestor.value())))
                .1 += score / divider;
        }
    }
}

/// The key of an element in score maps: its address in the parsed tree.
pub fn key(el: ElementRef) -> usize {
    el.value() as *const Element as usize
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

/// Class and id of an element, space separated.
pub fn names(el: &Element) -> String {
    let mut names = el.attr("class").unwrap_or_default().to_string();
    if let Some(id) = el.id() {
        names.push(' ');
        names.push_str(id);
    }
    names
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
    use scraper::{Html, Selector};

    fn scores(html: &str, strip: bool) -> Vec<(String, f64)> {
        let doc = Html::parse_document(html);
        let body = doc
            .select(&Selector::parse("body").unwrap())
            .next()
            .unwrap();
        let mut out: Vec<(String, f64)> = score(body, strip)
            .into_iter()
            .map(|(el, s)| (names(el.value()), s))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
        out
    }

    #[test]
    fn paragraphs_score_parent_and_grandparent_with_class_weights() {
        let p = "Một, hai, ba: đoạn văn đủ dài để được tính điểm.";
        let got = scores(
            &format!(
                r#"<body><div class="outer"><div class="post-content"><p>{p}</p></div></div></body>"#
            ),
            true,
        );
        // p: 1 + 2 commas + 0.47 = 3.47; post-content: 5 + 25 + 3.47; outer: 5 + 3.47/2.
        assert_eq!(got[0].0, "post-content");
        assert!((got[0].1 - 33.47).abs() < 0.01, "{got:?}");
        assert!((got[1].1 - (5.0 + 3.47 / 2.0)).abs() < 0.01, "{got:?}");
    }

    #[test]
    fn runs_between_breaks_are_paragraphs_and_short_ones_do_not_count() {
        let p = "Đoạn văn đủ dài để được tính điểm ở đây.";
        let got = scores(
            &format!(r#"<body><div id="a">{p}<br>{p}<br>ngắn<div></div></div></body>"#),
            true,
        );
        // Two runs of 40 characters score 1.4 each for div#a itself (5 for the tag).
        let a = got.iter().find(|(n, _)| n == " a").unwrap();
        assert!((a.1 - 7.8).abs() < 0.01, "{got:?}");
    }

    #[test]
    fn unlikely_blocks_are_skipped_only_when_asked() {
        let p = "Bình luận của bạn đọc, đủ dài để được tính điểm.";
        let html = format!(
            r#"<body><div class="comment-list"><div class="c"><p>{p}</p></div></div></body>"#
        );
        assert!(scores(&html, true).is_empty());
        assert!(!scores(&html, false).is_empty());
    }
}
