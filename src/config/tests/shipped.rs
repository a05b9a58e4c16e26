//! The shipped `crawl-config/`: it loads, and its patterns classify real URL shapes.

use std::path::PathBuf;

use super::super::{Config, Portal};

#[derive(Debug, PartialEq)]
enum Kind {
    Article,
    Listing,
    Neither,
}

fn shipped() -> Config {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crawl-config/baoluu.toml");
    // The shipped contact is a placeholder (issue 13 item 13): the operator sets BAOLUU_CONTACT.
    Config::load_with_contact(&path, Some("mailto:x@y.vn"))
        .unwrap_or_else(|e| panic!("shipped configuration is invalid: {e}"))
}

/// Classifies a URL the way docs/configuration.md describes scope (exclusions first); a URL matching both
/// kinds fails the test, since the two pattern lists must exclude each other.
fn classify(portal: &Portal, url: &str) -> Kind {
    if portal.exclude_urls.iter().any(|r| r.is_match(url)) {
        return Kind::Neither;
    }
    let article = portal.article_urls.iter().any(|r| r.is_match(url));
    let listing = portal.listing_urls.iter().any(|r| r.is_match(url));
    assert!(
        !(article && listing),
        "{url} matches both article_urls and listing_urls of {}",
        portal.name
    );
    match (article, listing) {
        (true, _) => Kind::Article,
        (_, true) => Kind::Listing,
        _ => Kind::Neither,
    }
}

fn check(config: &Config, name: &str, cases: &[(&str, Kind)]) {
    let portal = config.portal(name).unwrap();
    for (url, kind) in cases {
        assert_eq!(classify(portal, url), *kind, "{name}: {url}");
    }
}

