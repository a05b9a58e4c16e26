//! Hostile and broken servers (issue 7 part 2), each through the real binary.
//!
//! Every test builds a [`World`]: host A's seed page links the hostile URL(s) next to a normal
//! article, host B is a second, well-behaved portal. Each test then checks that the command
//! finished within [`hostile::limit`] (60 s) (the child is killed and the test fails otherwise), that
//! the hostile URL's outcome is visible (`url_finished`, `page_fetched`, `fetch_failed` events
//! of `--log-format json`, or `save`'s printed line), that the child's peak RSS stayed under
//! 200 MB, and that no other URL suffered (host B's articles and, where its host is crawlable,
//! A's normal article are indexed; every WARC file verifies with our reader and warcio).
//! Delays are short (`min_delay = "20ms"`, `delay_factor = 0`) so the file runs in well under
//! a minute on two cores.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use baoluu::archive::reader::{self, Record};
use support::cli::warc_files;
use support::fixture::gzip;
use support::hostile::{self, NORMAL_A, Options, Route, World, article_html};
use support::{Fixture, Logged, Reply};

/// A route table for host A: exact targets only.
fn routes(table: Vec<(String, Reply)>) -> Route {
    Box::new(move |req: &Logged| {
        table
            .iter()
            .find(|(t, _)| *t == req.target)
            .map(|(_, r)| r.clone())
    })
}

fn article(title: &str) -> String {
    article_html(title, &format!("Nội dung chính của bài {title}."))
}

/// The response records of `url`, in file order.
fn responses(w: &World, url: &str) -> Vec<Record> {
    warc_files(&w.archive())
        .iter()
        .flat_map(|f| reader::records(f).unwrap().map(|r| r.unwrap()))
        .filter(|r| r.record_type() == Some("response") && r.header("WARC-Target-URI") == Some(url))
        .collect()
}

fn requests(fixture: &Fixture, target: &str) -> usize {
    fixture.log().iter().filter(|r| r.target == target).count()
}

