//! Extract: an archived payload → an [`Article`] for the JSON index.
//!
//! Runs after the archive stage has stored the exchange (docs/architecture.md: Capture + Exchange →
//! extract → index). [`decode`] undoes content coding and picks the charset; [`extract`] parses
//! the HTML once and fills the index fields that come from the page: title, lead, body text,
//! authors and cited source, dates, section, tags, images with captions, canonical URL,
//! `noarchive`, and flags. Two layers: a portal's configured CSS selectors when they match,
//! otherwise (or when they stop matching) the generic extractor tuned to the Vietnamese CMS
//! families of docs/profiles.md. Every string is NFC before any pattern sees it. This stage never
//! touches the network or files, and never fails on odd HTML: a page always yields an Article,
//! possibly with empty fields and flags.
//!
//! Layout: [`decode`] bytes → text · `meta` `<meta>`/JSON-LD · `heading` title and lead ·
//! `published` the date cascade over [`dates`] · `locate` (with `score`) the body's containers ·
//! `blocks` + `body` the article text · `byline` credits · `authors` author fallbacks · `text`
//! NFC and visibility rules.

mod authors;
mod blocks;
mod body;
mod byline;
mod chars;
pub mod dates;
pub mod decode;
mod heading;
mod locate;
mod meta;
mod published;
mod score;
mod text;
mod words;

/// NFC with a fast path for text that already is (most of it): history fingerprints use it too.
pub use chars::nfc;
pub use words::{Gaps, for_each_word};

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Selectors;

pub use decode::{Decoded, decode};

/// The most a compressed page may inflate to before decoding stops (gzip bombs: issue 7).
/// News pages are a few hundred KB; 8 MiB keeps a bomb's cost (decoded bytes, text, two DOMs)
/// near 60 MB instead of several hundred (measured by tests/hostile.rs).
pub const MAX_DECODED: usize = 8 << 20;

/// Flag: the body came from the generic extractor (no selectors configured, or they missed).
pub const FLAG_GENERIC: &str = "generic-extractor";
/// Flag: the page is an anti-bot or access-denied page, not an article.
pub const FLAG_BLOCK_PAGE: &str = "block-page";
/// Flag: the charset declaration was wrong or the bytes were malformed ([`Decoded::suspect`]).
pub const FLAG_ENCODING_SUSPECT: &str = "encoding-suspect";
/// Flag: decoding stopped at the size cap or at a broken compressed stream.
pub const FLAG_TRUNCATED: &str = "truncated";

/// The index fields that come from the page (schema/index-line.schema.json).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// `<link rel=canonical>`, absolute.
    pub canonical_url: Option<String>,
    pub title: String,
    /// The sapo, dateline included ("(HGO) - …").
    pub lead: Option<String>,
    /// Body paragraphs separated by one blank line; no captions, bylines or related lists.
    pub text: String,
    /// From the byline: "Bài, ảnh: TRƯỜNG SƠN" → ["TRƯỜNG SƠN"].
    pub authors: Vec<String>,
    /// "Theo TTXVN" → "TTXVN".
    pub cited_source: Option<String>,
    /// RFC 3339 in +07:00.
    pub published: Option<String>,
    /// RFC 3339 in +07:00.
    pub modified: Option<String>,
    pub section: Option<String>,
    pub tags: Vec<String>,
    pub images: Vec<Image>,
    pub language: String,
    /// The page asked `robots: noarchive`.
    pub noarchive: bool,
    pub flags: Vec<String>,
}

/// An image of the body and its caption.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    pub caption: Option<String>,
}

/// Why a payload could not be turned into text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "content-encoding `{0}` is not supported: the raw payload is archived; extract it with a tool that decodes it"
    )]
    UnsupportedEncoding(String),
    #[error("the {coding} payload is corrupt and decodes to nothing: re-fetch the page")]
    Corrupt {
        coding: String,
        #[source]
        source: std::io::Error,
    },
}

