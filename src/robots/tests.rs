//! Status rules, the public face and the cache form. Matching details are tested in `rules`.

use super::*;

use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

const UA: &str = "baoluu/0.1 (+https://example.org/archive; mailto:a@example.org)";

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn ok(body: &str) -> Robots {
    let fetched = Fetched::Response {
        status: 200,
        content_encoding: None,
        body: body.as_bytes(),
    };
    Robots::from_fetch(fetched, &product_token(UA))
}

fn status(status: u16) -> Robots {
    let fetched = Fetched::Response {
        status,
        content_encoding: None,
        body: b"Disallow: /",
    };
    Robots::from_fetch(fetched, "baoluu")
}

#[test]
fn robots_url_and_authority() {
    let page = url("https://user:pw@Baocantho.com.vn:8443/a/b.html?x=1#top");
    assert_eq!(
        robots_url(&page).as_str(),
        "https://baocantho.com.vn:8443/robots.txt"
    );
    assert_eq!(authority(&page), "https://baocantho.com.vn:8443");
    assert_eq!(
        authority(&url("http://a.vn/x")),
        authority(&url("http://a.vn:80/y"))
    );
    assert_ne!(
        authority(&url("http://a.vn/")),
        authority(&url("https://a.vn/"))
    );
    assert_eq!(
        robots_url(&url("http://a.vn")).as_str(),
        "http://a.vn/robots.txt"
    );
}

#[test]
fn product_token_is_the_leading_name() {
    assert_eq!(product_token(UA), "baoluu");
    assert_eq!(product_token("  Bao-Luu_bot/2"), "Bao-Luu_bot");
}

#[test]
fn ok_response_applies_rules_for_our_token() {
    let robots = ok("User-agent: *\nDisallow: /\n\nUser-agent: BaoLuu\nDisallow: /admin\n");
    assert_eq!(robots.state(), "rules");
    assert!(robots.allowed(&url("https://a.vn/tin-tuc/a1.html")));
    assert!(!robots.allowed(&url("https://a.vn/admin/login")));
    assert!(!robots.is_unreachable());
}

#[test]
fn unparsable_ok_body_allows_what_it_does_not_forbid() {
    let robots = ok("<html>\u{0}garbage\nDisallow /x\nUser-agent: *\nDisallow: /y\n");
    assert_eq!(robots.state(), "rules");
    assert!(robots.allowed(&url("http://a.vn/z")));
    assert!(!robots.allowed(&url("http://a.vn/y")));
}

#[test]
fn client_errors_mean_unavailable_allow_all() {
    for code in [400, 401, 403, 404, 410, 451] {
        let robots = status(code);
        assert_eq!(robots.state(), "unavailable", "{code}");
        assert!(robots.allowed(&url("http://a.vn/anything")), "{code}");
    }
}

#[test]
fn server_errors_429_and_failures_mean_unreachable_disallow_all() {
    let failed = Robots::from_fetch(Fetched::Failed, "baoluu");
    for robots in [status(500), status(503), status(429), status(302), failed] {
        assert_eq!(robots.state(), "unreachable");
        assert!(robots.is_unreachable());
        assert!(!robots.allowed(&url("http://a.vn/")));
        assert_eq!(robots.crawl_delay(), None);
    }
}

#[test]
fn too_many_redirects_is_unavailable() {
    let robots = Robots::from_fetch(Fetched::TooManyRedirects, "baoluu");
    assert_eq!(robots.state(), "unavailable");
    assert!(robots.allowed(&url("http://a.vn/x")));
}

#[test]
fn robots_txt_itself_is_always_allowed() {
    assert!(ok("User-agent: *\nDisallow: /\n").allowed(&url("http://a.vn/robots.txt")));
    assert!(status(503).allowed(&url("http://a.vn/robots.txt")));
    assert!(!status(503).allowed(&url("http://a.vn/robots.txt.bak")));
}

#[test]
fn query_and_fragment_handling() {
    let robots = ok("User-agent: *\nDisallow: /*?sort=\n");
    assert!(!robots.allowed(&url("http://a.vn/list?sort=date")));
    assert!(robots.allowed(&url("http://a.vn/list#sort=date")));
}

#[test]
fn vietnamese_path_matches_its_encoded_form() {
    let robots = ok("User-agent: *\nDisallow: /tìm-kiếm\n");
    assert!(!robots.allowed(&url("http://a.vn/tìm-kiếm?q=lũ")));
    assert!(robots.allowed(&url("http://a.vn/tim-kiem")));
}

#[test]
fn gzip_body_is_decoded_first() {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(b"User-agent: *\nDisallow: /private\nCrawl-delay: 4\n")
        .unwrap();
    let body = enc.finish().unwrap();
    let fetched = Fetched::Response {
        status: 200,
        content_encoding: Some("gzip"),
        body: &body,
    };
    let robots = Robots::from_fetch(fetched, "baoluu");
    assert!(!robots.allowed(&url("http://a.vn/private/1")));
    assert_eq!(robots.crawl_delay(), Some(Duration::from_secs(4)));
}

