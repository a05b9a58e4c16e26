//! Configuration errors through the binary: exit 78, naming file, line and key (issue 2).

mod support;

use std::path::{Path, PathBuf};

use support::cli::{baoluu, command, stderr, stdout, write_config};

/// A user agent with a real-looking contact: these portals are public names, where a
/// placeholder contact is refused (issue 13 item 13).
const UA: &str = "baoluu-test/0.1 (+mailto:x@y.vn)";

fn check(body: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), body);
    let out = baoluu(&config, &["check-config"]);
    (out.status.code(), stderr(&out))
}

fn portal(extra: &str) -> String {
    format!(
        r#"[crawler]
user_agent = "{UA}"

[[portal]]
name = "p"
seeds = ["https://example.org/"]
hosts = ["example.org"]
article_urls = ['^https://example\.org/[a-z-]+-a\d+\.html$']
listing_urls = ['^https://example\.org/$']
{extra}"#
    )
}

#[test]
fn a_valid_config_is_described() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &portal(""));
    let out = baoluu(&config, &["check-config"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("example.org"), "{}", stdout(&out));
}

#[test]
fn an_unknown_key_names_its_line_and_key() {
    let (code, err) = check(&portal("colour = \"blue\"\n"));
    assert_eq!(code, Some(78), "{err}");
    assert!(
        err.contains("baoluu.toml:10") && err.contains("colour"),
        "{err}"
    );
}

#[test]
fn a_bad_regex_names_its_line_and_key() {
    let body = portal("").replace(r"'^https://example\.org/$'", "'^https://(example'");
    let (code, err) = check(&body);
    assert_eq!(code, Some(78), "{err}");
    assert!(
        err.contains("baoluu.toml:9") && err.contains("listing_urls"),
        "{err}"
    );
}

/// [`portal`] with `line` added to `[crawler]`, on line 3.
fn with_crawler_line(line: &str) -> String {
    let ua = format!("user_agent = \"{UA}\"\n");
    portal("").replace(&ua, &format!("{ua}{line}\n"))
}

#[test]
fn a_bad_duration_names_its_line_and_key() {
    let body = with_crawler_line("min_delay = \"soon\"");
    let (code, err) = check(&body);
    assert_eq!(code, Some(78), "{err}");
    assert!(
        err.contains("baoluu.toml:3") && err.contains("min_delay"),
        "{err}"
    );
}

#[test]
fn a_user_agent_without_contact_is_refused() {
    let body = portal("").replace(UA, "baoluu/0.1");
    let (code, err) = check(&body);
    assert_eq!(code, Some(78), "{err}");
    assert!(
        err.contains("baoluu.toml:2") && err.contains("user_agent") && err.contains("contact"),
        "{err}"
    );
}

#[test]
fn a_missing_config_file_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let out = baoluu(&dir.path().join("nope.toml"), &["check-config"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("nope.toml"), "{}", stderr(&out));
}

#[test]
fn an_unknown_portal_on_the_command_line_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &portal(""));
    let out = baoluu(&config, &["crawl", "--portal", "nosuch"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(stderr(&out).contains("nosuch"), "{}", stderr(&out));
}

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("crawl-config/baoluu.toml")
}

/// `check-config` on `config`, with `BAOLUU_CONTACT` set to `contact` or removed.
fn check_with_contact(config: &Path, contact: Option<&str>) -> std::process::Output {
    let mut cmd = command(config, &["check-config"]);
    match contact {
        Some(contact) => cmd.env("BAOLUU_CONTACT", contact),
        None => cmd.env_remove("BAOLUU_CONTACT"),
    };
    cmd.output().expect("the baoluu binary runs")
}

#[test]
fn the_shipped_placeholder_contact_is_refused() {
    let text = std::fs::read_to_string(shipped()).unwrap();
    let line = 1 + text
        .lines()
        .position(|l| l.starts_with("user_agent ="))
        .unwrap();
    let out = check_with_contact(&shipped(), None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains(&format!(
            "crawl-config/baoluu.toml:{line}: key `crawler.user_agent`"
        )) && err.contains("crawler.user_agent")
            && err.contains("placeholder")
            && err.contains("BAOLUU_CONTACT=mailto:"),
        "{err}"
    );
}

