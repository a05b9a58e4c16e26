//! Deep history and second chances (issue 5, part 6), judged from the server's request log:
//! `crawl --backfill` walks a long pagination chain a few pages further each run, starting
//! where the last backfill stopped; a URL that failed with 503 in one run is archived by the
//! next, and one that keeps failing is given up after `second_chances` runs. (The 503s carry
//! `Retry-After: 1`: without it the host backs off for a minute, as it should.)

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use support::cli::{UA, baoluu, stderr, write_config};
use support::{Fixture, Reply, portal};

/// Pages of the "Tin mới" chain; each lists two articles of its own.
const CHAIN_PAGES: u32 = 12;
const FLAKY: &str = "/thoi-su/loi-77.html";
const DEAD: &str = "/thoi-su/hong-88.html";

fn page(title: &str, main: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head><body>{main}</body></html>"#
    )
}

fn chain_page(n: u32) -> String {
    let items: String = [n * 10, n * 10 + 1]
        .iter()
        .map(|id| format!(r#"<h3><a href="/thoi-su/tin-so-{id}.html">Tin số {id}</a></h3>"#))
        .collect();
    let more = match n < CHAIN_PAGES {
        true => format!(
            r#"<div class="view-more"><a href="/tin-moi-9.html?p={}">Xem thêm</a></div>"#,
            n + 1
        ),
        false => String::new(),
    };
    page("Tin mới", &format!("{items}{more}"))
}

fn article(title: &str) -> String {
    page(
        title,
        &format!(
            r#"<article><h1>{title}</h1><div class="date">Thứ Năm, ngày 05/01/2023 | 07:31</div>
<div class="content"><p>Đoạn đầu của bài viết {title}, đủ dài để là nội dung thật của một bài báo tỉnh.</p>
<p>Đoạn thứ hai của bài viết {title}, kết thúc bài viết với một câu hoàn chỉnh.</p></div></article>"#
        ),
    )
}

fn serve(healthy: Arc<AtomicBool>) -> Fixture {
    Fixture::start("127.0.0.4", move |req| {
        let target = req.target.as_str();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let n: u32 = query
            .strip_prefix("p=")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1);
        match path {
            "/robots.txt" => Reply::new(200).body("User-agent: *\nAllow: /\n"),
            "/" => Reply::html(page(
                "Trang chủ",
                &format!(
                    r#"<a href="/tin-moi-9.html">Tin mới</a> <a href="{FLAKY}">Lỗi</a> <a href="{DEAD}">Hỏng</a>"#
                ),
            )),
            "/tin-moi-9.html" if n <= CHAIN_PAGES => Reply::html(chain_page(n)),
            FLAKY if !healthy.load(Ordering::SeqCst) => {
                Reply::new(503).header("retry-after", "1").body("bảo trì")
            }
            DEAD => Reply::new(503).header("retry-after", "1").body("bảo trì"),
            p if p.starts_with("/thoi-su/") => Reply::html(article(p)),
            _ => Reply::not_found(),
        }
    })
}

fn requested(fixture: &Fixture, from: usize) -> Vec<String> {
    fixture.log()[from..]
        .iter()
        .map(|r| r.target.clone())
        .collect()
}

fn chain_url(n: u32) -> String {
    format!("/tin-moi-9.html?p={n}")
}

#[test]
fn backfill_goes_deeper_each_run_and_failed_urls_get_second_chances() {
    let healthy = Arc::new(AtomicBool::new(false));
    let fixture = serve(healthy.clone());
    let dir = tempfile::tempdir().unwrap();
    let extra = "max_listing_pages = 50\nstale_listing_pages = 1\nbackfill_pages = 4";
    let text = format!(
        "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\nmin_delay = \"5ms\"\ndelay_factor = 0.0\nretries = 0\nsecond_chances = 1\n{}",
        portal::table("deep", &fixture, extra)
    );
    let config = write_config(dir.path(), &text);

    // Run 1: pages 2..=4 of the chain (0 + backfill_pages), not 5; both 503s deferred.
    let out = baoluu(&config, &["crawl", "--backfill"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let first = requested(&fixture, 0);
    for n in 2..=4 {
        assert!(
            first.contains(&chain_url(n)),
            "run 1 fetched page {n}: {first:?}"
        );
    }
    assert!(
        !first.contains(&chain_url(5)),
        "run 1 stops at page 4: {first:?}"
    );
    assert!(first.contains(&FLAKY.to_string()) && first.contains(&DEAD.to_string()));

    // Run 2: picks the chain up at page 4 and walks 5..=8 although page 4 brings no new
    // article (stale_listing_pages = 1 would stop an ordinary run there); pages 2 and 3 are
    // not walked again. The flaky article, healthy now, is archived; the dead one fails again
    // and, with second_chances = 1, is given up.
    healthy.store(true, Ordering::SeqCst);
    let mark = fixture.log().len();
    let out = baoluu(&config, &["crawl", "--backfill"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second = requested(&fixture, mark);
    for n in 4..=8 {
        assert!(
            second.contains(&chain_url(n)),
            "run 2 fetched page {n}: {second:?}"
        );
    }
    for n in [2, 3, 9] {
        assert!(
            !second.contains(&chain_url(n)),
            "run 2 skipped page {n}: {second:?}"
        );
    }
    for n in 5..=8 {
        let path = format!("/thoi-su/tin-so-{}.html", n * 10);
        assert!(
            second.contains(&path),
            "run 2 archived the articles of page {n}"
        );
    }
    assert!(
        second.contains(&FLAKY.to_string()),
        "a second chance: {second:?}"
    );
    assert!(second.contains(&DEAD.to_string()));
    assert!(stderr(&out).contains("given-up: 1"), "{}", stderr(&out));

    let index = std::fs::read_to_string(dir.path().join("archive/index/deep.jsonl")).unwrap();
    let urls: Vec<String> = index
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["url"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        urls.iter().filter(|u| u.ends_with(FLAKY)).count(),
        1,
        "indexed once"
    );
    assert!(!urls.iter().any(|u| u.ends_with(DEAD)));
    assert_eq!(
        urls.iter().filter(|u| u.contains("/tin-so-")).count(),
        16,
        "pages 1..=8, two articles each"
    );

    // Run 3 (ordinary): the given-up URL is not tried again.
    let mark = fixture.log().len();
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let third = requested(&fixture, mark);
    assert!(!third.contains(&DEAD.to_string()), "given up: {third:?}");
    assert!(!third.contains(&FLAKY.to_string()), "archived already");
}
