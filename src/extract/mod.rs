//! Extract: an archived payload → an [`Article`] for the JSON index.
//!
//! Runs after the archive stage has stored the exchange (design.md §1: Capture + Exchange →
//! extract → index). [`decode`] undoes content coding and picks the charset; [`extract`] parses
//! the HTML once and fills the index fields that come from the page: title, lead, body text,
//! authors and cited source, dates, section, tags, images with captions, canonical URL,
//! `noarchive`, and flags. Two layers: a portal's configured CSS selectors when they match,
//! otherwise (or when they stop matching) the generic extractor tuned to the Vietnamese CMS
//! families of portals.md. Every string is NFC before any pattern sees it. This stage never
//! touches the network or files, and never fails on odd HTML: a page always yields an Article,
//! possibly with empty fields and flags.
//!
//! Layout: [`decode`] bytes → text · `meta` `<meta>`/JSON-LD · `heading` title and lead ·
//! `published` the date cascade over [`dates`] · `body` + `blocks` the article text · `byline`
//! credits · `authors` author fallbacks · `text` NFC and visibility rules.

mod authors;
mod blocks;
mod body;
mod byline;
pub mod dates;
pub mod decode;
mod heading;
mod meta;
mod published;
mod text;

use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Selectors;

pub use decode::{Decoded, decode};

/// Flag: the body came from the generic extractor (no selectors configured, or they missed).
pub const FLAG_GENERIC: &str = "generic-extractor";
/// Flag: the page is an anti-bot or access-denied page, not an article.
pub const FLAG_BLOCK_PAGE: &str = "block-page";
/// Flag: the charset declaration was wrong or the bytes were malformed ([`Decoded::suspect`]).
pub const FLAG_ENCODING_SUSPECT: &str = "encoding-suspect";
/// Flag: decoding stopped at the size cap or at a broken compressed stream.
pub const FLAG_TRUNCATED: &str = "truncated";

/// The index fields that come from the page (design.md §2 "JSON index line").
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
    #[error("content-encoding `{0}` is not supported: the raw payload is archived; extract it with a tool that decodes it")]
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
    let html = text::nfc(html);
    let doc = Html::parse_document(&html);
    let page = Page::new(&doc, url, selectors);
    let mut article = page.article();
    if is_block_page(&doc, &html, &article) {
        article.flags.push(FLAG_BLOCK_PAGE.to_string());
    }
    article
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
            remove: s.remove.iter().filter_map(|r| Selector::parse(r).ok()).collect(),
        }
    }
}

