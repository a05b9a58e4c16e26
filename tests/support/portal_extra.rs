//! A small second fixture portal whose article URLs carry Vietnamese letters, as real portals'
//! slugs sometimes do: the href is written with raw UTF-8 (`/tin-tức/Phó-Thủ-tướng-…`), the
//! crawler requests it percent-encoded, and replay must find it again under that encoding
//! (pywb#570; SURT lowercases the escapes). Upper-case letters in the slug check that a path's
//! case survives everywhere except in the SURT key.

use super::{Fixture, Reply};

/// The articles, as written in the home page's hrefs.
pub const ARTICLES: [&str; 2] = [
    "/tin-tức/bài-viết-1.html",
    "/tin-tức/Phó-Thủ-tướng-thăm-Hậu-Giang-2.html",
];

/// `path` percent-encoded the way a browser (and the crawler) requests it.
pub fn encoded(path: &str) -> String {
    url::Url::parse("http://example.invalid/")
        .and_then(|base| base.join(path))
        .expect("a fixture path parses")
        .path()
        .to_string()
}

/// Serves the portal on `ip`: `/` links every article; anything else is a 404.
pub fn serve(ip: &str) -> Fixture {
    Fixture::start(ip, move |req| route(&req.target))
}

fn route(target: &str) -> Reply {
    if target == "/" {
        return Reply::html(home());
    }
    match ARTICLES.iter().position(|p| encoded(p) == target) {
        Some(n) => Reply::html(article(n)),
        None => Reply::not_found(),
    }
}

fn home() -> String {
    let links: String = ARTICLES
        .iter()
        .map(|href| format!(r#"<li><a href="{href}">Tin mới</a></li>"#))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Trang chủ</title></head><body><ul>{links}</ul></body></html>"#
    )
}

/// The HTML served for article `n` of [`ARTICLES`].
pub fn article(n: usize) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Bài viết {n}</title></head><body><div class="news-details-content"><h1>Bài viết số {n}: Phó Thủ tướng thăm Hậu Giang</h1><div class="sapo">(HGO) - Chuyến thăm thứ {n} của đoàn công tác.</div><div class="contentView"><p>Đoàn đã làm việc với lãnh đạo tỉnh về phát triển kinh tế - xã hội.</p><p>Đoạn thứ hai của bài viết số {n}.</p></div></div></body></html>"#
    )
}

/// The `[[portal]]` table of this portal served by `fixture` under `name`.
pub fn table(name: &str, fixture: &Fixture) -> String {
    let host = fixture.addr().to_string();
    let re = regex::escape(&format!("http://{host}"));
    format!(
        r#"
[[portal]]
name = "{name}"
seeds = ["http://{host}/"]
hosts = ["{host}"]
article_urls = ['^{re}/tin-t%E1%BB%A9c/[^/]+\.html$']
listing_urls = ['^{re}/$']
"#
    )
}

/// A configuration for the two fixture portals crawled by the replay and WACZ tests: the seed-
/// like portal as `hg` (with `hg_extra` key lines) and this one as `extra_name`.
pub fn two_portal_config(
    portal: &Fixture,
    hg_extra: &str,
    extra: &Fixture,
    extra_name: &str,
) -> String {
    let hg = super::portal::table("hg", portal, hg_extra);
    let vn = table(extra_name, extra);
    format!(
        r#"[crawler]
user_agent = "{}"
archive_dir = "archive"
min_free_space = "1MB"
min_delay = "20ms"
delay_factor = 0.0
retries = 1
max_in_flight = 4
{hg}{vn}"#,
        super::cli::UA
    )
}
