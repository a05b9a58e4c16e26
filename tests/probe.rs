//! `baoluu probe` through the library API (issue 9, part 4): the saved baolaocai.vn page from
//! `../shared/pages/` (skipped with a message when that folder is absent), synthetic pages of
//! family A and of no family, the suggested profile loaded as configuration, and the polite
//! one-page fetch against a loopback fixture (robots.txt first, Crawl-delay, refusals).

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use baoluu::config::Config;
use baoluu::probe::{self, Error, FetchOptions, Probe, fetch_politely, probe_input, render};
use support::{Fixture, Reply};
use url::Url;

const USER_AGENT: &str = "baoluu/0.1 (+https://example.org/baoluu; mailto:a@example.org)";
const LAOCAI_URL: &str = "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html";
const PROSE: &str = "Sáng 8/1, tại hội trường tỉnh, lãnh đạo tỉnh đã tổ chức hội nghị tổng kết công tác năm và triển khai nhiệm vụ trọng tâm của năm tiếp theo với nhiều chỉ tiêu quan trọng.";

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn pages_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/pages"))
}

/// The saved page's path, or `None` (with a message) when the shared pages are not here.
fn real_page(file: &str) -> Option<PathBuf> {
    let path = pages_dir().join(file);
    if path.is_file() {
        return Some(path);
    }
    eprintln!(
        "skipped: {} is absent (real pages live outside the repository)",
        path.display()
    );
    None
}

/// The snippet wrapped with a `[crawler]` table, loaded as a configuration.
fn load_snippet(probe: &Probe) -> Config {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baoluu.toml");
    let text = format!(
        // A real-looking contact: snippets name public hosts, where a placeholder is refused.
        "[crawler]\nuser_agent = \"baoluu/0.1 (+mailto:x@y.vn)\"\n\n{}",
        probe.snippet
    );
    std::fs::write(&path, &text).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn fck_page() -> String {
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Hội nghị | Báo Cần Thơ</title></head><body>
        <div class="detail-title"><h1 class="fw700">Hội nghị tổng kết công tác năm 2025</h1></div>
        <span class="pubdate">08/01/2026 - 18:21</span>
        <div id="newscontents"><div class="content-fck"><p>{PROSE}</p>
        <div class="AMN_res_300">Quảng cáo</div><p>{PROSE}</p>
        <p style="text-align: right;"><strong>Tin, ảnh: P.Y</strong></p></div></div></body></html>"#
    )
}

// ---- saved and synthetic pages ------------------------------------------------------------

#[test]
fn the_saved_baolaocai_page_is_family_cms_and_its_snippet_loads() {
    let Some(path) = real_page("baolaocai-article.html") else {
        return;
    };
    // No --url: the page's canonical link gives it.
    let p = probe_input(Some(&path), None, None, USER_AGENT).unwrap();
    assert_eq!(p.url, LAOCAI_URL);
    assert_eq!(p.families[0].name, "cms");
    assert!(p.families[0].body_matched && p.families[0].url_matches_article);
    assert!(p.families[1..].iter().all(|f| !f.body_matched));
    assert_eq!(p.best_family.as_deref(), Some("cms"));
    let family = p.family_extract.as_ref().unwrap();
    assert_eq!(family.title, "Sống đẹp từ những điều giản dị");
    assert_eq!(
        family.published.as_deref(),
        Some("2025-06-17T13:43:02+07:00")
    );
    assert!(family.body_chars > 1000, "{}", family.body_chars);
    let config = load_snippet(&p);
    let portal = &config.portals[0];
    assert_eq!(portal.name, "laocai");
    assert_eq!(portal.family.as_deref(), Some("cms"));
    assert_eq!(portal.hosts, ["baolaocai.vn", "www.baolaocai.vn"]);
    assert!(portal.article_urls.iter().any(|re| re.is_match(LAOCAI_URL)));
    println!("{}", render(&p));
}

#[test]
fn the_saved_gzip_body_probes_like_the_page() {
    let Some(path) = real_page("baolaocai-article.gzip-body.html") else {
        return;
    };
    let body = std::fs::read(&path).unwrap();
    let p = probe::probe(&body, None, &url(LAOCAI_URL));
    assert_eq!(p.best_family.as_deref(), Some("cms"));
    let family = p.family_extract.as_ref().unwrap();
    assert_eq!(family.title, "Sống đẹp từ những điều giản dị");
}

