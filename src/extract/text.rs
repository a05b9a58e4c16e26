//! Text hygiene for the extract stage: which elements a reader never sees, and the text they
//! show (NFC and whitespace come from [`super::chars`]).
//!
//! Every string the stage matches or returns passes through here first. The visibility rules —
//! `display:none`, `.d-none`, the hidden `.an` blocks behind "Xem thêm" buttons, `[hidden]`,
//! `data-nosnippet`, ad slots such as `div.AMN_res_*` and `ins.ads-zone-group` — live here so
//! the title, the body and the byline agree on them. Pure functions over the parsed tree: no
//! I/O.

use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;
use scraper::{ElementRef, Html, Node};

use super::chars::nfc;
use super::words::{Tally, clean};

/// Plain text from a value that may still carry markup or character references: metadata and
/// JSON-LD strings are sometimes escaped twice by the CMS (`Thanh B&#236;nh` in JSON-LD,
/// `&lt;p&gt;&lt;strong&gt;…` in a meta description: issue 14), so the parser's one decoding
/// leaves `&#236;` or `<p>` behind. Decodes references and drops tags (at most twice: one
/// level of double escaping), then collapses whitespace and composes to NFC.
pub fn plain(s: &str) -> String {
    let mut text = s.to_string();
    for _ in 0..2 {
        if !text.contains(['&', '<']) {
            break;
        }
        let fragment = scraper::Html::parse_fragment(&text);
        let decoded: String = fragment.root_element().text().collect();
        if decoded == text {
            break;
        }
        text = decoded;
    }
    nfc(&clean(&text)).into_owned()
}

/// Tags whose content is never reader-visible text.
const NON_TEXT_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "form", "button",
    "input", "select", "textarea", "object", "embed", "video", "audio", "head", "title", "meta",
    "link", "map",
];

/// Class tokens of hidden blocks: Bootstrap's `d-none`, the portals' `an` ("ẩn") and `hide`.
const HIDDEN_CLASSES: &[&str] = &[
    "d-none",
    "an",
    "hide",
    "hidden",
    "sr-only",
    "visually-hidden",
];

/// Class or id tokens of ad slots and sponsor boxes seen on the portals (`AMN_res_*` on the
/// "content-fck" family, `ads-zone-group`, `sdaWeb_*`/`rennab` on the "cms-" family).
static AD_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:amn_res|ads?$|ads?[-_]|.*[-_]ads?$|.*[-_]ads?[-_]|adv$|advert|adsbygoogle|banner|baner|sponsor|qc$|quang-?cao|rennab|sda[-_]|sdaweb|div-gpt-ad|zone-?ads)",
    )
    .unwrap()
});

/// Class tokens of share bars, comment widgets and print tools inside article containers.
static WIDGET_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|[-_])(?:share|social|comment|comments|print|rating|toolbar|fb|zalo|font-?size)(?:$|[-_])")
        .unwrap()
});

/// Is this element's content invisible to a reader (non-text tag, hidden by attribute, style or
/// class)?
pub fn is_hidden(el: &Element) -> bool {
    if NON_TEXT_TAGS.contains(&el.name()) {
        return true;
    }
    if el.attr("hidden").is_some() || el.attr("data-nosnippet").is_some() {
        return true;
    }
    if el.attr("style").is_some_and(style_hides) {
        return true;
    }
    el.classes().any(|c| HIDDEN_CLASSES.contains(&c))
}

/// Does an inline style say `display: none` or `visibility: hidden` (any case, any spacing,
/// `!important` or not)? Read in place: this runs for every element of every walk.
fn style_hides(style: &str) -> bool {
    style.split(';').any(|declaration| {
        let Some((property, value)) = declaration.split_once(':') else {
            return false;
        };
        let (property, value) = (property.trim(), value.trim_start());
        let starts = |word: &str| {
            value
                .get(..word.len())
                .is_some_and(|v| v.eq_ignore_ascii_case(word))
        };
        (property.eq_ignore_ascii_case("display") && starts("none"))
            || (property.eq_ignore_ascii_case("visibility") && starts("hidden"))
    })
}

/// Is this element an ad slot (`div.AMN_res_*`, `ins.ads-zone-group`, `ins[data-ad]`, …)?
pub fn is_ad(el: &Element) -> bool {
    if el.name() == "ins" && (el.attr("data-ad").is_some() || el.attr("data-ad-client").is_some()) {
        return true;
    }
    el.classes().any(|c| AD_TOKEN.is_match(c)) || el.id().is_some_and(|id| AD_TOKEN.is_match(id))
}

/// Is this element a share bar, comment widget or print tool?
pub fn is_widget(el: &Element) -> bool {
    el.classes().any(|c| WIDGET_TOKEN.is_match(c))
}

/// Is `el` or one of its ancestors hidden? (A container inside a hidden block is no article.)
/// A `<form>` around it does not hide it: ASP.NET WebForms pages wrap the whole page in one.
pub fn hidden_within(el: ElementRef) -> bool {
    std::iter::once(*el)
        .chain(el.ancestors())
        .filter_map(|n| n.value().as_element())
        .any(|e| e.name() != "form" && is_hidden(e))
}

/// The visible text of `el`, cleaned, skipping hidden elements, ads and anything `skip` names
/// (icon sprites in titles, for instance).
pub fn visible_text(el: ElementRef, skip: &dyn Fn(&Element) -> bool) -> String {
    let mut raw = String::new();
    collect_text(el, skip, &mut raw, 0);
    clean(&raw)
}

/// Deepest element nesting followed; deeper content is treated as absent (hostile pages).
pub const MAX_DEPTH: usize = 256;