#[test]
fn undecodable_body_is_unreachable_not_allow_all() {
    let fetched = Fetched::Response {
        status: 200,
        content_encoding: Some("br"),
        body: b"\x1b",
    };
    assert!(Robots::from_fetch(fetched, "baoluu").is_unreachable());
}

#[test]
fn big_file_rule_in_the_first_500_kib_applies() {
    let mut body = String::from("User-agent: *\n");
    while body.len() < 490 * 1024 {
        body.push_str("Allow: /filler/page-with-a-longish-name/\n");
    }
    body.push_str("Disallow: /late-but-within-500k/\n");
    while body.len() < 700 * 1024 {
        body.push_str("# padding comment line that takes the file past the cap\n");
    }
    body.push_str("Disallow: /beyond-the-cap/\n");
    let robots = ok(&body);
    assert!(!robots.allowed(&url("http://a.vn/late-but-within-500k/x")));
    assert!(robots.allowed(&url("http://a.vn/beyond-the-cap/x")));
}

#[test]
fn crawl_delay_and_sitemaps_through_the_public_face() {
    let robots = ok("Sitemap: https://a.vn/sitemap.xml\nUser-agent: *\nCrawl-delay: 0.5\n");
    assert_eq!(robots.crawl_delay(), Some(Duration::from_millis(500)));
    assert_eq!(
        robots.sitemaps(),
        vec!["https://a.vn/sitemap.xml".to_string()]
    );
    assert!(status(404).sitemaps().is_empty());
}

#[test]
fn cache_round_trip_keeps_every_state() {
    let text = "User-agent: *\nDisallow: /%7Ea\nCrawl-delay: 3\nSitemap: https://a.vn/s.xml\n";
    let restored = Robots::from_cache(&ok(text).to_cache(), "baoluu").unwrap();
    assert_eq!(restored.state(), "rules");
    assert!(!restored.allowed(&url("http://a.vn/~a/b")));
    assert_eq!(restored.crawl_delay(), Some(Duration::from_secs(3)));
    assert_eq!(restored.sitemaps(), vec!["https://a.vn/s.xml".to_string()]);
    for code in [404, 503] {
        let restored = Robots::from_cache(&status(code).to_cache(), "baoluu").unwrap();
        assert_eq!(restored.state(), status(code).state());
    }
}

#[test]
fn cache_rejects_unknown_forms() {
    assert_eq!(
        Robots::from_cache(b"", "baoluu").unwrap_err(),
        CacheError::Format
    );
    assert_eq!(
        Robots::from_cache(&[9, b'R'], "baoluu").unwrap_err(),
        CacheError::Format
    );
    assert_eq!(
        Robots::from_cache(&[1, b'A', b'x'], "baoluu").unwrap_err(),
        CacheError::Format
    );
}

#[test]
fn empty_token_uses_star_rules_only() {
    let body = b"User-agent: 1bot\nDisallow: /\n\nUser-agent: *\nDisallow: /x\n";
    let fetched = Fetched::Response {
        status: 200,
        content_encoding: None,
        body,
    };
    let robots = Robots::from_fetch(fetched, "");
    assert!(robots.allowed(&url("http://a.vn/y")));
    assert!(!robots.allowed(&url("http://a.vn/x")));
}

/// Issue 13 item 1: `*` rules were ignored (robotstxt 0.3's matcher corrupts its position list
/// on `*`), so `save` and `crawl` fetched what these lines forbid.
#[test]
fn wildcard_rules_disallow_what_they_match() {
    let page = url("http://a.vn/kinh-te/bai-viet-kinh-te-16-100016.html");
    for rule in ["/*100016", "/kinh-te/*-100016.html$", "/*/bai-viet-*-16-*"] {
        let robots = ok(&format!("User-agent: *\nDisallow: {rule}\n"));
        assert!(!robots.allowed(&page), "Disallow: {rule}");
        assert!(
            robots.allowed(&url("http://a.vn/kinh-te/khac-100017.html")),
            "{rule}"
        );
    }
    let anchored = ok("User-agent: *\nDisallow: /kinh-te/*-100016.html$\n");
    assert!(anchored.allowed(&url("http://a.vn/kinh-te/x-100016.html?p=2")));
}

/// Issue 13 item 3: an entry written before truncated bodies became unreachable may hold the
/// fragment of a cut file; the format bump makes it unreadable, so robots.txt is fetched again.
#[test]
fn cache_entries_of_the_previous_format_are_refused() {
    let old = [&[1u8, b'R'][..], b"User-agent: *\n"].concat();
    assert_eq!(
        Robots::from_cache(&old, "baoluu").unwrap_err(),
        CacheError::Format
    );
    assert_eq!(
        Robots::from_cache(&[1, b'A'], "baoluu").unwrap_err(),
        CacheError::Format
    );
}
