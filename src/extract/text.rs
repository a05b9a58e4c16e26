//! Text hygiene for the extract stage: NFC, whitespace, and which elements a reader never sees.
//!
//! Every string the stage matches or returns passes through here first. Real pages hold NFD text
//! (Unikey's combining mode, macOS), even inside the weekday of a date line, so patterns only
//! ever meet NFC (docs/profiles.md). The visibility rules — `display:none`,
//! `.d-none`, the hidden `.an` blocks behind "Xem thêm" buttons, `[hidden]`, `data-nosnippet`,
//! ad slots such as `div.AMN_res_*` and `ins.ads-zone-group` — live here so the title, the body
//! and the byline agree on them. Pure functions over the parsed tree: no I/O.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use scraper::node::Element;
use scraper::{ElementRef, Html, Node};
use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// Returns `s` in Unicode Normalization Form C. Scans for the first character that NFC might
/// change, then works piece by piece from the piece holding it (pieces end at `>`, so in HTML a
/// piece is a tag or a text run), normalising only pieces that need it: a page with a few NFD
/// words pays for those words only. Nothing composes across a `>` except the symbol "≯",
/// which no extractor pattern looks for.
pub fn nfc(s: &str) -> Cow<'_, str> {
    let Some(suspect) = first_not_nfc(s) else {
        return Cow::Borrowed(s);
    };
    let start = s[..suspect].rfind('>').map_or(0, |i| i + 1);
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    out.push_str(&s[..start]);
    for piece in s[start..].split_inclusive('>') {
        if first_not_nfc(piece).is_none() {
            out.push_str(piece);
        } else {
            out.extend(piece.nfc());
        }
    }
    Cow::Owned(out)
}

/// Where the first character stands that is not a starter NFC leaves alone; `None` when the
/// text is NFC. A combining mark or a character NFC changes makes its piece normalised (which
/// leaves NFC text as it is, so erring that way is only slower).
///
/// Read byte by byte: the characters most of a Vietnamese page is made of are recognised by
/// their UTF-8 bytes alone, without decoding them (issue 17: this scan runs three times per
/// article and was 6.6% of a crawl's CPU; decoding each character first cost 40% more):
/// - ASCII (one byte below 0x80);
/// - U+0080–U+02FF, Latin-1 and Latin Extended-A and B: two bytes led by 0xC2–0xCB (U+0300,
///   the first combining mark, is led by 0xCC);
/// - U+1EA0–U+1EFF, the precomposed Vietnamese letters: E1 BA A0–BF and E1 BB 80–BF;
/// - U+2002–U+206F, general punctuation but U+2000 and U+2001 (NFC maps those to U+2002 and
///   U+2003): E2 80 82–BF and E2 81 80–AF.
///
/// Any other character goes to the tables.
fn first_not_nfc(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    // Continuation bytes exist wherever a lead byte says so: `s` is valid UTF-8.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while let Some(&lead) = b.get(i) {
        i += match lead {
            0x00..=0x7F => 1,
            0xC2..=0xCB => 2,
            0xE1 if at(i + 1) == 0xBB || (at(i + 1) == 0xBA && at(i + 2) >= 0xA0) => 3,
            0xE2 if (at(i + 1) == 0x80 && at(i + 2) >= 0x82)
                || (at(i + 1) == 0x81 && at(i + 2) <= 0xAF) =>
            {
                3
            }
            _ => {
                let c = s[i..].chars().next()?;
                if !nfc_starter(c) {
                    return Some(i);
                }
                c.len_utf8()
            }
        };
    }
    None
}

/// A character that starts a combining sequence and that NFC keeps (by the tables).
fn nfc_starter(c: char) -> bool {
    canonical_combining_class(c) == 0 && is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// Collapses every run of whitespace (including no-break and zero-width spaces) into one space
/// and trims the ends.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for_each_word(s, Gaps::AndInvisible, |word, _| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    });
    out
}

/// What separates words for [`for_each_word`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gaps {
    /// `char::is_whitespace`.
    Whitespace,
    /// Whitespace, and the zero-width and soft-hyphen characters CMS editors leave between
    /// words: what [`clean`] collapses.
    AndInvisible,
}

impl Gaps {
    fn contain(self, c: char) -> bool {
        c.is_whitespace()
            || (self == Gaps::AndInvisible
                && matches!(c, '\u{200b}' | '\u{200c}' | '\u{feff}' | '\u{ad}'))
    }
}

/// Whether the character at byte `i` of `s` is a gap, and its width in bytes; `None` at the end.
/// The lead-byte shortcuts are explained at [`for_each_word`].
#[inline(always)]
fn gap_at(s: &str, i: usize, gaps: Gaps) -> Option<(bool, usize)> {
    let b = s.as_bytes();
    let lead = *b.get(i)?;
    Some(match lead {
        // char::is_whitespace on ASCII: tab, line feed, vertical tab, form feed, return, space.
        0x00..=0x7F => (matches!(lead, b'\t'..=b'\r' | b' '), 1),
        0xC3..=0xDF => (false, 2),
        0xE1 if matches!(b.get(i + 1), Some(0xBA | 0xBB)) => (false, 3),
        _ => {
            let c = s[i..].chars().next()?;
            (gaps.contain(c), c.len_utf8())
        }
    })
}

/// How many characters of `s` are not whitespace (the lead-byte reading of [`for_each_word`]).
pub fn visible_chars(s: &str) -> usize {
    let (mut i, mut visible) = (0, 0);
    while let Some((space, width)) = gap_at(s, i, Gaps::Whitespace) {
        visible += usize::from(!space);
        i += width;
    }
    visible
}