#[test]
fn a_content_fck_page_ranks_family_a_first() {
    let page_url = url("https://baocantho.com.vn/hoi-nghi-tong-ket-a186301.html");
    let p = probe::probe(fck_page().as_bytes(), None, &page_url);
    assert_eq!(p.families[0].name, "content-fck");
    // Everything but `p.author` matched: this byline is the right-aligned `<strong>` form.
    assert!(
        (p.families[0].score - 11.0 / 13.0).abs() < 1e-9,
        "{:?}",
        p.families[0]
    );
    assert_eq!(p.best_family.as_deref(), Some("content-fck"));
    let family = p.family_extract.as_ref().unwrap();
    assert_eq!(family.title, "Hội nghị tổng kết công tác năm 2025");
    assert_eq!(
        family.published.as_deref(),
        Some("2026-01-08T18:21:00+07:00")
    );
    assert!(
        !family.body_start.contains("Quảng cáo"),
        "{}",
        family.body_start
    );
    let config = load_snippet(&p);
    let portal = &config.portals[0];
    assert_eq!(portal.name, "cantho");
    assert_eq!(portal.family.as_deref(), Some("content-fck"));
    assert!(
        (portal.article_urls.iter()).any(|re| re.is_match(page_url.as_str())),
        "{}",
        p.snippet
    );
}

#[test]
fn a_page_of_no_family_gets_explicit_inferred_patterns() {
    let html = format!(
        r#"<html><head><title>Tin tức</title></head><body><h1>Khánh thành cầu mới bắc qua sông</h1>
        <div class="story-body"><p>{PROSE}</p><p>{PROSE}</p></div>
        <div class="author-name">Minh Hà</div></body></html>"#
    );
    let page_url = url("https://www.baomoi-tinh.vn/xa-hoi/khanh-thanh-cau-moi-98765.html");
    let p = probe::probe(html.as_bytes(), None, &page_url);
    assert_eq!(p.best_family, None);
    assert!(p.family_extract.is_none());
    assert!(p.families.iter().all(|f| !f.body_matched));
    assert!(!p.snippet.contains("family ="), "{}", p.snippet);
    assert!(
        p.snippet.contains("article_urls = ")
            && p.snippet.contains("inferred by baoluu probe — check"),
        "{}",
        p.snippet
    );
    let config = load_snippet(&p);
    let portal = &config.portals[0];
    assert_eq!(portal.name, "moi-tinh");
    assert_eq!(portal.family, None);
    assert_eq!(portal.hosts, ["www.baomoi-tinh.vn", "baomoi-tinh.vn"]);
    let matches = |u: &str| portal.article_urls.iter().any(|re| re.is_match(u));
    assert!(matches(page_url.as_str()));
    assert!(matches(
        "https://baomoi-tinh.vn/kinh-te/gia-lua-tang-12.html"
    ));
    assert!(!matches("https://baomoi-tinh.vn/xa-hoi/"));
    assert!(
        (portal.listing_urls.iter()).any(|re| re.is_match("https://baomoi-tinh.vn/xa-hoi/")),
        "{}",
        p.snippet
    );
    let text = render(&p);
    assert!(text.contains("best: none"), "{text}");
    println!("{text}");
}

#[test]
fn a_page_without_a_url_is_probed_as_unknown_and_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("page.html");
    std::fs::write(&path, fck_page()).unwrap();
    let p = probe_input(Some(&path), None, None, USER_AGENT).unwrap();
    assert_eq!(p.url, probe::UNKNOWN_URL);
    assert!(p.notes.iter().any(|n| n.contains("--url")), "{:?}", p.notes);
    assert_eq!(p.best_family.as_deref(), Some("content-fck"));
    assert!(
        p.snippet.contains("replace unknown.invalid"),
        "{}",
        p.snippet
    );
    assert_eq!(load_snippet(&p).portals[0].name, "unknown");
}

// ---- polite fetch -----------------------------------------------------------------------