/// The first element `selector` matches that has visible text.
fn first_with_text<'a>(doc: &'a Html, selector: &Option<Selector>) -> Option<ElementRef<'a>> {
    let selector = selector.as_ref()?;
    doc.select(selector).find(|el| !heading::title_text(*el).is_empty())
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
        Page { doc, url, base, meta, custom: selectors.map(Custom::compile) }
    }

    fn article(&self) -> Article {
        let mut flags = Vec::new();
        let (heading, container) = self.title_and_container(&mut flags);
        let removed = self.removed();
        let mut body = container.map(|c| body::assemble(blocks::walk(c, &self.base, &removed))).unwrap_or_default();
        let credit = byline::take_tail(&mut body.paragraphs);
        let lead = self.lead(&heading, &mut body.paragraphs);
        let custom_byline = self.custom.as_ref().and_then(|c| first_with_text(self.doc, c.byline.as_ref()?));
        let authors = authors::choose(self.doc, &self.meta, custom_byline, &credit, heading.element);
        let published_sel = self.custom.as_ref().and_then(|c| c.published.clone().flatten());
        let published = published::published(self.doc, &self.meta, published_sel.as_ref(), heading.element);
        Article {
            canonical_url: meta::canonical(self.doc, &self.base),
            title: heading.text,
            lead,
            text: body.paragraphs.iter().map(|p| p.text.as_str()).collect::<Vec<_>>().join("\n\n"),
            authors: authors.authors,
            cited_source: authors.cited,
            published: published.map(|s| dates::to_rfc3339(&s.at)),
            modified: published::modified(self.doc, &self.meta).map(|s| dates::to_rfc3339(&s.at)),
            section: meta::section(self.doc, &self.meta),
            tags: meta::tags(self.doc, &self.meta),
            images: body.images,
            language: "vi".to_string(),
            noarchive: self.meta.noarchive(),
            flags,
        }
    }

    /// The configured layer when its title and body selectors match, else the generic one.
    fn title_and_container(&self, flags: &mut Vec<String>) -> (heading::Heading<'a>, Option<ElementRef<'a>>) {
        let configured = self.custom.as_ref().map(|c| self.configured(c));
        let (title, container) = configured.unwrap_or((None, None));
        let title = title.unwrap_or_else(|| heading::title(self.doc, &self.meta));
        if container.is_some() {
            return (title, container);
        }
        flags.push(FLAG_GENERIC.to_string());
        (title, body::locate(self.doc))
    }

    /// Title and body by the configured selectors; a configured one that misses is logged.
    fn configured(&self, custom: &Custom) -> (Option<heading::Heading<'a>>, Option<ElementRef<'a>>) {
        let title = custom.title.as_ref().map(|sel| first_with_text(self.doc, sel));
        let body = custom.body.as_ref().map(|sel| first_with_text(self.doc, sel));
        for (field, hit) in [("title", title.as_ref().map(Option::is_some)), ("body", body.as_ref().map(Option::is_some))] {
            if hit == Some(false) {
                tracing::warn!(url = %self.url, field, "selector_missed");
            }
        }
        let title = title.flatten().map(|el| heading::Heading { text: heading::title_text(el), element: Some(el) });
        (title, body.flatten())
    }

    /// Elements the configured `remove` selectors name.
    fn removed(&self) -> Vec<ElementRef<'a>> {
        let Some(custom) = &self.custom else { return Vec::new() };
        custom.remove.iter().flat_map(|sel| self.doc.select(sel)).collect()
    }

    /// The lead: configured selector, sapo element, a dateline paragraph opening the body, then
    /// the meta description. A first body paragraph repeating the lead is removed.
    fn lead(&self, heading: &heading::Heading<'a>, paragraphs: &mut Vec<blocks::TextBlock>) -> Option<String> {
        let configured = self.custom.as_ref().and_then(|c| first_with_text(self.doc, c.lead.as_ref()?));
        let mut lead = configured.map(heading::title_text).or_else(|| heading::lead(self.doc, heading.element));
        if lead.is_none() && paragraphs.first().is_some_and(|p| heading::opens_with_dateline(&p.text)) {
            return Some(paragraphs.remove(0).text);
        }
        if let (Some(l), Some(first)) = (&lead, paragraphs.first())
            && (first.text == *l || l.starts_with(&first.text))
        {
            paragraphs.remove(0);
        }
        lead = lead.or_else(|| self.meta.get("description").or_else(|| self.meta.get("og:description")).map(String::from));
        lead
    }
}

/// Markers of anti-bot and access-denied pages (portals.md "Encoding and URLs").
const BLOCK_MARKERS: &[&str] = &["thông báo từ chối truy cập", "truy cập bị từ chối", "cf-chl-", "challenge-platform", "cf_chl_opt"];
const BLOCK_TITLES: &[&str] = &["just a moment", "attention required", "access denied", "403 forbidden", "captcha"];
/// Body text below which a page mentioning a captcha is taken for a captcha wall.
const CAPTCHA_WALL_CHARS: usize = 300;

fn is_block_page(doc: &Html, html: &str, article: &Article) -> bool {
    let lower = html.to_lowercase();
    let title = Selector::parse("title").ok().and_then(|s| doc.select(&s).next()).map(|t| t.text().collect::<String>().to_lowercase()).unwrap_or_default();
    BLOCK_MARKERS.iter().any(|m| lower.contains(m))
        || BLOCK_TITLES.iter().any(|m| title.contains(m))
        || (lower.contains("captcha") && text::char_len(&article.text) < CAPTCHA_WALL_CHARS)
}