#[test]
fn loads_every_profile() {
    let config = shipped();
    let names: Vec<&str> = config.portals.iter().map(|p| p.name.as_str()).collect();
    for name in [
        "cantho", "haugiang", "laocai", "sggp", "tayninh", "dongkhoi",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert!(
        config
            .crawler
            .archive_dir
            .ends_with("crawl-config/../archive")
    );
    assert!(config.crawler.user_agent.contains("mailto:"));
    assert_eq!(
        config.portal("haugiang").unwrap().merged_into.as_deref(),
        Some("cantho")
    );
    for name in ["cantho", "haugiang", "laocai"] {
        let portal = config.portal(name).unwrap();
        assert!(portal.selectors.is_some(), "{name} ships selectors");
    }
    let text = config.describe();
    assert!(
        text.contains(&format!("portals: {}\n", names.len())) && text.contains("portal laocai\n"),
        "{text}"
    );
}

#[test]
fn cantho_patterns() {
    use Kind::*;
    check(
        &shipped(),
        "cantho",
        &[
            ("https://baocantho.com.vn/", Listing),
            ("https://baocantho.com.vn/thoi-su/", Listing),
            ("https://baocantho.com.vn/thoi-su?p=2", Listing),
            ("https://www.baocantho.com.vn/kinh-te/?p=12", Listing),
            (
                "https://baocantho.com.vn/can-tho-khoi-cong-cau-moi-a195123.html",
                Article,
            ),
            ("https://www.baocantho.com.vn/xuan-2026-a1.html", Article),
            ("https://baocantho.com.vn/tim-kiem/?q=lua", Neither),
            (
                "https://baocantho.com.vn/print/can-tho-a195123.html",
                Neither,
            ),
            ("https://baocantho.com.vn/rss/cate/thoi-su/x.xml", Neither),
            (
                "https://baocantho.com.vn/can-tho-a195123.html?utm=x",
                Neither,
            ),
            // Family presets accept http as well (an http link is still the portal's).
            ("http://baocantho.com.vn/thoi-su/", Listing),
            ("https://baohaugiang.com.vn/thoi-su/", Neither),
        ],
    );
}

#[test]
fn haugiang_patterns() {
    use Kind::*;
    check(
        &shipped(),
        "haugiang",
        &[
            ("https://baohaugiang.com.vn/", Listing),
            ("https://baohaugiang.com.vn/thoi-su-215.html", Listing),
            ("https://baohaugiang.com.vn/thoi-su-215.html?p=3", Listing),
            (
                "https://baohaugiang.com.vn/thoi-su-trong-tinh/tran-trong-ky-niem-142279.html",
                Article,
            ),
            (
                "https://www.baohaugiang.com.vn/kinh-te/gia-lua-tang-142280.html",
                Article,
            ),
            (
                "https://baohaugiang.com.vn/video/phong-su-ngay-tet-1234.html",
                Neither,
            ),
            ("https://baohaugiang.com.vn/multimedia/", Neither),
            (
                "https://baohaugiang.com.vn/megastory/mua-nuoc-noi-12.html",
                Neither,
            ),
            (
                "https://baohaugiang.com.vn/infographics/dan-so-2024-88.html",
                Neither,
            ),
            ("https://baohaugiang.com.vn/anh/le-hoi-99.html", Neither),
            ("https://baohaugiang.com.vn/podcast/tap-1-5.html", Neither),
            (
                "https://baohaugiang.com.vn/tim-kiem/pho-thu-tuong-1.html",
                Neither,
            ),
            ("https://baohaugiang.com.vn/lien-he/", Neither),
            // Sections that only start like an excluded one stay articles.
            (
                "https://baohaugiang.com.vn/videos-tin-tuc/ngay-moi-77.html",
                Article,
            ),
            (
                "https://baohaugiang.com.vn/anh-sang-que-huong/bai-mot-78.html",
                Article,
            ),
            (
                "https://baohaugiang.com.vn/thoi-su-trong-tinh/tran-trong.html",
                Neither,
            ),
        ],
    );
}

#[test]
fn laocai_patterns() {
    use Kind::*;
    check(
        &shipped(),
        "laocai",
        &[
            ("https://baolaocai.vn/", Listing),
            ("https://baolaocai.vn/xa-hoi/", Listing),
            ("https://baolaocai.vn/xa-hoi/y-te/", Listing),
            ("https://baolaocai.vn/xa-hoi/?page=2", Listing),
            ("https://baolaocai.vn/dia-phuong/xa-y-ty/61.html", Listing),
            (
                "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html",
                Article,
            ),
            (
                "https://baolaocai.vn/bao-vung-cao-so-24-ra-ngay-412026-post890610.html",
                Article,
            ),
            (
                "https://baolaocai.vn/tu-khoa/thieu-ta-doan-thi-hanh-tag40212.html",
                Neither,
            ),
            (
                "https://cdn.baolaocai.vn/assets/web/js/main.min-1.0.40.js",
                Neither,
            ),
            ("https://en.baolaocai.vn/", Neither),
        ],
    );
}

/// Every article link in the saved real baolaocai.vn page is an article to the shipped patterns,
/// every category link in its menu a listing.
#[test]
fn laocai_patterns_on_the_real_page() {
    let page =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/pages/baolaocai-article.html");
    let Ok(html) = std::fs::read_to_string(&page) else {
        eprintln!(
            "skipped: {} is absent (real pages live outside the repository; set BAOLUU_PAGES_DIR)",
            page.display()
        );
        return;
    };
    let config = shipped();
    let portal = config.portal("laocai").unwrap();
    let canonical = html
        .split("<link rel=\"canonical\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next());
    assert_eq!(
        canonical,
        Some("https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html")
    );
    assert_eq!(classify(portal, canonical.unwrap()), Kind::Article);
    let hrefs: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .collect();
    let site: Vec<&str> = hrefs
        .into_iter()
        .filter(|h| h.starts_with("https://baolaocai.vn/"))
        .collect();
    let articles: Vec<&&str> = site.iter().filter(|h| h.contains("-post")).collect();
    assert!(articles.len() > 30, "the saved page links many articles");
    for url in articles {
        assert_eq!(classify(portal, url), Kind::Article, "{url}");
    }
    for url in site.iter().filter(|h| h.ends_with('/')) {
        assert_eq!(classify(portal, url), Kind::Listing, "{url}");
    }
}