#[test]
fn baoluu_contact_fills_the_user_agent_and_from() {
    let out = check_with_contact(&shipped(), Some("mailto:x@y.vn"));
    let printed = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        printed.contains("user_agent: baoluu/0.1 (+mailto:x@y.vn)\n"),
        "{printed}"
    );
    assert!(printed.contains("from: x@y.vn\n"), "{printed}");
    assert!(
        printed.contains("contact: mailto:x@y.vn (from BAOLUU_CONTACT)"),
        "{printed}"
    );
}

#[test]
fn a_placeholder_in_baoluu_contact_is_refused() {
    let out = check_with_contact(&shipped(), Some("mailto:me@example.com"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("BAOLUU_CONTACT") && err.contains("placeholder"),
        "{err}"
    );
}

#[test]
fn a_placeholder_from_is_refused_on_a_public_portal() {
    let body = with_crawler_line("from = \"archive@example.org\"");
    let dir = tempfile::tempdir().unwrap();
    let out = check_with_contact(&write_config(dir.path(), &body), None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("baoluu.toml:3") && err.contains("crawler.from") && err.contains("`p`"),
        "{err}"
    );
}

/// A portal on `seed` and `hosts`, with `extra` keys, and the support code's example contact.
fn example_contact(seed: &str, hosts: &str, extra: &str) -> String {
    format!(
        r#"[crawler]
user_agent = "baoluu-test/0.1 (+mailto:archive@example.org)"
from = "archive@example.org"

[[portal]]
name = "local"
seeds = ["{seed}"]
hosts = [{hosts}]
article_urls = ['/bai/']
listing_urls = []
{extra}"#
    )
}

#[test]
fn a_loopback_portal_may_keep_an_example_contact() {
    let dir = tempfile::tempdir().unwrap();
    let check = |body: &str| check_with_contact(&write_config(dir.path(), body), None);
    let hosts = r#""127.0.0.2:8080", "localhost:8081", "[::1]""#;
    let out = check(&example_contact("http://127.0.0.2:8080/", hosts, ""));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // An opted-in name is private by configuration too; without the opt-in it is public.
    let opted_in = "allow_private_addresses = true";
    let out = check(&example_contact(
        "http://intranet.lan/",
        r#""intranet.lan""#,
        opted_in,
    ));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = check(&example_contact(
        "http://intranet.lan/",
        r#""intranet.lan""#,
        "",
    ));
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    // A public IP literal is not private.
    let out = check(&example_contact(
        "http://14.225.0.1/",
        r#""14.225.0.1""#,
        "",
    ));
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
}

/// `check-config --url` (issue 14 part 5): one `URL<TAB>PORTAL<TAB>KIND<TAB>why` line per URL,
/// decided by the crawl's own scope, naming the pattern that decided.
#[test]
fn check_config_classifies_urls() {
    let dir = tempfile::tempdir().unwrap();
    let body = portal(r"exclude_urls = ['^https://example\.org/print/']");
    let config = write_config(dir.path(), &body);
    let urls = [
        "https://example.org/tin-moi-a12.html",
        "https://example.org/?utm_source=x",
        "https://example.org/print/tin-moi-a12.html",
        "https://example.org/tin-moi.php",
        "https://example.net/tin-moi-a12.html",
    ];
    let mut args = vec!["check-config"];
    for url in urls {
        args.extend(["--url", url]);
    }
    let out = baoluu(&config, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 5, "{text}");
    let kinds: Vec<(&str, &str, &str)> = lines.iter().map(|l| (l[0], l[1], l[2])).collect();
    assert_eq!(
        kinds,
        [
            (urls[0], "p", "article"),
            (urls[1], "p", "listing"),
            (urls[2], "p", "excluded"),
            (urls[3], "p", "out-of-scope"),
            (urls[4], "-", "out-of-scope"),
        ]
    );
    assert!(lines[0][3].contains(r"[a-z-]+-a\d+\.html$"), "{text}");
    assert!(
        lines[2][3].contains(r"^https://example\.org/print/"),
        "{text}"
    );
    assert!(
        lines.iter().all(|l| l.len() == 4 && !l[3].is_empty()),
        "{text}"
    );
}

/// A URL that does not parse: exit 2, the other URLs still answered.
#[test]
fn check_config_url_that_does_not_parse_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &portal(""));
    let args = [
        "check-config",
        "--url",
        "not a url",
        "--url",
        "https://example.org/",
    ];
    let out = baoluu(&config, &args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not a url"), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("https://example.org/\tp\t"),
        "{}",
        stdout(&out)
    );
}
