//! The article's title and lead (sapo).
//!
//! Part of the extract stage. The title is the page's `h1` (icon elements such as `span.sprite`
//! dropped), checked against `og:title`/JSON-LD `headline` when a page has several; without an
//! `h1` it is `og:title`, then `<title>` minus the site suffix (" - Báo …", " | …"). The lead is
//! the sapo element (`.sapo`, `.article__sapo`, `h2.sapo`, `.lead`, `.desc`, …) after the title,
//! else (in the caller) a dateline paragraph or the meta description; its dateline ("(HGO) - ")
//! is kept. Pure: no I/O.

use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;
use scraper::{ElementRef, Html, Selector};

use super::chars::char_len;
use super::meta::Meta;
use super::text::{hidden_within, visible_text, with_class};
use super::words::clean;

static H1: LazyLock<Selector> = LazyLock::new(|| Selector::parse("h1").unwrap());
static TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title").unwrap());
static DATELINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\(\p{Lu}[\p{Lu}\p{Ll} .]{1,20}\)\s*[-–—]").unwrap());
/// Classes of the sapo (lead) element.
const LEAD: &[&str] = &[
    "sapo",
    "article__sapo",
    "lead",
    "desc",
    "the-article-summary",
    "detail-sapo",
    "article-sapo",
    "sapo-detail",
    "chapo",
    "summary-detail",
];

/// Shortest text believed to be a title or a lead.
const MIN_TITLE_CHARS: usize = 8;
const MIN_LEAD_CHARS: usize = 20;

/// The title and the element it came from (later fields are looked for after it).
#[derive(Debug, Clone)]
pub struct Heading<'a> {
    pub text: String,
    pub element: Option<ElementRef<'a>>,
}

/// Icons inside titles: `span.sprite`, `<i class="icon-…">`, inline SVG and images.
pub fn is_icon(el: &Element) -> bool {
    matches!(el.name(), "i" | "svg" | "img")
        || el.classes().any(|c| {
            let c = c.to_ascii_lowercase();
            c.contains("sprite") || c.contains("icon")
        })
}

/// Title text of an element, icons dropped.
pub fn title_text(el: ElementRef) -> String {
    visible_text(el, &is_icon)
}

/// The generic title: the `h1` that matches `og:title`/headline, else the longest `h1` that is
/// not a logo, else `og:title`, headline, `<title>`.
pub fn title<'a>(doc: &'a Html, meta: &Meta) -> Heading<'a> {
    let reference = meta
        .get("og:title")
        .map(String::from)
        .or_else(|| meta.ld.headline.clone());
    let h1s: Vec<(String, ElementRef)> = doc
        .select(&H1)
        .filter(|h| !hidden_within(*h) && !is_logo(*h))
        .map(|h| (title_text(h), h))
        .filter(|(t, _)| char_len(t) >= MIN_TITLE_CHARS)
        .collect();
    let matching = reference
        .as_deref()
        .and_then(|r| h1s.iter().find(|(t, _)| same_title(t, r)));
    if let Some((text, el)) = matching.or_else(|| h1s.iter().max_by_key(|(t, _)| char_len(t))) {
        return Heading {
            text: text.clone(),
            element: Some(*el),
        };
    }
    let fallback = reference
        .map(|r| strip_site_suffix(&r))
        .or_else(|| {
            doc.select(&TITLE)
                .next()
                .map(|t| strip_site_suffix(&clean(&t.text().collect::<String>())))
        })
        .unwrap_or_default();
    Heading {
        text: fallback,
        element: None,
    }
}

fn same_title(h1: &str, reference: &str) -> bool {
    let (h1, reference) = (h1.to_lowercase(), reference.to_lowercase());
    h1 == reference || (reference.starts_with(&h1) && char_len(&h1) * 2 >= char_len(&reference))
}

/// An `h1` holding the site logo (class or id naming a logo, or a sole link to the home page).
fn is_logo(h1: ElementRef) -> bool {
    let named_logo = std::iter::once(*h1)
        .chain(h1.ancestors())
        .filter_map(|n| n.value().as_element())
        .any(|e| {
            e.classes()
                .chain(e.id())
                .any(|c| c.to_ascii_lowercase().contains("logo"))
        });
    let home_link = h1
        .descendent_elements()
        .filter(|e| e.value().name() == "a")
        .any(|a| matches!(a.value().attr("href"), Some("/") | Some("./")));
    named_logo || home_link
}

/// "Tiêu đề - Báo Cần Thơ" → "Tiêu đề"; "Tiêu đề | Znews.vn" → "Tiêu đề".
pub fn strip_site_suffix(title: &str) -> String {
    let title = title.split(" | ").next().unwrap_or(title);
    let title = match title.rfind(" - ") {
        Some(i) if is_site_name(&title[i + 3..]) => &title[..i],
        _ => title,
    };
    clean(title)
}

fn is_site_name(s: &str) -> bool {
    let lower = s.trim().to_lowercase();
    lower.starts_with("báo ")
        || lower.starts_with("tạp chí")
        || lower.contains("điện tử")
        || lower.contains(".vn")
}

/// The sapo element after the title (or anywhere when the title has no element).
pub fn lead(doc: &Html, after: Option<ElementRef>) -> Option<String> {
    let candidates: Vec<ElementRef> = with_class(doc, LEAD)
        .filter(|el| !hidden_within(*el) && !is_caption_like(*el))
        .collect();
    let is_after = |el: &&ElementRef| after.is_none_or(|t| el.id() > t.id());
    let first_lead = |els: Vec<&ElementRef>| {
        els.into_iter()
            .map(|el| title_text(*el))
            .find(|t| char_len(t) >= MIN_LEAD_CHARS)
    };
    first_lead(candidates.iter().filter(is_after).collect())
        .or_else(|| first_lead(candidates.iter().collect()))
}

