//! Scope: does a URL belong to a portal's crawl, and what kind of page is it?
//!
//! Sits between `discover`/`canonical` and the `frontier` (and checks redirect targets for
//! `fetch`): every candidate URL is classified here before it is queued. A URL is in scope when it
//! is a seed, or when it is on one of the portal's hosts, passes the crawler-trap guards and
//! matches one of the portal's `article_urls` or `listing_urls` patterns (docs/configuration.md, "Scope").
//! Patterns are matched against the canonical URL, so tracking parameters never defeat a
//! `$`-anchored pattern. This module does no I/O; it never fetches, queues or remembers URLs.

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::Datelike;
use regex::{Captures, Regex};
use url::Url;

use crate::canonical::{canonicalize, host_key};
use crate::config::Portal;

/// URLs longer than this are generated, not linked by editors (Heritrix's default cap is 2,083;
/// the brief's 2,000 keeps us under every common server limit).
const MAX_URL_BYTES: usize = 2_000;
/// More query parameters than this is a faceted-search or session explosion.
const MAX_QUERY_PARAMS: usize = 12;
const MAX_QUERY_BYTES: usize = 512;
/// A run of path segments repeated this many times in a row is a relative-link loop.
const MAX_SEGMENT_REPEATS: usize = 3;
/// Runs of up to this many segments are checked (`/a/a/a`, `/a/b/a/b/a/b`, `/a/b/c/a/b/c/a/b/c`).
const MAX_RUN_LENGTH: usize = 3;
/// No Vietnamese portal has pages older than this; earlier dates come from calendar pickers.
const MIN_CALENDAR_YEAR: i32 = 1990;

/// What a URL in scope is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A configured seed: always crawled, whatever the patterns say.
    Seed,
    /// A section page, pagination page or other list of articles.
    Listing,
    /// An article page: archived and indexed.
    Article,
}

/// Why a URL is out of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Its host is not one of the portal's hosts.
    Host,
    /// It matches neither `article_urls` nor `listing_urls`.
    Pattern,
    /// It matches one of `exclude_urls`.
    Excluded,
    /// A crawler-trap guard fired: "repeated-segments", "url-too-long", "query-explosion" or
    /// "calendar".
    Trap(&'static str),
}

/// The verdict on one URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    In(Kind),
    Out(Reason),
}

/// The text of pattern `i` of `list` (empty if out of range, which `decide` never returns).
fn pattern(list: &[Regex], i: usize) -> &str {
    list.get(i).map_or("", Regex::as_str)
}

/// Which rule decided (for [`Scope::explain`]); indexes point into the portal's pattern lists.
#[derive(Debug, Clone, Copy)]
enum Rule {
    Seed,
    Host,
    Trap(&'static str),
    Exclude(usize),
    Article(usize),
    Listing(usize),
    NoPattern,
}

/// The portal among `portals` whose `hosts` hold `url`'s host (by [`Scope::on_hosts`], the
/// check the crawl makes): which profile a URL belongs to, for `extract --url`
/// and `check-config --url` (issue 14). Hosts are unique across portals in practice; the first
/// in configuration order wins.
pub fn portal_for<'p>(portals: &'p [Portal], url: &Url) -> Option<&'p Portal> {
    portals.iter().find(|p| Scope::new(p).on_hosts(url))
}

/// One portal's scope, built once per run from its configuration.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Canonical seed URLs, as strings.
    seeds: HashSet<String>,
    /// Lowercase `host` / `host:port` entries.
    hosts: HashSet<String>,
    /// CDN hosts page requisites (images, stylesheets) may come from (`embed_hosts`).
    embed_hosts: HashSet<String>,
    article_urls: Vec<Regex>,
    listing_urls: Vec<Regex>,
    /// Checked first: a URL matching one is out, whatever else it matches (Rust regexes have no
    /// look-ahead to say "but not /video/" inside a pattern).
    exclude_urls: Vec<Regex>,
    /// Latest plausible year in a listing URL (current year + 1: some papers date the next
    /// year's first issue early).
    max_calendar_year: i32,
}

impl Scope {
    /// The scope of `portal`, with calendar dates checked against the current year.
    pub fn new(portal: &Portal) -> Scope {
        Scope::with_year(portal, chrono::Utc::now().year())
    }