fn flags(line: &serde_json::Value) -> Vec<String> {
    line["flags"]
        .as_array()
        .map(|a| a.iter().map(|f| f.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

// --- bodies: slow, endless, oversize, bombs, broken ---

#[test]
fn a_slow_loris_body_is_cut_by_the_total_timeout() {
    let path = "/bai/cham.html";
    let slow = Reply::html(article("Chậm")).trickle(1, Duration::from_secs(1));
    let options = Options {
        read_timeout: "2s",
        total_timeout: "3s",
        ..Options::default()
    };
    let w = World::new(&[path.into()], routes(vec![(path.into(), slow)]), &options);
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let url = w.a.url(path);
    let fetched = ran.fetched(&url);
    assert_eq!(fetched.len(), 1, "{}", ran.tail());
    assert_eq!(fetched[0]["truncated"], "time", "{}", ran.tail());
    assert_eq!(ran.outcome(&url), "archived");
    let record = &responses(&w, &url)[0];
    assert_eq!(record.header("WARC-Truncated"), Some("time"));
    assert!(
        ran.elapsed < Duration::from_secs(30),
        "the crawl took {:?}",
        ran.elapsed
    );
}

#[test]
fn an_endless_body_is_cut_at_max_body() {
    let endless = hostile::Endless::start("127.0.0.4");
    let url = endless.url("/bai/vo-tan.html");
    let options = Options {
        max_body: Some("1MiB"),
        extra_hosts: vec![endless.addr().to_string()],
        ..Options::default()
    };
    let w = World::new(std::slice::from_ref(&url), routes(vec![]), &options);
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let fetched = ran.fetched(&url);
    assert_eq!(fetched.len(), 1, "{}", ran.tail());
    assert_eq!(fetched[0]["truncated"], "length");
    assert_eq!(fetched[0]["bytes"], 1 << 20);
    assert_eq!(ran.outcome(&url), "archived");
    let record = &responses(&w, &url)[0];
    assert_eq!(record.header("WARC-Truncated"), Some("length"));
    assert_eq!(record.http_body().unwrap().len(), 1 << 20);
    assert!(endless.sent() >= 1 << 20);
}

/// A 3 MiB page under a 1 MiB cap.
fn oversize_world() -> (World, String) {
    let path = "/bai/qua-lon.html";
    let text = "Một câu rất dài trong bài viết quá khổ. ".repeat(80_000);
    let big = Reply::html(article_html("Quá lớn", &text));
    let options = Options {
        max_body: Some("1MiB"),
        ..Options::default()
    };
    let w = World::new(&[path.into()], routes(vec![(path.into(), big)]), &options);
    let url = w.a.url(path);
    (w, url)
}

#[test]
fn a_body_over_the_cap_is_cut_at_exactly_max_body() {
    let (w, url) = oversize_world();
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    assert_eq!(ran.fetched(&url)[0]["truncated"], "length");
    assert_eq!(ran.outcome(&url), "archived");
    let record = &responses(&w, &url)[0];
    assert_eq!(record.header("WARC-Truncated"), Some("length"));
    assert_eq!(record.http_body().unwrap().len(), 1 << 20);
}

#[test]
fn the_index_line_of_a_cut_capture_is_flagged_truncated() {
    let (w, url) = oversize_world();
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let index = w.index("hostile");
    let line = index.get(&url).expect("the cut article is still indexed");
    assert!(
        flags(line).contains(&"truncated".to_string()),
        "flags {:?}",
        flags(line)
    );
}

/// A gzip body that inflates to `mib` MiB: a small HTML head, then 8 MiB members of `a`
/// (gzip members concatenate: RFC 1952 §2.2), so building it costs one 8 MiB compression.
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let mut bomb = gzip(
        br#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bom</title></head><body><div class="news-details-content"><h1>Bom nen</h1><div class="contentView"><p>"#,
    );
    let member = gzip(&vec![b'a'; 8 << 20]);
    for _ in 0..mib / 8 {
        bomb.extend_from_slice(&member);
    }
    bomb
}

#[test]
fn a_gzip_bomb_is_capped_while_decoding() {
    let path = "/bai/bom.html";
    let bomb = gzip_bomb(1024);
    assert!(bomb.len() < 2 << 20, "the bomb is {} bytes", bomb.len());
    let reply = Reply::html(bomb).header("Content-Encoding", "gzip");
    let w = World::new(
        &[path.into()],
        routes(vec![(path.into(), reply)]),
        &Options::default(),
    );
    let ran = w.crawl();
    eprintln!(
        "gzip bomb: peak RSS {} KiB, {:?}",
        ran.peak_kib, ran.elapsed
    );
    w.assert_unharmed(&ran, true);
    let url = w.a.url(path);
    assert_eq!(ran.outcome(&url), "archived");
    if let Some(line) = w.index("hostile").get(&url) {
        assert!(
            flags(line).contains(&"truncated".to_string()),
            "flags {:?}",
            flags(line)
        );
    }
}

#[test]
fn invalid_gzip_is_archived_verbatim_and_not_indexed() {
    let path = "/bai/hong.html";
    let garbage = b"\x1f\x8b\x08\x00 this is not a gzip stream at all".to_vec();
    let reply = Reply::html(garbage.clone()).header("Content-Encoding", "gzip");
    let w = World::new(
        &[path.into()],
        routes(vec![(path.into(), reply)]),
        &Options::default(),
    );
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let url = w.a.url(path);
    assert_eq!(ran.outcome(&url), "archived");
    assert_eq!(
        ran.events_for("page_undecodable", &url).len(),
        1,
        "{}",
        ran.tail()
    );
    assert!(!w.index("hostile").contains_key(&url));
    assert_eq!(responses(&w, &url)[0].http_body().unwrap(), &garbage[..]);
}

#[test]
fn a_reset_mid_body_keeps_what_arrived() {
    let path = "/bai/dut.html";
    let reply = Reply::html(article("Đứt")).reset_after(150);
    let w = World::new(
        &[path.into()],
        routes(vec![(path.into(), reply)]),
        &Options::default(),
    );
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let url = w.a.url(path);
    assert_eq!(
        ran.fetched(&url)[0]["truncated"],
        "disconnect",
        "{}",
        ran.tail()
    );
    assert_eq!(ran.outcome(&url), "archived");
    let record = &responses(&w, &url)[0];
    assert_eq!(record.header("WARC-Truncated"), Some("disconnect"));
    assert_eq!(record.http_body().unwrap().len(), 150);
}

// --- redirects ---

#[test]
fn a_redirect_loop_and_a_long_chain_end() {
    let (a, b) = ("/bai/vong-a.html", "/bai/vong-b.html");
    let mut table = vec![
        (a.to_string(), Reply::redirect(302, b)),
        (b.to_string(), Reply::redirect(302, a)),
    ];
    // A chain with no loop: c1 → c2 → … → c6, longer than max_redirects.
    for n in 1..=5 {
        let to = format!("/bai/chuoi-{}.html", n + 1);
        table.push((format!("/bai/chuoi-{n}.html"), Reply::redirect(301, &to)));
    }
    let chain = "/bai/chuoi-1.html";
    let options = Options {
        max_redirects: 3,
        ..Options::default()
    };
    let w = World::new(&[a.into(), chain.into()], routes(table), &options);
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    // The loop is caught when it comes back to the URL being visited (already archived).
    let outcome = ran.outcome(&w.a.url(a));
    assert!(
        ["redirect-to-known", "too-many-redirects"].contains(&outcome.as_str()),
        "{outcome}"
    );
    let hops = requests(&w.a, a) + requests(&w.a, b);
    assert!(
        hops <= 4,
        "{hops} requests for a loop limited to 3 redirects"
    );
    assert_eq!(ran.outcome(&w.a.url(chain)), "too-many-redirects");
    assert_eq!(
        requests(&w.a, "/bai/chuoi-4.html"),
        1,
        "three redirects are followed"
    );
    assert_eq!(requests(&w.a, "/bai/chuoi-5.html"), 0, "a fourth is not");
}

#[test]
fn redirects_out_of_scope_or_to_a_private_address_are_refused_unfetched() {
    // Another loopback host, not in the portal's hosts: it must see no request.
    let outside = Fixture::pages(
        "127.0.0.5",
        vec![("/bai/ngoai.html", Reply::html(article("Ngoài")))],
    );
    let (out, private) = ("/bai/ra-ngoai.html", "/bai/ra-rieng.html");
    let table = vec![
        (
            out.to_string(),
            Reply::redirect(301, &outside.url("/bai/ngoai.html")),
        ),
        // Never connected to: the scope refuses the target before any fetch.
        (
            private.to_string(),
            Reply::redirect(302, "http://10.0.0.1/bai/rieng.html"),
        ),
    ];
    let w = World::new(
        &[out.into(), private.into()],
        routes(table),
        &Options::default(),
    );
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    assert_eq!(ran.outcome(&w.a.url(out)), "redirect-out-of-scope");
    assert_eq!(ran.outcome(&w.a.url(private)), "redirect-out-of-scope");
    assert!(
        outside.log().is_empty(),
        "the out-of-scope host was contacted"
    );
    let touched: Vec<&serde_json::Value> = ran
        .events
        .iter()
        .filter(|e| {
            matches!(
                e["fields"]["message"].as_str(),
                Some("page_fetched" | "fetch_failed")
            )
        })
        .filter(|e| {
            e["fields"]["url"]
                .as_str()
                .unwrap_or("")
                .contains("10.0.0.1")
        })
        .collect();
    assert!(
        touched.is_empty(),
        "a fetch of 10.0.0.1 was attempted: {touched:?}"
    );
}

/// `save` follows redirects anywhere the address guard allows; 10.0.0.1 is not named in any
/// portal, so the guard refuses it (an IP literal is judged before any connection).
fn save_to_private() -> (World, hostile::Ran, String) {
    let path = "/ra-rieng";
    let table = vec![(
        path.to_string(),
        Reply::redirect(302, "http://10.0.0.1/bi-mat"),
    )];
    let w = World::new(&[], routes(table), &Options::default());
    let url = w.a.url(path);
    let ran = w.save(std::slice::from_ref(&url));
    (w, ran, url)
}

#[test]
fn save_refuses_a_redirect_to_a_private_address() {
    let (w, ran, url) = save_to_private();
    ran.assert_ok();
    support::cli::check_warcs(&w.archive());
    let line = ran.save_line(&url);
    assert!(
        line.contains("\trefused: ") || line.contains("\tfailed: "),
        "{line}"
    );
    assert!(line.contains("[302 "), "the hop is archived: {line}");
    let private: Vec<&serde_json::Value> = ran
        .events
        .iter()
        .filter(|e| {
            e["fields"]["url"]
                .as_str()
                .unwrap_or("")
                .contains("10.0.0.1")
        })
        .filter(|e| {
            matches!(
                e["fields"]["message"].as_str(),
                Some("page_fetched" | "fetch_failed")
            )
        })
        .collect();
    assert!(
        !private.is_empty(),
        "no fetch event for 10.0.0.1:\n{}",
        ran.tail()
    );
    for event in private {
        assert_eq!(event["fields"]["message"], "fetch_failed", "{event}");
        assert_eq!(event["fields"]["outcome"], "address-refused", "{event}");
    }
}

#[test]
fn save_says_why_a_private_address_was_refused() {
    let (_w, ran, url) = save_to_private();
    let line = ran.save_line(&url);
    assert!(
        line.contains("private, loopback or link-local"),
        "the line should name the address guard, not a transient robots.txt failure: {line}"
    );
}

// --- throttling ---

/// When a request arrived, and the instant its 429's Retry-After date named.
type Asked = (SystemTime, Option<SystemTime>);

#[test]
fn a_429_with_an_http_date_retry_after_is_waited_for() {
    let path = "/bai/cho.html";
    let asked: Arc<Mutex<Vec<Asked>>> = Arc::default();
    let seen = asked.clone();
    let route: Route = Box::new(move |req: &Logged| {
        if req.target != path {
            return None;
        }
        let mut seen = seen.lock().unwrap();
        if !seen.is_empty() {
            seen.push((SystemTime::now(), None));
            return Some(Reply::html(article("Chờ")));
        }
        let at = chrono::Utc::now() + chrono::Duration::seconds(3);
        let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        // The date has whole seconds: the wait it asks for ends at the truncated instant.
        let until = SystemTime::UNIX_EPOCH + Duration::from_secs(at.timestamp() as u64);
        seen.push((SystemTime::now(), Some(until)));
        Some(
            Reply::new(429)
                .header("Retry-After", &date)
                .body("chậm lại"),
        )
    });
    let w = World::new(&[path.into()], route, &Options::default());
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let url = w.a.url(path);
    assert_eq!(ran.outcome(&url), "archived");
    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 2, "one 429, then the page");
    let until = asked[0].1.unwrap();
    let early = until.duration_since(asked[1].0).unwrap_or(Duration::ZERO);
    assert!(
        early < Duration::from_millis(20),
        "retried {early:?} before the Retry-After date"
    );
    assert!(w.index("hostile").contains_key(&url));
}

/// Host B's widest gap between two consecutive request arrivals.
fn widest_gap(log: &[Logged]) -> Duration {
    log.windows(2)
        .map(|p| p[1].at.duration_since(p[0].at))
        .max()
        .unwrap()
}

#[test]
fn a_503_storm_backs_off_its_host_and_leaves_the_other_alone() {
    // Every article of host A answers 503 with Retry-After: 2; host B answers in 150 ms.
    let route: Route = Box::new(|req: &Logged| {
        req.target
            .starts_with("/bai/")
            .then(|| Reply::new(503).header("Retry-After", "2").body("quá tải"))
    });
    let options = Options {
        retries: 1,
        b_delay: Duration::from_millis(150),
        ..Options::default()
    };
    let w = World::new(&[], route, &options);
    let ran = w.crawl();
    w.assert_unharmed(&ran, false);
    let url = w.a.url(NORMAL_A);
    assert_eq!(requests(&w.a, NORMAL_A), 2, "one try and one retry");
    assert_eq!(ran.finished(&url)["status"], 503);
    assert_eq!(ran.events_for("fetch_deferred", &url).len(), 1);
    // Host A: the request after a 503 waits out its Retry-After.
    let log_a = w.a.log();
    for pair in log_a.windows(2) {
        if pair[0].target.starts_with("/bai/") {
            let gap = pair[1].at.duration_since(pair[0].at);
            assert!(
                gap >= Duration::from_millis(1985),
                "{} after {gap:?}",
                pair[1].target
            );
        }
    }
    // Host B never inherits A's backoff: no gap of B's reaches A's Retry-After. (A tighter
    // bound, B's own spacing, is the next test's: it fails for a reason unrelated to A.)
    let log_b = w.b.log();
    let widest = widest_gap(&log_b);
    assert!(
        widest < Duration::from_millis(1800),
        "host B waited {widest:?} between requests"
    );
}

#[test]
fn a_host_alone_keeps_its_normal_spacing() {
    // Only host B has work after A's two pages; B answers in 150 ms and min_delay is 20 ms,
    // so consecutive requests should arrive about 170 ms apart.
    let options = Options {
        b_delay: Duration::from_millis(150),
        ..Options::default()
    };
    let w = World::new(&[], routes(vec![]), &options);
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let widest = widest_gap(&w.b.log());
    assert!(
        widest < Duration::from_millis(600),
        "host B waited {widest:?} between requests"
    );
}

// --- robots.txt ---

/// A World whose host A serves `robots` (and `more` routes) at /robots.txt.
fn robots_world(
    robots: Reply,
    more: Vec<(String, Reply)>,
    links: &[String],
    options: &Options,
) -> World {
    let mut table = vec![("/robots.txt".to_string(), robots)];
    table.extend(more);
    World::new(links, routes(table), options)
}

fn assert_host_closed(w: &World, ran: &hostile::Ran) {
    w.assert_unharmed(ran, false);
    assert_eq!(ran.outcome(&w.a.url("/")), "robots-unreachable");
    let targets: Vec<String> = w.a.log().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        ["/robots.txt"],
        "host A: only robots.txt may be requested"
    );
}