/// Decodes a payload ([`decode`]) and extracts it ([`extract`]); decoding problems become flags.
pub fn extract_payload(
    body: &[u8],
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    url: &Url,
    selectors: Option<&Selectors>,
    max_decoded: usize,
) -> Result<Article, Error> {
    let decoded = decode(body, content_type, content_encoding, max_decoded)?;
    let mut article = extract(&decoded.text, url, selectors);
    if decoded.suspect {
        article.flags.push(FLAG_ENCODING_SUSPECT.to_string());
    }
    if decoded.truncated {
        article.flags.push(FLAG_TRUNCATED.to_string());
    }
    Ok(article)
}

/// Extracts an article from HTML fetched from `url`, using the portal's `selectors` when they
/// match. Never fails: missing parts stay empty.
pub fn extract(html: &str, url: &Url, selectors: Option<&Selectors>) -> Article {
    let html = chars::nfc(html);
    let doc = Html::parse_document(&html);
    extract_document(&doc, &html, url, selectors)
}

/// [`extract`] on a page already parsed from `html` (NFC text, as [`decode`] returns it), so
/// the crawl parses each page once for both its links and its article.
pub fn extract_document(
    doc: &Html,
    html: &str,
    url: &Url,
    selectors: Option<&Selectors>,
) -> Article {
    let page = Page::new(doc, url, selectors);
    let mut article = page.article();
    if is_block_page(doc, html, &article) {
        article.flags.push(FLAG_BLOCK_PAGE.to_string());
    }
    compose(&mut article);
    article
}

/// Every text field plain: NFC, and free of character references and markup that a CMS
/// escaped twice (issue 14: `Thanh B&#236;nh`, a description of `&lt;p&gt;…`). The page was
/// normalised before parsing, but the parser decodes character references afterwards
/// (`e&#769;` is "e" + a combining acute), so text can come out decomposed again (found by
/// tests/properties: `character_references_come_out_nfc`). The body text came from the
/// document tree, so only NFC is applied to it: a literal "&amp;" there is what the page shows.
fn compose(article: &mut Article) {
    let nfc = |s: &mut String| {
        if let Cow::Owned(composed) = chars::nfc(s) {
            *s = composed;
        }
    };
    let plain = |s: &mut String| *s = text::plain(s);
    let plain_opt = |s: &mut Option<String>| s.iter_mut().for_each(plain);
    plain(&mut article.title);
    nfc(&mut article.text);
    plain_opt(&mut article.lead);
    plain_opt(&mut article.cited_source);
    plain_opt(&mut article.section);
    article.authors.iter_mut().for_each(plain);
    article.tags.iter_mut().for_each(plain);
    for image in &mut article.images {
        plain_opt(&mut image.caption);
    }
}

/// Configured selectors, compiled; `Some(None)` is a selector that does not parse.
#[derive(Default)]
struct Custom {
    title: Option<Option<Selector>>,
    lead: Option<Option<Selector>>,
    body: Option<Option<Selector>>,
    published: Option<Option<Selector>>,
    byline: Option<Option<Selector>>,
    remove: Vec<Selector>,
}

impl Custom {
    fn compile(s: &Selectors) -> Custom {
        let one = |s: &Option<String>| s.as_deref().map(|s| Selector::parse(s).ok());
        Custom {
            title: one(&s.title),
            lead: one(&s.lead),
            body: one(&s.body),
            published: one(&s.published),
            byline: one(&s.byline),
            remove: s
                .remove
                .iter()
                .filter_map(|r| Selector::parse(r).ok())
                .collect(),
        }
    }
}

/// The first element `selector` matches that has visible text.
fn first_with_text<'a>(doc: &'a Html, selector: &Option<Selector>) -> Option<ElementRef<'a>> {
    let selector = selector.as_ref()?;
    doc.select(selector)
        .find(|el| !heading::title_text(*el).is_empty())
}

/// What the configured selectors found.
#[derive(Default)]
struct Configured<'a> {
    title: Option<heading::Heading<'a>>,
    body: Option<ElementRef<'a>>,
    /// A configured title or body selector matched nothing (or did not parse).
    missed: bool,
}

