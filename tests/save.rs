//! `baoluu save` through the real binary against a fixture host: what lands in the WARC files,
//! read back by our reader and by `warcio check` (issue 2).

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use baoluu::archive::reader::{self, Record};
use support::cli::{self, UA, baoluu, stderr, stdout, warc_files, warcio_check, write_config};
use support::fixture::gzip;
use support::{Fixture, Reply};

const ARTICLE: &str = "<html><head><title>Tin</title></head><body><h1>Cần Thơ</h1><p>Nội dung bài viết.</p></body></html>";
const MAX_BODY: usize = 64 * 1024;

fn routes() -> Vec<(&'static str, Reply)> {
    let big: Vec<u8> = (0..MAX_BODY * 3).map(|i| b'a' + (i % 26) as u8).collect();
    let (cp1258, _, _) = encoding_rs::WINDOWS_1258
        .encode("<html><body><p>Thứ Năm, ngày 05/01/2023</p></body></html>");
    vec![
        (
            "/robots.txt",
            Reply::new(200)
                .header("content-type", "text/plain")
                .body("User-agent: *\nDisallow: /private/\n"),
        ),
        ("/plain", Reply::html(ARTICLE)),
        ("/gzip", Reply::gzip_html(ARTICLE)),
        ("/chunked", Reply::html(ARTICLE).chunked(16)),
        ("/gzip-chunked", Reply::gzip_html(ARTICLE).chunked(10)),
        ("/old", Reply::redirect(301, "/new")),
        ("/new", Reply::html(ARTICLE)),
        ("/loop-a", Reply::redirect(302, "/loop-b")),
        ("/loop-b", Reply::redirect(302, "/loop-a")),
        (
            "/big",
            Reply::new(200)
                .header("content-type", "text/plain")
                .body(big),
        ),
        (
            "/cp1258",
            Reply::new(200)
                .header("content-type", "text/html; charset=windows-1258")
                .body(cp1258.into_owned()),
        ),
        ("/private/secret", Reply::html(ARTICLE)),
    ]
}

fn config(dir: &Path, fixture: &Fixture) -> std::path::PathBuf {
    let host = fixture.addr().to_string();
    write_config(
        dir,
        &format!(
            r#"
[crawler]
user_agent = "{UA}"
from = "archive@example.org"
archive_dir = "archive"
min_free_space = "1MB"
min_delay = "50ms"
delay_factor = 0.0
max_body = "{MAX_BODY}"
max_redirects = 3

[[portal]]
name = "fixture"
seeds = ["http://{host}/"]
hosts = ["{host}"]
article_urls = ['^http://{ip}:\d+/[a-z-]+$']
listing_urls = ['^http://{ip}:\d+/$']
"#,
            ip = fixture.addr().ip().to_string().replace('.', r"\.")
        ),
    )
}

/// Every record of every WARC file, in order.
fn all_records(archive: &Path) -> Vec<Record> {
    let mut records = Vec::new();
    for file in warc_files(archive) {
        for record in reader::records(&file).unwrap() {
            records.push(record.unwrap());
        }
    }
    records
}

/// Response records by target URI (last wins).
fn responses(records: &[Record]) -> HashMap<String, &Record> {
    records
        .iter()
        .filter(|r| r.record_type() == Some("response"))
        .map(|r| (r.header("WARC-Target-URI").unwrap().to_string(), r))
        .collect()
}

fn http_header(record: &Record, name: &str) -> Vec<String> {
    record
        .http_headers()
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| String::from_utf8_lossy(&v).into_owned())
        .collect()
}

#[test]
fn save_records_every_exchange_faithfully() {
    let fixture = Fixture::pages("127.0.0.2", routes());
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &fixture);
    let paths = [
        "/plain",
        "/gzip",
        "/chunked",
        "/gzip-chunked",
        "/old",
        "/loop-a",
        "/big",
        "/cp1258",
        "/private/secret",
        "/missing",
    ];
    let urls: Vec<String> = paths.iter().map(|p| fixture.url(p)).collect();
    let mut args = vec!["save"];
    args.extend(urls.iter().map(String::as_str));
    let out = baoluu(&config, &args);
    let printed = stdout(&out);
    assert!(
        out.status.success(),
        "save failed: {}\n{printed}",
        stderr(&out)
    );
    check_printed_lines(&printed, &fixture);
    check_server_saw(&fixture);

    let archive = dir.path().join("archive");
    let records = all_records(&archive);
    assert_eq!(records[0].record_type(), Some("warcinfo"));
    check_pairs(&records);
    let by_url = responses(&records);
    check_bodies_verbatim(&by_url, &fixture);
    check_hops_and_limits(&by_url, &fixture);
    for file in warc_files(&archive) {
        warcio_check(&file);
    }
}

