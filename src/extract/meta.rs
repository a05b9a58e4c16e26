//! Page metadata: `<meta>`, JSON-LD, canonical link, robots, breadcrumbs and tags.
//!
//! Part of the extract stage. Everything here is selected anywhere in the document, never only
//! in `<head>`: a stray `</html>` before `<head>` (seen on baotayninh) makes an HTML5 parser put
//! every `<meta>` and JSON-LD block into `<body>` (docs/profiles.md). JSON-LD is
//! read leniently (arrays, `@graph`, several blocks, article types of every flavour). Pure: no I/O.

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use super::text::{hidden_within, keep_all, visible_text, with_class};
use super::words::clean;

static META: LazyLock<Selector> = LazyLock::new(|| Selector::parse("meta").unwrap());
static LD_JSON: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse(r#"script[type="application/ld+json" i]"#).unwrap());
static CANONICAL: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse(r#"link[rel~="canonical" i][href]"#).unwrap());
static BASE: LazyLock<Selector> = LazyLock::new(|| Selector::parse("base[href]").unwrap());
/// Classes of breadcrumb trails (and schema.org's `BreadcrumbList`, matched on `itemtype`).
const BREADCRUMBS: &[&str] = &[
    "breadcrumb",
    "breadcrumbs",
    "box-breadcrumb",
    "bread-crumb",
    "breadcrumb-detail",
    "the-article-category",
];
/// Classes of tag boxes; the boxes are found first, then their items, because descendant
/// selectors over a whole page are slow.
const TAG_BOXES: &[&str] = &[
    "tags",
    "tag",
    "article__tags",
    "box-tags",
    "box-tag",
    "tags-list",
    "list-tags",
    "tag-list",
    "news-tags",
    "keywords",
    "the-article-tags",
];
/// Items of a tag box (znews lists some tags as plain `span`/`strong`).
static TAG_ITEMS: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("a, span, strong").unwrap());

/// Schema.org types that describe an article.
const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "BlogPosting",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "LiveBlogPosting",
];

/// Breadcrumb labels that name the site, not a section.
const HOME_LABELS: &[&str] = &["trang chủ", "home", "tin tức", "trang nhất"];

/// What JSON-LD says about the article (first article-typed object wins per field).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Ld {
    pub headline: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub authors: Vec<String>,
    pub section: Option<String>,
    /// BreadcrumbList names in position order.
    pub breadcrumbs: Vec<String>,
}

/// The page's `<meta>` pairs and JSON-LD, read once.
#[derive(Debug, Default)]
pub struct Meta {
    /// (lower-cased `name`/`property`/`itemprop`, cleaned content) in document order.
    pairs: Vec<(String, String)>,
    pub ld: Ld,
}

impl Meta {
    pub fn read(doc: &Html) -> Meta {
        let mut pairs = Vec::new();
        for el in doc.select(&META) {
            let value = el.value();
            let Some(content) = value.attr("content").or_else(|| value.attr("value")) else {
                continue;
            };
            let content = clean(content);
            for key in ["property", "name", "itemprop"]
                .iter()
                .filter_map(|k| value.attr(k))
            {
                pairs.push((key.trim().to_ascii_lowercase(), content.clone()));
            }
        }
        let mut found = LdObjects::default();
        for script in doc.select(&LD_JSON) {
            if let Some(value) = parse_json_ld(&script.text().collect::<String>()) {
                found.collect(value, 0);
            }
        }
        Meta {
            pairs,
            ld: found.into_ld(),
        }
    }

    /// The first non-empty content for `key` (lower case).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Every non-empty content for `key`, in document order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// Did the page ask `robots: noarchive`?
    pub fn noarchive(&self) -> bool {
        self.all("robots").any(|c| {
            c.split(',')
                .any(|d| d.trim().eq_ignore_ascii_case("noarchive"))
        })
    }
}

/// JSON-LD as pages write it: tolerate raw newlines and tabs inside strings.
fn parse_json_ld(raw: &str) -> Option<Value> {
    serde_json::from_str(raw.trim()).ok().or_else(|| {
        let flattened: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        serde_json::from_str(flattened.trim()).ok()
    })
}

/// JSON-LD nesting followed (arrays, `@graph`); deeper is ignored.
const MAX_LD_DEPTH: usize = 8;

/// The JSON-LD objects that matter, sorted by kind.
#[derive(Default)]
struct LdObjects {
    articles: Vec<Value>,
    /// `WebPage` objects only fill what no article object gave.
    pages: Vec<Value>,
    breadcrumbs: Vec<String>,
}

