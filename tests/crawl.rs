//! `baoluu crawl` end to end against a two-host fixture portal (issue 3): what is fetched, in
//! what order and how politely, judged from the servers' own request logs, and what lands in
//! the WARC files.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use baoluu::archive::reader;
use support::Logged;
use support::cli::{self, baoluu, stderr, warc_files, warcio_check};
use support::portal::{self, Spec, TwoHosts};

/// Politeness settings of the test config.
const MIN_DELAY: Duration = Duration::from_millis(150);
/// Host A's robots.txt Crawl-delay (seconds, as written there).
const CRAWL_DELAY_A: &str = "0.25";
/// Timer and scheduling slack allowed below a required gap. Arrival gaps include the response
/// time, so a correct crawler is above the bound by that much anyway.
const TOLERANCE: Duration = Duration::from_millis(15);

type World = TwoHosts;

fn world() -> World {
    let crawler = format!(
        "min_delay = \"{}ms\"\ndelay_factor = 0.0\nretries = 2\nmax_in_flight = 4\ngrace_period = \"10s\"",
        MIN_DELAY.as_millis()
    );
    TwoHosts::start(Some(CRAWL_DELAY_A), &crawler)
}

impl World {
    fn crawl(&self) -> std::process::Output {
        baoluu(&self.config, &["crawl"])
    }
}

/// 200 responses in the WARC files, by URL.
fn archived_200s(archive: &Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for file in warc_files(archive) {
        for record in reader::records(&file).unwrap() {
            let record = record.unwrap();
            if record.record_type() == Some("response") && record.http_status() == Some(200) {
                *counts
                    .entry(record.header("WARC-Target-URI").unwrap().to_string())
                    .or_default() += 1;
            }
        }
    }
    counts
}

fn requests_to(log: &[Logged], path: &str) -> Vec<Logged> {
    log.iter()
        .filter(|r| r.target == path || r.path() == path && !path.contains('?'))
        .cloned()
        .collect()
}