/// `save` prints one line per URL, saying what happened.
fn check_printed_lines(printed: &str, fixture: &Fixture) {
    let line = |path: &str| {
        printed
            .lines()
            .find(|l| l.starts_with(&fixture.url(path)))
            .unwrap_or_else(|| panic!("no line for {path}:\n{printed}"))
            .to_string()
    };
    assert!(line("/plain").contains("\t200 "), "{}", line("/plain"));
    assert!(
        line("/private/secret").contains("refused: robots.txt disallows it"),
        "{}",
        line("/private/secret")
    );
    assert!(
        line("/big").contains("truncated:length"),
        "{}",
        line("/big")
    );
    assert!(
        line("/loop-a").contains("more than 3 redirects"),
        "{}",
        line("/loop-a")
    );
    assert!(
        line("/old").contains("\t200 ") && line("/old").contains("[301 "),
        "{}",
        line("/old")
    );
    assert!(line("/missing").contains("\t404 "), "{}", line("/missing"));
}

/// What the server saw: robots.txt first, the disallowed URL never, honest headers.
fn check_server_saw(fixture: &Fixture) {
    let log = fixture.log();
    assert_eq!(log[0].path(), "/robots.txt", "robots.txt must come first");
    assert_eq!(
        log.iter().filter(|r| r.path() == "/robots.txt").count(),
        1,
        "robots.txt fetched once"
    );
    assert!(
        log.iter().all(|r| !r.path().starts_with("/private/")),
        "a disallowed URL was requested"
    );
    for request in &log {
        assert_eq!(request.header("accept-encoding"), Some("gzip"));
        assert_eq!(request.header("user-agent"), Some(UA));
        assert_eq!(request.header("from"), Some("archive@example.org"));
        assert!(request.header("range").is_none());
    }
}

/// The response record for `path`, which must exist.
fn response<'a>(by_url: &HashMap<String, &'a Record>, fixture: &Fixture, path: &str) -> &'a Record {
    by_url
        .get(&fixture.url(path))
        .unwrap_or_else(|| panic!("no response record for {path}"))
}

/// gzip bodies are kept verbatim with their Content-Encoding; chunked ones are de-chunked.
fn check_bodies_verbatim(by_url: &HashMap<String, &Record>, fixture: &Fixture) {
    let response = |path: &str| response(by_url, fixture, path);
    // gzip bodies verbatim, with their Content-Encoding.
    let gz = response("/gzip");
    assert_eq!(gz.http_body().unwrap(), gzip(ARTICLE.as_bytes()).as_slice());
    assert_eq!(http_header(gz, "content-encoding"), ["gzip"]);
    // De-chunked bodies: no Transfer-Encoding left, the real length written.
    for path in ["/chunked", "/gzip-chunked"] {
        let r = response(path);
        assert!(
            http_header(r, "transfer-encoding").is_empty(),
            "{path} kept Transfer-Encoding"
        );
        assert_eq!(
            http_header(r, "x-crawler-transfer-encoding"),
            ["chunked"],
            "{path}"
        );
        assert_eq!(
            http_header(r, "content-length"),
            [r.http_body().unwrap().len().to_string()],
            "{path}"
        );
    }
    assert_eq!(
        response("/chunked").http_body().unwrap(),
        ARTICLE.as_bytes()
    );
    assert_eq!(
        response("/gzip-chunked").http_body().unwrap(),
        gzip(ARTICLE.as_bytes()).as_slice()
    );
}

/// Redirect hops, the truncated body, the windows-1258 bytes, the 404 and robots.txt are
/// archived as they came, the disallowed URL is not, and the remote address is recorded.
fn check_hops_and_limits(by_url: &HashMap<String, &Record>, fixture: &Fixture) {
    let response = |path: &str| response(by_url, fixture, path);
    // Redirect hops archived, each its own exchange.
    assert_eq!(response("/old").http_status(), Some(301));
    assert_eq!(response("/new").http_status(), Some(200));
    assert_eq!(response("/loop-a").http_status(), Some(302));
    assert_eq!(response("/loop-b").http_status(), Some(302));
    // The oversize body cut at the cap and flagged.
    let big = response("/big");
    assert_eq!(big.header("WARC-Truncated"), Some("length"));
    assert_eq!(big.http_body().unwrap().len(), MAX_BODY);
    // windows-1258 bytes untouched; 404 archived; robots.txt archived.
    let (cp1258, _, _) = encoding_rs::WINDOWS_1258
        .encode("<html><body><p>Thứ Năm, ngày 05/01/2023</p></body></html>");
    assert_eq!(response("/cp1258").http_body().unwrap(), &cp1258[..]);
    assert_eq!(response("/missing").http_status(), Some(404));
    assert_eq!(response("/robots.txt").http_status(), Some(200));
    assert!(!by_url.contains_key(&fixture.url("/private/secret")));
    // The remote address recorded.
    assert_eq!(
        response("/plain").header("WARC-IP-Address"),
        Some("127.0.0.2")
    );
}

