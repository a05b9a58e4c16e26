//! URL canonicalisation (`canonical`) and scope on arbitrary and URL-shaped strings.
//!
//! Invariants: `canonicalize` is idempotent and keeps scheme, host and port; `resolve` yields
//! only fragment-free http(s) URLs; `host_key` is a valid config `hosts` entry that maps back to
//! the URL's host; `surt` is lowercase ASCII; scope decisions do not change under
//! canonicalisation.

use std::io::Write;

use baoluu::canonical::{canonicalize, host_key, resolve, surt};
use baoluu::config::{Config, Portal};
use baoluu::scope::{Decision, Reason, Scope};
use proptest::prelude::*;
use regex::Regex;
use url::Url;

use crate::common::{any_text, cases};

fn scheme() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "http",
        "https",
        "HTTP",
        "HtTpS",
        "ftp",
        "javascript",
        "data",
    ])
    .prop_map(str::to_string)
}

/// Hosts as pages write them: names, IDN, IPv4, bracketed IPv6, odd case, trailing dot.
fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,12}(\\.[a-z0-9-]{1,8}){0,3}",
        "[A-Za-z]{1,6}\\.[A-Za-z]{2,3}\\.?",
        Just("baohaugiang.com.vn".to_string()),
        Just("www.BaoCanTho.com.vn".to_string()),
        Just("báo-cần-thơ.vn".to_string()),
        Just("xn--bo-cn-th-lxa.vn".to_string()),
        (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        Just("[::1]".to_string()),
        Just("[2001:db8::8a2e:370:7334]".to_string()),
        "\\[[0-9a-f:]{2,20}\\]",
        Just("%41%42.vn".to_string()),
    ]
}

fn port() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(String::new()),
        1 => Just(":80".to_string()),
        1 => Just(":443".to_string()),
        1 => any::<u16>().prop_map(|p| format!(":{p}")),
        1 => Just(":".to_string()),
        1 => Just(":99999".to_string()),
    ]
}

/// One path segment or query piece: percent escapes (valid, lowercase, broken), diacritics,
/// spaces, dots, tracking parameters.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{0,10}",
        "[A-Za-z0-9._~!$&'()*+,;=:@-]{0,8}",
        "%[0-9a-fA-F]{2}",
        "%[0-9a-fA-Fg-z%]{0,2}",
        Just("ph%c3%b3".to_string()),
        Just("Phó Thủ tướng".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just(" ".to_string()),
        Just("\t\n".to_string()),
        Just("utm_source=fb".to_string()),
        Just("UTM_Medium".to_string()),
        Just("fbclid=x".to_string()),
        Just("gclid".to_string()),
        Just("p=2".to_string()),
        "\\PC{0,4}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..6).prop_map(|p| format!("/{}", p.join("/")))
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        1 => Just("?".to_string()),
        3 => prop::collection::vec(piece(), 0..5).prop_map(|p| format!("?{}", p.join("&"))),
    ]
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), piece().prop_map(|f| format!("#{f}"))]
}

/// A URL-ish string: mostly parses, often in odd ways.
fn url_text() -> impl Strategy<Value = String> {
    (
        scheme(),
        "(user(:pw)?@)?",
        host(),
        port(),
        path(),
        query(),
        fragment(),
    )
        .prop_map(|(s, u, h, p, pa, q, f)| format!("{s}://{u}{h}{p}{pa}{q}{f}"))
}

