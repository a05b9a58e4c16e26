//! When the article was published and modified: the date cascade.
//!
//! Part of the extract stage (docs/profiles.md): JSON-LD `datePublished` →
//! `article:published_time` → `time[datetime]` → `itemprop=datePublished` → the visible date
//! line. The first structured value that parses wins, except that a bare date ("2026-01-08")
//! loses to a visible date-time of the same day. Parsing itself lives in [`super::dates`].
//! Pure: no I/O.

use std::sync::LazyLock;

use chrono::Datelike;
use scraper::{ElementRef, Html, Selector};

use super::chars::char_len;
use super::dates::{ICT, Stamp, parse_structured, visible_stamp};
use super::meta::Meta;
use super::text::{keep_all, visible_text};

static TIME_DATETIME: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("time[datetime]").unwrap());
static ITEMPROP_PUBLISHED: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("[itemprop=datePublished]").unwrap());
static ITEMPROP_MODIFIED: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("[itemprop=dateModified]").unwrap());
/// Where the families print their date line (`div.date`, `span.pubdate`, `.time-update`, …).
/// Classes of visible date lines (every `<time>` element counts too).
const DATE_CLASSES: &[&str] = &[
    "date",
    "pubdate",
    "publish-date",
    "time-update",
    "the-article-publish",
    "detail-time",
    "post-date",
    "date-time",
    "datetime",
    "news-date",
    "date-post",
    "article-date",
    "time",
];

/// Elements that may hold a visible date line, in document order: a `<time>` or one of
/// [`DATE_CLASSES`]. Matched by hand in one walk (a CSS selector list of fifteen cost fifteen
/// matches per element).
fn date_lines(doc: &Html) -> impl Iterator<Item = ElementRef<'_>> {
    doc.root_element().descendent_elements().filter(|el| {
        let e = el.value();
        e.name() == "time"
            || e.classes()
                .any(|c| DATE_CLASSES.iter().any(|k| k.eq_ignore_ascii_case(c)))
    })
}

/// A visible date line is short; longer texts are containers that hold many dates.
const MAX_DATE_LINE_CHARS: usize = 120;

/// The publication instant, by the cascade. `custom` is a configured `published` selector,
/// tried first among visible dates; `title` anchors "after the title" preferences.
pub fn published(
    doc: &Html,
    meta: &Meta,
    custom: Option<&Selector>,
    title: Option<ElementRef>,
) -> Option<Stamp> {
    let structured = structured_published(doc, meta, title);
    if structured.is_some_and(|s| s.has_time) {
        return structured;
    }
    let visible = visible_date(doc, custom, title).filter(|v| v.has_time);
    match (structured, visible) {
        (Some(date), Some(time)) if same_day(&date, &time) => Some(time),
        (Some(date), _) => Some(date),
        (None, visible) => visible.or_else(|| visible_date(doc, custom, title)),
    }
}

/// The last-modified instant: JSON-LD, `article:modified_time`, `itemprop=dateModified`.
pub fn modified(doc: &Html, meta: &Meta) -> Option<Stamp> {
    let metas = [
        meta.ld.modified.as_deref(),
        meta.get("article:modified_time"),
        meta.get("og:updated_time"),
    ];
    metas
        .into_iter()
        .flatten()
        .find_map(parse_structured)
        .or_else(|| doc.select(&ITEMPROP_MODIFIED).find_map(stamp_of))
        .or_else(|| meta.get("lastmod").and_then(parse_structured))
}

fn structured_published(doc: &Html, meta: &Meta, title: Option<ElementRef>) -> Option<Stamp> {
    let metas = [
        meta.ld.published.as_deref(),
        meta.get("article:published_time"),
    ];
    metas
        .into_iter()
        .flatten()
        .find_map(parse_structured)
        .or_else(|| nearest_title_first(doc.select(&TIME_DATETIME), title).find_map(stamp_of))
        .or_else(|| doc.select(&ITEMPROP_PUBLISHED).find_map(stamp_of))
        .or_else(|| meta.get("pubdate").and_then(parse_structured))
}

/// A structured value carried by an element: `datetime`, `content`, else its text.
fn stamp_of(el: ElementRef) -> Option<Stamp> {
    let value = el.value();
    let raw = value
        .attr("datetime")
        .or_else(|| value.attr("content"))
        .map(String::from);
    raw.or_else(|| Some(visible_text(el, &keep_all)))
        .as_deref()
        .and_then(parse_structured)
}

fn visible_date(doc: &Html, custom: Option<&Selector>, title: Option<ElementRef>) -> Option<Stamp> {
    let custom_hit = custom.and_then(|sel| doc.select(sel).find_map(|el| line_stamp(el)));
    custom_hit
        .or_else(|| nearest_title_first(date_lines(doc), title).find_map(line_stamp))
        .or_else(|| title.and_then(near_title))
}

