//! Selectors against one page: what each family preset's selectors match, and the ranking.
//!
//! Part of `probe`. For every preset of [`crate::config::family`] and every field it sets, counts
//! the elements its selector matches and keeps a short NFC sample of the first one with text
//! (title, lead, published, byline). A family's score is the weight of its matched fields over
//! the weight of the fields it defines, the body weighing [`BODY_WEIGHT`] (a preset is about
//! its body container above all; `time[datetime]` or `h1` match nearly any page). A few common
//! selectors that belong to no preset are tried too, for the snippet's fallbacks. Pure: never
//! touches the network or the extractor.

use scraper::{ElementRef, Html, Selector};
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;
use url::Url;

use crate::config::family::{self, Family};

/// A body selector outweighs any other field: it is what makes a preset useful.
const BODY_WEIGHT: f64 = 3.0;
/// `remove` entries say little about a family (ad slots come and go).
const REMOVE_WEIGHT: f64 = 0.5;
/// Sample length, in characters.
const SAMPLE_CHARS: usize = 80;
/// A common body selector counts only when it holds at least this much text (characters):
/// `article` or `#content` on a listing holds a teaser, not a body.
const MIN_COMMON_BODY_CHARS: usize = 200;

/// Selectors of no preset, most specific first per field: the snippet suggests the first one
/// that matched where the family has none (or its own missed).
const COMMON: &[(&str, &str)] = &[
    ("title", "h1"),
    ("lead", "[class*='sapo']"),
    ("lead", ".lead, .summary"),
    ("body", "[itemprop='articleBody']"),
    (
        "body",
        "[class*='detail-content'], [class*='content-detail']",
    ),
    (
        "body",
        "[class*='article-content'], [class*='article-body']",
    ),
    ("body", "article"),
    ("published", "[itemprop='datePublished']"),
    ("published", "time[datetime]"),
    ("published", "[class*='publish'], [class*='date']"),
    ("byline", "[itemprop='author']"),
    ("byline", "[class*='author']"),
];

/// What one selector matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectorMatch {
    /// `title`, `lead`, `body`, `published`, `byline` or `remove`.
    pub field: String,
    pub selector: String,
    /// Elements matched.
    pub count: usize,
    /// At least one match has text (for `remove`: any match).
    pub matched: bool,
    /// The first match's text (for a `datetime` element, the attribute), ≤ 80 characters, NFC;
    /// only for title, lead, published and byline.
    pub sample: Option<String>,
}

/// One family preset against the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyMatch {
    pub name: String,
    /// Its row in docs/profiles.md (A–F).
    pub letter: char,
    pub about: String,
    /// Matched weight over defined weight, 0 to 1.
    pub score: f64,
    pub body_matched: bool,
    /// The page's URL matches the article pattern this family generates for the URL's host.
    pub url_matches_article: bool,
    pub selectors: Vec<SelectorMatch>,
}

/// Every preset against `doc`, best first: body matched, then score, then URL shape, then the
/// weight matched; ties keep docs/profiles.md's order.
pub fn rank(doc: &Html, url: &Url) -> Vec<FamilyMatch> {
    let mut ranked: Vec<(f64, FamilyMatch)> = family::all()
        .iter()
        .map(|f| {
            let m = against(doc, f, url);
            (matched_weight(&m.selectors), m)
        })
        .collect();
    ranked.sort_by(|(wa, a), (wb, b)| {
        (b.body_matched.cmp(&a.body_matched))
            .then(b.score.total_cmp(&a.score))
            .then(b.url_matches_article.cmp(&a.url_matches_article))
            .then(wb.total_cmp(wa))
    });
    ranked.into_iter().map(|(_, m)| m).collect()
}

/// The common selectors that matched, in [`COMMON`]'s order.
pub fn common(doc: &Html) -> Vec<SelectorMatch> {
    COMMON
        .iter()
        .map(|(field, sel)| try_selector(doc, field, sel))
        .filter(|m| m.matched && (m.field != "body" || long_enough(doc, &m.selector)))
        .collect()
}

/// The first common selector that matched `field`, if any.
pub fn first_common<'a>(common: &'a [SelectorMatch], field: &str) -> Option<&'a SelectorMatch> {
    common.iter().find(|m| m.field == field)
}

fn against(doc: &Html, family: &Family, url: &Url) -> FamilyMatch {
    let selectors: Vec<SelectorMatch> = family
        .selector_fields()
        .into_iter()
        .map(|(field, sel)| try_selector(doc, field, sel))
        .collect();
    let defined = selectors.iter().fold(0.0, |t, m| t + weight(&m.field));
    let score = if defined > 0.0 {
        matched_weight(&selectors) / defined
    } else {
        0.0
    };
    FamilyMatch {
        name: family.name.to_string(),
        letter: family.letter,
        about: family.about.to_string(),
        score,
        body_matched: selectors.iter().any(|m| m.field == "body" && m.matched),
        url_matches_article: url_matches_article(family, url),
        selectors,
    }
}

fn weight(field: &str) -> f64 {
    match field {
        "body" => BODY_WEIGHT,
        "remove" => REMOVE_WEIGHT,
        _ => 1.0,
    }
}

fn matched_weight(selectors: &[SelectorMatch]) -> f64 {
    // A fold from +0.0: an empty float `sum` is -0.0, which prints as "-0.00".
    selectors
        .iter()
        .filter(|m| m.matched)
        .fold(0.0, |total, m| total + weight(&m.field))
}