/// One page being extracted.
struct Page<'a> {
    doc: &'a Html,
    url: &'a Url,
    base: Url,
    meta: meta::Meta,
    custom: Option<Custom>,
}

impl<'a> Page<'a> {
    fn new(doc: &'a Html, url: &'a Url, selectors: Option<&Selectors>) -> Page<'a> {
        let meta = meta::Meta::read(doc);
        let base = meta::base_url(doc, url);
        Page {
            doc,
            url,
            base,
            meta,
            custom: selectors.map(Custom::compile),
        }
    }

    fn article(&self) -> Article {
        let mut flags = Vec::new();
        let (heading, containers) = self.title_and_containers(&mut flags);
        let removed = self.removed();
        let walked = containers
            .into_iter()
            .flat_map(|c| blocks::walk(c, &self.base, &removed))
            .collect();
        let mut body = body::assemble(walked);
        let section = meta::section(self.doc, &self.meta);
        body::drop_head_furniture(&mut body.paragraphs, &heading.text, section.as_deref());
        let tail = byline::take_tail(&mut body.paragraphs);
        let lead = self.lead(&heading, &mut body.paragraphs);
        let credit = self.credit(&tail, heading.element);
        let text: Vec<&str> = body.paragraphs.iter().map(|p| p.text.as_str()).collect();
        Article {
            canonical_url: meta::canonical(self.doc, &self.base),
            title: heading.text.clone(),
            lead,
            text: text.join("\n\n"),
            authors: credit.authors,
            cited_source: credit.cited,
            published: self.published(heading.element),
            modified: published::modified(self.doc, &self.meta).map(|s| dates::to_rfc3339(&s.at)),
            section,
            tags: meta::tags(self.doc, &self.meta),
            images: body.images,
            language: "vi".to_string(),
            noarchive: self.meta.noarchive(),
            flags,
        }
    }

    /// Authors and cited source: configured byline, body tail, author elements, metadata.
    fn credit(&self, tail: &byline::Credit, title: Option<ElementRef<'a>>) -> byline::Credit {
        let configured = self
            .custom
            .as_ref()
            .and_then(|c| first_with_text(self.doc, c.byline.as_ref()?));
        authors::choose(self.doc, &self.meta, configured, tail, title)
    }

    /// The publication date by the cascade, as RFC 3339 in +07:00.
    fn published(&self, title: Option<ElementRef<'a>>) -> Option<String> {
        let configured = self
            .custom
            .as_ref()
            .and_then(|c| c.published.clone().flatten());
        let stamp = published::published(self.doc, &self.meta, configured.as_ref(), title)?;
        Some(dates::to_rfc3339(&stamp.at))
    }

    /// The configured layer when its title and body selectors match; the generic extractor
    /// for whatever is not configured or missed (flagged `generic-extractor`).
    fn title_and_containers(
        &self,
        flags: &mut Vec<String>,
    ) -> (heading::Heading<'a>, Vec<ElementRef<'a>>) {
        let Configured {
            title,
            body,
            missed,
        } = self
            .custom
            .as_ref()
            .map(|c| self.configured(c))
            .unwrap_or_default();
        let title = title.unwrap_or_else(|| heading::title(self.doc, &self.meta));
        if missed || body.is_none() {
            flags.push(FLAG_GENERIC.to_string());
        }
        let containers = body.map_or_else(|| locate::locate(self.doc), |el| vec![el]);
        (title, containers)
    }

    /// Title and body by the configured selectors; a configured one that misses is logged.
    fn configured(&self, custom: &Custom) -> Configured<'a> {
        let title = custom
            .title
            .as_ref()
            .map(|sel| first_with_text(self.doc, sel));
        let body = custom
            .body
            .as_ref()
            .map(|sel| first_with_text(self.doc, sel));
        let mut missed = false;
        for (field, hit) in [
            ("title", title.map(|t| t.is_some())),
            ("body", body.map(|b| b.is_some())),
        ] {
            if hit == Some(false) {
                tracing::warn!(url = %self.url, field, "selector_missed");
                missed = true;
            }
        }
        let title = title.flatten().map(|el| heading::Heading {
            text: heading::title_text(el),
            element: Some(el),
        });
        Configured {
            title,
            body: body.flatten(),
            missed,
        }
    }

    /// Elements the configured `remove` selectors name.
    fn removed(&self) -> Vec<ElementRef<'a>> {
        let Some(custom) = &self.custom else {
            return Vec::new();
        };
        custom
            .remove
            .iter()
            .flat_map(|sel| self.doc.select(sel))
            .collect()
    }

    /// The lead: configured selector, sapo element, a dateline paragraph opening the body, then
    /// the meta description. A first body paragraph repeating the lead is removed.
    fn lead(
        &self,
        heading: &heading::Heading<'a>,
        paragraphs: &mut Vec<blocks::TextBlock>,
    ) -> Option<String> {
        let configured = self
            .custom
            .as_ref()
            .and_then(|c| first_with_text(self.doc, c.lead.as_ref()?));
        let lead = configured
            .map(heading::title_text)
            .or_else(|| heading::lead(self.doc, heading.element));
        if lead.is_none()
            && paragraphs
                .first()
                .is_some_and(|p| heading::opens_with_dateline(&p.text))
        {
            return Some(paragraphs.remove(0).text);
        }
        if let (Some(l), Some(first)) = (&lead, paragraphs.first())
            && (first.text == *l || l.starts_with(&first.text))
        {
            paragraphs.remove(0);
        }
        if lead.is_some() {
            return lead;
        }
        let described = self
            .meta
            .get("description")
            .or_else(|| self.meta.get("og:description"))
            .map(text::plain)?;
        // A description that is the whole first paragraph makes that paragraph the lead
        // (portals without a sapo element print it as the body's first, bold paragraph).
        if paragraphs.first().is_some_and(|p| p.text == described) {
            paragraphs.remove(0);
        }
        Some(described)
    }
}

