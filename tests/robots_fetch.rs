//! robots.txt status and transport rules end to end (issue 13's conformance suite, fetch half):
//! the real `baoluu save` binary against a fixture host, through the same robots path the crawl
//! uses (`crawl::Visitor`). Each case serves one kind of robots.txt and saves two pages, one the
//! file disallows (`/private/…`) and one it does not (`/public/…`); what the server saw and what
//! `save` printed tell which verdict was reached (RFC 9309 §2.3.1):
//! rules (2xx, parsed), unavailable (4xx, too many redirects: allow all) or unreachable (5xx,
//! 429, network error, timeout, cut body, refused redirect: disallow all).

mod support;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use support::cli::{UA, baoluu, stderr, stdout, write_config};
use support::fixture::gzip;
use support::{Fixture, Reply};

const RULES: &str = "User-agent: *\nDisallow: /private/\n";
const PRIVATE: &str = "/private/ho-so.html";
const PUBLIC: &str = "/public/tin.html";

/// A fixture host serving `robots` at /robots.txt, `more` routes, and the two pages.
struct Site {
    fixture: Fixture,
    _dir: tempfile::TempDir,
    config: PathBuf,
}

fn site(robots: Reply, more: Vec<(String, Reply)>, crawler: &str) -> Site {
    let mut routes = vec![("/robots.txt".to_string(), robots)];
    routes.extend(more);
    for path in [PRIVATE, PUBLIC] {
        let page = "<html><head><title>Tin</title></head><body><p>Nội dung.</p></body></html>";
        routes.push((path.to_string(), Reply::html(page)));
    }
    let fixture = Fixture::pages("127.0.0.41", routes);
    let dir = tempfile::tempdir().unwrap();
    let host = fixture.addr().to_string();
    let text = format!(
        r#"[crawler]
user_agent = "{UA}"
archive_dir = "archive"
min_free_space = "1MB"
min_delay = "10ms"
delay_factor = 0.0
connect_timeout = "2s"
read_timeout = "2s"
total_timeout = "2s"
{crawler}

[[portal]]
name = "fixture"
seeds = ["http://{host}/"]
hosts = ["{host}"]
article_urls = ['^http://{ip}:\d+/[a-z]+/[a-z-]+\.html$']
listing_urls = ['^http://{ip}:\d+/$']
"#,
        ip = fixture.addr().ip().to_string().replace('.', r"\.")
    );
    let config = write_config(dir.path(), &text);
    Site {
        fixture,
        _dir: dir,
        config,
    }
}