/// Block-level elements: text on either side of one is two paragraphs. The block walker
/// ([`super::blocks`]) and the scorer ([`super::score`]) break text at these and at a few
/// more each; the extras differ because each list grew with the pages its step met, and are
/// kept as they were because changing them changes extraction output (issue 16 item 5):
/// - [`BLOCK_TAGS_WALKER`]: table footers, captions and the legacy `center`/`address`/
///   `details` markup found inside article containers. The walker never needs `h1`, `nav`,
///   `aside`, `header` or `footer`: it skips those whole as page furniture.
/// - [`BLOCK_TAGS_SCORER`]: the page-level containers (`h1`, `header`, `footer`, `nav`,
///   `aside`, `form`) the scorer meets because it walks the whole page.
pub const BLOCK_TAGS: &[&str] = &[
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
    "hr",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
];
/// The block walker's extras (see [`BLOCK_TAGS`]).
pub const BLOCK_TAGS_WALKER: &[&str] = &[
    "tfoot", "center", "address", "caption", "details", "summary",
];
/// The scorer's extras (see [`BLOCK_TAGS`]).
pub const BLOCK_TAGS_SCORER: &[&str] = &["h1", "header", "footer", "nav", "aside", "form"];

fn collect_text(el: ElementRef, skip: &dyn Fn(&Element) -> bool, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in el.children() {
        match child.value() {
            Node::Text(text) => out.push_str(text),
            Node::Element(child_el) => {
                if is_hidden(child_el) || is_ad(child_el) || skip(child_el) {
                    continue;
                }
                if child_el.name() == "br" {
                    out.push(' ');
                }
                if let Some(child_ref) = ElementRef::wrap(child) {
                    collect_text(child_ref, skip, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

/// Elements of the document carrying one of `classes` (ASCII case ignored, as selectors do in
/// quirks mode), in document order. A plain walk that
/// compares class names: the CSS selector engine, trying a list of ten class selectors on every
/// element, cost three to four times as much (issue 4 profile).
pub fn with_class<'a>(
    doc: &'a Html,
    classes: &'a [&str],
) -> impl Iterator<Item = ElementRef<'a>> + 'a {
    doc.root_element().descendent_elements().filter(move |el| {
        el.value()
            .classes()
            .any(|c| classes.iter().any(|k| k.eq_ignore_ascii_case(c)))
    })
}

/// Visible text of an element and the part of it inside links, counted in one walk without
/// copying text, by the visibility rules of [`visible_text`] (building the strings
/// twice per candidate was a fifth of extraction time on pages that need scoring).
#[derive(Default)]
pub struct TextStats {
    all: Tally,
    links: Tally,
}

impl TextStats {
    pub fn of(el: ElementRef) -> TextStats {
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
                        self.all.break_word();
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

    /// Characters inside links.
    pub fn link_chars(&self) -> usize {
        self.links.len()
    }

    /// Characters outside links.
    pub fn prose(&self) -> usize {
        self.all.len().saturating_sub(self.links.len())
    }

    /// The share of the text that is link text.
    pub fn link_density(&self) -> f64 {
        self.links.len() as f64 / self.all.len().max(1) as f64
    }
}

/// Skips nothing beyond the built-in rules.
pub fn keep_all(_: &Element) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    #[test]
    fn plain_decodes_leftover_references_and_markup_once_or_twice() {
        assert_eq!(plain("Thanh B&#236;nh"), "Thanh Bình");
        assert_eq!(
            plain("<p><strong>Sáng 5/1</strong>, tỉnh</p>"),
            "Sáng 5/1, tỉnh"
        );
        assert_eq!(plain("&lt;p&gt;Tin &amp;amp; ảnh&lt;/p&gt;"), "Tin & ảnh");
        assert_eq!(plain("Giá xăng <20.000 đồng"), "Giá xăng <20.000 đồng");
        assert_eq!(plain("Tin  thường\n"), "Tin thường");
        // Decomposed input composes (e + combining acute).
        assert_eq!(plain("Hue\u{301}"), "Huế".replace('ế', "é"));
    }

    #[test]
    fn visible_text_skips_hidden_ads_and_scripts() {
        let html = Html::parse_fragment(
            r#"<div id="x">Một <span style="display: none">ẩn</span><div class="an">ẩn</div>
            <div class="AMN_res_1">QC</div><ins class="ads-zone-group">QC</ins><script>x()</script>
            hai<br>ba <span hidden>ẩn</span><span data-nosnippet>ẩn</span><i class="d-none">ẩn</i></div>"#,
        );
        let sel = Selector::parse("#x").unwrap();
        let el = html.select(&sel).next().unwrap();
        assert_eq!(visible_text(el, &keep_all), "Một hai ba");
    }

    #[test]
    fn inline_styles_that_hide() {
        for hides in [
            "display:none",
            "color: red; DISPLAY : None !important",
            "visibility:hidden;",
        ] {
            assert!(style_hides(hides), "{hides}");
        }
        for shows in [
            "display:block",
            "nonsense",
            "visibility: visible",
            "width:none",
        ] {
            assert!(!style_hides(shows), "{shows}");
        }
    }

    #[test]
    fn ad_tokens_do_not_catch_ordinary_words() {
        let html = Html::parse_fragment(
            r#"<p class="address">a</p><p class="header">b</p><p class="ads-item">c</p><p class="read">d</p>"#,
        );
        let sel = Selector::parse("p").unwrap();
        let ads: Vec<bool> = html.select(&sel).map(|p| is_ad(p.value())).collect();
        assert_eq!(ads, [false, false, true, false]);
    }
}
