//! `fetch::Fetcher` against the fixture server: what is recorded, what is sent, how bodies are
//! cut, and which addresses are refused.

mod support;

use std::io::Read as _;
use std::net::IpAddr;
use std::time::Duration;

use baoluu::fetch::{Error, Exchange, Fetcher, Settings, Truncation, Validators};
use chrono::Utc;
use support::fixture::gzip;
use support::{Fixture, Reply};
use url::Url;

const UA: &str = "baoluu-test/0.1 (+mailto:archive@example.org)";
const FROM: &str = "archive@example.org";

fn settings(private_hosts: &[&str]) -> Settings {
    Settings {
        user_agent: UA.to_string(),
        from: Some(FROM.to_string()),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(10),
        max_body: 1 << 20,
        private_hosts: private_hosts.iter().map(|h| h.to_string()).collect(),
    }
}

/// A fetcher allowed to reach the fixture's loopback address and port (the exemption is exact,
/// issue 13 item 6).
fn fetcher_for(fixture: &Fixture) -> Fetcher {
    Fetcher::new(settings(&[&fixture.addr().to_string()])).unwrap()
}

async fn get(fixture: &Fixture, path: &str) -> Exchange {
    let url = Url::parse(&fixture.url(path)).unwrap();
    fetcher_for(fixture).fetch(&url, None).await.unwrap()
}

/// All values of a response header, lossily decoded.
fn values(exchange: &Exchange, name: &str) -> Vec<String> {
    let named = exchange.response_headers.iter().filter(|(n, _)| n == name);
    named
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .collect()
}