/// An http(s) URL that parsed.
fn http_url() -> impl Strategy<Value = Url> {
    url_text().prop_filter_map("not an http(s) URL", |text| {
        Url::parse(&text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
    })
}

/// An href as found in a page: relative forms, protocol-relative, other schemes, junk.
fn href() -> impl Strategy<Value = String> {
    prop_oneof![
        url_text(),
        (path(), query(), fragment()).prop_map(|(p, q, f)| format!("{p}{q}{f}")),
        (piece(), query(), fragment()).prop_map(|(p, q, f)| format!("{p}{q}{f}")),
        (host(), path()).prop_map(|(h, p)| format!("//{h}{p}")),
        fragment(),
        Just("javascript:void(0)".to_string()),
        Just(" mailto:toasoan@baohaugiang.com.vn".to_string()),
        Just("tel:+842933878000".to_string()),
        Just("data:text/html,<p>hi</p>".to_string()),
        Just("\u{0} \u{b}http://x.vn/".to_string()),
        any_text(),
    ]
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn canonicalize_is_idempotent_and_keeps_the_origin(url in http_url()) {
        let once = canonicalize(&url);
        prop_assert_eq!(canonicalize(&once), once.clone());
        prop_assert_eq!(once.scheme(), url.scheme());
        prop_assert_eq!(once.host_str(), url.host_str());
        prop_assert_eq!(once.port(), url.port());
        prop_assert_eq!(once.fragment(), None);
        prop_assert!(once.query() != Some(""), "empty query kept: {}", once);
    }

    #[test]
    fn canonical_urls_survive_a_reparse(url in http_url()) {
        // The frontier stores URLs as text and parses them back (store.rs).
        let once = canonicalize(&url);
        let again = Url::parse(once.as_str()).map(|u| canonicalize(&u));
        prop_assert_eq!(again.as_ref().map(Url::as_str), Ok(once.as_str()));
    }

    #[test]
    fn canonical_urls_carry_no_tracking_parameters(url in http_url()) {
        let once = canonicalize(&url);
        for piece in once.query().unwrap_or_default().split('&') {
            let name = piece.split('=').next().unwrap_or_default().to_ascii_lowercase();
            prop_assert!(!name.starts_with("utm_") && name != "fbclid" && name != "gclid",
                "{} kept in {}", name, once);
            prop_assert!(!piece.is_empty() || once.query().is_none(), "empty piece in {}", once);
        }
    }

    #[test]
    fn canonical_escapes_are_uppercase(url in http_url()) {
        let once = canonicalize(&url);
        let lowercase_escape = Regex::new("%([0-9A-Fa-f][a-f]|[a-f][0-9A-Fa-f])").unwrap();
        let path_and_query = format!("{}?{}", once.path(), once.query().unwrap_or_default());
        prop_assert!(!lowercase_escape.is_match(&path_and_query), "{}", once);
    }

    #[test]
    fn resolve_gives_only_fragment_free_http_urls(base in http_url(), href in href()) {
        if let Some(url) = resolve(&base, &href) {
            prop_assert!(matches!(url.scheme(), "http" | "https"), "{}", url);
            prop_assert_eq!(url.fragment(), None);
            prop_assert!(url.host_str().is_some(), "{}", url);
        }
    }

    #[test]
    fn resolve_takes_absolute_http_urls_as_they_are(base in http_url(), target in http_url()) {
        let mut expected = target.clone();
        expected.set_fragment(None);
        prop_assert_eq!(resolve(&base, target.as_str()), Some(expected));
    }

    #[test]
    fn surt_and_host_key_take_any_url(text in url_text()) {
        if let Ok(url) = Url::parse(&text) {
            let key = surt(&url);
            prop_assert!(key.is_ascii(), "{}", key);
            prop_assert_eq!(key.to_ascii_lowercase(), key.clone());
            prop_assert!(key.contains(')'), "{}", key);
            prop_assert!(!key.contains(|c: char| c.is_ascii_whitespace() || c == '#'), "{}", key);
            let host = host_key(&url);
            prop_assert_eq!(host.to_ascii_lowercase(), host);
        }
    }

    #[test]
    fn surt_ignores_the_fragment_and_host_case(url in http_url()) {
        let mut other = url.clone();
        other.set_fragment(Some("x"));
        prop_assert_eq!(surt(&other), surt(&url));
        if let Ok(upper) = Url::parse(&url.as_str().replacen(url.host_str().unwrap_or(""),
            &url.host_str().unwrap_or("").to_ascii_uppercase(), 1)) {
            prop_assert_eq!(surt(&upper), surt(&url));
        }
    }

    #[test]
    fn scope_decisions_are_stable_under_canonicalisation(url in http_url(), seed in http_url()) {
        let scope = Scope::new(&portal(&seed));
        let canonical = canonicalize(&url);
        prop_assert_eq!(scope.classify(&url), scope.classify(&canonical));
        prop_assert!(matches!(scope.classify(&seed), Decision::In(_)));
        if host_key(&url) != host_key(&seed) && canonical != canonicalize(&seed) {
            prop_assert_eq!(scope.classify(&url), Decision::Out(Reason::Host));
        }
    }
}

proptest! {
    // Each case writes and loads a configuration file.
    #![proptest_config(cases(96))]

    #[test]
    fn host_key_round_trips_through_config_hosts(url in http_url()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baoluu.toml");
        let mut file = std::fs::File::create(&path).unwrap();
        write!(file, "{}", config_with_host(&url)).unwrap();
        let config = Config::load(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let portal = &config.portals[0];
        prop_assert_eq!(&portal.hosts, &vec![host_key(&url)]);
        prop_assert!(Scope::new(portal).on_hosts(&url));
        prop_assert!(Scope::new(portal).on_hosts(&canonicalize(&url)));
    }
}

/// A main file whose only portal has `url` as seed and its `host_key` as host.
fn config_with_host(url: &Url) -> String {
    let toml_string = |s: &str| toml::Value::String(s.to_string()).to_string();
    format!(
        "[crawler]\nuser_agent = \"baoluu/0.1 (+https://y.vn/)\"\n\n\
         [[portal]]\nname = \"p\"\nseeds = [{}]\nhosts = [{}]\n\
         article_urls = ['\\.html$']\nlisting_urls = []\n",
        toml_string(url.as_str()),
        toml_string(&host_key(url)),
    )
}

/// A portal on `seed`'s host whose articles end in `.html`.
fn portal(seed: &Url) -> Portal {
    Portal {
        name: "p".to_string(),
        seeds: vec![seed.clone()],
        hosts: vec![host_key(seed)],
        article_urls: vec![Regex::new(r"\.html?$").unwrap()],
        listing_urls: vec![Regex::new(r"/[a-z-]+/?(\?p=\d+)?$").unwrap()],
        exclude_urls: vec![Regex::new("/tim-kiem").unwrap()],
        min_delay: None,
        max_listing_pages: 50,
        stale_listing_pages: 2,
        backfill_pages: 10,
        explore_pages: 30,
        schedule: "every 2h".to_string(),
        revisit_after: None,
        revisit: Vec::new(),
        revisit_budget: 200,
        feeds: Vec::new(),
        merged_into: None,
        family: None,
        embed_hosts: Vec::new(),
        allow_private_addresses: false,
        example_articles: Vec::new(),
        example_listings: Vec::new(),
        selectors: None,
    }
}
