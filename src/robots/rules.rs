//! The one place that knows the parser crate: rule matching through `robotstxt` (a port of
//! Google's reference parser), plus the directives it does not expose (Crawl-delay, Sitemap),
//! read once through its `RobotsParseHandler`. Never decides what a status code means.
//!
//! Why `robotstxt` and not `texting_robots`: `robotstxt` re-parses the text on every check.
//! Measured (opt-level 3, this 2-core machine, `measure_check_cost` below): ~0.5 ms per check on
//! a 50 KB file, ~4.6 ms on a 500 KB one. Checks happen once per fetch, and a host is fetched at
//! most every `min_delay` (≥ 2 s), so even the worst case costs well under 1 % of a core per host;
//! real portal files are a few KB (~20 µs). That is not a reason to trade the reference matching
//! semantics (`/1.0` stripped from `User-agent:` values, merged groups, typo tolerance) for a
//! second crate. Revisit if robots checks move to discovery time (hundreds per page).

use std::borrow::Cow;
use std::time::Duration;

use robotstxt::{DefaultMatcher, RobotsParseHandler};

/// A parsed robots.txt for one product token.
#[derive(Clone)]
pub struct Rules {
    /// The file's text, percent-normalised ([`normalise_percent`]); matched on every check.
    text: String,
    /// Crawl-delay of the group that applies to us (ours, else `*`).
    crawl_delay: Option<Duration>,
    /// Every `Sitemap:` value, in file order (they belong to no group).
    sitemaps: Vec<String>,
}

impl Rules {
    /// Reads `text` once for the directives the matcher does not expose.
    pub fn parse(text: &str, token: &str) -> Rules {
        let text = cap_lines(&normalise_percent(text)).into_owned();
        let mut directives = Directives::new(token);
        robotstxt::parse_robotstxt(&text, &mut directives);
        Rules {
            crawl_delay: directives.crawl_delay(),
            sitemaps: directives.sitemaps,
            text,
        }
    }

    /// Longest match wins, ties allow (RFC 9309 §2.2.2), for `path_query` (starting with `/`).
    pub fn allowed(&self, token: &str, path_query: &str) -> bool {
        let path = normalise_percent(path_query);
        // The matcher wants a URL; a scheme and empty authority keep a path starting with `//`
        // from being read as one.
        let url = format!("x://{path}");
        DefaultMatcher::default().one_agent_allowed_by_robots(&self.text, token, &url)
    }

    pub fn crawl_delay(&self) -> Option<Duration> {
        self.crawl_delay
    }

    pub fn sitemaps(&self) -> &[String] {
        &self.sitemaps
    }

    /// The normalised text: what the cache keeps (normalising again is a no-op).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Longest line handed to the parser, in bytes. `robotstxt` 0.3 ignores bytes past ~16 KiB of
/// a line anyway, but counts the skipped part in characters, not bytes, and then slices inside a
/// multi-byte character and panics (`long_multibyte_line_does_not_panic`). Cutting long lines
/// ourselves, on a character boundary, keeps its reading and removes the panic.
const MAX_LINE: usize = 16 * 1024;

/// Cuts every line to [`MAX_LINE`] bytes, keeping its terminator.
fn cap_lines(text: &str) -> Cow<'_, str> {
    let is_break = |c: char| c == '\n' || c == '\r';
    if text.split(is_break).all(|line| line.len() <= MAX_LINE) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(is_break) {
        let body = piece.trim_end_matches(is_break);
        let mut end = body.len().min(MAX_LINE);
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        out.push_str(&body[..end]);
        out.push_str(&piece[body.len()..]);
    }
    Cow::Owned(out)
}

/// The product-token part of a `User-agent:` value or of our own User-Agent: the leading
/// `[a-zA-Z_-]` characters (RFC 9309 §2.2.1), so `baoluu/0.1 (+https://…)` gives `baoluu`.
pub fn token_prefix(value: &str) -> &str {
    let end = value
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '-' || c == '_'))
        .unwrap_or(value.len());
    &value[..end]
}

/// RFC 9309 §2.2.2: percent-encoded unreserved characters are decoded before comparison
/// (`/%62%61%7A` is `/baz`); other escapes stay encoded with upper-case hex. Applied to both the
/// file and the URL so they meet in one form. Reserved and non-ASCII octets are left alone
/// (the parser encodes non-ASCII pattern bytes itself, and `url` has already encoded the URL's);
/// a `%` that starts no escape becomes `%25`.
pub fn normalise_percent(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        match escape_at(bytes, i) {
            Some(b) if is_unreserved(b) => out.push(char::from(b)),
            Some(b) => out.push_str(&format!("%{b:02X}")),
            // A stray `%` is written as the escape it must have meant; `robotstxt`'s pattern
            // escaping would otherwise drop it with the two bytes after it.
            None if bytes[i] == b'%' => {
                out.push_str("%25");
                i += 1;
                continue;
            }
            None => {
                let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
                out.push(ch);
                i += ch.len_utf8();
                continue;
            }
        }
        i += 3;
    }
    Cow::Owned(out)
}

