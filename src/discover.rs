//! Discover: an HTML page → the links a crawl may follow from it.
//!
//! Runs after `archive` on every fetched HTML page; its [`Page`] goes through `scope` and on to
//! the `frontier` (docs/architecture.md). Links are resolved against the document's base URL (the first
//! `<base href>`, HTML §4.2.3), normalised with [`crate::canonical`], deduplicated, and tagged
//! [`Relation::More`] when they continue a listing: the five forms of "Xem thêm" described in
//! docs/profiles.md, `rel=next`, pagination blocks and pagination URL syntaxes. Hidden blocks
//! (`div.an`, `display:none`) are read like any other markup: their links are real. Menu
//! expanders (`li.moremenu`) are skipped. `rel=nofollow` is followed, as Heritrix and
//! Browsertrix do: it asks search engines not to endorse a link, it does not forbid fetching
//! (robots.txt does that). All parsing happens inside [`discover`], because `scraper::Html` is
//! not `Send`; only owned data leaves it. This module never queues or fetches anything.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::canonical::{canonicalize, resolve};

/// Distinct links kept per page: a generated page with megabytes of links must not flood the
/// frontier. Past the cap, new URLs are dropped (known ones may still become [`Relation::More`]).
pub const MAX_LINKS: usize = 10_000;

/// Anchor texts longer than this are headlines, never a "see more" label.
const MAX_LABEL_CHARS: usize = 40;

/// Labels (NFC, lowercase, single spaces, arrows and dots trimmed) of links that continue a
/// listing: "Xem thêm" (see more), "Xem tiếp" (read on), "Trang sau"/"Trang tiếp"/"Trang kế"
/// (next page), "Tiếp (theo)"/"Sau" (next), "Tải thêm" (load more), and English ones.
const MORE_LABELS: &[&str] = &[
    "xem thêm",
    "xem thêm tin",
    "xem tiếp",
    "trang sau",
    "trang tiếp",
    "trang kế",
    "tiếp",
    "tiếp theo",
    "sau",
    "tải thêm",
    "next",
    "next page",
    "see more",
    "load more",
];

/// Arrow-only labels of "next" links in pagination bars.
const MORE_ARROWS: &[&str] = &["»", "›"];

/// Decoration around labels: "Xem thêm »", "Trang sau >", "Xem thêm...".
const LABEL_DECORATION: &[char] = &['»', '›', '>', '→', '…', '.', ':'];

/// How a link relates to the page it was found on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// It continues a listing: "Xem thêm", next page, pagination. The crawl uses this to count a
    /// pagination chain (`max_listing_pages`, `stale_listing_pages`).
    More,
    /// Any other link.
    Plain,
}

/// One outlink, canonicalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub url: Url,
    pub relation: Relation,
}

/// What a page links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Distinct canonical URLs in document order (at most [`MAX_LINKS`]).
    pub links: Vec<Link>,
    /// The first `<link rel=canonical>`, canonicalised.
    pub canonical: Option<Url>,
    /// `<link rel=stylesheet>` targets: page requisites, archived so replay shows the page as
    /// it looked (issue 6), never pages to discover from.
    pub stylesheets: Vec<Url>,
    /// The URL relative links were resolved against.
    pub base: Url,
}

/// Elements that carry outlinks.
static LINKING: LazyLock<Selector> = LazyLock::new(|| selector("a[href], area[href], link[href]"));
static BASE: LazyLock<Selector> = LazyLock::new(|| selector("base[href]"));
/// Form 4: menu expanders reveal menu entries the crawl reaches from the sections anyway.
static MENU_EXPANDER: LazyLock<Selector> =
    LazyLock::new(|| selector("li.moremenu a, li.moremenu area"));
/// Form 1 and 2 containers (vtcnews `div.view-more > a.btn-show-news`, znews `p.btnMore > a`),
/// and pagination bars (laodong `ul.pagination`).
static MORE_CONTAINER: LazyLock<Selector> = LazyLock::new(|| {
    selector(
        "a.btn-show-news, .view-more a, .btnMore a, a.load-more, .load-more a, \
         .pagination a, .paging a, .pager a",
    )
});
/// `?p=N`, `?page=N` (family A, laodong), `/trangN.html`, `/trang-N.html(m)` (znews, vtcnews),
/// `/page/N` (WordPress).
static PAGINATION_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:[?&](?:p|page)=\d+(?:&|$))|(?:/trang-?\d+\.html?(?:\?|$))|(?:/page/\d+/?(?:\?|$))",
    )
    .expect("constant regex")
});

/// The page number inside a [`PAGINATION_URL`] syntax (the last one in the URL).
static PAGE_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:[?&](?:p|page)=|/trang-?|/page/)(\d{1,6})").expect("constant regex")
});

/// A page with more stylesheets than this is not one a reader sees.
const MAX_STYLESHEETS: usize = 32;

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("constant selector")
}

/// Where a pagination URL sits in its chain: the URL with its page number replaced by `{n}`
/// (the chain's identity: `/thoi-su/?p=7` → `/thoi-su/?p={n}`) and the number. None for a URL
/// in none of the pagination syntaxes (a chain's first page usually has no number). Backfill
/// runs use it to know how deep a chain they walked (issue 5).
pub fn chain_position(url: &Url) -> Option<(String, u32)> {
    let text = url.as_str();
    if !PAGINATION_URL.is_match(text) {
        return None;
    }
    let number = PAGE_NUMBER.captures_iter(text).last()?.get(1)?;
    let page = number.as_str().parse().ok()?;
    let chain = format!("{}{{n}}{}", &text[..number.start()], &text[number.end()..]);
    Some((chain, page))
}