    /// The scope of `portal` as if the current year were `year` (tests need a fixed clock).
    fn with_year(portal: &Portal, year: i32) -> Scope {
        Scope {
            seeds: portal
                .seeds
                .iter()
                .map(|s| canonicalize(s).to_string())
                .collect(),
            hosts: portal
                .hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            embed_hosts: portal
                .embed_hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            article_urls: portal.article_urls.clone(),
            listing_urls: portal.listing_urls.clone(),
            exclude_urls: portal.exclude_urls.clone(),
            max_calendar_year: year + 1,
        }
    }

    /// Classifies `url` (canonicalised first). Checks run in this order: seed (always in, even
    /// on a trap-like URL), host, structural traps (length, query, repeated segments), article
    /// pattern, listing pattern, and for listings only the calendar guard: article URLs of
    /// family D carry dates by design, and a matched article is a real page.
    ///
    /// When a URL matches both an article and a listing pattern, it is an Article: listing
    /// patterns tend to be broad prefixes (`/{cat}/…`) that also cover the articles under them,
    /// while article patterns are specific; and calling an article a listing would leave it out
    /// of the index, whereas calling a listing an article only costs a failed extraction.
    pub fn classify(&self, url: &Url) -> Decision {
        self.decide(url).0
    }

    /// [`Scope::classify`] with the rule that decided, for people (`check-config --url`,
    /// issue 14): "seed", "host", "trap guard `calendar`", or the deciding pattern's text.
    pub fn explain(&self, url: &Url) -> (Decision, String) {
        let (decision, rule) = self.decide(url);
        let why = match rule {
            Rule::Seed => "a configured seed".to_string(),
            Rule::Host => "its host is not in the portal's hosts".to_string(),
            Rule::Trap(name) => format!("trap guard `{name}`"),
            Rule::Exclude(i) => format!("exclude_urls {}", pattern(&self.exclude_urls, i)),
            Rule::Article(i) => format!("article_urls {}", pattern(&self.article_urls, i)),
            Rule::Listing(i) => format!("listing_urls {}", pattern(&self.listing_urls, i)),
            Rule::NoPattern => "matches no article_urls or listing_urls pattern".to_string(),
        };
        (decision, why)
    }

    /// The decision and the rule behind it: the one path both functions above take.
    fn decide(&self, url: &Url) -> (Decision, Rule) {
        let url = canonicalize(url);
        let text = url.as_str();
        let first = |list: &[Regex]| list.iter().position(|re| re.is_match(text));
        if self.seeds.contains(text) {
            return (Decision::In(Kind::Seed), Rule::Seed);
        }
        if !self.hosts.contains(&host_key(&url)) {
            return (Decision::Out(Reason::Host), Rule::Host);
        }
        if let Some(trap) = trap(&url) {
            return (Decision::Out(Reason::Trap(trap)), Rule::Trap(trap));
        }
        if let Some(i) = first(&self.exclude_urls) {
            return (Decision::Out(Reason::Excluded), Rule::Exclude(i));
        }
        if let Some(i) = first(&self.article_urls) {
            return (Decision::In(Kind::Article), Rule::Article(i));
        }
        match first(&self.listing_urls) {
            Some(i) => match self.listing(&url) {
                Decision::Out(Reason::Trap(name)) => {
                    (Decision::Out(Reason::Trap(name)), Rule::Trap(name))
                }
                decision => (decision, Rule::Listing(i)),
            },
            None => (Decision::Out(Reason::Pattern), Rule::NoPattern),
        }
    }

    /// Whether a page requisite (an article's image, a page's stylesheet) at `url` may be
    /// archived: it is on the portal's hosts or its `embed_hosts` (issue 6).
    pub fn allows_requisite(&self, url: &Url) -> bool {
        let host = host_key(url);
        matches!(url.scheme(), "http" | "https")
            && (self.hosts.contains(&host) || self.embed_hosts.contains(&host))
            && url.as_str().len() <= MAX_URL_BYTES
    }

    /// Whether `url` is on one of the portal's hosts (redirect targets must be, docs/configuration.md).
    pub fn on_hosts(&self, url: &Url) -> bool {
        self.hosts.contains(&host_key(url))
    }

    /// A listing URL is in scope unless it carries an implausible date.
    fn listing(&self, url: &Url) -> Decision {
        if has_calendar_date(url, MIN_CALENDAR_YEAR, self.max_calendar_year) {
            Decision::Out(Reason::Trap("calendar"))
        } else {
            Decision::In(Kind::Listing)
        }
    }
}

