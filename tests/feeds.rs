//! Sitemaps and feeds as discovery sources (issue 9), against a fixture portal: articles that
//! no page links, found only through a sitemap index → gzip sitemap (listed in robots.txt) and
//! an RSS feed (advertised by `<link rel=alternate>` on the home page), are archived; feed
//! articles dated after the last run are fetched before linked ones; an oversized sitemap is
//! cut at `max_feed_body` and read up to the cut.

mod support;

use baoluu::archive::reader;
use support::cli::{UA, baoluu, stderr, warc_files, write_config};
use support::fixture::gzip;
use support::portal::{self, Spec};
use support::{Fixture, Logged, Reply};

/// `max_feed_body` of the test config; the big sitemap is several times larger.
const FEED_CAP: usize = 256 * 1024;

fn urlset(origin: &str, paths: &[String]) -> String {
    let urls: String = paths
        .iter()
        .map(|p| {
            format!(
                "<url><loc>{origin}{p}</loc><lastmod>2026-11-20T08:00:00+07:00</lastmod></url>\n"
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>"#
    )
}

/// Two articles, then out-of-scope tag pages past the cap, then one article nobody may fetch.
fn big_sitemap(origin: &str) -> String {
    let mut paths = vec![
        "/thoi-su/lon-1.html".to_string(),
        "/thoi-su/lon-2.html".to_string(),
    ];
    paths.extend((0..20_000).map(|n| format!("/the-loai/tag-{n}")));
    paths.push("/thoi-su/lon-cuoi-99.html".to_string());
    urlset(origin, &paths)
}

fn rss(origin: &str) -> String {
    let items: String = (1..=2)
        .map(|n| format!("<item><title>Tin RSS {n}</title><link>{origin}/thoi-su/chi-rss-{n}.html</link><pubDate>Fri, 20 Nov 2026 08:0{n}:00 +0700</pubDate></item>"))
        .collect();
    format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Tin mới</title>{items}</channel></rss>"#
    )
}

fn serve(spec: Spec) -> Fixture {
    Fixture::start("127.0.0.10", move |req| {
        let origin = format!("http://{}", req.header("host").unwrap_or_default());
        let xml = |body: String| {
            Reply::new(200)
                .header("content-type", "application/xml")
                .body(body)
        };
        match req.target.as_str() {
            "/robots.txt" => Reply::new(200).body(format!(
                "User-agent: *\nAllow: /\nSitemap: {origin}/sitemap_index.xml\n"
            )),
            "/" => Reply::html(format!(
                r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Trang chủ</title><link rel="alternate" type="application/rss+xml" title="Tin mới" href="/rss/tin-moi.rss"></head><body><a href="/thoi-su/tin-so-{}.html">Tin</a></body></html>"#,
                spec.first_id
            )),
            "/sitemap_index.xml" => xml(format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>{origin}/sitemaps/tin-1.xml.gz</loc></sitemap><sitemap><loc>{origin}/sitemaps/cu-2020.xml</loc><lastmod>2020-01-31</lastmod></sitemap></sitemapindex>"#
            )),
            "/sitemaps/tin-1.xml.gz" => Reply::new(200)
                .header("content-type", "application/gzip")
                .body(gzip(
                    urlset(
                        &origin,
                        &(1..=3)
                            .map(|n| format!("/thoi-su/chi-sitemap-{n}.html"))
                            .collect::<Vec<_>>(),
                    )
                    .as_bytes(),
                )),
            "/sitemaps/cu-2020.xml" => {
                xml(urlset(&origin, &["/thoi-su/cu-2020-1.html".to_string()]))
            }
            "/rss/tin-moi.rss" => Reply::new(200)
                .header("content-type", "application/rss+xml")
                .body(rss(&origin)),
            "/sitemap.xml" => xml(big_sitemap(&origin)),
            p if p.starts_with("/thoi-su/") => Reply::html(portal::article(&spec, spec.first_id)),
            _ => Reply::not_found(),
        }
    })
}

fn position(log: &[Logged], path: &str) -> usize {
    log.iter()
        .position(|r| r.target == path)
        .unwrap_or_else(|| panic!("{path} was never requested"))
}

