//! The configuration loader (`Config::load`) on arbitrary files and on TOML-ish text built from
//! our own keys with random values. Invariants: loading never panics; a file that loads has the
//! properties validation promises (unique portal names, non-empty hosts and seeds on them);
//! every error names the file; size units round-trip.

use std::path::Path;

use baoluu::config::Config;
use baoluu::config::units::{format_duration, format_size, parse_duration, parse_size};
use proptest::prelude::*;

use crate::common::{any_text, cases};

const CRAWLER_KEYS: &[&str] = &[
    "user_agent",
    "from",
    "archive_dir",
    "min_delay",
    "delay_factor",
    "max_delay",
    "crawl_delay_cap",
    "max_in_flight",
    "connect_timeout",
    "read_timeout",
    "total_timeout",
    "max_body",
    "max_redirects",
    "retries",
    "warc_max_size",
    "grace_period",
    "min_free_space",
    "metrics_listen",
    "portals",
    "unknown_key",
];

const PORTAL_KEYS: &[&str] = &[
    "name",
    "seeds",
    "hosts",
    "article_urls",
    "listing_urls",
    "exclude_urls",
    "min_delay",
    "max_listing_pages",
    "stale_listing_pages",
    "schedule",
    "revisit_after",
    "feeds",
    "merged_into",
    "family",
    "embed_hosts",
    "typo_key",
];

const SELECTOR_KEYS: &[&str] = &["title", "lead", "body", "published", "byline", "remove"];

/// Values that are right for some key and wrong for others.
fn value() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        Just("\"baoluu/0.1 (+https://example.org/; mailto:a@example.org)\"".to_string()),
        Just("\"archive@example.org\"".to_string()),
        Just("\"2s\"".to_string()),
        Just("\"500ms\"".to_string()),
        Just("\"-2s\"".to_string()),
        Just("\"20MiB\"".to_string()),
        Just("\"99999999999TiB\"".to_string()),
        Just("\"1.5kB\"".to_string()),
        Just("\"every 2h\"".to_string()),
        Just("\"every 0s\"".to_string()),
        Just("\"0 */2 * * *\"".to_string()),
        Just("\"127.0.0.1:9184\"".to_string()),
        Just("\"cantho\"".to_string()),
        Just("\"Bad Name\"".to_string()),
        Just("'^https://(www\\.)?x\\.vn/[a-z-]+-a\\d+\\.html$'".to_string()),
        Just("'(unclosed'".to_string()),
        Just("'a{1000}{1000}'".to_string()),
        Just("\"h1.fw700, .detail-title h1\"".to_string()),
        Just("\"div[\"".to_string()),
        Just("\"x.vn\"".to_string()),
        Just("\"[::1]:8080\"".to_string()),
        Just("\"::1\"".to_string()),
        Just("\"x.vn:99999\"".to_string()),
        Just("\"https://x.vn/\"".to_string()),
        Just("\"ftp://x.vn/\"".to_string()),
        Just("\"báo.vn\"".to_string()),
        Just("\"portals/*.toml\"".to_string()),
        Just("\"[\"".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("true".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        "\"[^\"\\\\\\n]{0,12}\"",
    ];
    prop_oneof![
        4 => scalar.clone(),
        2 => prop::collection::vec(scalar.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(", "))),
        1 => scalar.prop_map(|v| format!("{{ x = {v} }}")),
    ]
}

fn entry(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    (prop::sample::select(keys), value()).prop_map(|(k, v)| format!("{k} = {v}"))
}

fn table(header: &'static str, keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(entry(keys), 0..12)
        .prop_map(move |entries| format!("{header}\n{}\n", entries.join("\n")))
}

/// TOML-ish text with our tables and keys, occasionally broken by a stray line.
fn toml_ish() -> impl Strategy<Value = String> {
    let section = prop_oneof![
        2 => table("[crawler]", CRAWLER_KEYS),
        3 => table("[[portal]]", PORTAL_KEYS),
        1 => table("[portal.selectors]", SELECTOR_KEYS),
        1 => table("[unknown]", PORTAL_KEYS),
        1 => any_text().prop_map(|t| format!("{t}\n")),
        1 => Just("[crawler\n".to_string()),
        1 => Just("= 1\n".to_string()),
    ];
    prop::collection::vec(section, 0..6).prop_map(|s| s.concat())
}