/// The first structural trap guard that fires on `url`, if any.
fn trap(url: &Url) -> Option<&'static str> {
    if url.as_str().len() > MAX_URL_BYTES {
        return Some("url-too-long");
    }
    if url.query().is_some_and(query_explodes) {
        return Some("query-explosion");
    }
    if has_repeated_segments(url.path()) {
        return Some("repeated-segments");
    }
    None
}

fn query_explodes(query: &str) -> bool {
    let params = query.split('&').filter(|p| !p.is_empty()).count();
    params > MAX_QUERY_PARAMS || query.len() > MAX_QUERY_BYTES
}

/// Whether a run of 1 to [`MAX_RUN_LENGTH`] non-empty segments repeats
/// [`MAX_SEGMENT_REPEATS`] times in a row (`/a/a/a`, `/x/a/b/a/b/a/b`).
///
/// Only consecutive repeats count, as in Heritrix's PathologicalPathDecideRule: relative-link
/// loops append the same run again and again, while a legitimate path may well reuse a name
/// further along (`/tin-tuc/2025/tin-tuc-moi/…`).
fn has_repeated_segments(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    (1..=MAX_RUN_LENGTH).any(|run| repeats_run(&segments, run))
}

/// Whether some window of `run` segments occurs [`MAX_SEGMENT_REPEATS`] times in a row.
fn repeats_run(segments: &[&str], run: usize) -> bool {
    segments
        .windows(run * MAX_SEGMENT_REPEATS)
        .any(|window| window.chunks(run).all(|chunk| chunk == &window[..run]))
}

/// Date-like values: `yyyy-mm-dd`, `yyyy/mm/dd` (also as path segments) and `dd-mm-yyyy`,
/// `dd/mm/yyyy`, `dd.mm.yyyy`. Compact `yyyymmdd` is left out: it cannot be told from an
/// article id.
static DATE_YMD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})").expect("constant regex")
});
static DATE_DMY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|\D)(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})").expect("constant regex")
});

/// Whether the path or query of `url` holds a valid-looking date whose year lies outside
/// `[min_year, max_year]`: the signature of a calendar picker ("Xem theo ngày") that would
/// otherwise lead the crawler back to year 1 or forward forever (docs/profiles.md). Dates inside the
/// range are ordinary "news of that day" listings.
fn has_calendar_date(url: &Url, min_year: i32, max_year: i32) -> bool {
    let mut text = url.path().to_string();
    if let Some(query) = url.query() {
        text.push('?');
        text.push_str(query);
    }
    // Query values are often encoded (`ngay=27%2F12%2F2025`).
    let text = text.replace("%2F", "/").replace("%2f", "/");
    calendar_years(&text).any(|year| year < min_year || year > max_year)
}

/// The years of every date-like value in `text` whose month and day are plausible.
fn calendar_years(text: &str) -> impl Iterator<Item = i32> + '_ {
    let ymd = complete_dates(&DATE_YMD, text).filter_map(|c| plausible_date(&c[1], &c[2], &c[3]));
    let dmy = complete_dates(&DATE_DMY, text).filter_map(|c| plausible_date(&c[3], &c[2], &c[1]));
    ymd.chain(dmy)
}

/// Matches of `re` not followed by another digit (`2025-01-012` is not a date). The check is
/// done here rather than in the pattern so that two dates one character apart both match.
fn complete_dates<'t>(re: &'t Regex, text: &'t str) -> impl Iterator<Item = Captures<'t>> + 't {
    re.captures_iter(text).filter(move |c| {
        let end = c.get(0).map_or(0, |m| m.end());
        !text[end..].starts_with(|ch: char| ch.is_ascii_digit())
    })
}