/// Request and response records come in adjacent pairs linked by WARC-Concurrent-To, share
/// their WARC-Date, and every digest verifies.
fn check_pairs(records: &[Record]) {
    for (i, record) in records.iter().enumerate() {
        record
            .verify_digests()
            .unwrap_or_else(|e| panic!("record {i}: {e}"));
        if record.record_type() != Some("response") {
            continue;
        }
        let request = &records[i + 1];
        assert_eq!(
            request.record_type(),
            Some("request"),
            "record {} follows a response",
            i + 1
        );
        assert_eq!(
            request.header("WARC-Concurrent-To"),
            record.header("WARC-Record-ID")
        );
        assert_eq!(
            record.header("WARC-Concurrent-To"),
            request.header("WARC-Record-ID")
        );
        assert_eq!(
            request.header("WARC-Target-URI"),
            record.header("WARC-Target-URI")
        );
        assert_eq!(request.header("WARC-Date"), record.header("WARC-Date"));
    }
}

#[test]
fn a_torn_open_file_is_repaired_on_the_next_start() {
    let fixture = Fixture::pages("127.0.0.2", routes());
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &fixture);
    let out = baoluu(
        &config,
        &["save", &fixture.url("/plain"), &fixture.url("/gzip")],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = dir.path().join("archive");
    let file = warc_files(&archive).remove(0);
    // Simulate a crash mid-write: the file is still `.open` and its last member is cut.
    let bytes = std::fs::read(&file).unwrap();
    let torn = archive.join("warc").join(format!(
        "{}.open",
        file.file_name()
            .unwrap()
            .to_string_lossy()
            .replace("-00000-", "-00007-")
    ));
    std::fs::write(&torn, &bytes[..bytes.len() - 40]).unwrap();

    let out = baoluu(&config, &["save", &fixture.url("/new")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let repaired = torn.with_extension("");
    assert!(!torn.exists(), "the .open file was not closed");
    let kept: Vec<Record> = reader::records(&repaired)
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let original = reader::records(&file).unwrap().count();
    assert_eq!(
        kept.len(),
        original - 1,
        "exactly the torn record is trimmed"
    );
    assert!(kept.iter().all(|r| r.verify_digests().is_ok()));
    warcio_check(&repaired);
}

#[test]
fn a_second_process_on_a_locked_archive_fails_at_once() {
    let fixture = Fixture::pages(
        "127.0.0.2",
        vec![("/slow", Reply::html(ARTICLE).delay(Duration::from_secs(4)))],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &fixture);
    let mut first = cli::command(&config, &["save", &fixture.url("/slow")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first process holds the lock (it is fetching robots.txt or /slow).
    support::wait::wait_for(
        "the first request of /slow",
        Duration::from_secs(10),
        || fixture.log().iter().any(|r| r.path() == "/slow"),
    );
    let second = baoluu(&config, &["save", &fixture.url("/slow")]);
    first.wait().unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let message = stderr(&second);
    assert!(
        message.contains("locked by another baoluu process"),
        "{message}"
    );
    assert_eq!(
        fixture.log().iter().filter(|r| r.path() == "/slow").count(),
        1,
        "the second process fetched nothing"
    );
}

#[test]
fn save_takes_the_page_images_and_stylesheets_too() {
    let spec = support::portal::Spec::new(100, None);
    let article = support::portal::article(&spec, 100);
    let image = support::portal::image_path(100);
    let fixture = Fixture::pages(
        "127.0.0.2",
        vec![
            ("/bai".to_string(), Reply::html(article)),
            (
                image.clone(),
                Reply::new(200)
                    .header("content-type", "image/jpeg")
                    .body(support::portal::image_bytes(&image)),
            ),
            (
                "/static/site.css".to_string(),
                Reply::new(200)
                    .header("content-type", "text/css")
                    .body(support::portal::STYLESHEET),
            ),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &fixture);
    let out = baoluu(&config, &["save", &fixture.url("/bai")]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("+2/2 requisites"), "{}", stdout(&out));
    let records = all_records(&dir.path().join("archive"));
    let by_url = responses(&records);
    assert_eq!(
        by_url[&fixture.url(&image)].http_body().unwrap(),
        support::portal::image_bytes(&image).as_slice()
    );
    assert_eq!(
        by_url[&fixture.url("/static/site.css")]
            .http_body()
            .unwrap(),
        support::portal::STYLESHEET.as_bytes()
    );
}