/// How far up a caption's container may sit: `td.desc` → `tr` → `tbody` → `table.image`.
const CAPTION_DEPTH: usize = 4;

/// An image caption, whatever its class says (`td.desc` under an image is a caption, not a
/// sapo: issue 14, baokhanhhoa): inside a `figure`, or the text of the nearest container (up
/// to [`CAPTION_DEPTH`] levels up) that holds an image, the picture's only words. A sapo
/// shares its container with the headline or the body, so it is a small part of its text.
pub fn is_caption_like(el: ElementRef) -> bool {
    if el.value().name() == "figcaption" {
        return true;
    }
    let own = char_len(&el.text().collect::<String>());
    for ancestor in el
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take(CAPTION_DEPTH)
    {
        if ancestor.value().name() == "figure" {
            return true;
        }
        if has_image(ancestor) {
            let all = char_len(&ancestor.text().collect::<String>());
            return own * 10 >= all * 6;
        }
    }
    false
}

fn has_image(el: ElementRef) -> bool {
    el.descendent_elements().any(|d| d.value().name() == "img")
}

/// Does the text open with a dateline such as "(HGO) - ", "(CTO) - ", "(GLO)-"?
pub fn opens_with_dateline(text: &str) -> bool {
    DATELINE.is_match(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_prefers_the_article_h1_over_a_logo_and_drops_icons() {
        let doc = Html::parse_document(
            r#"<h1 class="logo"><a href="/">Báo Hậu Giang</a></h1>
            <div class="news-details-content"><h1><span class="sprite"></span>Công tác tổ chức <i class="icon"></i>xây dựng Đảng</h1></div>"#,
        );
        let heading = title(&doc, &Meta::read(&doc));
        assert_eq!(heading.text, "Công tác tổ chức xây dựng Đảng");
        assert!(heading.element.is_some());
    }

    #[test]
    fn title_falls_back_to_og_then_title_without_suffix() {
        let doc = Html::parse_document(
            r#"<title>Giá vàng tăng | Znews.vn</title><meta property="og:title" content="Giá vàng tăng mạnh - Báo Cần Thơ">"#,
        );
        assert_eq!(title(&doc, &Meta::read(&doc)).text, "Giá vàng tăng mạnh");
        let doc = Html::parse_document(
            r#"<title>Sống đẹp từ những điều giản dị | Báo Lào Cai điện tử</title>"#,
        );
        assert_eq!(
            title(&doc, &Meta::read(&doc)).text,
            "Sống đẹp từ những điều giản dị"
        );
        assert_eq!(
            strip_site_suffix("Hà Nội - Huế - Sài Gòn"),
            "Hà Nội - Huế - Sài Gòn"
        );
    }

    #[test]
    fn lead_after_the_title_keeps_its_dateline() {
        let doc = Html::parse_document(
            r#"<div class="desc">Mô tả một tin khác ở thanh bên trái của trang.</div><h1>Tiêu đề của bài báo</h1>
            <h2 class="sapo">(HGO) - Năm 2022, công tác tổ chức xây dựng Đảng đạt kết quả.</h2>
            <meta name="description" content="Mô tả meta">"#,
        );
        let meta = Meta::read(&doc);
        let heading = title(&doc, &meta);
        assert_eq!(
            lead(&doc, heading.element).as_deref(),
            Some("(HGO) - Năm 2022, công tác tổ chức xây dựng Đảng đạt kết quả.")
        );
        let doc = Html::parse_document(r#"<meta name="description" content="Mô tả meta của bài">"#);
        assert_eq!(lead(&doc, None), None);
    }

    #[test]
    fn datelines() {
        for yes in [
            "(HGO) - Ngày 18-4",
            "(CTO) - Sáng nay",
            "(GLO)- Chiều 5",
            "(VTC News) - Sau 8 tháng",
        ] {
            assert!(opens_with_dateline(yes), "{yes}");
        }
        for no in ["(1) - Mục một", "Ông A (HGO) - x", "(theo TTXVN) - x"] {
            assert!(!opens_with_dateline(no), "{no}");
        }
    }

    #[test]
    fn a_caption_is_never_a_lead_but_a_sapo_beside_a_picture_is() {
        let doc = Html::parse_document(
            r#"<h1>Tiêu đề bài báo</h1><div class="body"><p>Đoạn đầu tiên của bài báo, đủ dài.</p>
            <table class="image"><tr><td><img src="a.jpg"></td></tr>
            <tr><td class="desc">Các nhà khoa học khảo sát rạn san hô.</td></tr></table></div>"#,
        );
        assert_eq!(
            lead(&doc, None),
            None,
            "td.desc under an image is its caption"
        );
        let doc = Html::parse_document(
            r#"<div class="news"><h1>Tiêu đề bài báo</h1><div class="sapo">(HGO) - Năm 2022, tỉnh đạt nhiều kết quả.</div>
            <p><img src="a.jpg"></p><p>Đoạn một của bài báo với nhiều chữ hơn phần sapo ở trên.</p>
            <p>Đoạn hai của bài báo, cũng dài hơn phần sapo ở trên nhiều.</p></div>"#,
        );
        assert_eq!(
            lead(&doc, None).as_deref(),
            Some("(HGO) - Năm 2022, tỉnh đạt nhiều kết quả.")
        );
    }
}