#[test]
fn a_robots_txt_that_times_out_closes_its_host_only() {
    let slow = hostile::robots_allow_all().delay(Duration::from_secs(30));
    let options = Options {
        total_timeout: "2s",
        ..Options::default()
    };
    let w = robots_world(slow, vec![], &[], &options);
    let ran = w.crawl();
    assert_host_closed(&w, &ran);
    let failed = ran.events_for("fetch_failed", &w.a.url("/robots.txt"));
    assert_eq!(failed.len(), 1, "{}", ran.tail());
    assert_eq!(failed[0]["fields"]["outcome"], "timeout");
}

#[test]
fn a_robots_txt_500_closes_its_host_only() {
    let w = robots_world(
        Reply::new(500).body("lỗi"),
        vec![],
        &[],
        &Options::default(),
    );
    let ran = w.crawl();
    assert_host_closed(&w, &ran);
}

#[test]
fn a_robots_txt_404_allows_everything() {
    let w = robots_world(Reply::not_found(), vec![], &[], &Options::default());
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    assert_eq!(ran.outcome(&w.a.url("/")), "archived");
}

#[test]
fn a_robots_txt_behind_six_redirects_counts_as_unavailable() {
    let mut more = Vec::new();
    for n in 1..=5 {
        more.push((
            format!("/r{n}.txt"),
            Reply::redirect(301, &format!("/r{}.txt", n + 1)),
        ));
    }
    // A crawler that followed a sixth redirect would find everything disallowed.
    let deny = Reply::new(200)
        .header("content-type", "text/plain")
        .body("User-agent: *\nDisallow: /\n");
    more.push(("/r6.txt".to_string(), deny));
    let w = robots_world(
        Reply::redirect(301, "/r1.txt"),
        more,
        &[],
        &Options::default(),
    );
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    assert_eq!(requests(&w.a, "/r5.txt"), 1, "five redirects are followed");
    assert_eq!(requests(&w.a, "/r6.txt"), 0, "the sixth is not");
    assert_eq!(ran.outcome(&w.a.url("/")), "archived");
}

