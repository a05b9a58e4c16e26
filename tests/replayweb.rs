//! ReplayWeb.page replays what `baoluu wacz` packages, proven in a real browser (issue 20).
//!
//! The fixture portals are crawled twice through the binary (the second run writes revisit
//! records), packaged with `baoluu wacz`, and the portals are stopped: from then on only the
//! WACZ can answer. One local server ([`server`]) serves ReplayWeb.page 2.5.3's static app and
//! the WACZ with byte ranges; `.ci/browser/replay-check.mjs` drives headless Chromium through
//! puppeteer-core and waits, with a deadline, for: the page list showing the Vietnamese article
//! titles; three articles replaying with their heading and first paragraph; the ETag article
//! opened at its 304 revisit's time showing the original (200 text/html); an article image
//! whose archived bytes load inside the replay; the old URL of a moved article landing on its
//! target; the Resources tab listing captured URLs. On failure it writes a screenshot under
//! `target/replayweb/`.
//!
//! Needs `chromium` and `.ci/browser/node_modules` (`.ci/browser-deps` installs both). Missing,
//! the test skips with a message, unless `BAOLUU_REQUIRE_ORACLES` is set (CI), then it fails.
//! The ignored `ten_thousand_articles_open_quickly` measures a 10k-article WACZ (BENCHMARKS.md).

#[path = "replayweb/server.rs"]
mod server;
mod support;
#[path = "replayweb/synthetic.rs"]
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use support::cli::{baoluu, stderr, stdout, write_config};
use support::portal::{self, Spec};
use support::portal_extra;
use support::wait::wait_past_last_fetch;

/// What the browser check needs on this machine.
struct Browser {
    chromium: PathBuf,
    app: PathBuf,
    script: PathBuf,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Chromium, node and the npm packages, or `None` (a skip) when one is missing outside CI.
fn browser() -> Option<Browser> {
    let chromium = std::env::var_os("BAOLUU_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let modules = std::env::var_os("BAOLUU_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join(".ci/browser/node_modules"));
    let node = Command::new("node").arg("--version").output().is_ok();
    let found = chromium.is_file()
        && node
        && modules.join("replaywebpage/sw.js").is_file()
        && modules.join("puppeteer-core/package.json").is_file();
    if !found {
        assert!(
            std::env::var_os("BAOLUU_REQUIRE_ORACLES").is_none(),
            "chromium ({}), node and {} are required (BAOLUU_REQUIRE_ORACLES is set): run .ci/browser-deps",
            chromium.display(),
            modules.display()
        );
        eprintln!(
            "skipping the ReplayWeb.page check: chromium, node or .ci/browser/node_modules missing (.ci/browser-deps installs them)"
        );
        return None;
    }
    Some(Browser {
        chromium,
        app: modules.join("replaywebpage"),
        script: manifest_dir().join(".ci/browser/replay-check.mjs"),
    })
}

/// Runs the browser check for `plan` (the app and WACZ URLs are added here); returns the
/// timings it reports, or panics with its message.
fn run_check(browser: &Browser, wacz: &Path, name: &str, mut plan: Value) -> Value {
    let site = server::serve(&browser.app, wacz);
    let work = tempfile::tempdir().unwrap();
    let screenshot = manifest_dir().join(format!("target/replayweb/{name}.png"));
    plan["chromium"] = json!(browser.chromium);
    plan["app"] = json!(site.base);
    plan["wacz"] = json!(format!("{}{}", site.base, server::WACZ_PATH));
    plan["profile"] = json!(work.path().join("profile"));
    plan["screenshot"] = json!(screenshot);
    let plan_file = work.path().join("plan.json");
    std::fs::write(&plan_file, plan.to_string()).unwrap();
    let out = Command::new("node")
        .arg(&browser.script)
        .arg(&plan_file)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "ReplayWeb.page check failed:\n{}{}",
        stdout(&out),
        stderr(&out)
    );
    let timings = stdout(&out);
    serde_json::from_str(timings.trim()).unwrap_or_else(|_| panic!("timings: {timings}"))
}

/// Crawls both fixture portals twice, packages them with `baoluu wacz`, stops the portals.
/// Returns the WACZ, its temp dir, and the two portals' base URLs.
fn packaged(spec: &Spec) -> (tempfile::TempDir, PathBuf, String, String) {
    let portal = portal::serve("127.0.0.21", spec.clone());
    let extra = portal_extra::serve("127.0.0.22");
    let dir = tempfile::tempdir().unwrap();
    let hg = "max_listing_pages = 5\nstale_listing_pages = 1\nrevisit_after = \"1s\"";
    let text = portal_extra::two_portal_config(&portal, hg, &extra, "vn");
    let config = write_config(dir.path(), &text);
    for _ in 0..2 {
        let out = baoluu(&config, &["crawl"]);
        assert_eq!(out.status.code(), Some(0), "crawl:\n{}", stderr(&out));
        // Revisits need `revisit_after` (1 s) to pass between the runs.
        wait_past_last_fetch(&dir.path().join("archive"), Duration::from_millis(1100));
    }
    let wacz = dir.path().join("portals.wacz");
    let out = baoluu(&config, &["wacz", wacz.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "wacz:\n{}", stderr(&out));
    // The resolved revisit lines still open a record of their URL (verify --wacz, issue 20).
    let out = baoluu(&config, &["verify", "--wacz", wacz.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "verify --wacz:\n{}",
        stdout(&out)
    );
    let (base, extra_base) = (portal.url(""), extra.url(""));
    drop((portal, extra));
    (dir, wacz, base, extra_base)
}

/// The timestamp of the 304 revisit of `url` in the archive's own CDXJ files.
fn archive_revisit(archive: &Path, url: &str) -> String {
    let mut found = Vec::new();
    for file in std::fs::read_dir(archive.join("index/cdxj")).unwrap() {
        let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
        found.extend(
            text.lines()
                .filter_map(|l| baoluu::cdxj::Entry::parse(l).ok())
                .filter(|e| e.url == url && e.mime.as_deref() == Some("warc/revisit"))
                .filter(|e| e.status.as_deref() == Some("304"))
                .map(|e| e.timestamp),
        );
    }
    assert_eq!(found.len(), 1, "one 304 revisit of {url} in the archive");
    found.remove(0)
}

/// The package's CDXJ line of `url` at `timestamp`.
fn capture(wacz: &Path, url: &str, timestamp: &str) -> baoluu::cdxj::Entry {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wacz).unwrap()).unwrap();
    let mut text = String::new();
    let entry = zip.by_name("indexes/index.cdx.gz").unwrap();
    std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(entry), &mut text)
        .unwrap();
    text.lines()
        .filter_map(|l| baoluu::cdxj::Entry::parse(l).ok())
        .find(|e| e.url == url && e.timestamp == timestamp)
        .unwrap_or_else(|| panic!("{url} at {timestamp} is not in the package's index"))
}