/// The year, when month is 1–12 and day 1–31 (otherwise the digits are an id, not a date).
fn plausible_date(year: &str, month: &str, day: &str) -> Option<i32> {
    let month: u32 = month.parse().ok()?;
    let day: u32 = day.parse().ok()?;
    if (1..=12).contains(&month) && (1..=31).contains(&day) {
        year.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn portal() -> Portal {
        Portal {
            name: "cantho".into(),
            seeds: vec![
                Url::parse("https://baocantho.com.vn/").unwrap(),
                Url::parse("https://baocantho.com.vn/special/seed-page.php?x=1").unwrap(),
            ],
            hosts: vec![
                "baocantho.com.vn".into(),
                "www.baocantho.com.vn".into(),
                "127.0.0.2:8080".into(),
            ],
            article_urls: vec![
                Regex::new(r"^https://(www\.)?baocantho\.com\.vn/[a-z0-9-]+-a\d+\.html$").unwrap(),
                Regex::new(r"^http://127\.0\.0\.2:8080/bai/\d+$").unwrap(),
            ],
            listing_urls: vec![
                Regex::new(r"^https://(www\.)?baocantho\.com\.vn/([a-z0-9/-]+/?(\?.*)?)?$")
                    .unwrap(),
            ],
            exclude_urls: vec![Regex::new(r"^https://baocantho\.com\.vn/video/").unwrap()],
            min_delay: None,
            max_listing_pages: 50,
            stale_listing_pages: 2,
            backfill_pages: 10,
            explore_pages: 30,
            schedule: "every 2h".into(),
            revisit_after: None,
            revisit: Vec::new(),
            revisit_budget: 200,
            feeds: vec![],
            merged_into: None,
            family: None,
            embed_hosts: vec![],
            allow_private_addresses: false,
            example_articles: vec![],
            example_listings: vec![],
            selectors: None,
        }
    }

    fn scope() -> Scope {
        Scope::with_year(&portal(), 2026)
    }

    fn classify(url: &str) -> Decision {
        scope().classify(&Url::parse(url).unwrap())
    }

    #[test]
    fn exclude_urls_win_over_every_pattern() {
        // `/video/` matches the listing pattern, but the exclusion is checked first.
        assert_eq!(
            classify("https://baocantho.com.vn/video/"),
            Decision::Out(Reason::Excluded)
        );
        assert_eq!(
            classify("https://baocantho.com.vn/thoi-su/"),
            Decision::In(Kind::Listing)
        );
    }

    #[test]
    fn seeds_are_in_scope_even_without_a_pattern() {
        let seed = "https://baocantho.com.vn/special/seed-page.php?x=1";
        assert_eq!(classify(seed), Decision::In(Kind::Seed));
        // The same seed with tracking parameters is still the seed.
        assert_eq!(
            classify("https://baocantho.com.vn/special/seed-page.php?x=1&utm_source=zalo#top"),
            Decision::In(Kind::Seed)
        );
        assert_eq!(
            classify("https://baocantho.com.vn"),
            Decision::In(Kind::Seed)
        );
        // Not the seed: same path, other query.
        assert_eq!(
            classify("https://baocantho.com.vn/special/seed-page.php?x=2"),
            Decision::Out(Reason::Pattern)
        );
    }

    #[test]
    fn articles_and_listings_are_told_apart() {
        assert_eq!(
            classify("https://baocantho.com.vn/lua-gao-tang-gia-a187654.html"),
            Decision::In(Kind::Article)
        );
        assert_eq!(
            classify("https://www.baocantho.com.vn/kinh-te/?p=2"),
            Decision::In(Kind::Listing)
        );
        assert_eq!(
            classify("http://127.0.0.2:8080/bai/42"),
            Decision::In(Kind::Article)
        );
    }

    #[test]
    fn article_wins_when_both_patterns_match() {
        // The listing pattern also matches this path; the article pattern is the specific one.
        let url = "https://baocantho.com.vn/thoi-su/lua-gao-a1.html";
        let broad = Regex::new(r"^https://baocantho\.com\.vn/[a-z0-9./-]+$").unwrap();
        let article = Regex::new(r"-a\d+\.html$").unwrap();
        let mut p = portal();
        p.listing_urls = vec![broad.clone()];
        p.article_urls = vec![article.clone()];
        assert!(broad.is_match(url) && article.is_match(url));
        let s = Scope::with_year(&p, 2026);
        assert_eq!(
            s.classify(&Url::parse(url).unwrap()),
            Decision::In(Kind::Article)
        );
    }

    #[test]
    fn tracking_parameters_do_not_defeat_anchored_patterns() {
        assert_eq!(
            classify(
                "https://baocantho.com.vn/lua-gao-a187654.html?utm_source=facebook&fbclid=Iw#c"
            ),
            Decision::In(Kind::Article)
        );
    }

    #[test]
    fn other_hosts_are_out() {
        assert_eq!(
            classify("https://baohaugiang.com.vn/thoi-su-215.html"),
            Decision::Out(Reason::Host)
        );
        // Host entries carry the port: the same IP on another port is another host.
        assert_eq!(
            classify("http://127.0.0.2:9090/bai/42"),
            Decision::Out(Reason::Host)
        );
        assert_eq!(
            classify("https://BAOCANTHO.com.vn/lua-gao-a1.html"),
            Decision::In(Kind::Article)
        );
    }

    #[test]
    fn unmatched_urls_on_the_hosts_are_out_by_pattern() {
        assert_eq!(
            classify("https://baocantho.com.vn/Upload/anh.JPG"),
            Decision::Out(Reason::Pattern)
        );
    }

    #[test]
    fn repeated_segments_are_a_trap() {
        for url in [
            "https://baocantho.com.vn/a/a/a",
            "https://baocantho.com.vn/x/a/b/a/b/a/b/",
            "https://baocantho.com.vn/a/b/c/a/b/c/a/b/c",
            "https://baocantho.com.vn/kinh-te/kinh-te//kinh-te/",
        ] {
            assert_eq!(
                classify(url),
                Decision::Out(Reason::Trap("repeated-segments")),
                "{url}"
            );
        }
        for url in [
            "https://baocantho.com.vn/a/a/",
            "https://baocantho.com.vn/a/b/a/b/",
            "https://baocantho.com.vn/a/x/a/y/a/",
        ] {
            assert_eq!(classify(url), Decision::In(Kind::Listing), "{url}");
        }
    }

    #[test]
    fn overlong_urls_are_a_trap() {
        let long = format!("https://baocantho.com.vn/{}", "x".repeat(2_000));
        assert_eq!(classify(&long), Decision::Out(Reason::Trap("url-too-long")));
        let fine = format!("https://baocantho.com.vn/{}", "x".repeat(1_900));
        assert_eq!(classify(&fine), Decision::In(Kind::Listing));
    }

    #[test]
    fn exploding_queries_are_a_trap() {
        let many: Vec<String> = (0..13).map(|i| format!("f{i}=1")).collect();
        let url = format!("https://baocantho.com.vn/tim-kiem/?{}", many.join("&"));
        assert_eq!(
            classify(&url),
            Decision::Out(Reason::Trap("query-explosion"))
        );
        let long = format!("https://baocantho.com.vn/tim-kiem/?q={}", "a".repeat(520));
        assert_eq!(
            classify(&long),
            Decision::Out(Reason::Trap("query-explosion"))
        );
        let twelve: Vec<String> = (0..12).map(|i| format!("f{i}=1")).collect();
        let url = format!("https://baocantho.com.vn/tim-kiem/?{}", twelve.join("&"));
        assert_eq!(classify(&url), Decision::In(Kind::Listing));
    }

    #[test]
    fn calendar_dates_outside_the_range_are_a_trap_on_listings() {
        for url in [
            "https://baocantho.com.vn/xem-theo-ngay/?ngay=1899-01-01",
            "https://baocantho.com.vn/xem-theo-ngay/?ngay=01%2F01%2F2099",
            "https://baocantho.com.vn/lich/1850/12/31/",
            "https://baocantho.com.vn/ngay-31-12-2028/",
            "https://baocantho.com.vn/tu-den/2025-01-01-1850-01-01/",
        ] {
            assert_eq!(
                classify(url),
                Decision::Out(Reason::Trap("calendar")),
                "{url}"
            );
        }
        for url in [
            "https://baocantho.com.vn/xem-theo-ngay/?ngay=2025-12-27",
            "https://baocantho.com.vn/xem-theo-ngay/?ngay=27%2F12%2F2027",
            "https://baocantho.com.vn/lich/1990/1/1/",
            // Not a date: month 45.
            "https://baocantho.com.vn/so/1234-45-67/",
        ] {
            assert_eq!(classify(url), Decision::In(Kind::Listing), "{url}");
        }
    }

    #[test]
    fn calendar_guard_spares_articles() {
        let mut p = portal();
        p.article_urls = vec![Regex::new(r"/\d{4}/\d{2}/\d{2}/[a-z-]+\.html$").unwrap()];
        let s = Scope::with_year(&p, 2026);
        let url = Url::parse("https://baocantho.com.vn/2099/01/01/bai-viet.html").unwrap();
        assert_eq!(s.classify(&url), Decision::In(Kind::Article));
    }

    #[test]
    fn on_hosts_checks_host_and_port() {
        let s = scope();
        assert!(s.on_hosts(&Url::parse("https://www.baocantho.com.vn/x").unwrap()));
        assert!(s.on_hosts(&Url::parse("http://127.0.0.2:8080/").unwrap()));
        assert!(!s.on_hosts(&Url::parse("http://127.0.0.2/").unwrap()));
        assert!(!s.on_hosts(&Url::parse("https://baocantho.com.vn.evil.example/").unwrap()));
    }
}