#[test]
fn a_robots_txt_over_500_kib_is_read_up_to_its_cap() {
    let (before, after) = ("/bai/cam-truoc.html", "/bai/cam-sau.html");
    let mut body = format!("User-agent: *\nDisallow: {before}\n");
    let comment = format!("# {}\n", "x".repeat(97));
    while body.len() < 600 * 1024 {
        body.push_str(&comment);
    }
    body.push_str(&format!("Disallow: {after}\n"));
    let robots = Reply::new(200)
        .header("content-type", "text/plain")
        .body(body);
    let more = vec![
        (before.to_string(), Reply::html(article("Trước"))),
        (after.to_string(), Reply::html(article("Sau"))),
    ];
    let w = robots_world(
        robots,
        more,
        &[before.into(), after.into()],
        &Options::default(),
    );
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    assert_eq!(
        requests(&w.a, before),
        0,
        "the rule inside the first 500 KiB is honoured"
    );
    assert_eq!(ran.outcome(&w.a.url(before)), "robots-disallowed");
    assert_eq!(requests(&w.a, after), 1, "the rule past the cap is ignored");
    assert_eq!(ran.outcome(&w.a.url(after)), "archived");
}

// --- broken HTML and text ---

fn one_article(path: &str, reply: Reply) -> (World, hostile::Ran, String) {
    let w = World::new(
        &[path.into()],
        routes(vec![(path.into(), reply)]),
        &Options::default(),
    );
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let url = w.a.url(path);
    assert_eq!(ran.outcome(&url), "archived");
    (w, ran, url)
}

