//! Loading whole configurations: defaults, globs, and every error located by file, line and key.

mod shipped;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

const UA: &str = "baoluu/0.1 (+https://example.org/about; mailto:archive@example.org)";

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
fn errors_in_glob_files_name_that_file_and_the_portal() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "[[portal]]\nname = \"other\"\nseeds = [\"https://other.example/\"]\nhosts = [\"other.example\"]\n\
               article_urls = ['^https://other\\.example/(']\nlisting_urls = []\n";
    let file = write(dir.path(), "portals/other.toml", bad);
    let main = write(
        dir.path(),
        "baoluu.toml",
        &config("portals = [\"portals/*.toml\"]", ""),
    );
    let err = Config::load(&main).unwrap_err();
    assert_eq!(err.file, file);
    assert_eq!(
        (err.line, err.key.as_deref()),
        (Some(5), Some("portal \"other\".article_urls[0]"))
    );
    assert!(err.message.contains("invalid regular expression"), "{err}");

    write(
        dir.path(),
        "portals/other.toml",
        &format!("[crawler]\nuser_agent = \"{UA}\"\n"),
    );
    let err = Config::load(&main).unwrap_err();
    assert_eq!(
        (err.file.as_path(), err.line, err.key.as_deref()),
        (file.as_path(), Some(1), Some("crawler"))
    );
    assert!(err.message.contains("unknown key `crawler`"), "{err}");
}

#[test]
fn duplicate_names_across_files_point_at_both() {
    let dir = tempfile::tempdir().unwrap();
    let dup = "\n[[portal]]\nname = \"demo\"\nseeds = [\"https://d.example/\"]\nhosts = [\"d.example\"]\n\
               article_urls = ['x']\nlisting_urls = []\n";
    let file = write(dir.path(), "portals/dup.toml", dup);
    let main = write(
        dir.path(),
        "baoluu.toml",
        &config("portals = [\"portals/*.toml\"]", ""),
    );
    let err = Config::load(&main).unwrap_err();
    assert_eq!(
        (err.file.clone(), err.line, err.key.as_deref()),
        (file, Some(3), Some("portal \"demo\".name"))
    );
    assert!(
        err.message.contains(&format!("{}:6", main.display())),
        "{err}"
    );
}

#[test]
fn missing_main_file_has_no_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.toml");
    let err = Config::load(&path).unwrap_err();
    assert_eq!(
        (err.file.as_path(), err.line, err.key.as_deref()),
        (path.as_path(), None, None)
    );
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
    assert!(err.message.contains("not found"), "{err}");
}

#[test]
fn toml_syntax_error() {
    let shown = expect_error(&config("min_delay = ", ""), 3, "crawler.min_delay");
    assert!(shown.contains("invalid toml syntax"), "{shown}");
}

#[test]
fn unknown_keys() {
    let shown = expect_error(&config("min_dalay = \"2s\"", ""), 3, "crawler.min_dalay");
    assert!(
        shown.contains("unknown key `min_dalay`") && shown.contains("`min_delay`"),
        "{shown}"
    );
    expect_error(
        &config("", "sedes = []"),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".sedes",
    );
    let selectors = "[portal.selectors]\ntitel = \"h1\"";
    expect_error(
        &config("", selectors),
        PORTAL_EXTRA_LINE + 1,
        "portal \"demo\".selectors.titel",
    );
    expect_error(&format!("{}\n[extra]\n", config("", "")), 13, "extra");
}

#[test]
fn wrong_types() {
    let shown = expect_error(
        &config("max_in_flight = \"many\"", ""),
        3,
        "crawler.max_in_flight",
    );
    assert!(shown.contains("expected a non-negative integer"), "{shown}");
    let text = config("", "").replace(
        "seeds = [\"http://127.0.0.2:8080/\"]",
        "seeds = [\"http://127.0.0.2:8080/\", 7]",
    );
    expect_error(&text, 7, "portal \"demo\".seeds[1]");
    let shown = expect_error(&config("min_delay = 2", ""), 3, "crawler.min_delay");
    assert!(shown.contains("a duration string such as"), "{shown}");
    let shown = expect_error(&config("max_body = -1", ""), 3, "crawler.max_body");
    assert!(shown.contains("a size such as"), "{shown}");
    expect_error(
        &config("", "max_listing_pages = -1"),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".max_listing_pages",
    );
}

