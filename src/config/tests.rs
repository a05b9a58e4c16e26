//! Loading whole configurations: defaults, globs, and every error located by file, line and key.

mod errors;
mod family;
mod shipped;
mod storage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

/// A real-looking contact: most test portals are public names, where a placeholder is refused.
const UA: &str = "baoluu/0.1 (+https://y.vn/about; mailto:x@y.vn)";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// `[crawler]` with the given extra lines (starting at line 3), then one portal at line 5.
fn config(crawler_extra: &str, portal_extra: &str) -> String {
    format!(
        "[crawler]\nuser_agent = \"{UA}\"\n{crawler_extra}\n\n[[portal]]\nname = \"demo\"\n\
         seeds = [\"http://127.0.0.2:8080/\"]\nhosts = [\"127.0.0.2:8080\"]\n\
         article_urls = ['^http://127\\.0\\.0\\.2:8080/a/\\d+$']\n\
         listing_urls = ['^http://127\\.0\\.0\\.2:8080/$']\n{portal_extra}\n"
    )
}

/// Line of the first line of `portal_extra` in [`config`] with a one-line `crawler_extra`.
const PORTAL_EXTRA_LINE: usize = 11;

fn load_text(text: &str) -> (tempfile::TempDir, Result<Config, Error>) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "baoluu.toml", text);
    let result = Config::load(&path);
    (dir, result)
}

/// Loads `text`, expects an error at `line` under `key`, returns its Display.
fn expect_error(text: &str, line: usize, key: &str) -> String {
    let (dir, result) = load_text(text);
    let err = result.expect_err("configuration should be refused");
    assert_eq!(
        (err.line, err.key.as_deref()),
        (Some(line), Some(key)),
        "{err}"
    );
    let shown = err.to_string();
    assert!(
        shown.contains(&dir.path().join("baoluu.toml").display().to_string()),
        "{shown}"
    );
    assert!(shown.contains(&format!(":{line}: key `{key}`")), "{shown}");
    shown
}

#[test]
fn defaults_are_applied() {
    let (dir, result) = load_text(&config("", ""));
    let config = result.unwrap();
    let c = &config.crawler;
    assert_eq!(c.user_agent, UA);
    assert_eq!(c.from, None);
    assert_eq!(c.archive_dir, dir.path().join("../archive"));
    assert_eq!(c.min_delay, DEFAULT_MIN_DELAY);
    assert_eq!(c.min_delay, Duration::from_secs(2));
    assert_eq!(c.delay_factor, DEFAULT_DELAY_FACTOR);
    assert_eq!(c.max_delay, Duration::from_secs(30));
    assert_eq!(c.crawl_delay_cap, Duration::from_secs(300));
    assert_eq!(c.max_in_flight, 16);
    assert_eq!(
        (c.connect_timeout, c.read_timeout),
        (Duration::from_secs(10), Duration::from_secs(30))
    );
    assert_eq!(c.total_timeout, Duration::from_secs(120));
    assert_eq!(c.max_body, 20 * 1024 * 1024);
    assert_eq!((c.max_redirects, c.retries), (10, 2));
    assert_eq!(c.warc_max_size, 1_000_000_000);
    assert_eq!(c.grace_period, Duration::from_secs(30));
    assert_eq!(c.min_free_space, 2 * 1024 * 1024 * 1024);
    assert_eq!(c.metrics_listen, None);
    let p = &config.portals[0];
    assert_eq!(
        (p.name.as_str(), p.hosts.as_slice()),
        ("demo", ["127.0.0.2:8080".to_string()].as_slice())
    );
    assert_eq!(p.seeds[0].as_str(), "http://127.0.0.2:8080/");
    assert_eq!((p.min_delay, p.revisit_after), (None, None));
    assert_eq!((p.max_listing_pages, p.stale_listing_pages), (50, 2));
    assert_eq!(p.schedule, "every 2h");
    assert!(p.feeds.is_empty() && p.embed_hosts.is_empty() && p.exclude_urls.is_empty());
    assert!(p.merged_into.is_none() && p.family.is_none() && p.selectors.is_none());
}