#[test]
fn a_stray_end_tag_and_a_nested_document_still_extract() {
    let html = r#"<!DOCTYPE html></html><html lang="vi"><head><meta charset="utf-8"><title>Tiêu đề thật</title></head><body><div class="news-details-content"><h1>Tiêu đề thật</h1><div class="contentView"><p>Đoạn một của bài viết lồng nhau, với đủ chữ để bộ trích xuất coi là nội dung chính của trang báo điện tử tỉnh.</p><html><head><title>Lồng</title></head><body><p>Đoạn giữa trong tài liệu lồng.</p></body></html><p>Đoạn cuối của bài viết, cũng đủ dài để được tính là một đoạn văn thật sự trong phần thân bài.</p></div></div></body></html>"#;
    let (w, _ran, url) = one_article("/bai/long-nhau.html", Reply::html(html));
    let index = w.index("hostile");
    let line = index.get(&url).expect("an index line");
    assert_eq!(line["title"], "Tiêu đề thật");
    let text = line["text"].as_str().unwrap();
    assert!(text.contains("Đoạn một của bài viết"), "{text}");
    assert!(text.contains("Đoạn cuối của bài viết"), "{text}");
}

#[test]
fn invalid_utf8_is_indexed_and_flagged() {
    let mut body = article("Sai mã").into_bytes();
    let at = body.windows(3).position(|w| w == b"<p>").unwrap() + 3;
    body.splice(at..at, b"\xff\xfe\xc3\x28 ".iter().copied());
    let (w, _ran, url) = one_article("/bai/sai-ma.html", Reply::html(body));
    let index = w.index("hostile");
    let line = index.get(&url).expect("an index line");
    assert!(
        flags(line).contains(&"encoding-suspect".to_string()),
        "{:?}",
        flags(line)
    );
}