#[test]
fn missing_required_keys_point_at_the_table_header() {
    let text = "# comment\n[crawler]\nmin_delay = \"2s\"\n";
    let shown = expect_error(text, 2, "crawler.user_agent");
    assert!(
        shown.contains("required key `user_agent` is missing"),
        "{shown}"
    );
    let text = config("", "").replace("hosts = [\"127.0.0.2:8080\"]\n", "");
    expect_error(&text, 5, "portal \"demo\".hosts");
    let text = config("", "").replace("name = \"demo\"\n", "");
    expect_error(&text, 5, "portal[0].name");
    let shown = expect_error("# nothing here\n", 1, "crawler");
    assert!(shown.contains("required key `crawler`"), "{shown}");
}

#[test]
fn bad_durations_and_sizes() {
    let shown = expect_error(
        &config("min_delay = \"2 parsecs\"", ""),
        3,
        "crawler.min_delay",
    );
    assert!(shown.contains("not a duration"), "{shown}");
    expect_error(
        &config("", "revisit_after = \"-1d\""),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".revisit_after",
    );
    let shown = expect_error(&config("max_body = \"20mb\"", ""), 3, "crawler.max_body");
    assert!(shown.contains("unknown size unit `mb`"), "{shown}");
    expect_error(
        &config("min_free_space = \"lots\"", ""),
        3,
        "crawler.min_free_space",
    );
}

#[test]
fn bad_regexes() {
    let text = config("", "").replace("article_urls = ['", "article_urls = ['^ok$', '");
    let text = text.replace("/a/\\d+$']", "/a/(\\d+$']");
    expect_error(&text, 9, "portal \"demo\".article_urls[1]");
    expect_error(
        &config("", "exclude_urls = ['[z-a]']"),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".exclude_urls[0]",
    );
    let text = config("", "").replace(
        "article_urls = ['^http://127\\.0\\.0\\.2:8080/a/\\d+$']",
        "article_urls = []",
    );
    expect_error(&text, 9, "portal \"demo\".article_urls");
}

#[test]
fn bad_seeds() {
    let seeds = |s: &str| config("", "").replace("seeds = [\"http://127.0.0.2:8080/\"]", s);
    let shown = expect_error(
        &seeds("seeds = [\"not a url\"]"),
        7,
        "portal \"demo\".seeds[0]",
    );
    assert!(shown.contains("not a URL"), "{shown}");
    let shown = expect_error(
        &seeds("seeds = [\"ftp://127.0.0.2:8080/\"]"),
        7,
        "portal \"demo\".seeds[0]",
    );
    assert!(shown.contains("http(s)"), "{shown}");
    let shown = expect_error(
        &seeds("seeds = [\"http://127.0.0.2:8080/\", \"http://127.0.0.3:8080/\"]"),
        7,
        "portal \"demo\".seeds[1]",
    );
    assert!(
        shown.contains("`127.0.0.3:8080` is not in this portal's hosts"),
        "{shown}"
    );
    expect_error(
        &seeds("seeds = [\"http://127.0.0.2/\"]"),
        7,
        "portal \"demo\".seeds[0]",
    );
    expect_error(&seeds("seeds = []"), 7, "portal \"demo\".seeds");
    expect_error(
        &config("", "feeds = [\"mailto:x@example.org\"]"),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".feeds[0]",
    );
}

#[test]
fn seeds_on_default_ports_match_host_entries() {
    let text = config("", "")
        .replace(
            "seeds = [\"http://127.0.0.2:8080/\"]",
            "seeds = [\"http://Example.org/\", \"https://example.org:443/x\"]",
        )
        .replace("hosts = [\"127.0.0.2:8080\"]", "hosts = [\"EXAMPLE.org\"]");
    let (_dir, result) = load_text(&text);
    assert_eq!(result.unwrap().portals[0].hosts, ["example.org"]);
}

