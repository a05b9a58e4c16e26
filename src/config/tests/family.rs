//! `family = "…"`: presets supply selectors and omitted patterns; unknown names are errors.

use super::*;

const ARTICLE_LINE: &str = "article_urls = ['^http://127\\.0\\.0\\.2:8080/a/\\d+$']\n";
const LISTING_LINE: &str = "listing_urls = ['^http://127\\.0\\.0\\.2:8080/$']\n";

/// [`config`] without its pattern lines, so a family has to supply them.
fn bare(portal_extra: &str) -> String {
    config("", portal_extra)
        .replace(ARTICLE_LINE, "")
        .replace(LISTING_LINE, "")
}

fn portal_of(text: &str) -> Portal {
    let (_dir, result) = load_text(text);
    result.unwrap().portals.remove(0)
}

fn strings(regexes: &[regex::Regex]) -> Vec<&str> {
    regexes.iter().map(|r| r.as_str()).collect()
}

#[test]
fn a_family_without_selectors_gets_the_presets() {
    let p = portal_of(&bare("family = \"content-fck\""));
    assert_eq!(p.family.as_deref(), Some("content-fck"));
    let s = p.selectors.unwrap();
    assert_eq!(s.body.as_deref(), Some("#newscontents .content-fck"));
    assert_eq!(s.published.as_deref(), Some("span.pubdate"));
    assert_eq!(s.remove, ["div[class*='AMN_res_']"]);
}

#[test]
fn own_selectors_override_field_by_field_and_remove_is_concatenated() {
    let p = portal_of(&bare(
        "family = \"mediatech\"\n[portal.selectors]\ntitle = \"h1.own\"\nremove = [\".ad\"]",
    ));
    let s = p.selectors.unwrap();
    assert_eq!(s.title.as_deref(), Some("h1.own"));
    assert_eq!(s.body.as_deref(), Some("#content-detail"));
    assert_eq!(s.byline.as_deref(), Some("div.author"));
    assert_eq!(s.lead, None);
    assert_eq!(s.remove, [".ad"]);
    let p = portal_of(&bare(
        "family = \"content-fck\"\n[portal.selectors]\nremove = [\".ad\"]",
    ));
    assert_eq!(
        p.selectors.unwrap().remove,
        ["div[class*='AMN_res_']", ".ad"]
    );
}

#[test]
fn omitted_patterns_are_generated_for_the_portals_hosts() {
    let p = portal_of(&bare("family = \"cms\""));
    assert_eq!(
        strings(&p.article_urls),
        [r"^https?://(127\.0\.0\.2:8080)/[a-z0-9-]+-post\d+\.html$"]
    );
    let article = |url: &str| p.article_urls.iter().any(|r| r.is_match(url));
    let listing = |url: &str| p.listing_urls.iter().any(|r| r.is_match(url));
    let excluded = |url: &str| p.exclude_urls.iter().any(|r| r.is_match(url));
    assert!(article("http://127.0.0.2:8080/song-dep-post404649.html"));
    assert!(article("https://127.0.0.2:8080/song-dep-post404649.html"));
    assert!(!article("http://127.0.0.3:8080/song-dep-post404649.html"));
    assert!(!article("http://127.0.0.2:8080/xa-hoi/"));
    assert!(listing("http://127.0.0.2:8080/xa-hoi/y-te/"));
    assert!(!listing("http://127.0.0.2:8080/song-dep-post404649.html"));
    assert!(excluded(
        "http://127.0.0.2:8080/tu-khoa/thieu-ta-tag40212.html"
    ));
    assert!(!excluded("http://127.0.0.2:8080/xa-hoi/"));
}

#[test]
fn written_patterns_replace_the_familys_list_by_list() {
    let p = portal_of(&config("", "family = \"htm\"\nexclude_urls = []"));
    assert_eq!(
        strings(&p.article_urls),
        [r"^http://127\.0\.0\.2:8080/a/\d+$"]
    );
    assert_eq!(strings(&p.listing_urls), [r"^http://127\.0\.0\.2:8080/$"]);
    assert!(p.exclude_urls.is_empty());
    let text = config("", "family = \"htm\"").replace(LISTING_LINE, "");
    let p = portal_of(&text);
    assert_eq!(p.article_urls.len(), 1);
    assert_eq!(p.listing_urls.len(), 3, "{:?}", strings(&p.listing_urls));
    assert_eq!(p.exclude_urls.len(), 1);
}

#[test]
fn an_unknown_family_is_an_error_listing_the_presets() {
    let shown = expect_error(
        &config("", "family = \"wordpress\""),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".family",
    );
    assert!(shown.contains("unknown family `wordpress`"), "{shown}");
    assert!(
        shown.contains("content-fck, cms, b-maincontent, yyyymm-hex, mediatech, htm"),
        "{shown}"
    );
}

#[test]
fn without_a_family_the_patterns_stay_required() {
    let shown = expect_error(
        &config("", "").replace(ARTICLE_LINE, ""),
        5,
        "portal \"demo\".article_urls",
    );
    assert!(
        shown.contains("required key `article_urls` is missing"),
        "{shown}"
    );
    assert!(shown.contains("family"), "{shown}");
    let shown = expect_error(
        &config("", "").replace(LISTING_LINE, ""),
        5,
        "portal \"demo\".listing_urls",
    );
    assert!(
        shown.contains("required key `listing_urls` is missing"),
        "{shown}"
    );
    // An explicit empty list is still refused, family or not.
    let text = bare("family = \"cms\"\narticle_urls = []");
    expect_error(&text, PORTAL_EXTRA_LINE - 1, "portal \"demo\".article_urls");
}

#[test]
fn describe_says_what_came_from_the_family() {
    let (_dir, result) = load_text(&bare(
        "family = \"content-fck\"\n[portal.selectors]\ntitle = \"h1.own\"",
    ));
    let text = result.unwrap().describe();
    for line in [
        "  patterns: 1 article, 1 listing, 1 exclude (article, listing, exclude from the family)\n",
        "  family: content-fck\n",
        "  selectors: family content-fck preset; own title\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    let (_dir, result) = load_text(&config("", "family = \"htm\""));
    let text = result.unwrap().describe();
    assert!(
        text.contains("  patterns: 1 article, 1 listing, 1 exclude (exclude from the family)\n")
            && text.contains("  selectors: family htm preset\n"),
        "{text}"
    );
}