/// Cloudflare challenge markers (script paths and ids, always lower case).
const CHALLENGE_MARKERS: &[&str] = &["challenge-platform", "cf-chl-", "cf_chl_opt"];
/// Titles of challenge and denial pages.
static BLOCK_TITLES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)just a moment|attention required|access denied|403 forbidden|captcha|từ chối truy cập").unwrap()
});
/// Words that mean a block page only when the page has (almost) no article text: a body may
/// well mention a captcha or a refused access (docs/profiles.md).
static WEAK_MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)thông báo từ chối truy cập|truy cập bị từ chối|captcha|access denied").unwrap()
});
static TITLE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("title").unwrap());
/// Body text below which a weak marker makes a block page.
const BLOCK_PAGE_MAX_TEXT: usize = 300;

fn is_block_page(doc: &Html, html: &str, article: &Article) -> bool {
    let title: String = doc
        .select(&TITLE)
        .next()
        .map(|t| t.text().collect())
        .unwrap_or_default();
    CHALLENGE_MARKERS.iter().any(|m| html.contains(m))
        || BLOCK_TITLES.is_match(&title)
        || (chars::char_len(&article.text) < BLOCK_PAGE_MAX_TEXT && WEAK_MARKERS.is_match(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_url() -> Url {
        Url::parse("https://baotayninh.vn/tin-a-1.html").unwrap()
    }

    const PROSE: &str = "Theo Bộ Y tế, trong tuần qua cả nước ghi nhận thêm nhiều ca mắc mới, tập trung ở các tỉnh phía Nam.";

    #[test]
    fn a_stray_html_end_tag_before_head_still_yields_metadata() {
        let html = format!(
            r#"<!DOCTYPE html></html><head><title>Tin | Báo Tây Ninh</title>
            <meta property="og:title" content="Tây Ninh khởi công cầu mới">
            <meta name="robots" content="noarchive"><link rel="canonical" href="/tay-ninh-khoi-cong-cau-moi-a1.html">
            <meta property="article:section" content="Kinh tế"><meta name="keywords" content="cầu, giao thông">
            <script type="application/ld+json">{{"@type":"NewsArticle","datePublished":"2021-12-01 11:51:00","author":{{"@type":"Person","name":"Minh Hà"}}}}</script>
            </head><body><div id="content-detail"><p>{PROSE}</p><p>{PROSE}</p></div></body></html>"#
        );
        let doc = Html::parse_document(&html);
        let in_body = Selector::parse("body meta").unwrap();
        assert!(
            doc.select(&in_body).next().is_some(),
            "the parser moved <meta> into <body>"
        );
        let a = extract(&html, &page_url(), None);
        assert_eq!(a.title, "Tây Ninh khởi công cầu mới");
        assert_eq!(a.published.as_deref(), Some("2021-12-01T11:51:00+07:00"));
        assert_eq!(
            a.canonical_url.as_deref(),
            Some("https://baotayninh.vn/tay-ninh-khoi-cong-cau-moi-a1.html")
        );
        assert!(a.noarchive);
        assert_eq!(a.section.as_deref(), Some("Kinh tế"));
        assert_eq!(a.tags, ["cầu", "giao thông"]);
        assert_eq!(a.authors, ["Minh Hà"]);
    }

    #[test]
    fn body_sentences_starting_with_theo_stay_and_sources_are_cited() {
        let html = format!(
            r#"<h1>Số ca mắc sốt xuất huyết tăng mạnh</h1><div class="content-fck"><p>{PROSE}</p>
            <p>Theo kế hoạch, ngành y tế sẽ phun thuốc diệt muỗi.</p><p>Theo TTXVN</p></div>"#
        );
        let a = extract(&html, &page_url(), None);
        assert_eq!(a.cited_source.as_deref(), Some("TTXVN"));
        assert!(a.authors.is_empty());
        assert_eq!(
            a.text,
            format!("{PROSE}\n\nTheo kế hoạch, ngành y tế sẽ phun thuốc diệt muỗi.")
        );
    }

    #[test]
    fn block_pages_are_flagged() {
        let denied = "<html><head><title>Thông báo</title></head><body><h2>Thông báo từ chối truy cập</h2></body></html>";
        assert!(
            extract(denied, &page_url(), None)
                .flags
                .contains(&FLAG_BLOCK_PAGE.to_string())
        );
        let cloudflare = r#"<html><head><title>Just a moment...</title></head><body><script src="/cdn-cgi/challenge-platform/x.js"></script></body></html>"#;
        assert!(
            extract(cloudflare, &page_url(), None)
                .flags
                .contains(&FLAG_BLOCK_PAGE.to_string())
        );
        let captcha = r#"<html><body><form><div class="g-recaptcha"></div>Vui lòng xác nhận captcha</form></body></html>"#;
        assert!(
            extract(captcha, &page_url(), None)
                .flags
                .contains(&FLAG_BLOCK_PAGE.to_string())
        );
        // An article whose comment form loads reCAPTCHA is no block page.
        let article = format!(
            r#"<h1>Tiêu đề bài viết</h1><div class="cms-body"><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div><script src="https://www.google.com/recaptcha/api.js"></script>"#
        );
        assert!(
            !extract(&article, &page_url(), None)
                .flags
                .contains(&FLAG_BLOCK_PAGE.to_string())
        );
    }

    #[test]
    fn an_empty_page_yields_an_empty_article() {
        let a = extract("", &page_url(), None);
        assert_eq!(
            (a.title.as_str(), a.text.as_str(), a.language.as_str()),
            ("", "", "vi")
        );
        assert!(a.images.is_empty() && a.authors.is_empty() && a.published.is_none());
    }

    #[test]
    fn article_json_has_exactly_the_index_field_names() {
        let json = serde_json::to_value(Article::default()).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "authors",
                "canonical_url",
                "cited_source",
                "flags",
                "images",
                "language",
                "lead",
                "modified",
                "noarchive",
                "published",
                "section",
                "tags",
                "text",
                "title"
            ]
        );
    }
}
