//! robots.txt interpretation (`robots`) on arbitrary bodies and on robots-shaped files: rule
//! lines with wildcards and `$`, typos, long multibyte lines, odd statuses and encodings.
//! Invariants: no panic; `/robots.txt` always allowed; a file without rules allows everything;
//! `Disallow: /` disallows everything else; longest match wins; adding a Disallow never allows
//! more and adding an Allow never allows less; the cache round-trips.

use baoluu::robots::{Fetched, Robots, authority, product_token, robots_url};
use proptest::prelude::*;
use url::Url;

use crate::common::{any_text, cases, gzip, phrase};

const TOKEN: &str = "baoluu";

fn parse(body: &str) -> Robots {
    from_status(200, body.as_bytes())
}

fn from_status(status: u16, body: &[u8]) -> Robots {
    Robots::from_fetch(
        Fetched::Response {
            status,
            content_encoding: None,
            body,
        },
        TOKEN,
    )
}

fn at(path: &str) -> Url {
    // Appended, not joined: a path starting with `//` must stay a path.
    Url::parse(&format!("https://x.vn{path}")).unwrap()
}

/// A path pattern: literal segments, `*`, `$`, percent escapes, multibyte characters.
fn pattern() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        4 => "[a-z0-9-]{1,6}",
        2 => Just("/".to_string()),
        2 => Just("*".to_string()),
        1 => Just("$".to_string()),
        1 => Just("?".to_string()),
        1 => Just("=".to_string()),
        1 => "%[0-9a-fA-F]{2}",
        1 => Just("%".to_string()),
        1 => Just("ữ".to_string()),
        1 => Just(".html".to_string()),
    ];
    prop::collection::vec(part, 0..6).prop_map(|p| format!("/{}", p.concat()))
}

/// A URL path (with query) to check, from the same alphabet as [`pattern`].
fn check_path() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        4 => "[a-z0-9-]{1,6}",
        3 => Just("/".to_string()),
        1 => Just("?p=2".to_string()),
        1 => "%[0-9a-fA-F]{2}",
        1 => Just("ữ".to_string()),
        1 => Just(".html".to_string()),
        1 => Just("robots.txt".to_string()),
        1 => Just("*$".to_string()),
    ];
    prop::collection::vec(part, 0..7).prop_map(|p| format!("/{}", p.concat()))
}

/// A rule line, `Allow` or `Disallow` (with the typos the reference parser accepts).
fn rule() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "Allow",
        "allow",
        "Disallow",
        "DISALLOW",
        "disalow",
        "dissallow",
        "Disallow",
    ]);
    (
        key,
        prop::sample::select(vec![": ", ":", " ", ":\t"]),
        pattern(),
    )
        .prop_map(|(k, sep, p)| format!("{k}{sep}{p}"))
}

/// A line that is never a rule: comments, agents, sitemaps, delays, unknown keys, junk.
fn non_rule() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => prop::sample::select(vec!["*", "baoluu", "BaoLuu/1.0", "Googlebot", "*bot", ""])
            .prop_map(|a| format!("User-agent: {a}")),
        7 => non_rule_in_group(),
    ]
}

/// A line that neither is a rule nor starts a group.
fn non_rule_in_group() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        phrase().prop_map(|p| format!("# {p} Disallow: /")),
        Just("Sitemap: https://x.vn/sitemap.xml".to_string()),
        "Crawl-delay: [0-9.a-z-]{0,6}",
        "[a-ce-z][a-z-]{0,10}: \\PC{0,10}",
        "\\PC{0,30}".prop_filter("looks like a rule", |l| !is_rule_like(l)),
        ("[a-z]{0,3}", 5000usize..6000).prop_map(|(p, n)| format!("Host: {p}{}", "ữ".repeat(n))),
    ]
}

/// Whether the reference parser could read `line` as an Allow, Disallow or User-agent line (it
/// accepts a space instead of the colon and several misspellings).
fn is_rule_like(line: &str) -> bool {
    let key = line
        .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
        .to_ascii_lowercase();
    ["allow", "dis", "dia", "user", "useragent"]
        .iter()
        .any(|k| key.starts_with(k))
}

fn line_end() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["\n", "\r\n", "\r"])
}

fn join(lines: &[String], end: &str) -> String {
    lines.iter().map(|l| format!("{l}{end}")).collect()
}

/// A robots.txt that may hold rules for us, for `*` and for others.
fn robots_file() -> impl Strategy<Value = String> {
    let line = prop_oneof![3 => rule(), 2 => non_rule()];
    (prop::collection::vec(line, 0..16), line_end()).prop_map(|(lines, end)| join(&lines, end))
}