#[test]
fn duplicate_and_invalid_portal_names() {
    let second = "\n[[portal]]\nname = \"demo\"\nseeds = [\"https://e.example/\"]\nhosts = [\"e.example\"]\n\
                  article_urls = ['a']\nlisting_urls = []\n";
    let shown = expect_error(
        &format!("{}{second}", config("", "")),
        14,
        "portal \"demo\".name",
    );
    assert!(
        shown.contains("already used at") && shown.contains("baoluu.toml:6"),
        "{shown}"
    );
    let text = config("", "").replace("name = \"demo\"", "name = \"Demo Portal\"");
    let shown = expect_error(&text, 6, "portal \"Demo Portal\".name");
    assert!(shown.contains("a-z, 0-9"), "{shown}");
}

#[test]
fn user_agent_and_from() {
    let text = config("", "").replace(UA, "baoluu/0.1");
    let shown = expect_error(&text, 2, "crawler.user_agent");
    assert!(
        shown.contains("contact") && shown.contains("reach the archive"),
        "{shown}"
    );
    let shown = expect_error(
        &config("from = \"the archive team\"", ""),
        3,
        "crawler.from",
    );
    assert!(shown.contains("not an e-mail address"), "{shown}");
}

#[test]
fn bad_host_entries() {
    let hosts = |h: &str| config("", "").replace("hosts = [\"127.0.0.2:8080\"]", h);
    let shown = expect_error(
        &hosts("hosts = [\"127.0.0.2:8080\", \"https://example.org\"]"),
        8,
        "portal \"demo\".hosts[1]",
    );
    assert!(shown.contains("scheme"), "{shown}");
    let shown = expect_error(
        &hosts("hosts = [\"example.org/news\"]"),
        8,
        "portal \"demo\".hosts[0]",
    );
    assert!(shown.contains("without path"), "{shown}");
    expect_error(
        &config("", "embed_hosts = [\"cdn.example.org:http\"]"),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".embed_hosts[0]",
    );
}

#[test]
fn bad_selectors() {
    let selectors = "[portal.selectors]\ntitle = \"h1\"\nbody = \"div..content\"";
    let shown = expect_error(
        &config("", selectors),
        PORTAL_EXTRA_LINE + 2,
        "portal \"demo\".selectors.body",
    );
    assert!(
        shown.contains("invalid css selector `div..content`"),
        "{shown}"
    );
    let selectors = "[portal.selectors]\nremove = [\".ad\", \"p[\"]";
    expect_error(
        &config("", selectors),
        PORTAL_EXTRA_LINE + 1,
        "portal \"demo\".selectors.remove[1]",
    );
}

#[test]
fn merged_into_must_name_a_portal() {
    let shown = expect_error(
        &config("", "merged_into = \"nowhere\""),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".merged_into",
    );
    assert!(
        shown.contains("`nowhere`, which is no configured portal"),
        "{shown}"
    );
    let shown = expect_error(
        &config("", "merged_into = \"demo\""),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".merged_into",
    );
    assert!(shown.contains("itself"), "{shown}");
}

#[test]
fn crawler_numbers_and_addresses() {
    let shown = expect_error(
        &config("metrics_listen = \"localhost\"", ""),
        3,
        "crawler.metrics_listen",
    );
    assert!(shown.contains("IP address and port"), "{shown}");
    let shown = expect_error(&config("max_in_flight = 0", ""), 3, "crawler.max_in_flight");
    assert!(shown.contains("use 1 or more"), "{shown}");
    expect_error(
        &config("delay_factor = -0.5", ""),
        3,
        "crawler.delay_factor",
    );
    expect_error(&config("delay_factor = nan", ""), 3, "crawler.delay_factor");
    expect_error(&config("delay_factor = inf", ""), 3, "crawler.delay_factor");
    expect_error(&config("archive_dir = \"\"", ""), 3, "crawler.archive_dir");
}

#[test]
fn schedules() {
    let shown = expect_error(
        &config("", "schedule = \"hourly\""),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".schedule",
    );
    assert!(shown.contains("5 or 6 fields"), "{shown}");
    expect_error(
        &config("", "schedule = \"every fortnight\""),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".schedule",
    );
    expect_error(
        &config("", "family = \"Family A\""),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".family",
    );
}

#[test]
fn bad_glob_pattern() {
    let shown = expect_error(
        &config("portals = [\"ok/*.toml\", \"[oops\"]", ""),
        3,
        "crawler.portals[1]",
    );
    assert!(shown.contains("invalid glob pattern"), "{shown}");
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