fn line_stamp(el: ElementRef) -> Option<Stamp> {
    let text = visible_text(el, &keep_all);
    (char_len(&text) <= MAX_DATE_LINE_CHARS)
        .then(|| visible_stamp(&text))
        .flatten()
}

/// The few elements right after the title, where a date line without a known class sits.
fn near_title(title: ElementRef) -> Option<Stamp> {
    title
        .next_siblings()
        .filter_map(ElementRef::wrap)
        .take(4)
        .find_map(line_stamp)
}

/// Elements nearest the title first, by steps through the tree (up to the common ancestor and
/// down again): the article's own date line sits beside its headline, before or after it,
/// while sidebars and "most read" boxes carry other dates further away (issue 14: a sidebar
/// video list's date won over the date line just above the headline). Ties: after the title
/// first, then document order. Without a title, document order.
fn nearest_title_first<'a>(
    found: impl Iterator<Item = ElementRef<'a>>,
    title: Option<ElementRef<'a>>,
) -> impl Iterator<Item = ElementRef<'a>> {
    let mut found: Vec<ElementRef<'a>> = found.collect();
    if let Some(title) = title {
        let up: Vec<_> = title.ancestors().map(|a| a.id()).collect();
        found.sort_by_cached_key(|el| (distance(*el, title, &up), el.id() < title.id()));
    }
    found.into_iter()
}

/// Tree distance from `el` to `title`, whose ancestors (nearest first) are `up`.
fn distance(el: ElementRef, title: ElementRef, up: &[ego_tree::NodeId]) -> usize {
    if el.id() == title.id() {
        return 0;
    }
    for (steps, node) in std::iter::once(*el).chain(el.ancestors()).enumerate() {
        if node.id() == title.id() {
            return steps;
        }
        if let Some(i) = up.iter().position(|&a| a == node.id()) {
            return steps + i + 1;
        }
    }
    usize::MAX
}

fn same_day(a: &Stamp, b: &Stamp) -> bool {
    let (a, b) = (a.at.with_timezone(&ICT), b.at.with_timezone(&ICT));
    (a.year(), a.ordinal()) == (b.year(), b.ordinal())
}

#[cfg(test)]
mod tests {
    use super::super::dates::to_rfc3339;
    use super::*;

    fn published_of(html: &str) -> Option<String> {
        let doc = Html::parse_document(html);
        let meta = Meta::read(&doc);
        let title = doc.select(&Selector::parse("h1").unwrap()).next();
        published(&doc, &meta, None, title).map(|s| to_rfc3339(&s.at))
    }

    #[test]
    fn json_ld_wins_over_everything() {
        let html = r#"<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2023-01-05T00:31:00Z"}</script>
            <meta property="article:published_time" content="2020-01-01T00:00:00+07:00"><h1>T</h1><div class="date">06/01/2023 10:00</div>"#;
        assert_eq!(
            published_of(html).as_deref(),
            Some("2023-01-05T07:31:00+07:00")
        );
    }

    #[test]
    fn a_bare_date_loses_to_a_visible_date_time_of_that_day() {
        let html = r#"<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2026-01-08"}</script>
            <div class="date">Tin cũ 01/01/2020 08:00</div><h1>Tiêu đề</h1><span class="pubdate">08/01/2026 - 18:21</span>"#;
        assert_eq!(
            published_of(html).as_deref(),
            Some("2026-01-08T18:21:00+07:00")
        );
        let other_day = r#"<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2026-01-08"}</script>
            <h1>Tiêu đề</h1><span class="pubdate">09/02/2026 - 18:21</span>"#;
        assert_eq!(
            published_of(other_day).as_deref(),
            Some("2026-01-08T00:00:00+07:00")
        );
    }

    #[test]
    fn time_datetime_without_colon_and_itemprop() {
        let html = r#"<h1>T</h1><time class="time" datetime="2025-06-17T13:43:02+0700">17/06/2025 13:43</time>"#;
        assert_eq!(
            published_of(html).as_deref(),
            Some("2025-06-17T13:43:02+07:00")
        );
        let html =
            r#"<h1>T</h1><span itemprop="datePublished" content="2021-12-01 11:51:00"></span>"#;
        assert_eq!(
            published_of(html).as_deref(),
            Some("2021-12-01T11:51:00+07:00")
        );
    }

    #[test]
    fn visible_line_right_after_the_title_without_a_known_class() {
        let html = r#"<div class="x"><h1>Tiêu đề</h1><p class="meta-line">Thứ Năm, ngày 05/01/2023 | 07:31</p></div>"#;
        assert_eq!(
            published_of(html).as_deref(),
            Some("2023-01-05T07:31:00+07:00")
        );
    }
}