/// The octet of a `%XX` escape starting at `i`, if there is one.
fn escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    if bytes.get(i) != Some(&b'%') {
        return None;
    }
    let hex = bytes.get(i + 1..i + 3)?;
    if !hex.iter().all(u8::is_ascii_hexdigit) {
        return None; // also rejects the `+` that from_str_radix would accept
    }
    u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
}

/// RFC 3986 §2.3 unreserved characters.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// A `Crawl-delay:` value in seconds, fractions allowed; anything else is ignored.
fn parse_crawl_delay(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs).ok()
}

/// Collects Crawl-delay and Sitemap while tracking groups exactly as the matcher does (a group
/// is the run of `User-agent:` lines before its first rule), so the delay comes from the same
/// group(s) the rules come from: ours merged, else `*`.
struct Directives<'a> {
    token: &'a str,
    in_ours: bool,
    in_global: bool,
    /// A rule line has been seen since the last `User-agent:` line: the next one starts a group.
    seen_rule: bool,
    ever_ours: bool,
    ours_delay: Option<Duration>,
    global_delay: Option<Duration>,
    sitemaps: Vec<String>,
}

impl<'a> Directives<'a> {
    fn new(token: &'a str) -> Directives<'a> {
        Directives {
            token,
            in_ours: false,
            in_global: false,
            seen_rule: false,
            ever_ours: false,
            ours_delay: None,
            global_delay: None,
            sitemaps: Vec::new(),
        }
    }

    /// Merged groups keep the longest delay: the site asked for it in at least one of them.
    fn crawl_delay(&self) -> Option<Duration> {
        if self.ever_ours {
            self.ours_delay
        } else {
            self.global_delay
        }
    }

    fn record_delay(&mut self, delay: Duration) {
        let longer = |old: Option<Duration>| Some(old.map_or(delay, |o| o.max(delay)));
        if self.in_ours {
            self.ours_delay = longer(self.ours_delay);
        }
        if self.in_global {
            self.global_delay = longer(self.global_delay);
        }
    }
}

/// `*` (optionally followed by whitespace and anything) is the global group, as in the matcher.
fn is_global_agent(value: &str) -> bool {
    value
        .strip_prefix('*')
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
}

impl RobotsParseHandler for Directives<'_> {
    fn handle_robots_start(&mut self) {}

    fn handle_robots_end(&mut self) {}

    fn handle_user_agent(&mut self, _line: u32, value: &str) {
        if self.seen_rule {
            (self.in_ours, self.in_global, self.seen_rule) = (false, false, false);
        }
        if is_global_agent(value) {
            self.in_global = true;
        } else if token_prefix(value).eq_ignore_ascii_case(self.token) {
            self.in_ours = true;
            self.ever_ours = true;
        }
    }

    fn handle_allow(&mut self, _line: u32, _value: &str) {
        self.seen_rule |= self.in_ours || self.in_global;
    }

    fn handle_disallow(&mut self, _line: u32, _value: &str) {
        self.seen_rule |= self.in_ours || self.in_global;
    }

    fn handle_sitemap(&mut self, _line: u32, value: &str) {
        self.seen_rule = true;
        if !value.is_empty() {
            self.sitemaps.push(value.to_string());
        }
    }