/// Options without the minimum delay, so only robots.txt's Crawl-delay spaces requests.
fn quick() -> FetchOptions {
    FetchOptions {
        min_delay: Duration::ZERO,
        ..FetchOptions::default()
    }
}

fn targets(fixture: &Fixture) -> Vec<String> {
    fixture.log().into_iter().map(|l| l.target).collect()
}

fn robots_fixture(robots: &'static str) -> Fixture {
    let page = fck_page();
    Fixture::start("127.0.0.7", move |req| match req.target.as_str() {
        "/robots.txt" => Reply::new(200)
            .header("Content-Type", "text/plain")
            .body(robots),
        "/old-a1.html" => Reply::redirect(301, "/hoi-nghi-a1.html"),
        "/away-a1.html" => Reply::redirect(302, "http://127.0.0.8/hoi-nghi-a1.html"),
        "/hoi-nghi-a1.html" | "/private/hoi-nghi-a1.html" => Reply::gzip_html(&page),
        _ => Reply::not_found(),
    })
}

#[tokio::test]
async fn robots_txt_comes_first_and_its_crawl_delay_is_waited() {
    let fixture = robots_fixture("User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n");
    let target = url(&fixture.url("/hoi-nghi-a1.html"));
    let page = fetch_politely(&target, USER_AGENT, &quick()).await.unwrap();
    let log = fixture.log();
    assert_eq!(targets(&fixture), ["/robots.txt", "/hoi-nghi-a1.html"]);
    let gap = log[1].at.duration_since(log[0].at);
    assert!(gap >= Duration::from_secs(1), "requests {gap:?} apart");
    assert_eq!(log[1].header("user-agent"), Some(USER_AGENT));
    // The gzip body arrives decoded and probes as family A.
    assert_eq!(page.body, fck_page().as_bytes());
    assert_eq!(page.crawl_delay, Some(Duration::from_secs(1)));
    assert_eq!(page.robots, "rules");
    let p = probe::probe(&page.body, page.content_type.as_deref(), &page.url);
    assert_eq!(p.best_family.as_deref(), Some("content-fck"));
}

#[tokio::test]
async fn a_disallowed_url_is_refused_without_a_page_request() {
    let fixture =
        robots_fixture("User-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n");
    let target = url(&fixture.url("/private/hoi-nghi-a1.html"));
    let err = fetch_politely(&target, USER_AGENT, &quick())
        .await
        .unwrap_err();
    match &err {
        Error::RobotsDisallowed { token, rule, .. } => {
            assert_eq!(token, "baoluu");
            assert_eq!(rule.as_deref(), Some("Disallow: /private/"));
        }
        other => panic!("not refused by robots.txt: {other}"),
    }
    assert!(
        err.to_string().contains("rule `Disallow: /private/`"),
        "{err}"
    );
    assert_eq!(targets(&fixture), ["/robots.txt"]);
}

#[tokio::test]
async fn same_host_redirects_are_followed_and_others_reported() {
    let fixture = robots_fixture("User-agent: *\nAllow: /\n");
    let old = url(&fixture.url("/old-a1.html"));
    let page = fetch_politely(&old, USER_AGENT, &quick()).await.unwrap();
    assert_eq!(page.url.path(), "/hoi-nghi-a1.html");
    assert_eq!(page.redirects, [old]);
    let away = url(&fixture.url("/away-a1.html"));
    let err = fetch_politely(&away, USER_AGENT, &quick())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::OffHostRedirect { to, .. } if to.starts_with("http://127.0.0.8/")),
        "{err}"
    );
    // robots.txt once per fetch, and nothing was requested from 127.0.0.8 (it has no server).
    assert_eq!(
        targets(&fixture),
        [
            "/robots.txt",
            "/old-a1.html",
            "/hoi-nghi-a1.html",
            "/robots.txt",
            "/away-a1.html"
        ]
    );
}

#[tokio::test]
async fn an_unreachable_robots_txt_refuses_the_host() {
    let fixture = Fixture::start("127.0.0.7", |req| match req.target.as_str() {
        "/robots.txt" => Reply::new(503),
        _ => Reply::html("<p>trang</p>"),
    });
    let target = url(&fixture.url("/tin-a1.html"));
    let err = fetch_politely(&target, USER_AGENT, &quick())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RobotsUnreachable { .. }), "{err}");
    assert_eq!(targets(&fixture), ["/robots.txt"]);
}

