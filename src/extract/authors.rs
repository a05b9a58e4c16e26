//! Who wrote the article when the body's last lines do not say.
//!
//! Part of the extract stage, after the body's trailing credit lines were read
//! ([`super::byline::take_tail`]). The order: a configured `byline` selector, the body's credit
//! lines, author elements of the page (`div.author`, `p.author`, `.author-make`, …), then
//! metadata (`dable:author`, `meta name=author`, JSON-LD `author`), skipping values that name
//! the paper itself ("Báo Lào Cai điện tử"). Pure: no I/O.

use scraper::node::Element;
use scraper::{ElementRef, Html};

use super::byline::{self, Credit};
use super::chars::char_len;
use super::meta::Meta;
use super::text::{hidden_within, keep_all, visible_text};

/// Classes of author elements (`div.author`, `p.author` and `span.author` too, by tag).
const AUTHOR_CLASSES: &[&str] = &[
    "author-name",
    "article__author",
    "the-article-author",
    "detail-author",
    "author-make",
    "tac-gia",
    "byline",
];

/// An author element: one of [`AUTHOR_CLASSES`], `div`/`p`/`span` of class `author`,
/// `[rel=author]` or `[itemprop=author]`. Matched by hand in one walk: the CSS selector list
/// cost twelve matches per element.
fn is_author_element(el: &Element) -> bool {
    let author_tag = matches!(el.name(), "div" | "p" | "span");
    el.attr("rel")
        .is_some_and(|r| r.eq_ignore_ascii_case("author"))
        || el.attr("itemprop") == Some("author")
        || el.classes().any(|c| {
            AUTHOR_CLASSES.iter().any(|k| k.eq_ignore_ascii_case(c))
                || (author_tag && c.eq_ignore_ascii_case("author"))
        })
}

/// Longest raw author-element text taken as a name when it matches no byline pattern.
const MAX_RAW_NAME_CHARS: usize = 50;

/// The credit for the article: authors by the order above, cited source from the body or the
/// configured byline.
pub fn choose(
    doc: &Html,
    meta: &Meta,
    configured: Option<ElementRef>,
    tail: &Credit,
    title: Option<ElementRef>,
) -> Credit {
    let configured = configured.and_then(|el| read_element(el));
    let mut credit = configured
        .clone()
        .filter(|c| !c.authors.is_empty())
        .unwrap_or_default();
    if credit.authors.is_empty() {
        credit.authors = tail.authors.clone();
    }
    if credit.authors.is_empty() {
        credit.authors = author_elements(doc, title);
    }
    if credit.authors.is_empty() {
        credit.authors = meta_authors(meta);
    }
    credit.cited = tail
        .cited
        .clone()
        .or_else(|| configured.and_then(|c| c.cited));
    credit
}

fn read_element(el: ElementRef) -> Option<Credit> {
    let text = visible_text(el, &keep_all);
    byline::classify(&text).or_else(|| {
        raw_name(&text).map(|name| Credit {
            authors: vec![name],
            cited: None,
        })
    })
}

/// Text of an author element that fits no pattern ("Nguyễn văn A"): short, no digits, no colon.
fn raw_name(text: &str) -> Option<String> {
    let plausible = !text.is_empty()
        && char_len(text) <= MAX_RAW_NAME_CHARS
        && !text.chars().any(|c| c.is_ascii_digit() || c == ':');
    plausible.then(|| text.trim_end_matches('.').to_string())
}

/// Author elements after the title first; the first that reads as a credit wins.
fn author_elements(doc: &Html, title: Option<ElementRef>) -> Vec<String> {
    let (after, before): (Vec<_>, Vec<_>) = doc
        .root_element()
        .descendent_elements()
        .filter(|el| is_author_element(el.value()) && !hidden_within(*el))
        .partition(|el| title.is_none_or(|t| el.id() > t.id()));
    after
        .into_iter()
        .chain(before)
        .filter_map(read_element)
        .map(|c| c.authors)
        .find(|a| !a.is_empty())
        .unwrap_or_default()
}

fn meta_authors(meta: &Meta) -> Vec<String> {
    let site = meta.get("og:site_name").unwrap_or("").to_lowercase();
    let person = |name: &&str| !is_publisher(name, &site);
    let singles = ["dable:author", "author", "article:author"];
    singles
        .iter()
        .filter_map(|key| meta.get(key))
        .find(person)
        .map(byline::split_names)
        .or_else(|| {
            Some(
                meta.ld
                    .authors
                    .iter()
                    .map(String::as_str)
                    .filter(person)
                    .map(String::from)
                    .collect(),
            )
        })
        .unwrap_or_default()
}

/// Values that name the paper or point somewhere, not a person.
fn is_publisher(name: &str, site: &str) -> bool {
    let lower = name.trim().to_lowercase();
    lower.is_empty()
        || lower == site
        || lower.starts_with("báo ")
        || lower.starts_with("tạp chí")
        || lower.contains("điện tử")
        || lower.contains("news")
        || lower.contains(".vn")
        || lower.contains("http")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credit_of(html: &str, tail: Credit) -> Credit {
        let doc = Html::parse_document(html);
        choose(&doc, &Meta::read(&doc), None, &tail, None)
    }

    #[test]
    fn body_credit_beats_elements_and_metadata() {
        let tail = Credit {
            authors: vec!["TRƯỜNG SƠN".into()],
            cited: None,
        };
        let found = credit_of(
            r#"<p class="author">Người Khác</p><meta name="author" content="Ai Đó">"#,
            tail,
        );
        assert_eq!(found.authors, ["TRƯỜNG SƠN"]);
    }

    #[test]
    fn author_elements_then_metadata_skipping_the_paper() {
        let found = credit_of(r#"<p class="author">Anh Nguyễn </p>"#, Credit::default());
        assert_eq!(found.authors, ["Anh Nguyễn"]);
        let found = credit_of(
            r#"<meta property="og:site_name" content="Báo Lào Cai điện tử"><meta name="author" content="Báo Lào Cai điện tử">
            <meta property="dable:author" content="Lương Ý ">"#,
            Credit::default(),
        );
        assert_eq!(found.authors, ["Lương Ý"]);
        let found = credit_of(
            r#"<meta name="author" content="Báo điện tử VTC News"><script type="application/ld+json">{"@type":"NewsArticle","author":{"@type":"Person","name":""}}</script>"#,
            Credit::default(),
        );
        assert!(found.authors.is_empty());
    }

    #[test]
    fn cited_source_stays_a_source() {
        let tail = Credit {
            authors: vec![],
            cited: Some("TTXVN".into()),
        };
        let found = credit_of(r#"<meta name="author" content="Báo Cần Thơ">"#, tail);
        assert_eq!(
            found,
            Credit {
                authors: vec![],
                cited: Some("TTXVN".into())
            }
        );
    }
}
