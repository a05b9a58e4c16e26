//! Every configuration error names its file, its 1-based line and its dotted key.

use super::*;

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
    assert!(
        err.message
            .contains("invalid regular expression (unclosed group)"),
        "{err}"
    );

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
        .replace(
            "hosts = [\"127.0.0.2:8080\"]",
            "hosts = [\"EXAMPLE.org\", \"www.example.org\", \"example.org\"]",
        );
    let (_dir, result) = load_text(&text);
    assert_eq!(
        result.unwrap().portals[0].hosts,
        ["example.org", "www.example.org"]
    );
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

/// A circle of mergers has no paper at its end, so no family root to shard by (issue 18).
#[test]
fn merged_into_must_not_go_round_in_a_circle() {
    let second = "merged_into = \"demo2\"\n\n[[portal]]\nname = \"demo2\"\n\
        seeds = [\"https://e.example/\"]\nhosts = [\"e.example\"]\n\
        article_urls = ['a', 'b']\nlisting_urls = []\nmerged_into = \"demo\"";
    let shown = expect_error(
        &config("", second),
        PORTAL_EXTRA_LINE,
        "portal \"demo\".merged_into",
    );
    assert!(shown.contains("demo → demo2 → demo"), "{shown}");
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