#[test]
fn explicit_values_are_parsed() {
    let crawler = "min_delay = \"500ms\"\nmax_body = \"500KiB\"\nwarc_max_size = 1024\n\
                   delay_factor = 0\nmetrics_listen = \"127.0.0.1:9184\"\nfrom = \"a@example.org\"";
    let portal = "min_delay = \"5s\"\nrevisit_after = \"30d\"\nschedule = \"0 */2 * * *\"\n\
                  max_listing_pages = 0\n[portal.selectors]\nbody = \"div.content\"\nremove = [\".ad\"]";
    let (_dir, result) = load_text(&config(crawler, portal));
    let config = result.unwrap();
    let c = &config.crawler;
    assert_eq!(
        (c.min_delay, c.max_body, c.warc_max_size),
        (Duration::from_millis(500), 500 * 1024, 1024)
    );
    assert_eq!(c.delay_factor, 0.0);
    assert_eq!(c.metrics_listen, Some("127.0.0.1:9184".parse().unwrap()));
    assert_eq!(c.from.as_deref(), Some("a@example.org"));
    let p = &config.portals[0];
    assert_eq!(
        (p.min_delay, p.revisit_after),
        (
            Some(Duration::from_secs(5)),
            Some(Duration::from_secs(30 * 86_400))
        )
    );
    assert_eq!(
        (p.schedule.as_str(), p.max_listing_pages),
        ("0 */2 * * *", 0)
    );
    let selectors = p.selectors.as_ref().unwrap();
    assert_eq!(
        (selectors.body.as_deref(), selectors.remove.as_slice()),
        (Some("div.content"), [".ad".to_string()].as_slice())
    );
}

#[test]
fn archive_dir_resolves_against_the_main_files_folder() {
    let (dir, result) = load_text(&config("archive_dir = \"out/warcs\"", ""));
    assert_eq!(
        result.unwrap().crawler.archive_dir,
        dir.path().join("out/warcs")
    );
    let (_dir, result) = load_text(&config("archive_dir = \"/srv/baoluu\"", ""));
    assert_eq!(
        result.unwrap().crawler.archive_dir,
        PathBuf::from("/srv/baoluu")
    );
}

#[test]
fn glob_files_are_loaded_sorted_after_the_main_file() {
    let dir = tempfile::tempdir().unwrap();
    let portal = |name: &str| {
        format!(
            "[[portal]]\nname = \"{name}\"\nseeds = [\"https://{name}.example/\"]\nhosts = [\"{name}.example\"]\n\
             article_urls = ['^https://{name}\\.example/a/']\nlisting_urls = []\n"
        )
    };
    write(dir.path(), "conf/portals/b.toml", &portal("bbb"));
    write(
        dir.path(),
        "conf/portals/a.toml",
        &format!("{}\n{}", portal("aaa"), portal("aab")),
    );
    write(dir.path(), "conf/portals/notes.txt", "not toml");
    let main = config("portals = [\"portals/*.toml\", \"nothing/*.toml\"]", "");
    let config = Config::load(&write(dir.path(), "conf/baoluu.toml", &main)).unwrap();
    let names: Vec<&str> = config.portals.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["demo", "aaa", "aab", "bbb"]);
    assert_eq!(config.source, dir.path().join("conf/baoluu.toml"));
}

#[test]
fn describe_lists_settings_and_portals() {
    let (dir, result) = load_text(&config(
        "",
        "merged_into = \"demo2\"\n\n[[portal]]\nname = \"demo2\"\nseeds = [\"https://e.example/\"]\nhosts = [\"e.example\"]\narticle_urls = ['a', 'b']\nlisting_urls = []",
    ));
    let text = result.unwrap().describe();
    let expected_head = format!(
        "config file: {}\narchive_dir: {}\nuser_agent: {UA}\nfrom: (none)\n\
         delays: at least 2s per host; 2 × last fetch time, capped at 30s; robots.txt Crawl-delay honoured up to 5m\n",
        dir.path().join("baoluu.toml").display(),
        dir.path().join("../archive").display()
    );
    assert!(text.starts_with(&expected_head), "{text}");
    for line in [
        "limits: body 20MiB, 10 redirects, 2 retries\n",
        "warc files: rotated at 1GB\n",
        "portals: 2\n\nportal demo\n  seeds: http://127.0.0.2:8080/\n  hosts: 127.0.0.2:8080\n",
        "  patterns: 1 article, 1 listing, 0 exclude\n  schedule: every 2h\n",
        "  merged_into: demo2\n\nportal demo2\n",
        "  patterns: 2 article, 0 listing, 0 exclude\n",
        "  merged_into: (none)\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}
