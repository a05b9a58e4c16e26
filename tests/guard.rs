//! The address guard's exact exemptions (issue 13 item 6), through the real binary and the
//! fetcher: a configured `127.0.0.9:PORT` exempts that port only, redirects and robots.txt
//! redirects to an unconfigured private authority are not followed, and a public-looking name
//! that resolves to a private address is refused unless its portal opts in.

mod support;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use support::cli::{UA, baoluu, stderr, stdout, write_config};
use support::{Fixture, Reply};

/// A configuration whose one portal names exactly `fixture`'s `ip:port`.
fn config(dir: &Path, fixture: &Fixture) -> PathBuf {
    let crawler = format!("[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\n");
    let portal = support::portal::table("guarded", fixture, "");
    write_config(dir, &format!("{crawler}min_free_space = \"1MB\"\n{portal}"))
}

fn robots_allow_all() -> Reply {
    Reply::new(200)
        .header("content-type", "text/plain")
        .body("User-agent: *\nAllow: /\n")
}

/// Runs `save URL` with a configuration naming only `configured`; returns the printed line.
fn save(configured: &Fixture, url: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), configured);
    let out = baoluu(&config, &["save", url]);
    assert!(out.status.success(), "save failed: {}", stderr(&out));
    let printed = stdout(&out);
    let line = printed.lines().find(|l| l.starts_with(url));
    line.unwrap_or_else(|| panic!("no line for {url}:\n{printed}"))
        .to_string()
}

#[test]
fn another_port_of_a_configured_address_is_refused() {
    let configured = Fixture::pages("127.0.0.9", [("/robots.txt", robots_allow_all())]);
    let other = Fixture::pages("127.0.0.9", [("/robots.txt", robots_allow_all())]);
    let url = other.url("/bai/1");

    let line = save(&configured, &url);

    assert!(
        line.contains("failed:") && line.contains("private, loopback or link-local"),
        "{line}"
    );
    assert!(
        other.log().is_empty(),
        "nothing may be sent to an unconfigured port: {:?}",
        other.log()
    );
}

#[test]
fn a_redirect_to_another_port_is_not_followed() {
    let other = Fixture::pages("127.0.0.9", [("/robots.txt", robots_allow_all())]);
    let target = other.url("/bai/2");
    let configured = Fixture::pages(
        "127.0.0.9",
        [
            ("/robots.txt", robots_allow_all()),
            ("/bai/1", Reply::redirect(302, &target)),
        ],
    );
    let url = configured.url("/bai/1");

    let line = save(&configured, &url);

    assert!(
        line.contains("[302 "),
        "the redirect hop is archived: {line}"
    );
    assert!(line.contains("private, loopback or link-local"), "{line}");
    assert!(other.log().is_empty(), "followed: {:?}", other.log());
}

#[test]
fn a_robots_redirect_to_an_unconfigured_private_address_is_not_followed() {
    let other = Fixture::pages("127.0.0.10", [("/robots.txt", robots_allow_all())]);
    let target = other.url("/robots.txt");
    let configured = Fixture::pages(
        "127.0.0.9",
        [
            ("/robots.txt", Reply::redirect(301, &target)),
            ("/bai/1", Reply::html("<p>bài</p>")),
        ],
    );
    let url = configured.url("/bai/1");

    let line = save(&configured, &url);

    // Unreachable robots.txt: nothing on the host is fetched (RFC 9309 §2.3.1.4).
    assert!(
        line.contains("refused: robots.txt could not be fetched"),
        "{line}"
    );
    assert!(other.log().is_empty(), "followed: {:?}", other.log());
    let paths: Vec<String> = configured.log().iter().map(|l| l.target.clone()).collect();
    assert_eq!(paths, ["/robots.txt"], "the page must not be fetched");
}

/// A configuration whose portal names `news.test:PORT`, a public-looking name, with `extra`.
fn named(dir: &Path, host: &str, extra: &str) -> baoluu::config::Config {
    let path = write_config(
        dir,
        &format!(
            r#"[crawler]
user_agent = "{UA}"

[[portal]]
name = "intranet"
seeds = ["http://{host}/"]
hosts = ["{host}"]
article_urls = ['/bai/']
listing_urls = []
{extra}
"#
        ),
    );
    // The name is public, so the example contact of the support code needs replacing.
    baoluu::config::Config::load_with_contact(&path, Some("mailto:x@y.vn")).unwrap()
}

#[tokio::test]
async fn a_public_name_resolving_to_a_private_address_is_refused_unless_opted_in() {
    use baoluu::fetch::{Error, Fetcher, Settings};
    let fixture = Fixture::pages("127.0.0.5", [("/", Reply::html("intranet"))]);
    let host = format!("news.test:{}", fixture.addr().port());
    let url = url::Url::parse(&format!("http://{host}/")).unwrap();
    let dns = [("news.test", IpAddr::from([127, 0, 0, 5]))];
    let dir = tempfile::tempdir().unwrap();

    let config = named(dir.path(), &host, "");
    assert!(config.private_authorities().is_empty());
    let fetcher = Fetcher::with_static_dns(Settings::from_config(&config), &dns).unwrap();
    let err = fetcher.fetch(&url, None).await.unwrap_err();
    assert!(
        matches!(&err, Error::AddressRefused { host, ip } if host == "news.test" && ip.to_string() == "127.0.0.5"),
        "{err:?}"
    );
    assert_eq!(err.reason(), baoluu::outcome::Label::AddressRefused);
    assert!(fixture.log().is_empty(), "sent: {:?}", fixture.log());

    let config = named(dir.path(), &host, "allow_private_addresses = true");
    assert_eq!(config.private_authorities(), std::slice::from_ref(&host));
    let fetcher = Fetcher::with_static_dns(Settings::from_config(&config), &dns).unwrap();
    let exchange = fetcher.fetch(&url, None).await.unwrap();
    assert_eq!(exchange.body, b"intranet");
    // The opt-in is port-exact as well.
    let other = url::Url::parse("http://news.test:1/").unwrap();
    let err = fetcher.fetch(&other, None).await.unwrap_err();
    assert_eq!(
        err.reason(),
        baoluu::outcome::Label::AddressRefused,
        "{err:?}"
    );
}
