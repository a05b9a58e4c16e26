//! The one place that knows the parser crate: rule matching through `robotstxt` (a port of
//! Google's reference parser), plus the directives it does not expose (Crawl-delay, Sitemap),
//! read once through its `RobotsParseHandler`. The text is prepared once (percent forms, line
//! cap) so that the crate's matcher sees RFC 9309 §2.2.2 forms and never panics. Never decides
//! what a status code means.
//!
//! Why `robotstxt` and not `texting_robots`: `robotstxt` re-parses the text on every check.
//! Measured (`measure_check_cost` in `rules/tests.rs`; opt-level 3, this shared 2-core machine):
//! ~25 µs per check on a 2.5 KB file, ~0.5 ms on 50 KB, ~4.8 ms on 500 KB (debug build: about
//! 5× more). Checks happen once per fetch and a host is fetched at most every `min_delay`
//! (≥ 2 s), so even the worst case is well under 1 % of a core per host; real portal files are a
//! few KB. That is no reason to trade the reference matching semantics (`/1.0` stripped from
//! `User-agent:` values, merged groups, typo tolerance) for a second crate. Revisit if robots
//! checks move to discovery time (hundreds per page): parsing once into a rule table would then
//! pay.

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
mod tests;