/// What `baoluu probe --fetch URL` does, minus printing: a runtime of its own, the minimum
/// delay of the defaults, notes saying what was fetched; the probe serialises for `--json`.
#[test]
fn probe_input_fetches_with_its_own_runtime() {
    let fixture = robots_fixture("User-agent: *\nAllow: /\n");
    let old = url(&fixture.url("/old-a1.html"));
    let p = probe_input(None, Some(&old), None, USER_AGENT).unwrap();
    assert_eq!(p.url, fixture.url("/hoi-nghi-a1.html"));
    assert_eq!(p.best_family.as_deref(), Some("content-fck"));
    assert!(p.notes[0].starts_with("fetched "), "{:?}", p.notes);
    assert!(
        p.notes.iter().any(|n| n.contains("redirected")),
        "{:?}",
        p.notes
    );
    let log = fixture.log();
    assert!(
        log.windows(2)
            .all(|w| w[1].at.duration_since(w[0].at) >= Duration::from_secs(1))
    );
    let config = load_snippet(&p);
    let portal = &config.portals[0];
    assert_eq!(portal.name, "host-127-0-0-7");
    assert_eq!(portal.hosts, [fixture.addr().to_string()]);
    let json: serde_json::Value = serde_json::to_value(&p).unwrap();
    assert_eq!(json["families"][0]["name"], "content-fck");
    assert_eq!(json["family_extract"]["selectors"], "family content-fck");
    assert!(json["snippet"].as_str().unwrap().contains("[[portal]]"));
}

#[test]
fn run_cli_rejects_two_inputs() {
    let target = url("http://127.0.0.7/");
    let result = probe::run_cli(
        Some(Path::new("x.html")),
        Some(&target),
        None,
        false,
        USER_AGENT,
    );
    assert!(matches!(result, Err(Error::Usage)));
}

/// The binary's `probe` subcommand: a saved page needs no configuration; JSON on request; no
/// input at all is a usage error (exit 2).
#[test]
fn the_probe_command_reads_a_saved_page_and_prints_text_or_json() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, fck_page()).unwrap();
    let missing = dir.path().join("no-config.toml");
    let page_arg = page.to_str().unwrap();
    let out = support::cli::baoluu(
        &missing,
        &[
            "probe",
            page_arg,
            "--url",
            "https://baocantho.com.vn/tin-a1.html",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", support::cli::stderr(&out));
    let text = support::cli::stdout(&out);
    assert!(
        text.contains("Suggested profile") && text.contains("family = \"content-fck\""),
        "{text}"
    );
    let out = support::cli::baoluu(&missing, &["probe", page_arg, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["best_family"], "content-fck", "{json}");
    let out = support::cli::baoluu(&missing, &["probe"]);
    assert_eq!(out.status.code(), Some(2));
}

/// Issue 13 items 3 and 4, for `probe --fetch` too: a robots.txt cut off in transit, or one that
/// redirects somewhere we may not fetch, is unreachable (everything refused), not a shorter file
/// or "too many redirects" (everything allowed).
#[tokio::test]
async fn a_cut_or_unfollowable_robots_txt_refuses_the_host() {
    let cut = Fixture::start("127.0.0.7", |req| match req.target.as_str() {
        "/robots.txt" => Reply::raw(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 60\r\n\r\nUser-agent: *\n",
        ),
        _ => Reply::html("<p>trang</p>"),
    });
    let target = url(&cut.url("/private/tin-a1.html"));
    let err = fetch_politely(&target, USER_AGENT, &quick())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RobotsUnreachable { .. }), "{err}");
    assert_eq!(targets(&cut), ["/robots.txt"]);

    let away = Fixture::start("127.0.0.7", |req| match req.target.as_str() {
        "/robots.txt" => Reply::redirect(301, "ftp://127.0.0.7/robots.txt"),
        _ => Reply::html("<p>trang</p>"),
    });
    let target = url(&away.url("/tin-a1.html"));
    let err = fetch_politely(&target, USER_AGENT, &quick())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RobotsUnreachable { .. }), "{err}");
    assert_eq!(targets(&away), ["/robots.txt"]);
}