/// Ids of the articles that get archived (their pages carry one image each).
fn article_ids(spec: &Spec) -> Vec<u32> {
    portal::reachable_articles(spec)
        .iter()
        .map(|p| {
            p.trim_end_matches(".html")
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

/// Every gap between consecutive request arrivals on one host is at least `required`.
fn assert_gaps(log: &[Logged], required: Duration, host: &str) {
    for pair in log.windows(2) {
        let gap = pair[1].at.duration_since(pair[0].at);
        assert!(
            gap + TOLERANCE >= required,
            "{host}: {} arrived {gap:?} after {}, less than the required {required:?}",
            pair[1].target,
            pair[0].target
        );
    }
}

#[test]
fn a_crawl_archives_every_reachable_article_once_and_politely() {
    let w = world();
    let out = w.crawl();
    assert_eq!(
        out.status.code(),
        Some(0),
        "crawl failed:\n{}",
        stderr(&out)
    );
    let (log_a, log_b) = (w.a.log(), w.b.log());
    check_archived_once(&w);
    for (log, spec, host) in [(&log_a, &w.spec_a, "a"), (&log_b, &w.spec_b, "b")] {
        check_robots_and_scope(log, spec, host);
        check_requisites(log, spec, host);
        check_traps_and_order(log, host);
    }
    check_politeness(&log_a, &log_b);
    check_retries(&w, &log_a);

    let summary = stderr(&out);
    assert!(summary.contains("finished"), "{summary}");
    for file in warc_files(&w.archive()) {
        warcio_check(&file);
    }
    check_index(&w);
    check_crawl_log(&w, &log_a, &log_b);
    cli::keep_archive(&w.archive());
}

/// Every reachable article of both hosts is archived exactly once as a 200 response.
fn check_archived_once(w: &World) {
    let archived = archived_200s(&w.archive());
    for (fixture, spec) in [(&w.a, &w.spec_a), (&w.b, &w.spec_b)] {
        for path in portal::reachable_articles(spec) {
            let url = fixture.url(&path);
            assert_eq!(
                archived.get(&url),
                Some(&1),
                "{url} archived {:?} times",
                archived.get(&url)
            );
        }
    }
}

/// robots.txt first on the host, once; disallowed and out-of-scope URLs never requested.
fn check_robots_and_scope(log: &[Logged], spec: &Spec, host: &str) {
    assert_eq!(
        log[0].target, "/robots.txt",
        "{host}: robots.txt must come first"
    );
    assert_eq!(
        requests_to(log, "/robots.txt").len(),
        1,
        "{host}: robots.txt fetched once"
    );
    for path in portal::forbidden_paths(spec) {
        assert!(
            requests_to(log, &path).is_empty(),
            "{host}: {path} is disallowed but was requested"
        );
    }
    assert!(
        log.iter().all(|r| !r.target.starts_with("/tim-kiem/")),
        "{host}: out-of-scope URL requested"
    );
}

/// Page requisites at one embed hop: each article's image and the stylesheet, once.
fn check_requisites(log: &[Logged], spec: &Spec, host: &str) {
    for id in article_ids(spec) {
        assert_eq!(
            requests_to(log, &portal::image_path(id)).len(),
            1,
            "{host}: image of article {id}"
        );
    }
    assert_eq!(
        requests_to(log, "/static/site.css").len(),
        1,
        "{host}: the stylesheet"
    );
}

/// Traps end after the stale limit, and every section page comes before the first article.
fn check_traps_and_order(log: &[Logged], host: &str) {
    // Traps end: the endless pagination and the calendar stop after the stale limit.
    let trap = log.iter().filter(|r| r.path() == "/trap-217.html").count();
    let calendar = log
        .iter()
        .filter(|r| r.path() == "/lich-su-kien.html")
        .count();
    assert!(
        (1..=3).contains(&trap),
        "{host}: trap pages requested {trap} times"
    );
    assert!(
        (1..=3).contains(&calendar),
        "{host}: calendar pages requested {calendar} times"
    );
    // Listing pages before articles: the first article request comes after every section page.
    let first_article = log
        .iter()
        .position(|r| r.path().starts_with("/thoi-su/"))
        .unwrap();
    let last_section = log
        .iter()
        .rposition(|r| r.path() == "/thoi-su-215.html")
        .unwrap();
    let order: Vec<&str> = log.iter().map(|r| r.target.as_str()).collect();
    assert!(
        last_section < first_article,
        "{host}: an article was fetched before the section pages: {order:?}"
    );
}

/// Politeness from the servers' side: host a honours its Crawl-delay, host b the min delay,
/// and the two hosts were crawled concurrently.
fn check_politeness(log_a: &[Logged], log_b: &[Logged]) {
    let crawl_delay_a = Duration::from_secs_f64(CRAWL_DELAY_A.parse().unwrap());
    assert_gaps(log_a, crawl_delay_a, "a");
    assert_gaps(log_b, MIN_DELAY, "b");
    // The two hosts were crawled concurrently: each started before the other finished.
    assert!(
        log_b[0].at < log_a.last().unwrap().at && log_a[0].at < log_b.last().unwrap().at,
        "hosts were crawled one after the other"
    );
}

/// The 429 is retried only after its Retry-After (1 s); the 500 is tried 1 + retries times.
fn check_retries(w: &World, log_a: &[Logged]) {
    let throttled = requests_to(log_a, &portal::article_path(w.spec_a.first_id + 13));
    assert_eq!(throttled.len(), 2, "the 429 URL is fetched twice");
    assert!(throttled[1].at.duration_since(throttled[0].at) >= Duration::from_secs(1) - TOLERANCE);
    let broken = requests_to(
        log_a,
        &format!("/thoi-su/loi-{}.html", w.spec_a.first_id + 14),
    );
    assert_eq!(broken.len(), 3, "the 500 URL is tried three times");
}

/// The crawl log (issue 5): one line per request the servers saw (robots.txt aside), eleven
/// fields each, with the outcome of each fetch.
fn check_crawl_log(w: &World, log_a: &[Logged], log_b: &[Logged]) {
    let text = std::fs::read_to_string(w.archive().join("logs/crawl.log")).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert!(
        lines.iter().all(|f| f.len() == 11),
        "eleven fields:\n{text}"
    );
    let requests = log_a
        .iter()
        .chain(log_b)
        .filter(|r| r.target != "/robots.txt");
    let fetches = lines.iter().filter(|f| f[1].parse::<u16>().is_ok());
    assert_eq!(
        fetches.count(),
        requests.count(),
        "one line per fetch:\n{text}"
    );
    // The robots-disallowed article (the other forbidden path is out of scope, never a candidate).
    for path in portal::forbidden_paths(&w.spec_a)
        .iter()
        .filter(|p| p.starts_with("/thoi-su/"))
    {
        let url = w.a.url(path);
        let refused = lines
            .iter()
            .find(|f| f[3] == url)
            .unwrap_or_else(|| panic!("no line for {url}:\n{text}"));
        assert_eq!((refused[1], refused[2]), ("robots-disallowed", "0"));
    }
    let line_of = |url: &str, outcome: &str| {
        lines
            .iter()
            .find(|f| f[3] == url && f[10] == outcome)
            .unwrap_or_else(|| panic!("no {outcome} line for {url}:\n{text}"))
    };
    let warc_dir = w.archive().join("warc");
    for path in portal::reachable_articles(&w.spec_a) {
        let f = line_of(&w.a.url(&path), "archived");
        assert_eq!((f[1], f[6]), ("200", "text/html"), "{f:?}");
        assert!(
            f[8].starts_with("sha1:") && warc_dir.join(f[9]).is_file(),
            "{f:?}"
        );
    }
    let id0 = w.spec_a.first_id;
    let old = line_of(
        &w.a.url(&format!("/thoi-su/bai-cu-{}.html", id0 + 12)),
        "redirect",
    );
    assert_eq!(old[1], "301");
    let new = line_of(
        &w.a.url(&format!("/thoi-su/bai-moi-{}.html", id0 + 12)),
        "archived",
    );
    assert!(new[4].ends_with('R') && new[5] == old[3], "{new:?}");
    let throttled = w.a.url(&portal::article_path(id0 + 13));
    assert_eq!(line_of(&throttled, "retry:http-429")[1], "429");
    let broken = w.a.url(&format!("/thoi-su/loi-{}.html", id0 + 14));
    assert_eq!(line_of(&broken, "http-500")[1], "500");
    assert_eq!(
        lines
            .iter()
            .filter(|f| f[3] == broken && f[10] == "retry:http-500")
            .count(),
        2
    );
    assert_eq!(
        line_of(&w.a.url("/"), "archived")[4],
        "-",
        "a seed has no hop"
    );
}

/// The JSON index (issue 4): one valid line per archived article, pointing at its response
/// record, with a metadata record that refers to it, and the article's fields extracted.
fn check_index(w: &World) {
    let archive = w.archive();
    let metadata_refs: Vec<String> = warc_files(&archive)
        .iter()
        .flat_map(|f| reader::records(f).unwrap().map(|r| r.unwrap()))
        .filter(|r| r.record_type() == Some("metadata"))
        .filter_map(|r| r.header("WARC-Refers-To").map(str::to_string))
        .collect();
    for (name, fixture, spec) in [("a", &w.a, &w.spec_a), ("b", &w.b, &w.spec_b)] {
        let jsonl = archive.join("index").join(format!("{name}.jsonl"));
        let text = std::fs::read_to_string(&jsonl).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let urls: Vec<&str> = lines.iter().map(|l| l["url"].as_str().unwrap()).collect();
        let mut expected: Vec<String> = portal::reachable_articles(spec)
            .iter()
            .map(|p| fixture.url(p))
            .collect();
        expected.sort();
        let mut got: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        got.sort();
        assert_eq!(
            got, expected,
            "portal {name}: one index line per archived article"
        );
        let validated = cli::validate_index_lines(&jsonl);
        assert!(validated == 0 || validated == lines.len());
        for line in &lines {
            check_line(&archive, line, &metadata_refs);
        }
    }
}

fn check_line(archive: &Path, line: &serde_json::Value, metadata_refs: &[String]) {
    let url = line["url"].as_str().unwrap();
    let file = archive
        .join("warc")
        .join(line["filename"].as_str().unwrap());
    let record = reader::read_at(&file, line["offset"].as_u64().unwrap()).unwrap();
    assert_eq!(record.record_type(), Some("response"), "{url}");
    assert_eq!(record.header("WARC-Target-URI"), Some(url));
    assert_eq!(
        record.header("WARC-Payload-Digest"),
        line["digest"].as_str()
    );
    assert_eq!(
        record.length,
        line["length"].as_u64().unwrap(),
        "{url}: length is the gzip member's"
    );
    let id = record.header("WARC-Record-ID").unwrap().to_string();
    assert!(
        metadata_refs.contains(&id),
        "{url}: no metadata record refers to its response"
    );
    let number = url.trim_end_matches(".html").rsplit('-').next().unwrap();
    assert_eq!(
        line["title"],
        format!("Tin số {number}: công tác xây dựng Đảng"),
        "{url}"
    );
    assert_eq!(line["published"], "2023-01-05T07:31:00+07:00", "{url}");
    assert_eq!(line["authors"], serde_json::json!(["TRƯỜNG SƠN"]), "{url}");
    assert!(
        line["lead"].as_str().unwrap().starts_with("(HGO) - "),
        "{url}: {}",
        line["lead"]
    );
    let text = line["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("Ông Nguyễn Thiện Nhơn cho biết tin số {number}")),
        "{url}: {text}"
    );
    assert!(text.ends_with("kết thúc bài viết."), "{url}: {text}");
    for boilerplate in [
        "Ảnh:",
        "Bài, ảnh",
        "Viết bình luận mới",
        "Xem thêm",
        "THÔNG TIN CẦN BIẾT",
        "Tin liên quan",
    ] {
        assert!(
            !text.contains(boilerplate),
            "{url}: `{boilerplate}` in the body: {text}"
        );
    }
    assert_eq!(
        line["images"][0]["caption"], "Hội nghị tổng kết. Ảnh: T.S",
        "{url}"
    );
}

#[test]
fn a_second_run_fetches_listings_again_but_no_known_article() {
    let w = world();
    assert_eq!(w.crawl().status.code(), Some(0));
    let first = w.a.log().len();
    let out = w.crawl();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second: Vec<Logged> = w.a.log().split_off(first);
    assert!(
        second.iter().any(|r| r.target == "/"),
        "the seed is fetched again"
    );
    assert!(
        second.iter().any(|r| r.path() == "/thoi-su-215.html"),
        "listings are fetched again"
    );
    let articles: Vec<&str> = second
        .iter()
        .filter(|r| r.path().starts_with("/thoi-su/"))
        .map(|r| r.target.as_str())
        .collect();
    // The 500 URL failed in run 1 and is not an archived article; nothing else may come back.
    let known: Vec<&&str> = articles.iter().filter(|t| !t.contains("/loi-")).collect();
    assert!(known.is_empty(), "known articles fetched again: {known:?}");
    assert!(
        second.iter().all(|r| r.target != "/robots.txt"),
        "robots.txt is cached (24 h) in the store"
    );
}

#[test]
fn sigterm_stops_the_crawl_resumably_and_the_next_run_finishes_it() {
    let w = world();
    let child = cli::command(&w.config, &["crawl"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Let it archive a few pages, then ask it to stop.
    support::wait::wait_for("three article requests", Duration::from_secs(20), || {
        let log = w.a.log();
        log.iter()
            .filter(|r| r.path().starts_with("/thoi-su/"))
            .count()
            >= 3
    });
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(75),
        "SIGTERM must exit 75:\n{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
    warc_files(&w.archive()); // panics if a .open file is left

    let out = w.crawl();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("resumed"),
        "the second run resumes the first:\n{}",
        stderr(&out)
    );
    check_archived_once(&w);
    for file in warc_files(&w.archive()) {
        warcio_check(&file);
    }
}