/// The lines of one group: rules and other lines, no `User-agent:`.
fn group_lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop_oneof![3 => rule(), 2 => non_rule_in_group()], 0..16)
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_body_and_status_is_interpreted_without_panic(
        status in prop_oneof![Just(200u16), any::<u16>()],
        encoding in prop::option::of(prop::sample::select(vec!["gzip", "deflate", "br", " GZIP ", ""])),
        body in prop::collection::vec(any::<u8>(), 0..600),
        path in check_path(),
    ) {
        let robots = Robots::from_fetch(
            Fetched::Response { status, content_encoding: encoding, body: &body }, TOKEN);
        let _ = robots.allowed(&at(&path));
        let _ = (robots.crawl_delay(), robots.sitemaps(), robots.state(), format!("{robots:?}"));
        prop_assert!(robots.allowed(&at("/robots.txt")));
    }

    #[test]
    fn robots_txt_itself_is_always_allowed(
        file in robots_file(),
        status in prop::sample::select(vec![200u16, 404, 429, 500, 503]),
    ) {
        prop_assert!(from_status(status, file.as_bytes()).allowed(&at("/robots.txt")));
        for failed in [Fetched::Failed, Fetched::TooManyRedirects] {
            prop_assert!(Robots::from_fetch(failed, TOKEN).allowed(&at("/robots.txt")));
        }
    }

    #[test]
    fn a_file_without_rules_allows_everything(
        lines in prop::collection::vec(non_rule(), 0..12),
        end in line_end(),
        path in check_path(),
    ) {
        let file = join(&lines, end);
        prop_assert!(parse(&file).allowed(&at(&path)), "{:?} disallows {}", file, path);
    }

    #[test]
    fn disallow_all_disallows_every_other_path(
        extra in prop::collection::vec(pattern(), 0..4),
        agent in prop::sample::select(vec!["*", "baoluu", "BAOLUU", "baoluu/0.1"]),
        end in line_end(),
        path in check_path(),
    ) {
        let mut lines = vec![format!("User-agent: {agent}"), "Disallow: /".to_string()];
        lines.extend(extra.iter().map(|p| format!("Disallow: {p}")));
        let robots = parse(&join(&lines, end));
        let url = at(&path);
        prop_assert_eq!(robots.allowed(&url), url.path() == "/robots.txt", "{}", url);
    }

    #[test]
    fn the_longest_match_wins(
        outer in "[a-z0-9]{1,6}",
        inner in "[a-z0-9]{1,6}",
        rest in "[a-z0-9/]{0,8}",
        other in "[a-z0-9]{1,6}",
        allow_first in prop::bool::ANY,
    ) {
        prop_assume!(!other.starts_with(&inner));
        let allow = format!("Allow: /{outer}/{inner}");
        let disallow = format!("Disallow: /{outer}");
        let rules = if allow_first { [allow, disallow] } else { [disallow, allow] };
        let robots = parse(&format!("User-agent: *\n{}\n", rules.join("\n")));
        let (deep, beside, top) = (
            format!("/{outer}/{inner}{rest}"),
            format!("/{outer}/{other}"),
            format!("/{outer}"),
        );
        prop_assert!(robots.allowed(&at(&deep)), "{}", deep);
        prop_assert!(!robots.allowed(&at(&beside)), "{}", beside);
        prop_assert!(!robots.allowed(&at(&top)), "{}", top);
    }

    #[test]
    fn more_disallows_never_allow_more_and_more_allows_never_allow_less(
        lines in group_lines(),
        at_line in any::<prop::sample::Index>(),
        extra in pattern(),
        path in check_path(),
    ) {
        // One group, so the extra rule cannot change which group applies to us.
        let with = |rule: &str| {
            let mut lines = lines.clone();
            lines.insert(at_line.index(lines.len() + 1), rule.to_string());
            parse(&format!("User-agent: *\n{}", join(&lines, "\n")))
        };
        let url = at(&path);
        let base = with("").allowed(&url);
        let stricter = with(&format!("Disallow: {extra}")).allowed(&url);
        let looser = with(&format!("Allow: {extra}")).allowed(&url);
        prop_assert!(!stricter || base, "Disallow: {} allowed {}", extra, url);
        prop_assert!(!base || looser, "Allow: {} disallowed {}", extra, url);
    }

    #[test]
    fn crawl_delay_is_read_from_our_group(secs in 0u32..100_000, frac in 0u32..1000) {
        let file = format!("User-agent: *\nCrawl-delay: {secs}.{frac:03}\nDisallow: /x\n");
        let expected = std::time::Duration::from_millis(u64::from(secs) * 1000 + u64::from(frac));
        let got = parse(&file).crawl_delay();
        prop_assert!(got.is_some_and(|d| d.abs_diff(expected).as_micros() < 1), "{:?}", got);
    }

    #[test]
    fn the_cache_round_trips(file in robots_file(), path in check_path(),
                             status in prop::sample::select(vec![200u16, 404, 503])) {
        let robots = from_status(status, file.as_bytes());
        let back = Robots::from_cache(&robots.to_cache(), TOKEN);
        prop_assert!(back.is_ok());
        let back = back.unwrap();
        let url = at(&path);
        prop_assert_eq!(back.allowed(&url), robots.allowed(&url));
        prop_assert_eq!(back.crawl_delay(), robots.crawl_delay());
        prop_assert_eq!(back.sitemaps(), robots.sitemaps());
        prop_assert_eq!(back.state(), robots.state());
    }

    #[test]
    fn gzip_bodies_read_like_plain_ones(file in robots_file(), path in check_path()) {
        let plain = parse(&file);
        let zipped = Robots::from_fetch(
            Fetched::Response { status: 200, content_encoding: Some("gzip"), body: &gzip(file.as_bytes()) },
            TOKEN,
        );
        let url = at(&path);
        prop_assert_eq!(zipped.allowed(&url), plain.allowed(&url));
    }

    #[test]
    fn cache_bytes_and_tokens_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200),
                                          token in any_text(), path in check_path()) {
        if let Ok(robots) = Robots::from_cache(&bytes, &token) {
            let _ = robots.allowed(&at(&path));
        }
        let robots = Robots::from_fetch(
            Fetched::Response { status: 200, content_encoding: None, body: &bytes }, &token);
        let _ = robots.allowed(&at(&path));
        let _ = product_token(&token);
    }

    #[test]
    fn robots_url_and_authority_take_any_url(text in any_text()) {
        if let Ok(url) = Url::parse(&format!("http://{text}")) {
            let robots = robots_url(&url);
            prop_assert_eq!(robots.path(), "/robots.txt");
            prop_assert_eq!(robots.query(), None);
            prop_assert_eq!(authority(&robots), authority(&url));
        }
    }
}