/// Calls `word` for every run of characters between gaps, in order, with whether the gap
/// before it held a blank line (`"\n\n"`, history's paragraph break). Words are slices of `s`,
/// so callers copy whole runs rather than one character at a time (issue 17: `clean` pushing
/// character by character was 4% of a crawl's CPU).
///
/// Read byte by byte, like [`first_not_nfc`]: ASCII is judged by its byte, and two kinds of
/// letters are known by their lead bytes to be no gap of either kind, without decoding them:
/// U+00C0–U+07FF (lead 0xC3–0xDF; U+0085, U+00A0 and U+00AD are led by 0xC2) and U+1E80–U+1EFF
/// (E1 BA and E1 BB: the Vietnamese letters; U+1680 is E1 9A 80).
pub fn for_each_word(s: &str, gaps: Gaps, mut word: impl FnMut(&str, bool)) {
    let b = s.as_bytes();
    let mut start = None;
    let mut blank_line = false;
    let mut i = 0;
    while let Some((is_gap, width)) = gap_at(s, i, gaps) {
        let lead = b[i];
        match (is_gap, start) {
            (true, Some(from)) => {
                word(&s[from..i], blank_line);
                (start, blank_line) = (None, false);
            }
            (false, None) => start = Some(i),
            _ => {}
        }
        if is_gap && lead == b'\n' && i > 0 && b[i - 1] == b'\n' {
            blank_line = true;
        }
        i += width;
    }
    if let Some(from) = start {
        word(&s[from..], blank_line);
    }
}

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
        let mut i = 0;
        while let Some((space, width)) = gap_at(text, i, Gaps::Whitespace) {
            if space {
                self.in_word = false;
            } else {
                self.words += usize::from(!self.in_word);
                self.in_word = true;
                self.chars += 1;
            }
            i += width;
        }
    }

    fn len(&self) -> usize {
        self.chars + self.words.saturating_sub(1)
    }
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

/// Length in characters (not bytes: Vietnamese letters take 2–3 bytes in UTF-8).
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::{Html, Selector};

    proptest::proptest! {
        /// `clean` copies whole words now; what it returns is what the character-by-character
        /// version returned (issue 17).
        #[test]
        fn clean_joins_the_words_with_single_spaces(
            s in "[a-zđươ ếộ\t\r\n\u{a0}\u{200b}\u{feff}\u{ad}\u{3000}]{0,40}",
        ) {
            let gap = |c| Gaps::AndInvisible.contain(c);
            let words: Vec<&str> = s.split(gap).filter(|w| !w.is_empty()).collect();
            proptest::prop_assert_eq!(clean(&s), words.join(" "));
        }
    }

    /// The lead-byte shortcuts of `for_each_word` agree with `Gaps::contain` for every Unicode
    /// scalar value and both kinds of gaps.
    #[test]
    fn word_gaps_agree_with_the_character_classes() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            for gaps in [Gaps::Whitespace, Gaps::AndInvisible] {
                let mut words = 0;
                for_each_word(&format!("a{c}b"), gaps, |_, _| words += 1);
                let expected = if gaps.contain(c) { 2 } else { 1 };
                assert_eq!(words, expected, "U+{:04X} {gaps:?}", c as u32);
            }
        }
    }

    #[test]
    fn visible_characters_are_those_that_are_not_whitespace() {
        for text in ["", "  ", "Cần Thơ\u{a0}– đổi mới\n", "a\u{3000}b\u{1680}ệ"] {
            let expected = text.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(visible_chars(text), expected, "{text:?}");
        }
    }

    /// The byte-level fast path may skip only characters the tables call NFC starters, and must
    /// flag every other one: checked for every Unicode scalar value, between two letters and
    /// at the end of the text (where a lead byte has no room for look-ahead).
    #[test]
    fn scan_agrees_with_the_tables_for_every_character() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let inside = format!("a{c}b");
            let expected = (!nfc_starter(c)).then_some(1);
            assert_eq!(first_not_nfc(&inside), expected, "U+{:04X}", c as u32);
            let last = format!("a{c}");
            assert_eq!(first_not_nfc(&last), expected, "U+{:04X} last", c as u32);
        }
    }

    #[test]
    fn nfc_composes_decomposed_vietnamese() {
        let nfd: String = "Thứ Tư".nfd().collect();
        assert_ne!(nfd, "Thứ Tư");
        assert_eq!(nfc(&nfd), "Thứ Tư");
        assert!(matches!(nfc("đã là NFC"), Cow::Borrowed(_)));
        assert!(matches!(nfc("Thứ Tư “ngày” – 5€"), Cow::Borrowed(_)));
        // Singletons and marks outside the fast path still go through the full check.
        assert_eq!(nfc("a\u{2000}b"), "a\u{2002}b");
        assert_eq!(nfc("e\u{301}"), "é");
        assert_eq!(nfc("\u{1EA1}\u{302}"), "\u{1EAD}");
        let mixed = format!("<p>đã là NFC</p><p>{nfd}</p><p>x</p>");
        assert_eq!(nfc(&mixed), "<p>đã là NFC</p><p>Thứ Tư</p><p>x</p>");
    }

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
    fn clean_collapses_all_kinds_of_space() {
        assert_eq!(clean("  a\u{a0}\u{a0}b\n\t c\u{200b} "), "a b c");
        assert_eq!(clean("\u{feff}"), "");
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
