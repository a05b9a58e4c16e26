//! One robots.txt read once into the rule table that applies to our product token, and matched
//! from that table on every check. `robotstxt` (a port of Google's reference parser) stays the
//! *parser*: its `RobotsParseHandler` callbacks give lines already split, typo-tolerant and with
//! patterns percent-escaped, and we track groups exactly as Google's `RobotsMatcher` does (a
//! group is the run of `User-agent:` lines before its first rule; groups naming our token merge
//! and win; otherwise the `*` groups apply; a group of ours with no rules allows everything). We
//! keep only the rules that apply to us, plus Crawl-delay and Sitemap, which the crate's matcher
//! does not expose. Never decides what a status code means, never fetches.
//!
//! Why not the crate's matcher (issue 13, docs/robots.md): its `RobotsMatchStrategy::matches`
//! `insert`s into its position list where Google's C++ assigns, so every pattern with `*` is
//! misjudged (`Disallow: /*100016` matched nothing: `the_crate_matcher_mishandles_wildcards`);
//! it compares a char index with a byte length for `$`, walks the path with `chars().nth`
//! (quadratic), and re-parses the whole file on every check. Matching is [`super::pattern`]'s.
//! Measured with `measure_check_cost` (`rules/tests.rs`; opt-level 3, this shared 2-core
//! machine): see docs/robots.md for the numbers, old against new.

use std::borrow::Cow;
use std::time::Duration;

use super::pattern;
use collect::Collector;

mod collect;

/// One `Allow:`/`Disallow:` line of a group that applies to us; its pattern as the parser
/// escaped it. Its priority is the pattern's length in bytes (RFC 9309 §2.2.2).
#[derive(Clone, Debug)]
struct Rule {
    allow: bool,
    pattern: String,
}

/// A parsed robots.txt for one product token.
#[derive(Clone)]
pub struct Rules {
    /// The file's text, percent-normalised ([`normalise_percent`]): what the cache keeps.
    text: String,
    /// The rules of our merged group(s), else of the `*` group(s); empty patterns dropped.
    rules: Vec<Rule>,
    /// Crawl-delay of the group that applies to us (ours, else `*`).
    crawl_delay: Option<Duration>,
    /// Every `Sitemap:` value, in file order (they belong to no group).
    sitemaps: Vec<String>,
}

impl Rules {
    /// Reads `text` once, for `token` (already a product token, or `*` for none).
    pub fn parse(text: &str, token: &str) -> Rules {
        let text = cap_lines(&normalise_percent(text)).into_owned();
        let mut collector = Collector::new(token);
        robotstxt::parse_robotstxt(&text, &mut collector);
        Rules {
            crawl_delay: collector.crawl_delay(),
            rules: collector.rules(),
            sitemaps: collector.sitemaps,
            text,
        }
    }

    /// Longest match wins, ties allow (RFC 9309 §2.2.2), for `path_query` (starting with `/`).
    pub fn allowed(&self, path_query: &str) -> bool {
        let path = normalise_percent(path_query);
        let (mut allow, mut disallow) = (0, 0);
        for rule in &self.rules {
            let best = if rule.allow {
                &mut allow
            } else {
                &mut disallow
            };
            if rule.pattern.len() > *best && pattern::matches(&path, &rule.pattern) {
                *best = rule.pattern.len();
            }
        }
        disallow <= allow
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
pub(super) fn parse_crawl_delay(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Duration::try_from_secs_f64(secs).ok()
}

#[cfg(test)]
mod tests;