/// `text` in windows-1258, the way Vietnamese Windows wrote it: base letters precomposed where
/// the code page has them, tone marks as combining characters.
fn to_windows_1258(text: &str) -> Vec<u8> {
    use unicode_normalization::UnicodeNormalization;
    const TONES: [(char, u8); 5] = [
        ('\u{300}', 0xCC),
        ('\u{301}', 0xEC),
        ('\u{303}', 0xDE),
        ('\u{309}', 0xD2),
        ('\u{323}', 0xF2),
    ];
    let mut out = Vec::new();
    for ch in text.chars() {
        let decomposed: String = ch.to_string().nfd().collect();
        let tone = TONES.iter().find(|(t, _)| decomposed.contains(*t));
        let base: String = decomposed
            .chars()
            .filter(|c| !TONES.iter().any(|(t, _)| t == c))
            .collect();
        let base: String = base.nfc().collect();
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1258.encode(&base);
        assert!(!unmappable, "{base:?} has no windows-1258 byte");
        out.extend_from_slice(&bytes);
        out.extend(tone.map(|(_, b)| *b));
    }
    out
}

#[test]
fn a_windows_1258_page_declared_utf8_is_sniffed() {
    let title = "Hội nghị tổng kết công tác năm";
    let text = "Thứ Năm, ngày 05/01/2023, Ủy ban nhân dân tỉnh Hậu Giang tổ chức hội nghị tổng kết công tác năm và triển khai nhiệm vụ trọng tâm của năm mới. Đồng chí Chủ tịch phát biểu chỉ đạo hội nghị.";
    let body = to_windows_1258(&article_html(title, text));
    let (w, _ran, url) = one_article("/bai/cp1258.html", Reply::html(body));
    let index = w.index("hostile");
    let line = index.get(&url).expect("an index line");
    assert_eq!(line["title"], title);
    assert!(
        line["text"]
            .as_str()
            .unwrap()
            .contains("Ủy ban nhân dân tỉnh Hậu Giang"),
        "{}",
        line["text"]
    );
    assert!(
        flags(line).contains(&"encoding-suspect".to_string()),
        "{:?}",
        flags(line)
    );
}