/// A valid main file followed by random portal tables, so validation gets far.
fn mostly_valid() -> impl Strategy<Value = String> {
    let portal = prop::collection::vec(entry(PORTAL_KEYS), 0..8).prop_map(|entries| {
        format!(
            "[[portal]]\nname = \"cantho\"\nseeds = [\"https://x.vn/\"]\nhosts = [\"x.vn\"]\n\
             article_urls = ['\\.html$']\nlisting_urls = []\n{}\n",
            entries.join("\n")
        )
    });
    (
        table("[crawler]", CRAWLER_KEYS),
        prop::collection::vec(portal, 0..3),
    )
        .prop_map(|(crawler, portals)| {
            format!(
                "{}user_agent = \"baoluu/0.1 (+https://example.org/)\"\n{}",
                crawler.replace("user_agent =", "#"),
                portals.concat()
            )
        })
}

/// Loads `main` (and `portal_file` as `portals/p.toml`) from a fresh folder and checks what any
/// outcome must satisfy.
fn load(main: &[u8], portal_file: Option<&[u8]>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baoluu.toml");
    std::fs::write(&path, main).unwrap();
    if let Some(text) = portal_file {
        std::fs::create_dir(dir.path().join("portals")).unwrap();
        std::fs::write(dir.path().join("portals/p.toml"), text).unwrap();
    }
    match Config::load(&path) {
        Ok(config) => check_loaded(&config),
        Err(e) => {
            prop_assert!(
                e.file.starts_with(dir.path()),
                "error outside the folder: {e}"
            );
            prop_assert!(!e.message.is_empty());
            prop_assert!(e.line.is_none_or(|l| l >= 1), "line 0 in {e}");
            Ok(())
        }
    }
}

fn check_loaded(config: &Config) -> Result<(), TestCaseError> {
    for (i, portal) in config.portals.iter().enumerate() {
        prop_assert!(!portal.hosts.is_empty());
        prop_assert!(!portal.seeds.is_empty());
        prop_assert!(config.portals[..i].iter().all(|p| p.name != portal.name));
        prop_assert!(portal.hosts.iter().all(|h| h.to_ascii_lowercase() == *h));
    }
    prop_assert!(config.crawler.max_in_flight >= 1);
    prop_assert!(config.crawler.delay_factor.is_finite() && config.crawler.delay_factor >= 0.0);
    let _ = config.describe();
    let _ = config.named_hosts();
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn loading_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        load(&bytes, None)?;
    }

    #[test]
    fn loading_toml_ish_text_never_panics(text in toml_ish()) {
        load(text.as_bytes(), None)?;
    }

    #[test]
    fn loading_mostly_valid_files_never_panics(text in mostly_valid()) {
        load(text.as_bytes(), None)?;
    }

    #[test]
    fn loading_toml_ish_portal_files_never_panics(text in toml_ish()) {
        let main = "[crawler]\nuser_agent = \"baoluu/0.1 (+https://example.org/)\"\n\
                    portals = [\"portals/*.toml\"]\n";
        load(main.as_bytes(), Some(text.as_bytes()))?;
    }

    #[test]
    fn sizes_and_durations_parse_any_text_without_panic(text in any_text()) {
        let _ = parse_size(&text);
        let _ = parse_duration(&text);
    }

    #[test]
    fn sizes_round_trip(bytes in any::<u64>()) {
        prop_assert_eq!(parse_size(&format_size(bytes)), Ok(bytes));
    }

    #[test]
    fn durations_round_trip(secs in 0u64..10_000_000_000, millis in 0u32..1000) {
        let duration = std::time::Duration::new(secs, millis * 1_000_000);
        prop_assert_eq!(parse_duration(&format_duration(duration)), Ok(duration));
    }
}

#[test]
fn the_shipped_configuration_still_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("crawl-config/baoluu.toml");
    // Its contact is a placeholder (issue 13 item 13): the operator gives BAOLUU_CONTACT.
    let config = Config::load_with_contact(&path, Some("mailto:x@y.vn")).unwrap();
    check_loaded(&config).unwrap();
}