/// The outlinks, canonical URL and base URL of an HTML page fetched from `page_url`.
pub fn discover(html: &str, page_url: &Url) -> Page {
    discover_document(&Html::parse_document(html), page_url)
}

/// [`discover`] on an already parsed page.
pub fn discover_document(doc: &Html, page_url: &Url) -> Page {
    let base = base_url(doc, page_url);
    let mut canonical = None;
    let mut stylesheets = Vec::new();
    let mut links = Collected::default();
    for element in doc.select(&LINKING) {
        let Some(href) = element.value().attr("href") else {
            continue;
        };
        let Some(url) = resolve(&base, href).map(|u| canonicalize(&u)) else {
            continue;
        };
        match role(element, &url) {
            Role::Canonical if canonical.is_none() => canonical = Some(url),
            Role::Link(relation) => links.add(url, relation),
            Role::Stylesheet
                if !stylesheets.contains(&url) && stylesheets.len() < MAX_STYLESHEETS =>
            {
                stylesheets.push(url)
            }
            Role::Canonical | Role::Stylesheet | Role::Ignored => {}
        }
    }
    Page {
        links: links.links,
        canonical,
        stylesheets,
        base,
    }
}

/// The document base URL: the first `<base href>` resolved against the page URL, or the page
/// URL when there is none or it does not parse (HTML §4.2.3 "frozen base URL"). A base that is
/// not http(s) is ignored too: nothing relative to it could be fetched.
fn base_url(doc: &Html, page_url: &Url) -> Url {
    let href = doc
        .select(&BASE)
        .next()
        .and_then(|base| base.value().attr("href"));
    href.and_then(|h| {
        page_url
            .join(h.trim_matches(|c: char| c.is_ascii_whitespace()))
            .ok()
    })
    .filter(|u| matches!(u.scheme(), "http" | "https"))
    .unwrap_or_else(|| page_url.clone())
}

/// What an element's href is to the crawl.
enum Role {
    Canonical,
    Stylesheet,
    Link(Relation),
    Ignored,
}

fn role(element: ElementRef, url: &Url) -> Role {
    let rel = element.value().attr("rel").unwrap_or_default();
    if element.value().name() == "link" {
        return link_role(rel);
    }
    if MENU_EXPANDER.matches(&element) {
        return Role::Ignored;
    }
    Role::Link(anchor_relation(element, rel, url))
}

/// `<link>`: `canonical`, `next`, and stylesheets (requisites); icons, feeds and AMP copies are
/// not pages to discover from here.
fn link_role(rel: &str) -> Role {
    if has_token(rel, "canonical") {
        Role::Canonical
    } else if has_token(rel, "stylesheet") {
        Role::Stylesheet
    } else if has_token(rel, "next") {
        Role::Link(Relation::More)
    } else {
        Role::Ignored
    }
}

/// `<a>`/`<area>`: More when marked `rel=next`, inside a "see more" or pagination container,
/// labelled like a "see more" link, or pointing at a pagination URL.
fn anchor_relation(element: ElementRef, rel: &str, url: &Url) -> Relation {
    let more = has_token(rel, "next")
        || MORE_CONTAINER.matches(&element)
        || has_more_label(element)
        || PAGINATION_URL.is_match(url.as_str());
    if more {
        Relation::More
    } else {
        Relation::Plain
    }
}

/// Whether a space-separated attribute (`rel`) holds `token`, ASCII case-insensitively.
fn has_token(list: &str, token: &str) -> bool {
    list.split_ascii_whitespace()
        .any(|t| t.eq_ignore_ascii_case(token))
}

/// Whether the link's text, `title` or `aria-label` is a "see more" / "next" label (icon-only
/// arrows often carry their label in `title`).
fn has_more_label(element: ElementRef) -> bool {
    let attrs = ["title", "aria-label"]
        .into_iter()
        .filter_map(|name| element.value().attr(name));
    short_text(element)
        .into_iter()
        .chain(attrs.map(str::to_string))
        .any(|label| is_more_label(&label))
}

/// The element's text, or `None` once it is clearly too long to be a label (an anchor may wrap
/// a whole teaser block). The raw text still holds layout whitespace, hence the generous limit;
/// [`is_more_label`] applies the exact one after collapsing it.
fn short_text(element: ElementRef) -> Option<String> {
    let mut text = String::new();
    for piece in element.text() {
        text.push_str(piece);
        if text.chars().count() > MAX_LABEL_CHARS * 4 {
            return None;
        }
    }
    Some(text)
}

/// Matches a label after NFC normalisation (live pages carry NFD text, docs/profiles.md), lowercasing
/// and whitespace collapsing.
fn is_more_label(raw: &str) -> bool {
    // extract::nfc returns NFC text untouched (nearly every label) instead of decomposing and
    // recomposing every one (issue 17).
    let text: String = crate::extract::nfc(raw).to_lowercase();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() > MAX_LABEL_CHARS {
        return false;
    }
    if MORE_ARROWS.contains(&text.as_str()) {
        return true;
    }
    let core = text.trim_matches(|c: char| c.is_whitespace() || LABEL_DECORATION.contains(&c));
    MORE_LABELS.contains(&core)
}

/// Links in first-seen order, one per canonical URL; a URL seen as both kinds is More.
#[derive(Default)]
struct Collected {
    links: Vec<Link>,
    positions: HashMap<String, usize>,
}

impl Collected {
    fn add(&mut self, url: Url, relation: Relation) {
        if let Some(&i) = self.positions.get(url.as_str()) {
            if relation == Relation::More {
                self.links[i].relation = Relation::More;
            }
            return;
        }
        if self.links.len() < MAX_LINKS {
            self.positions.insert(url.to_string(), self.links.len());
            self.links.push(Link { url, relation });
        }
    }
}

#[cfg(test)]
mod tests;