#[test]
fn articles_found_only_through_sitemaps_and_feeds_are_archived() {
    let spec = Spec::new(700, None);
    let fixture = serve(spec.clone());
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\nmin_delay = \"5ms\"\ndelay_factor = 0.0\nmax_feed_body = \"{FEED_CAP}\"\n{}",
        portal::table("p", &fixture, "")
    );
    let config = write_config(dir.path(), &text);
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let log = fixture.log();
    assert_eq!(log[0].target, "/robots.txt");
    let index = std::fs::read_to_string(dir.path().join("archive/index/p.jsonl")).unwrap();
    check_feed_articles_first(&fixture, &spec, &log, &index);
    check_cap_and_exploration(&log, &index);
    check_truncated_sitemap(&dir.path().join("archive"), &fixture);
    check_second_run(&fixture, &config);
}

/// The articles that no page links: only the sitemaps and the RSS feed list them.
fn only_in_feeds() -> Vec<String> {
    (1..=3)
        .map(|n| format!("/thoi-su/chi-sitemap-{n}.html"))
        .chain((1..=2).map(|n| format!("/thoi-su/chi-rss-{n}.html")))
        .chain((1..=2).map(|n| format!("/thoi-su/lon-{n}.html")))
        .chain(["/thoi-su/cu-2020-1.html".to_string()])
        .collect()
}

/// Every feed-only article is indexed, and was fetched before the linked article.
fn check_feed_articles_first(fixture: &Fixture, spec: &Spec, log: &[Logged], index: &str) {
    let only_in_feeds = only_in_feeds();
    for path in &only_in_feeds {
        assert!(
            index.contains(&fixture.url(path)),
            "{path} not indexed:\n{index}"
        );
    }
    // Dated feed articles (the first run: all dates are newer) before the linked article.
    let linked = position(log, &format!("/thoi-su/tin-so-{}.html", spec.first_id));
    for path in &only_in_feeds {
        assert!(
            position(log, path) < linked,
            "{path} came after the linked article"
        );
    }
}

/// Nothing past the big sitemap's cap is fetched; its tag pages stay within the exploration
/// budget and out of the index.
fn check_cap_and_exploration(log: &[Logged], index: &str) {
    // The big sitemap was cut at the cap: what lies past it was never seen, nor fetched.
    assert!(!log.iter().any(|r| r.target == "/thoi-su/lon-cuoi-99.html"));
    // Tag pages match no pattern, but the portal's own sitemap lists them: since issue 14 they
    // are explored within the `explore_pages` budget (default 30), never beyond it.
    let tags = log
        .iter()
        .filter(|r| r.target.starts_with("/the-loai/"))
        .count();
    assert!(
        tags <= 30,
        "{tags} tag pages fetched, past the exploration budget"
    );
    assert!(
        !index.contains("/the-loai/"),
        "a tag page is not an article"
    );
}

/// The big sitemap's WARC record is flagged truncated and holds no more than the cap.
fn check_truncated_sitemap(archive: &std::path::Path, fixture: &Fixture) {
    let sitemap_url = fixture.url("/sitemap.xml");
    let record = warc_files(archive)
        .iter()
        .flat_map(|f| reader::records(f).unwrap().map(|r| r.unwrap()))
        .find(|r| {
            r.record_type() == Some("response")
                && r.header("WARC-Target-URI") == Some(sitemap_url.as_str())
        })
        .expect("the big sitemap is archived");
    assert_eq!(record.header("WARC-Truncated"), Some("length"));
    let payload: usize = record.header("Content-Length").unwrap().parse().unwrap();
    assert!(
        payload <= FEED_CAP + 4096,
        "record of {payload} bytes for a {FEED_CAP}-byte cap"
    );
    assert!(
        big_sitemap("http://x").len() > 3 * FEED_CAP,
        "the sitemap must exceed the cap"
    );
}

/// A second run: the feeds are read again, nothing new, and no article is fetched twice; a
/// child sitemap its index dates before the last run is not fetched again, an undated one is.
fn check_second_run(fixture: &Fixture, config: &std::path::Path) {
    let mark = fixture.log().len();
    let out = baoluu(config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second: Vec<String> = fixture.log()[mark..]
        .iter()
        .map(|r| r.target.clone())
        .collect();
    assert!(
        second.contains(&"/rss/tin-moi.rss".to_string()),
        "{second:?}"
    );
    assert!(
        second.contains(&"/sitemaps/tin-1.xml.gz".to_string()),
        "{second:?}"
    );
    assert!(
        !second.contains(&"/sitemaps/cu-2020.xml".to_string()),
        "{second:?}"
    );
    assert!(
        !second.iter().any(|t| t.starts_with("/thoi-su/")),
        "{second:?}"
    );
}