impl Site {
    fn save(&self) -> Output {
        let urls = [self.fixture.url(PRIVATE), self.fixture.url(PUBLIC)];
        let out = baoluu(&self.config, &["save", &urls[0], &urls[1]]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out
    }

    fn line(&self, out: &Output, path: &str) -> String {
        let url = self.fixture.url(path);
        stdout(out)
            .lines()
            .find(|l| l.starts_with(&format!("{url}\t")))
            .unwrap_or_else(|| panic!("no line for {url}:\n{}", stdout(out)))
            .to_string()
    }

    fn requested(&self, path: &str) -> usize {
        self.fixture
            .log()
            .iter()
            .filter(|r| r.target == path)
            .count()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    /// The file's rules apply: /private/ refused, /public/ saved.
    Rules,
    /// Allow all (RFC 9309 §2.3.1.3).
    Unavailable,
    /// Disallow all (RFC 9309 §2.3.1.4).
    Unreachable,
}

const SAVED: &str = "\t200 ";
const DISALLOWED: &str = "refused: robots.txt disallows it";
const UNREACHABLE: &str = "refused: robots.txt could not be fetched";

/// Saves both pages and checks `save`'s lines and the server's log against `verdict`.
fn assert_verdict(site: &Site, verdict: Verdict) {
    let out = site.save();
    let (private, public) = (site.line(&out, PRIVATE), site.line(&out, PUBLIC));
    let expected = match verdict {
        Verdict::Rules => (DISALLOWED, SAVED),
        Verdict::Unavailable => (SAVED, SAVED),
        Verdict::Unreachable => (UNREACHABLE, UNREACHABLE),
    };
    let context = format!("{verdict:?}\n{private}\n{public}\n{}", stderr(&out));
    assert!(private.contains(expected.0), "{context}");
    assert!(public.contains(expected.1), "{context}");
    assert_eq!(
        site.requested(PRIVATE),
        usize::from(verdict == Verdict::Unavailable),
        "{context}"
    );
    assert_eq!(
        site.requested(PUBLIC),
        usize::from(verdict != Verdict::Unreachable),
        "{context}"
    );
    assert_eq!(site.requested("/robots.txt"), 1, "{context}");
}

fn text(body: impl Into<Vec<u8>>) -> Reply {
    Reply::new(200)
        .header("Content-Type", "text/plain")
        .body(body)
}

#[test]
fn a_2xx_file_is_parsed() {
    assert_verdict(&site(text(RULES), vec![], ""), Verdict::Rules);
}

#[test]
fn gzip_bom_and_crlf_files_are_read_like_plain_ones() {
    let gzipped = text(gzip(RULES.as_bytes())).header("Content-Encoding", "gzip");
    let bom = text([&b"\xEF\xBB\xBF"[..], RULES.as_bytes()].concat());
    let crlf = text(RULES.replace('\n', "\r\n"));
    for (name, robots) in [("gzip", gzipped), ("bom", bom), ("crlf", crlf)] {
        eprintln!("case {name}");
        assert_verdict(&site(robots, vec![], ""), Verdict::Rules);
    }
}

#[test]
fn client_errors_mean_unavailable() {
    for status in [403, 404, 410] {
        eprintln!("case {status}");
        let robots = Reply::new(status).body("Disallow: /");
        assert_verdict(&site(robots, vec![], ""), Verdict::Unavailable);
    }
}

#[test]
fn server_errors_and_429_mean_unreachable() {
    for status in [500, 503, 429] {
        eprintln!("case {status}");
        let robots = Reply::new(status).body(RULES);
        assert_verdict(&site(robots, vec![], ""), Verdict::Unreachable);
    }
}

/// `/robots.txt` → `/r1.txt` → … → `/r{hops}.txt`, which serves `last`.
fn chain(hops: usize, last: Reply) -> (Reply, Vec<(String, Reply)>) {
    let mut more = Vec::new();
    for n in 1..hops {
        more.push((
            format!("/r{n}.txt"),
            Reply::redirect(301, &format!("/r{}.txt", n + 1)),
        ));
    }
    more.push((format!("/r{hops}.txt"), last));
    (Reply::redirect(302, "/r1.txt"), more)
}

#[test]
fn five_redirects_are_followed() {
    let (robots, more) = chain(5, text(RULES));
    let site = site(robots, more, "");
    assert_verdict(&site, Verdict::Rules);
    assert_eq!(site.requested("/r5.txt"), 1);
}

#[test]
fn a_sixth_redirect_is_not_followed_and_means_unavailable() {
    let (robots, more) = chain(6, text("User-agent: *\nDisallow: /\n"));
    let site = site(robots, more, "");
    assert_verdict(&site, Verdict::Unavailable);
    assert_eq!(site.requested("/r5.txt"), 1);
    assert_eq!(site.requested("/r6.txt"), 0);
}

/// Issue 13 item 4: the address guard refusing the redirect target (a loopback address no
/// portal names) is a network failure, not "too many redirects".
#[test]
fn a_redirect_to_a_refused_address_means_unreachable() {
    let robots = Reply::redirect(301, "http://127.0.0.99:9/robots.txt");
    assert_verdict(&site(robots, vec![], ""), Verdict::Unreachable);
}

#[test]
fn a_timeout_means_unreachable() {
    let slow = text(RULES).delay(Duration::from_secs(5));
    assert_verdict(&site(slow, vec![], ""), Verdict::Unreachable);
}

/// Issue 13 item 3: Content-Length promises 60 bytes, the server sends 14 and closes. The
/// fragment (`User-agent: *`, no rules) must not be taken as the whole file.
#[test]
fn a_body_cut_by_a_disconnect_means_unreachable() {
    let cut = Reply::raw(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 60\r\n\r\nUser-agent: *\n",
    );
    assert_verdict(&site(cut, vec![], ""), Verdict::Unreachable);
}

/// The same for a body still trickling in when the total timeout ends it.
#[test]
fn a_body_cut_by_the_deadline_means_unreachable() {
    let body = format!("User-agent: *\n{}", "#".repeat(400));
    let slow = text(body).trickle(20, Duration::from_millis(200));
    assert_verdict(&site(slow, vec![], ""), Verdict::Unreachable);
}

/// RFC 9309 §2.5: at least 500 KiB are parsed, whatever the pages' `max_body` (64 KiB here):
/// a rule at ~300 KiB applies, one past the cap does not.
#[test]
fn a_file_over_500_kib_keeps_the_rules_before_the_cap() {
    let mut body = String::from("User-agent: *\n");
    let filler = format!("# {}\n", "x".repeat(97));
    while body.len() < 300 * 1024 {
        body.push_str(&filler);
    }
    body.push_str("Disallow: /private/\n");
    while body.len() < 600 * 1024 {
        body.push_str(&filler);
    }
    body.push_str("Disallow: /public/\n");
    assert_verdict(
        &site(text(body), vec![], "max_body = \"64KiB\""),
        Verdict::Rules,
    );
}