fn page(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

#[tokio::test]
async fn a_plain_page_is_recorded_with_body_status_and_headers() {
    let html = "<html><p>Cần Thơ: xin chào</p></html>";
    let fixture = Fixture::pages(
        "127.0.0.2",
        [(
            "/a?b=1",
            Reply::html(html)
                .header("X-Seen", "one")
                .header("X-Seen", "two"),
        )],
    );
    let before = Utc::now();
    let exchange = get(&fixture, "/a?b=1").await;
    let after = Utc::now();

    assert_eq!(exchange.status, 200);
    assert_eq!(exchange.reason, "OK");
    assert_eq!(exchange.version, "HTTP/1.1");
    assert_eq!(exchange.body, html.as_bytes());
    assert_eq!(exchange.truncated, None);
    assert_eq!(exchange.mime(), "text/html");
    assert_eq!(values(&exchange, "x-seen"), ["one", "two"]);
    assert_eq!(
        values(&exchange, "content-length"),
        [html.len().to_string()]
    );
    assert_eq!(
        exchange.remote_ip,
        Some("127.0.0.2".parse::<IpAddr>().unwrap())
    );
    assert!(
        before <= exchange.date && exchange.date <= after,
        "date {} outside the test",
        exchange.date
    );
    assert!(exchange.duration <= (after - before).to_std().unwrap());
    assert_eq!(exchange.url.as_str(), fixture.url("/a?b=1"));
}

#[tokio::test]
async fn a_gzip_body_is_kept_verbatim() {
    let html = "<html><p>Bài, ảnh: TRƯỜNG SƠN</p></html>".repeat(20);
    let fixture = Fixture::pages("127.0.0.2", [("/", Reply::gzip_html(&html))]);
    let exchange = get(&fixture, "/").await;

    assert_eq!(exchange.body, gzip(html.as_bytes()));
    assert_eq!(exchange.header("content-encoding").as_deref(), Some("gzip"));
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&exchange.body[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, html);
}

#[tokio::test]
async fn a_chunked_body_is_dechunked_and_the_framing_header_kept() {
    let body = page(1000);
    let fixture = Fixture::pages("127.0.0.2", [("/", Reply::html(body.clone()).chunked(77))]);
    let exchange = get(&fixture, "/").await;

    assert_eq!(exchange.body, body);
    assert_eq!(values(&exchange, "transfer-encoding"), ["chunked"]);
    assert!(values(&exchange, "content-length").is_empty());
}

#[tokio::test]
async fn a_gzip_chunked_body_is_dechunked_but_not_decompressed() {
    let html = "<p>Hậu Giang</p>".repeat(50);
    let fixture = Fixture::pages("127.0.0.2", [("/", Reply::gzip_html(&html).chunked(16))]);
    let exchange = get(&fixture, "/").await;

    assert_eq!(exchange.body, gzip(html.as_bytes()));
    assert_eq!(exchange.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(
        exchange.header("transfer-encoding").as_deref(),
        Some("chunked")
    );
}

#[tokio::test]
async fn a_redirect_is_returned_not_followed() {
    let fixture = Fixture::pages(
        "127.0.0.2",
        [
            ("/old", Reply::redirect(301, "/new?x=1")),
            ("/new?x=1", Reply::html("new")),
        ],
    );
    let exchange = get(&fixture, "/old").await;

    assert_eq!(exchange.status, 301);
    assert_eq!(exchange.reason, "Moved Permanently");
    assert_eq!(
        exchange.redirect_target().unwrap().as_str(),
        fixture.url("/new?x=1")
    );
    let targets: Vec<_> = fixture.log().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/old"]);
}

#[tokio::test]
async fn a_404_is_an_exchange_not_an_error() {
    let fixture = Fixture::pages("127.0.0.2", Vec::<(&str, Reply)>::new());
    let exchange = get(&fixture, "/missing").await;

    assert_eq!(exchange.status, 404);
    assert_eq!(exchange.reason, "Not Found");
    assert_eq!(exchange.body, b"not found");
    assert!(exchange.redirect_target().is_none());
}

#[tokio::test]
async fn a_body_over_the_cap_is_cut_at_exactly_the_cap() {
    let body = page(50_000);
    let fixture = Fixture::start("127.0.0.2", move |_| Reply::html(body.clone()));
    // A body of exactly the cap is whole, not cut (checked below, from a second server).
    let exact = Fixture::start("127.0.0.2", |_| Reply::html(page(1000)).chunked(100));
    let mut s = settings(&[&fixture.addr().to_string(), &exact.addr().to_string()]);
    s.max_body = 1000;
    let fetcher = Fetcher::new(s).unwrap();
    let url = Url::parse(&fixture.url("/")).unwrap();

    let exchange = fetcher.fetch(&url, None).await.unwrap();
    assert_eq!(exchange.body, page(1000));
    assert_eq!(exchange.truncated, Some(Truncation::Length));

    let url = Url::parse(&exact.url("/")).unwrap();
    let exchange = fetcher.fetch(&url, None).await.unwrap();
    assert_eq!((exchange.body.len(), exchange.truncated), (1000, None));
}

#[tokio::test]
async fn headers_after_the_total_timeout_are_a_timeout() {
    let fixture = Fixture::start("127.0.0.2", |_| {
        Reply::html("late").delay(Duration::from_secs(3))
    });
    let mut s = settings(&[&fixture.addr().to_string()]);
    s.total_timeout = Duration::from_millis(300);
    let url = Url::parse(&fixture.url("/")).unwrap();

    let started = std::time::Instant::now();
    let err = Fetcher::new(s)
        .unwrap()
        .fetch(&url, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the deadline was not enforced"
    );
}

#[tokio::test]
async fn a_reset_mid_body_keeps_what_arrived() {
    let body = page(10_000);
    let fixture = Fixture::start("127.0.0.2", move |_| {
        Reply::html(body.clone()).reset_after(4000)
    });
    let exchange = get(&fixture, "/").await;

    assert_eq!(exchange.truncated, Some(Truncation::Disconnect));
    assert_eq!(exchange.body, page(4000));
}

#[tokio::test]
async fn a_deadline_or_read_timeout_mid_body_truncates_by_time() {
    let body = page(2000);
    let slow = Fixture::start("127.0.0.2", move |_| {
        Reply::html(body.clone()).trickle(100, Duration::from_millis(150))
    });
    let url = Url::parse(&slow.url("/")).unwrap();

    let mut s = settings(&[&slow.addr().to_string()]);
    s.total_timeout = Duration::from_millis(500);
    let exchange = Fetcher::new(s).unwrap().fetch(&url, None).await.unwrap();
    assert_eq!(exchange.truncated, Some(Truncation::Time));
    assert!(!exchange.body.is_empty() && exchange.body.len() < 2000);
    assert!(page(2000).starts_with(&exchange.body));

    let mut s = settings(&[&slow.addr().to_string()]);
    s.read_timeout = Duration::from_millis(50);
    let exchange = Fetcher::new(s).unwrap().fetch(&url, None).await.unwrap();
    assert_eq!(exchange.truncated, Some(Truncation::Time));
    assert!(page(2000).starts_with(&exchange.body) && exchange.body.len() < 2000);
}

#[tokio::test]
async fn the_server_sees_exactly_the_recorded_request_headers() {
    let fixture = Fixture::start("127.0.0.2", |_| Reply::new(304));
    let url = Url::parse(&fixture.url("/tin-tuc?p=2")).unwrap();
    let validators = Validators {
        etag: Some("\"abc\"".into()),
        last_modified: Some("Tue, 01 Apr 2025 00:00:00 GMT".into()),
    };
    let exchange = fetcher_for(&fixture)
        .fetch(&url, Some(&validators))
        .await
        .unwrap();

    let log = fixture.log();
    let seen = &log[0];
    assert_eq!(
        (seen.method.as_str(), seen.target.as_str()),
        ("GET", "/tin-tuc?p=2")
    );
    assert_eq!(
        seen.headers, exchange.request_headers,
        "reqwest sent something we did not record"
    );
    assert_eq!(
        seen.header("host"),
        Some(fixture.addr().to_string().as_str())
    );
    assert_eq!(seen.header("accept-encoding"), Some("gzip"));
    assert_eq!(seen.header("user-agent"), Some(UA));
    assert_eq!(seen.header("from"), Some(FROM));
    assert_eq!(seen.header("if-none-match"), Some("\"abc\""));
    assert_eq!(
        seen.header("if-modified-since"),
        Some("Tue, 01 Apr 2025 00:00:00 GMT")
    );
    assert_eq!(seen.header("range"), None);
    assert_eq!(exchange.status, 304);
}

#[tokio::test]
async fn a_second_fetch_reuses_the_connection() {
    let fixture = Fixture::start("127.0.0.2", |_| Reply::html("x"));
    let fetcher = fetcher_for(&fixture);
    let url = Url::parse(&fixture.url("/")).unwrap();
    fetcher.fetch(&url, None).await.unwrap();
    fetcher.fetch(&url, None).await.unwrap();

    let log = fixture.log();
    assert_eq!(log.len(), 2);
    assert_eq!(
        log[0].peer, log[1].peer,
        "keep-alive: both requests on one connection"
    );
}

#[tokio::test]
async fn raw_replies_reach_the_client_as_written() {
    let fixture = Fixture::start("127.0.0.2", |_| {
        Reply::raw("HTTP/1.1 200 Fine\r\nX-A: 1\r\n\r\nuntil close")
    });
    let exchange = get(&fixture, "/").await;

    assert_eq!(exchange.body, b"until close");
    assert_eq!(
        exchange.reason, "OK",
        "the canonical phrase, not the server's"
    );
    assert_eq!(exchange.header("x-a").as_deref(), Some("1"));
}

#[tokio::test]
async fn loopback_literals_are_refused_unless_named() {
    let fixture = Fixture::start("127.0.0.1", |_| Reply::html("local"));
    let url = Url::parse(&fixture.url("/")).unwrap();

    let err = Fetcher::new(settings(&[]))
        .unwrap()
        .fetch(&url, None)
        .await
        .unwrap_err();
    match &err {
        Error::AddressRefused { host, ip } => {
            assert_eq!(
                (host.as_str(), ip.to_string().as_str()),
                ("127.0.0.1", "127.0.0.1")
            )
        }
        other => panic!("expected AddressRefused, got {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(
        fixture.log().is_empty(),
        "nothing may be sent to a refused address"
    );

    let allowed = Fetcher::new(settings(&[&fixture.addr().to_string()])).unwrap();
    assert_eq!(allowed.fetch(&url, None).await.unwrap().body, b"local");
}

#[tokio::test]
async fn names_resolving_to_loopback_are_refused_unless_named() {
    let fixture = Fixture::start("127.0.0.1", |_| Reply::html("local"));
    let url = Url::parse(&format!("http://localhost:{}/", fixture.addr().port())).unwrap();

    // Naming the address is not naming the host: the resolver path checks the host name.
    let err = Fetcher::new(settings(&[&fixture.addr().to_string()]))
        .unwrap()
        .fetch(&url, None)
        .await
        .unwrap_err();
    match &err {
        Error::AddressRefused { host, ip } => {
            assert_eq!(host, "localhost");
            assert!(ip.is_loopback(), "{ip}");
        }
        other => panic!("expected AddressRefused, got {other:?}"),
    }
    assert!(fixture.log().is_empty());

    let named = format!("localhost:{}", fixture.addr().port());
    let allowed = Fetcher::new(settings(&[&named])).unwrap();
    let exchange = allowed.fetch(&url, None).await.unwrap();
    assert_eq!(exchange.body, b"local");
    assert_eq!(
        fixture.log()[0].header("host"),
        Some(format!("localhost:{}", fixture.addr().port()).as_str())
    );
}

#[tokio::test]
async fn other_schemes_are_refused() {
    let url = Url::parse("ftp://example.org/file").unwrap();
    let err = Fetcher::new(settings(&[]))
        .unwrap()
        .fetch(&url, None)
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Scheme(s) if s == "ftp"), "{err:?}");
    assert_eq!(err.reason(), baoluu::outcome::Label::SchemeRefused);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error_naming_the_peer() {
    let addr = std::net::TcpListener::bind("127.0.0.2:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = Url::parse(&format!("http://{addr}/")).unwrap();
    let err = Fetcher::new(settings(&[&addr.to_string()]))
        .unwrap()
        .fetch(&url, None)
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Connect(_)), "{err:?}");
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    assert!(err.to_string().contains("refused"), "{err}");
}

/// The fixture itself, from a plain (non-async) test as the binary's end-to-end tests use it:
/// two requests on one connection, the second reply chunked on the wire.
#[test]
fn the_fixture_serves_sync_tests_with_keep_alive_and_chunking() {
    use std::io::{Read as _, Write as _};
    let fixture = Fixture::start("127.0.0.3", |req| match req.path() {
        "/one" => Reply::new(200).header("X-N", "1").body("first"),
        _ => Reply::new(200).body("abcdefg").chunked(3).close(),
    });
    let mut stream = std::net::TcpStream::connect(fixture.addr()).unwrap();
    stream
        .write_all(b"GET /one HTTP/1.1\r\nHost: a\r\n\r\nGET /two?q HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut wire = String::new();
    stream.read_to_string(&mut wire).unwrap();

    let first = "HTTP/1.1 200 OK\r\nX-N: 1\r\nContent-Length: 5\r\n\r\nfirst";
    let second = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                  3\r\nabc\r\n3\r\ndef\r\n1\r\ng\r\n0\r\n\r\n";
    assert_eq!(wire, format!("{first}{second}"));
    let log = fixture.log();
    let targets: Vec<_> = log.iter().map(|r| r.target.as_str()).collect();
    assert_eq!(targets, ["/one", "/two?q"]);
    assert_eq!(log[0].headers, [("Host".to_string(), "a".to_string())]);
    assert!(log[0].at <= log[1].at);
}
