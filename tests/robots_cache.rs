//! robots.txt across `baoluu crawl` runs (issue 13): what the store's cached verdict must carry
//! into the next run (the Crawl-delay), and which cached entries must not be trusted (those an
//! older version wrote, possibly from a body cut in transit). Judged at the fixture server.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use baoluu::store::Store;
use support::cli::{UA, baoluu, stderr, write_config};
use support::{Fixture, Logged, Reply};

/// Timer and scheduling slack allowed below a required gap (a lower bound, measured at the
/// server; a correct crawler is above it by the response time anyway).
const TOLERANCE: Duration = Duration::from_millis(50);

fn page(title: &str, links: &[&str]) -> Reply {
    let links: String = links
        .iter()
        .map(|l| format!("<a href=\"{l}\">{l}</a> "))
        .collect();
    Reply::html(format!(
        "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>Nội dung {title}.</p>{links}</body></html>"
    ))
}

/// A small portal: a seed linking two listings, each linking one article.
fn portal(robots: &str) -> Fixture {
    Fixture::pages(
        "127.0.0.42",
        [
            ("/robots.txt", Reply::new(200).body(robots.to_string())),
            ("/", page("Trang chủ", &["/muc-a.html", "/muc-b.html"])),
            ("/muc-a.html", page("Mục A", &["/tin/bai-1.html"])),
            ("/muc-b.html", page("Mục B", &["/tin/bai-2.html"])),
            ("/tin/bai-1.html", page("Bài 1", &[])),
            ("/tin/bai-2.html", page("Bài 2", &[])),
        ],
    )
}

fn config(dir: &Path, fixture: &Fixture) -> PathBuf {
    let host = fixture.addr().to_string();
    let re = regex::escape(&format!("http://{host}"));
    write_config(
        dir,
        &format!(
            r#"[crawler]
user_agent = "{UA}"
archive_dir = "archive"
min_free_space = "1MB"
min_delay = "100ms"
delay_factor = 0.0

[[portal]]
name = "fixture"
seeds = ["http://{host}/"]
hosts = ["{host}"]
article_urls = ['^{re}/tin/bai-\d+\.html$']
listing_urls = ['^{re}/(muc-[a-z]\.html)?$']
"#
        ),
    )
}

fn crawl(config: &Path) {
    let out = baoluu(config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Gaps between consecutive request arrivals.
fn gaps(log: &[Logged]) -> Vec<(Duration, String)> {
    log.windows(2)
        .map(|p| (p[1].at.duration_since(p[0].at), p[1].target.clone()))
        .collect()
}

/// Issue 13 item 2: run 1 fetches robots.txt and honours `Crawl-delay: 1`; run 2 takes the
/// verdict from the store and must honour it too (it used to crawl at min_delay, 100 ms).
#[test]
fn the_crawl_delay_of_a_cached_robots_txt_still_applies() {
    let fixture = portal("User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n");
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &fixture);
    crawl(&config);
    let first = fixture.log().len();
    crawl(&config);
    let second = fixture.log().split_off(first);
    assert!(
        second.iter().all(|r| r.target != "/robots.txt"),
        "run 2 must use the cached robots.txt, or this test proves nothing"
    );
    assert!(second.len() >= 3, "run 2 fetched {second:?}");
    for (gap, target) in gaps(&second) {
        assert!(
            gap + TOLERANCE >= Duration::from_secs(1),
            "run 2: {target} came {gap:?} after the previous request; Crawl-delay is 1 s"
        );
    }
}

/// Issue 13 item 3: a cache entry in the format before the fix (here: the fragment of a cut
/// file, `User-agent: *` alone, which allows everything) must be fetched again, not trusted.
#[test]
fn a_cache_entry_of_the_previous_format_is_fetched_again() {
    let fixture = portal("User-agent: *\nDisallow: /tin/bai-2.html\n");
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &fixture);
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    let store = Store::open(&archive.join("state.sqlite")).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let authority = format!("http://{}", fixture.addr());
    let old_entry = [&[1u8, b'R'][..], b"User-agent: *\n"].concat();
    store
        .robots_put(&authority, now, "rules", &old_entry)
        .unwrap();
    drop(store);
    crawl(&config);
    let log = fixture.log();
    assert_eq!(log[0].target, "/robots.txt", "robots.txt fetched first");
    assert!(
        log.iter().all(|r| r.target != "/tin/bai-2.html"),
        "the disallowed article was fetched on the strength of the old entry"
    );
}