impl LdObjects {
    fn collect(&mut self, value: Value, depth: usize) {
        if depth > MAX_LD_DEPTH {
            return;
        }
        match value {
            Value::Array(items) => items.into_iter().for_each(|v| self.collect(v, depth + 1)),
            Value::Object(mut map) => {
                if let Some(graph) = map.remove("@graph") {
                    self.collect(graph, depth + 1);
                }
                let value = Value::Object(map);
                if has_type(&value, &["BreadcrumbList"]) && self.breadcrumbs.is_empty() {
                    self.breadcrumbs = breadcrumb_names(&value);
                } else if has_type(&value, ARTICLE_TYPES) {
                    self.articles.push(value);
                } else if has_type(&value, &["WebPage"]) {
                    self.pages.push(value);
                }
            }
            _ => {}
        }
    }

    fn into_ld(self) -> Ld {
        let mut ld = Ld {
            breadcrumbs: self.breadcrumbs,
            ..Ld::default()
        };
        self.articles
            .iter()
            .chain(&self.pages)
            .for_each(|v| read_article(v, &mut ld));
        ld
    }
}

fn has_type(value: &Value, wanted: &[&str]) -> bool {
    match value.get("@type") {
        Some(Value::String(t)) => wanted.contains(&t.as_str()),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .any(|t| wanted.contains(&t)),
        _ => false,
    }
}

fn read_article(value: &Value, ld: &mut Ld) {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(clean)
            .filter(|s| !s.is_empty())
    };
    ld.headline = ld.headline.take().or_else(|| text("headline"));
    ld.published = ld.published.take().or_else(|| text("datePublished"));
    ld.modified = ld.modified.take().or_else(|| text("dateModified"));
    ld.section = ld.section.take().or_else(|| text("articleSection"));
    if ld.authors.is_empty() {
        ld.authors = value.get("author").map(person_names).unwrap_or_default();
    }
}

/// Names of `author` values: a string, a Person, or a list of them (Organizations skipped).
fn person_names(author: &Value) -> Vec<String> {
    match author {
        Value::String(s) => vec![clean(s)],
        Value::Array(items) => items.iter().flat_map(person_names).collect(),
        Value::Object(_) if has_type(author, &["Organization", "NewsMediaOrganization"]) => {
            Vec::new()
        }
        Value::Object(map) => map
            .get("name")
            .and_then(Value::as_str)
            .map(clean)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|s| !s.is_empty())
    .collect()
}

fn breadcrumb_names(list: &Value) -> Vec<String> {
    let Some(Value::Array(items)) = list.get("itemListElement") else {
        return Vec::new();
    };
    let mut named: Vec<(i64, String)> = items
        .iter()
        .filter_map(|item| {
            let position = item.get("position").and_then(Value::as_i64).unwrap_or(0);
            let name = item
                .get("name")
                .or_else(|| item.get("item").and_then(|i| i.get("name")));
            name.and_then(Value::as_str).map(|n| (position, clean(n)))
        })
        .collect();
    named.sort_by_key(|(p, _)| *p);
    named.into_iter().map(|(_, n)| n).collect()
}

/// The base URL for relative links: `<base href>` resolved against the page URL (HTML §4.2.3).
pub fn base_url(doc: &Html, url: &Url) -> Url {
    doc.select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| url.join(href.trim()).ok())
        .unwrap_or_else(|| url.clone())
}

/// `<link rel=canonical>`, absolute.
pub fn canonical(doc: &Html, base: &Url) -> Option<String> {
    let href = doc.select(&CANONICAL).next()?.value().attr("href")?;
    base.join(href.trim()).ok().map(String::from)
}

/// The section: the deepest breadcrumb link, else `article:section`, else JSON-LD.
pub fn section(doc: &Html, meta: &Meta) -> Option<String> {
    breadcrumb_trails(doc)
        .filter(|el| !hidden_within(*el))
        .find_map(deepest_crumb)
        .or_else(|| meta.get("article:section").map(String::from))
        .or_else(|| meta.ld.section.clone())
        .or_else(|| {
            meta.ld
                .breadcrumbs
                .iter()
                .rev()
                .find(|n| !is_home(n))
                .cloned()
        })
}

fn breadcrumb_trails(doc: &Html) -> impl Iterator<Item = ElementRef<'_>> {
    doc.root_element().descendent_elements().filter(|el| {
        let e = el.value();
        e.classes()
            .any(|c| BREADCRUMBS.iter().any(|b| b.eq_ignore_ascii_case(c)))
            || e.attr("itemtype")
                .is_some_and(|t| t.contains("BreadcrumbList"))
    })
}