fn heading(id: u32) -> String {
    format!("Tin số {id}: công tác xây dựng Đảng")
}

fn first_paragraph(id: u32) -> String {
    format!("Ông Nguyễn Thiện Nhơn cho biết tin số {id} có nội dung đầy đủ.")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn replayweb_page_replays_the_packaged_portal() {
    let Some(browser) = browser() else {
        return;
    };
    let spec = Spec::new(500, None);
    let id0 = spec.first_id;
    let (_dir, wacz, base, extra_base) = packaged(&spec);
    let url = |path: &str| format!("{}{}", base.trim_end_matches('/'), path);
    // The ETag article's second capture is a 304 revisit in the WARC and the archive's own
    // index (they stay what cdxj-indexer writes); the package resolves it so that, opened at
    // the revisit's time, the original article shows (issue 20).
    let revisited = url(&portal::etag_article(&spec));
    let revisit_ts = archive_revisit(&_dir.path().join("archive"), &revisited);
    let etag_id = id0 + 1;
    let (moved, target) = (url(&portal::article_path(id0 + 12)), id0 + 12);
    let extra_url = format!(
        "{}{}",
        extra_base.trim_end_matches('/'),
        portal_extra::encoded(portal_extra::ARTICLES[0])
    );
    let image = portal::image_path(id0);
    let article =
        |u: String, id: u32| json!({"url": u, "texts": [heading(id), first_paragraph(id)]});
    let mut first = article(url(&portal::article_path(id0)), id0);
    first["image_hex"] = json!(hex(&portal::image_bytes(&image)));
    let plan = json!({
        "page_titles": [heading(id0), heading(id0 + 2), heading(id0 + 3)],
        "articles": [
            first,
            article(url(&portal::article_path(id0 + 2)), id0 + 2),
            {"url": extra_url, "texts": [
                "Bài viết số 0: Phó Thủ tướng thăm Hậu Giang",
                "Đoàn đã làm việc với lãnh đạo tỉnh về phát triển kinh tế - xã hội."
            ]},
            // The revisited URL at the revisit's time: the original article, not a 304.
            {"url": revisited, "ts": revisit_ts, "content_type": "200 text/html; charset=utf-8",
             "texts": [heading(etag_id), first_paragraph(etag_id)]},
            // The old URL answers 301: replay follows it to the moved article.
            {"url": moved, "texts": [heading(target), first_paragraph(target)]},
        ],
        "resources_texts": [url(&portal::article_path(id0 + 4)), url(&image)],
    });
    let timings = run_check(&browser, &wacz, "portal", plan);
    eprintln!("ReplayWeb.page timings (ms): {timings}");
    let at_revisit = capture(&wacz, &revisited, &revisit_ts);
    assert!(
        !at_revisit
            .status
            .as_deref()
            .is_some_and(|s| s.starts_with('3')),
        "the package's line at the revisit's time is no redirect: {at_revisit:?}"
    );
}

/// The benchmark of issue 20: a synthetic 10k-article WACZ, time from page load to the page
/// list and to the first article replaying. `cargo test --release --test replayweb -- --ignored`.
#[test]
#[ignore = "benchmark: builds a 10k-article archive (BENCHMARKS.md)"]
fn ten_thousand_articles_open_quickly() {
    let Some(browser) = browser() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let built = synthetic::archive(&dir.path().join("archive"), 10_000);
    let wacz = dir.path().join("big.wacz");
    let started = std::time::Instant::now();
    let summary =
        baoluu::wacz::package(&built.archive, &wacz, &baoluu::wacz::Selection::default()).unwrap();
    eprintln!("packaged {summary:?} in {:?}", started.elapsed());
    let last = built.articles.len() - 1;
    let plan = json!({
        // The list shows the newest 100 first, with the total.
        "page_titles": [built.titles[last].clone(), "of 10,000 pages".to_string()],
        "articles": [
            {"url": built.articles[last].clone(), "texts": [built.titles[last].clone()]},
            {"url": built.articles[0].clone(), "texts": [built.titles[0].clone()]},
        ],
    });
    let timings = run_check(&browser, &wacz, "bench", plan);
    // A figure for BENCHMARKS.md, not an assertion (tests assert content, never speed).
    eprintln!("10k articles, ReplayWeb.page timings (ms): {timings}");
}