/// Does `url` match the article pattern `family` generates for its host (as a portal would)?
pub fn url_matches_article(family: &Family, url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let patterns = family.patterns(&[host]);
    patterns
        .article
        .iter()
        .filter_map(|p| regex::Regex::new(p).ok())
        .any(|re| re.is_match(url.as_str()))
}

fn try_selector(doc: &Html, field: &str, selector: &str) -> SelectorMatch {
    let found: Vec<ElementRef> = match Selector::parse(selector) {
        Ok(sel) => doc.select(&sel).collect(),
        Err(_) => Vec::new(),
    };
    let with_text = found.iter().find(|el| !element_text(**el).is_empty());
    let sampled = matches!(field, "title" | "lead" | "published" | "byline");
    SelectorMatch {
        field: field.to_string(),
        selector: selector.to_string(),
        count: found.len(),
        matched: if field == "remove" {
            !found.is_empty()
        } else {
            with_text.is_some()
        },
        sample: with_text.filter(|_| sampled).map(|el| sample(*el)),
    }
}

/// Whether the first match of `selector` with text holds a body's worth of it.
fn long_enough(doc: &Html, selector: &str) -> bool {
    let Ok(sel) = Selector::parse(selector) else {
        return false;
    };
    doc.select(&sel)
        .any(|el| element_text(el).chars().count() >= MIN_COMMON_BODY_CHARS)
}

/// The element's text, whitespace collapsed, NFC.
fn element_text(el: ElementRef) -> String {
    let joined: String = el.text().collect::<Vec<_>>().join(" ");
    let collapsed = joined.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.nfc().collect()
}

/// A `datetime` attribute is what the extractor reads first; otherwise the visible text.
fn sample(el: ElementRef) -> String {
    let text = match el.value().attr("datetime") {
        Some(dt) if !dt.trim().is_empty() => dt.trim().nfc().collect(),
        _ => element_text(el),
    };
    shorten(&text, SAMPLE_CHARS)
}

/// At most `max` characters, an ellipsis marking a cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn a_cms_page_ranks_cms_first_with_samples() {
        let html = r#"<h1 class="article__title">  Sống   đẹp </h1><div class="article__sapo">Không ồn ào</div>
            <time datetime="2025-06-17T13:43:02+0700">17/06/2025</time>
            <div class="article__body cms-body"><p>Thân bài</p></div>"#;
        let doc = Html::parse_document(html);
        let ranked = rank(&doc, &url("https://baolaocai.vn/song-dep-post404649.html"));
        let cms = &ranked[0];
        assert_eq!((cms.name.as_str(), cms.score), ("cms", 1.0));
        assert!(cms.body_matched && cms.url_matches_article);
        let title = &cms.selectors[0];
        assert_eq!(
            (title.count, title.sample.as_deref()),
            (1, Some("Sống đẹp"))
        );
        let published = cms.selectors.iter().find(|m| m.field == "published");
        assert_eq!(
            published.and_then(|m| m.sample.as_deref()),
            Some("2025-06-17T13:43:02+0700")
        );
        // No other family's body matched.
        assert!(ranked[1..].iter().all(|f| !f.body_matched));
    }

    #[test]
    fn the_body_outweighs_a_stray_time_element() {
        // `time[datetime]` alone gives cms 1/6; b-maincontent's body alone gives it 3/3.
        let html = r#"<time datetime="2025-01-01">1/1</time><div class="b-maincontent"><p>Nội dung</p></div>"#;
        let doc = Html::parse_document(html);
        let ranked = rank(&doc, &url("https://baodanang.vn/tin-123.html"));
        assert_eq!(ranked[0].name, "b-maincontent");
        assert_eq!(ranked[0].score, 1.0);
        let cms = ranked.iter().find(|f| f.name == "cms").unwrap();
        assert!((cms.score - 1.0 / 6.0).abs() < 1e-9, "{}", cms.score);
    }

    #[test]
    fn empty_matches_do_not_count_and_samples_are_short_and_nfc() {
        let long = "Thứ Tư ".repeat(30);
        let decomposed: String = long.nfd().collect();
        let html = format!(r#"<h1 class="name">{decomposed}</h1><div id="content-detail"> </div>"#);
        let doc = Html::parse_document(&html);
        let m = try_selector(&doc, "title", "h1.name");
        let sample = m.sample.unwrap();
        assert_eq!(sample.chars().count(), 80);
        assert!(sample.ends_with('…') && sample.starts_with("Thứ Tư Thứ"));
        let body = try_selector(&doc, "body", "#content-detail");
        assert_eq!((body.count, body.matched, body.sample), (1, false, None));
    }

    #[test]
    fn url_shapes_are_judged_per_family_for_the_urls_host() {
        let fck = family::preset("content-fck").unwrap();
        assert!(url_matches_article(fck, &url("https://a.vn/tin-a12.html")));
        assert!(!url_matches_article(fck, &url("https://a.vn/tin-12.html")));
        let hex = family::preset("yyyymm-hex").unwrap();
        assert!(url_matches_article(
            hex,
            &url("http://127.0.0.7:8080/thoi-su/202506/tin-3f2a9c1/")
        ));
    }

    #[test]
    fn common_bodies_need_a_bodys_worth_of_text() {
        let short = Html::parse_document("<article><p>Ngắn</p></article><h1>T</h1>");
        let fields: Vec<String> = common(&short).into_iter().map(|m| m.field).collect();
        assert_eq!(fields, ["title"]);
        let long = format!("<article><p>{}</p></article>", "chữ ".repeat(60));
        let found = common(&Html::parse_document(&long));
        assert_eq!(first_common(&found, "body").unwrap().selector, "article");
    }
}