#[test]
fn nfd_text_is_indexed_as_nfc() {
    use unicode_normalization::UnicodeNormalization;
    let title = "Phụ nữ Hậu Giang khởi nghiệp";
    let html: String = article_html(title, "Chị em phụ nữ tỉnh Hậu Giang được hỗ trợ vốn vay.")
        .nfd()
        .collect();
    assert_ne!(html.as_str(), article_html(title, "").as_str());
    let (w, _ran, url) = one_article("/bai/nfd.html", Reply::html(html));
    let index = w.index("hostile");
    let line = index.get(&url).expect("an index line");
    assert_eq!(line["title"], title);
    let text = line["text"].as_str().unwrap();
    assert!(text.contains("Chị em phụ nữ tỉnh Hậu Giang"), "{text:?}");
    assert_eq!(text, text.nfc().collect::<String>());
}

// --- size ---

/// MiB of links on the big page: 10 as issue 7 asks in an optimised build or with
/// `BAOLUU_HOSTILE_LINKS_MB=10`; 2 in a debug build, where 10 MiB take about a minute
/// (unoptimised html5ever parses the page twice) and would blow the CI budget.
fn links_mib() -> usize {
    let default = if cfg!(debug_assertions) { 2 } else { 10 };
    std::env::var("BAOLUU_HOSTILE_LINKS_MB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[test]
fn a_page_with_10_mb_of_links_is_read_within_bounds() {
    let mut links = String::with_capacity((links_mib() + 1) << 20);
    let mut n = 0;
    while links.len() < links_mib() << 20 {
        links.push_str(&format!(r#"<a href="/the/{n}">thẻ {n}</a> "#));
        n += 1;
    }
    let html = article_html("Nhiều liên kết", &links);
    let (w, ran, _url) = one_article("/bai/nhieu-lien-ket.html", Reply::html(html));
    eprintln!(
        "{} MiB of links ({n}): peak RSS {} KiB, {:?}",
        links_mib(),
        ran.peak_kib,
        ran.elapsed
    );
    assert!(
        w.a.log().iter().all(|r| !r.target.starts_with("/the/")),
        "out-of-scope links were fetched"
    );
}

#[test]
fn a_100_kb_url_neither_hangs_nor_harms_the_crawl() {
    let long = format!("/bai/{}.html", "a".repeat(100_000));
    let to_long = "/bai/dai.html";
    let long_reply = Reply::html(article("Dài"));
    let table = vec![
        (long.clone(), long_reply),
        (to_long.to_string(), Reply::redirect(302, &long)),
    ];
    let w = World::new(
        &[long.clone(), to_long.into()],
        routes(table),
        &Options::default(),
    );
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    // Linked, it is a URL-length trap (scope); reached by a redirect, its outcome is logged.
    let outcome = ran.outcome(&w.a.url(to_long));
    eprintln!(
        "100 KB redirect target: {outcome}, server saw it {} times",
        requests(&w.a, &long)
    );

    let saved = w.save(&[w.a.url(&long)]);
    saved.assert_ok();
    let line = saved.save_line(&w.a.url(&long));
    eprintln!(
        "save of a 100 KB URL: {}",
        &line[line.find('\t').unwrap()..]
    );
}

#[test]
fn check_the_harness_measures_memory() {
    // The sampler must see a real value, or every memory assertion above is vacuous.
    let own = hostile::vm_hwm_kib(std::process::id()).unwrap();
    assert!(own > 1000, "VmHWM of the test process: {own} KiB");
}

#[test]
fn a_url_too_long_to_send_fails_once_and_says_why() {
    let long = format!("/bai/{}.html", "a".repeat(100_000));
    let to_long = "/bai/dai.html";
    let table = vec![(to_long.to_string(), Reply::redirect(302, &long))];
    let w = World::new(&[to_long.into()], routes(table), &Options::default());
    let ran = w.crawl();
    w.assert_unharmed(&ran, true);
    let failed = ran.events_for("fetch_failed", &w.a.url(&long));
    assert_eq!(failed.len(), 1, "a URL that cannot be sent is not retried");
    let error = failed[0]["fields"]["error"].as_str().unwrap();
    assert!(
        !error.contains("sent no usable response"),
        "the server never saw the request, yet the error blames it: {error}"
    );
}