    fn handle_unknown_action(&mut self, _line: u32, action: &str, value: &str) {
        self.seen_rule = true;
        if action.eq_ignore_ascii_case("crawl-delay")
            && let Some(delay) = parse_crawl_delay(value)
        {
            self.record_delay(delay);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(text: &str, path: &str) -> bool {
        Rules::parse(text, "baoluu").allowed("baoluu", path)
    }

    #[test]
    fn longest_match_wins() {
        // RFC 9309 §2.2.2's example pair.
        let text = "User-agent: *\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n";
        assert!(allowed(text, "/example/page/index.html"));
        assert!(!allowed(text, "/example/page/disallowed.gif"));
        assert!(allowed(text, "/other"));
    }

    #[test]
    fn ties_go_to_allow() {
        let text = "User-agent: *\nDisallow: /folder\nAllow: /folder\n";
        assert!(allowed(text, "/folder/page"));
        let text = "User-agent: *\nDisallow: /page\nAllow: /pag*\n";
        assert!(allowed(text, "/page"));
    }

    #[test]
    fn dollar_anchors_the_end() {
        let text = "User-agent: *\nDisallow: /*.php$\n";
        assert!(!allowed(text, "/index.php"));
        assert!(allowed(text, "/index.php?x=1"));
        assert!(allowed(text, "/index.php5"));
    }

    #[test]
    fn star_matches_any_run() {
        let text = "User-agent: *\nDisallow: /*/print/\nDisallow: /search*q=\n";
        assert!(!allowed(text, "/thoi-su/print/a1.html"));
        assert!(allowed(text, "/thoi-su/a1.html"));
        assert!(!allowed(text, "/search?page=2&q=lu"));
    }

    #[test]
    fn query_is_part_of_the_match() {
        let text = "User-agent: *\nDisallow: /tim-kiem?\nDisallow: /*?print=1\n";
        assert!(!allowed(text, "/tim-kiem?q=x"));
        assert!(allowed(text, "/tim-kiem"));
        assert!(!allowed(text, "/a.html?print=1"));
    }

    #[test]
    fn percent_encoding_follows_rfc_9309_table() {
        // Non-ASCII in the pattern matches its encoded form in the URL.
        assert!(!allowed(
            "User-agent: *\nDisallow: /foo/bar/ツ\n",
            "/foo/bar/%E3%83%84"
        ));
        // Lower-case hex in the URL still matches.
        assert!(!allowed(
            "User-agent: *\nDisallow: /foo/bar/ツ\n",
            "/foo/bar/%e3%83%84"
        ));
        // Encoded unreserved octets are decoded on both sides.
        assert!(!allowed(
            "User-agent: *\nDisallow: /foo/bar/%62%61%7A\n",
            "/foo/bar/baz"
        ));
        assert!(!allowed(
            "User-agent: *\nDisallow: /foo/bar/baz\n",
            "/foo/bar/%62%61%7A"
        ));
        // Reserved characters stay encoded: %2F is not a path separator.
        assert!(allowed("User-agent: *\nDisallow: /a/b\n", "/a%2Fb"));
    }

    #[test]
    fn normalise_percent_cases() {
        assert_eq!(
            normalise_percent("/a%7eb%2fc%zz%+1%4"),
            "/a~b%2Fc%25zz%25+1%254"
        );
        assert_eq!(normalise_percent("/tin-tức"), "/tin-tức");
    }

    #[test]
    fn our_group_wins_over_star_and_version_is_ignored() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: BaoLuu/1.0\nDisallow: /private\n";
        assert!(allowed(text, "/news"));
        assert!(!allowed(text, "/private/x"));
        assert!(!Rules::parse(text, "otherbot").allowed("otherbot", "/news"));
    }

    #[test]
    fn groups_for_the_same_agent_merge() {
        let text = "User-agent: baoluu\nDisallow: /a\n\nUser-agent: *\nDisallow: /\n\n\
                    User-agent: other\nUser-agent: BAOLUU\nDisallow: /b\n";
        assert!(!allowed(text, "/a"));
        assert!(!allowed(text, "/b"));
        assert!(allowed(text, "/c"));
    }

    #[test]
    fn empty_group_of_ours_allows_everything() {
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: baoluu\nDisallow:\n";
        assert!(allowed(text, "/anything"));
    }

    #[test]
    fn no_matching_group_allows() {
        assert!(allowed("User-agent: googlebot\nDisallow: /\n", "/x"));
        assert!(allowed("", "/x"));
    }

    #[test]
    fn crawl_delay_integer_fraction_and_garbage() {
        let delay = |text: &str| Rules::parse(text, "baoluu").crawl_delay();
        assert_eq!(
            delay("User-agent: *\nCrawl-delay: 10\n"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            delay("User-agent: *\ncrawl-delay: 0.5\n"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(delay("User-agent: *\nCrawl-delay: soon\n"), None);
        assert_eq!(delay("User-agent: *\nCrawl-delay: -3\n"), None);
        assert_eq!(delay("User-agent: *\nCrawl-delay: inf\n"), None);
    }

    #[test]
    fn crawl_delay_comes_from_our_group_else_star() {
        let delay = |text: &str| Rules::parse(text, "baoluu").crawl_delay();
        let ours =
            "User-agent: *\nCrawl-delay: 20\n\nUser-agent: baoluu\nCrawl-delay: 3\nDisallow: /x\n";
        assert_eq!(delay(ours), Some(Duration::from_secs(3)));
        let other = "User-agent: googlebot\nCrawl-delay: 1\n\nUser-agent: *\nCrawl-delay: 7\n";
        assert_eq!(delay(other), Some(Duration::from_secs(7)));
        // Our group exists without a delay: the `*` group does not apply to us at all.
        let none = "User-agent: *\nCrawl-delay: 20\n\nUser-agent: baoluu\nDisallow: /x\n";
        assert_eq!(delay(none), None);
        // Merged groups: the longer delay.
        let merged = "User-agent: baoluu\nCrawl-delay: 2\n\nUser-agent: baoluu\nCrawl-delay: 4\n";
        assert_eq!(delay(merged), Some(Duration::from_secs(4)));
    }

    #[test]
    fn sitemaps_in_file_order_wherever_they_stand() {
        let text = "Sitemap: https://a.vn/s1.xml\nUser-agent: *\nDisallow: /x\n\
                    sitemap: https://a.vn/news.xml # comment\n";
        let rules = Rules::parse(text, "baoluu");
        assert_eq!(
            rules.sitemaps(),
            ["https://a.vn/s1.xml", "https://a.vn/news.xml"]
        );
    }

    #[test]
    fn long_multibyte_line_does_not_panic() {
        let mut text = String::from("User-agent: *\nDisallow: /");
        text.push_str(&"a".repeat(17_000));
        text.push_str(&"ế".repeat(100));
        text.push_str("\r\nDisallow: /x\n");
        let rules = Rules::parse(&text, "baoluu");
        assert!(!rules.allowed("baoluu", "/x"));
        assert!(rules.allowed("baoluu", "/b"));
    }

    #[test]
    fn cap_lines_keeps_short_lines_and_terminators() {
        assert!(matches!(cap_lines("a\nb\r\n"), Cow::Borrowed(_)));
        let long = format!("{}\r\nnext", "ế".repeat(MAX_LINE));
        let capped = cap_lines(&long);
        let first = capped.split("\r\n").next().unwrap();
        assert!(first.len() <= MAX_LINE && first.len() > MAX_LINE - 3);
        assert!(capped.ends_with("\r\nnext"));
    }

    #[test]
    fn stray_percent_survives_next_to_non_ascii() {
        let rules = Rules::parse("User-agent: *\nDisallow: /100%-giá\n", "baoluu");
        assert!(!rules.allowed("baoluu", "/100%-gi%C3%A1"));
        assert!(rules.allowed("baoluu", "/gi%C3%A1"));
    }

    /// Junk from a fixed pseudo-random stream: nothing may panic (external input).
    #[test]
    fn junk_files_never_panic() {
        let pieces = [
            "User-agent:",
            " *",
            "baoluu/1",
            "Disallow:",
            "Allow:",
            " /",
            "*",
            "$",
            "%",
            "%e1",
            "%zz",
            "ế",
            "\n",
            "\r",
            "#",
            ":",
            "Crawl-delay:",
            "1e400",
            "Sitemap:",
            "?",
            "\u{0}",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as usize
        };
        for _ in 0..300 {
            let text: String = (0..60).map(|_| pieces[next() % pieces.len()]).collect();
            let rules = Rules::parse(&text, "baoluu");
            let path: String = (0..6).map(|_| pieces[next() % pieces.len()]).collect();
            let _ = rules.allowed("baoluu", &format!("/{path}"));
            let _ = rules.crawl_delay();
        }
    }

    #[test]
    fn token_prefix_stops_at_the_first_non_token_char() {
        assert_eq!(token_prefix("baoluu/0.1 (+https://x)"), "baoluu");
        assert_eq!(token_prefix("Bao_Luu-bot"), "Bao_Luu-bot");
        assert_eq!(token_prefix("1bot"), "");
    }

    /// A realistic large file: many bots' groups, wildcard rules, our token absent so `*` applies.
    fn synthetic(target: usize) -> String {
        let bots = [
            "Googlebot",
            "Bingbot",
            "AhrefsBot",
            "SemrushBot",
            "GPTBot",
            "CCBot",
            "*",
        ];
        let mut text = String::new();
        let mut group = 0;
        while text.len() < target {
            text.push_str(&format!("User-agent: {}\n", bots[group % bots.len()]));
            for rule in 0..40 {
                text.push_str(&format!(
                    "Disallow: /muc-{group}/tin-{rule}/*.php$\nAllow: /muc-{group}/tin-{rule}/cong-khai/\n"
                ));
            }
            text.push_str("Crawl-delay: 5\n\n");
            group += 1;
        }
        text
    }

    /// The measurement behind the crate choice (module doc). Run with
    /// `cargo test --lib --config 'profile.dev.package.robotstxt.opt-level=3'
    /// --config 'profile.dev.package.baoluu.opt-level=3' measure_check_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing measurement, not a check"]
    fn measure_check_cost() {
        for (size, rounds) in [(2 * 1024, 4000u32), (50 * 1024, 400), (500 * 1024, 40)] {
            let rules = Rules::parse(&synthetic(size), "baoluu");
            let start = std::time::Instant::now();
            let mut allowed = 0;
            for _ in 0..rounds {
                allowed +=
                    usize::from(rules.allowed("baoluu", "/thoi-su/dia-phuong-a12345.html?p=2"));
            }
            let per_check = start.elapsed() / rounds;
            println!(
                "{} bytes: {per_check:?} per allowed() check ({allowed} allowed)",
                rules.text().len()
            );
            assert_eq!(allowed, rounds as usize);
        }
    }
}