fn deepest_crumb(trail: ElementRef) -> Option<String> {
    let links = trail
        .descendent_elements()
        .filter(|e| e.value().name() == "a");
    links
        .map(|a| visible_text(a, &keep_all))
        .filter(|t| !t.is_empty() && !is_home(t))
        .last()
}

fn is_home(label: &str) -> bool {
    HOME_LABELS.contains(&label.to_lowercase().as_str())
}

/// Tags: the tag box of the article, else `article:tag`, else `keywords`.
pub fn tags(doc: &Html, meta: &Meta) -> Vec<String> {
    let boxed: Vec<String> = with_class(doc, TAG_BOXES)
        .filter(|el| !hidden_within(*el))
        .flat_map(tag_items)
        .collect();
    let from_meta = |key: &str| -> Vec<String> {
        meta.all(key)
            .flat_map(|c| c.split(','))
            .map(String::from)
            .collect()
    };
    [
        boxed,
        from_meta("article:tag"),
        from_meta("keywords"),
        from_meta("news_keywords"),
    ]
    .into_iter()
    .map(tidy_tags)
    .find(|t| !t.is_empty())
    .unwrap_or_default()
}

/// The box's links; plain `span`/`strong` items only when it has no link (znews mixes them).
fn tag_items(tag_box: ElementRef) -> Vec<String> {
    let items: Vec<ElementRef> = tag_box.select(&TAG_ITEMS).collect();
    let links: Vec<&ElementRef> = items.iter().filter(|e| e.value().name() == "a").collect();
    let chosen: Vec<&ElementRef> =
        if links.is_empty() || tag_box.value().classes().any(|c| c == "the-article-tags") {
            items.iter().collect()
        } else {
            links
        };
    chosen
        .into_iter()
        .map(|el| visible_text(*el, &keep_all))
        .collect()
}

fn tidy_tags(raw: Vec<String>) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let tag = clean(tag.trim_start_matches('#'));
        if !tag.is_empty()
            && char_count(&tag) <= 80
            && !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase())
        {
            tags.push(tag);
        }
    }
    tags
}

fn char_count(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ld_in_graphs_arrays_and_with_raw_newlines() {
        let html = r#"<script type="application/ld+json">{"@graph":[{"@type":"WebSite","name":"x"},
            {"@type":["NewsArticle"],"headline":"Tiêu đề
            xuống dòng","datePublished":"2026-01-08","author":[{"@type":"Person","name":"A Một"},{"@type":"Organization","name":"Báo X"}]}]}</script>
            <script type="application/ld+json">{"@type":"BreadcrumbList","itemListElement":[
            {"position":2,"item":{"@id":"/b","name":"Kinh tế"}},{"position":1,"item":{"name":"Trang chủ"}}]}</script>"#;
        let meta = Meta::read(&Html::parse_document(html));
        assert_eq!(meta.ld.headline.as_deref(), Some("Tiêu đề xuống dòng"));
        assert_eq!(meta.ld.published.as_deref(), Some("2026-01-08"));
        assert_eq!(meta.ld.authors, ["A Một"]);
        assert_eq!(meta.ld.breadcrumbs, ["Trang chủ", "Kinh tế"]);
    }

    #[test]
    fn meta_pairs_robots_canonical_and_base() {
        let html = r#"<head><base href="https://cdn.example/static/"><meta name="ROBOTS" content="index, NOARCHIVE">
            <link rel="canonical" href="/a-1.html"><meta property="article:tag" content="một, hai,">
            <meta name="keywords" content="ba"></head>"#;
        let doc = Html::parse_document(html);
        let meta = Meta::read(&doc);
        assert!(meta.noarchive());
        let base = base_url(
            &doc,
            &Url::parse("https://baocantho.com.vn/x/y.html").unwrap(),
        );
        assert_eq!(base.as_str(), "https://cdn.example/static/");
        assert_eq!(
            canonical(&doc, &base).as_deref(),
            Some("https://cdn.example/a-1.html")
        );
        assert_eq!(tags(&doc, &meta), ["một", "hai"]);
    }

    #[test]
    fn section_from_breadcrumb_then_meta() {
        let doc = Html::parse_document(
            r#"<div class="box-breadcrumb"><a href="/">Trang chủ</a> › <a href="/thoi-su-215.html">Thời sự</a> › <a href="/tt.html">Thời sự trong tỉnh</a></div>"#,
        );
        assert_eq!(
            section(&doc, &Meta::read(&doc)).as_deref(),
            Some("Thời sự trong tỉnh")
        );
        let doc = Html::parse_document(r#"<meta property="article:section" content="Đầu Tư">"#);
        assert_eq!(section(&doc, &Meta::read(&doc)).as_deref(), Some("Đầu Tư"));
    }
}
