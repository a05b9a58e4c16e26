//! URL normalisation: turn an `href` into the one URL string the crawl uses for a page.
//!
//! Sits between `discover` (which finds hrefs) and `scope`/`frontier` (which decide on and dedupe
//! URLs): every URL is resolved with [`resolve`] and normalised with [`canonicalize`] before it is
//! compared with anything. [`host_key`] gives the `host` / `host:port` form that config `hosts`
//! entries use, and [`surt`] the sort key that replay indexes (CDXJ) are ordered by.
//! Parsing follows the WHATWG URL Standard (the `url` crate), as browsers do, so raw spaces and
//! diacritics in hrefs are percent-encoded the way a reader's browser would request them.
//! This module does no I/O and never changes a path's case: servers are case-sensitive.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// Query parameters that only track where a click came from; they never select content, and
/// leaving them in would make one article look like many (docs/profiles.md, "Duplicate URL spaces").
const TRACKING_PARAMS: [&str; 2] = ["fbclid", "gclid"];

/// Prefix of the Google Analytics campaign parameters (`utm_source`, `utm_medium`, …).
const TRACKING_PREFIX: &str = "utm_";

/// Resolves `href` against `base` the way a browser follows a link, or `None` when the link does
/// not lead to another fetchable page.
///
/// `None` for: empty hrefs, fragment-only hrefs (`#top` is the page itself), schemes other than
/// http/https (`javascript:`, `mailto:`, `tel:`, `data:`), and hrefs that do not parse. The
/// fragment is dropped: it never reaches the server (RFC 9110 §7.1).
pub fn resolve(base: &Url, href: &str) -> Option<Url> {
    // HTML "parse a URL" strips leading and trailing ASCII whitespace first (HTML §2.4.2).
    let href = href.trim_matches(|c: char| c.is_ascii_whitespace());
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

/// The canonical form of `url`: no fragment, no tracking parameters, no empty `?`, uppercase
/// percent-escapes. Default ports and host case are already normalised by the parser.
///
/// The remaining query parameters keep their order and their exact text: reordering or
/// re-encoding them could ask the server for a different page.
pub fn canonicalize(url: &Url) -> Url {
    let mut out = url.clone();
    out.set_fragment(None);
    let query = out.query().map(strip_tracking);
    out.set_query(query.as_deref().filter(|q| !q.is_empty()));
    let path = uppercase_escapes(out.path());
    if path != out.path() {
        out.set_path(&path);
    }
    if let Some(query) = out.query().map(uppercase_escapes) {
        out.set_query(Some(&query));
    }
    out
}

/// The query without tracking parameters and without empty `&&` pieces.
fn strip_tracking(query: &str) -> String {
    query
        .split('&')
        .filter(|piece| !piece.is_empty() && !is_tracking(piece))
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether a `name=value` query piece is a tracking parameter (names compared case-insensitively).
fn is_tracking(piece: &str) -> bool {
    let name = piece
        .split('=')
        .next()
        .unwrap_or(piece)
        .to_ascii_lowercase();
    name.starts_with(TRACKING_PREFIX) || TRACKING_PARAMS.contains(&name.as_str())
}

/// `%c3%b3` → `%C3%B3`: hex digits of percent-escapes are case-insensitive (RFC 3986 §6.2.2.1),
/// and the `url` crate writes uppercase ones, so pages that write lowercase ones would otherwise
/// produce a second URL for the same resource.
fn uppercase_escapes(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for i in 0..bytes.len() {
        let is_escape = bytes[i] == b'%'
            && bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
        if is_escape {
            bytes[i + 1].make_ascii_uppercase();
            bytes[i + 2].make_ascii_uppercase();
        }
    }
    // Only ASCII hex digits changed case, so the bytes are still the UTF-8 they were.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

/// The lowercase `host` or `host:port` of `url` (port only when not the scheme's default), the
/// form of config `hosts` entries. Empty for URLs without a host.
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// The SURT sort key of `url` as pywb and cdxj-indexer compute it (the `surt` package's default
/// IA canonicalizer; docs/archive.md, "Replay and indexes"), so our CDXJ lines sort and look up like
/// theirs: `http://www.Example.com:8080/a/b?z=1&a=2` → `com,example:8080)/a/b?a=2&z=1`.
///
/// Steps: scheme, user info and fragment dropped; host lowercased, a leading `www` / `wwwN.`
/// label stripped, labels reversed and joined with commas; the default port dropped, any other
/// kept; path and query percent-decoded repeatedly and re-escaped minimally, dot segments and
/// repeated slashes removed, everything lowercased, a trailing slash dropped (except for `/`);
/// query parameters sorted bytewise, an empty query dropped; session ids removed where the IA
/// canonicalizer removes them (ASP.NET `(S(…))` path segments before an `.aspx` page, 32-character
/// `jsessionid` / `PHPSESSID` / `sid`, `ASPSESSIONID…`, ColdFusion `CFID`+`CFTOKEN`), because
/// older ASP.NET portals do put session ids in URLs.
pub fn surt(url: &Url) -> String {
    let mut key = surt_host(url);
    if let Some(port) = url.port() {
        key.push_str(&format!(":{port}"));
    }
    key.push(')');
    key.push_str(&surt_path(url.path()));
    if let Some(query) = url.query().map(surt_query).filter(|q| !q.is_empty()) {
        key.push('?');
        key.push_str(&query);
    }
    key
}

/// `www.Example.com.` → `com,example`; IPv6 brackets are dropped as the `surt` package does.
fn surt_host(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.trim_matches('.');
    let host = strip_www(host);
    host.split('.').rev().collect::<Vec<_>>().join(",")
}

/// Strips a leading `www.` or `www2.` (`www` followed by digits), like the IA canonicalizer.
fn strip_www(host: &str) -> &str {
    let Some(rest) = host.strip_prefix("www") else {
        return host;
    };
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    rest.strip_prefix('.').unwrap_or(host)
}

/// The SURT form of a path: decoded, dot segments and empty segments removed, re-escaped,
/// lowercased, no trailing slash unless the path is `/`.
fn surt_path(path: &str) -> String {
    let path = normalize_segments(&unescape_repeatedly(path));
    let mut path = strip_session_ids(&escape_once(&path).to_ascii_lowercase(), &PATH_SESSION_IDS);
    if path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    path
}

/// The SURT form of a query: decoded, re-escaped, lowercased, pieces sorted by (name, value).
fn surt_query(query: &str) -> String {
    let query = escape_once(&unescape_repeatedly(query)).to_ascii_lowercase();
    let query = strip_session_ids(&query, &QUERY_SESSION_IDS);
    let mut pieces: Vec<(&str, Option<&str>)> = query
        .split('&')
        .map(|piece| match piece.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (piece, None),
        })
        .collect();
    // Python sorts the (name,) / (name, value) tuples: a piece without `=` sorts before the same
    // name with one, which `None < Some(_)` reproduces.
    pieces.sort();
    let joined: Vec<String> = pieces
        .into_iter()
        .map(|(name, value)| match value {
            Some(value) => format!("{name}={value}"),
            None => name.to_string(),
        })
        .collect();
    joined.join("&")
}

/// ASP.NET cookieless session ids in the path (the `surt` package's `stripPathSessionID`):
/// `/(S(…24…))/page.aspx` and `/(…24…)/page.aspx` lose the session segment. Group 1 and 3 are
/// kept; the patterns are applied in turn, each to the previous result.
static PATH_SESSION_IDS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    compile(&[
        r"(?i)^(.*/)(\((?:[a-z]\([0-9a-z]{24}\))+\)/)([^?]+\.aspx.*)$",
        r"(?i)^(.*/)(\([0-9a-z]{24}\)/)([^?]+\.aspx.*)$",
    ])
});

/// Session ids in the query (the `surt` package's `stripQuerySessionID`): group 1, then group 2
/// (what followed the id) when it is not empty.
static QUERY_SESSION_IDS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    compile(&[
        r"(?i)^(.*)(?:jsessionid=[0-9a-z]{32})(?:&(.*))?$",
        r"(?i)^(.*)(?:phpsessid=[0-9a-z]{32})(?:&(.*))?$",
        r"(?i)^(.*)(?:sid=[0-9a-z]{32})(?:&(.*))?$",
        r"(?i)^(.*)(?:aspsessionid[a-z]{8}=[a-z]{24})(?:&(.*))?$",
        r"(?i)^(.*)(?:cfid=[^&]+&cftoken=[^&]+)(?:&(.*))?$",
    ])
});

fn compile(patterns: &[&str]) -> Vec<Regex> {
    // The patterns are constants covered by the tests: a failure here is a bug in this file.
    patterns.iter().filter_map(|p| Regex::new(p).ok()).collect()
}

/// Applies each pattern in turn, keeping the non-empty groups after the first: the path patterns
/// keep groups 1 and 3, the query patterns groups 1 and 2 (never the session id itself, which
/// sits in a non-capturing group or in group 2 of a three-group path pattern).
fn strip_session_ids(text: &str, patterns: &[Regex]) -> String {
    let mut text = text.to_string();
    for pattern in patterns {
        if let Some(caps) = pattern.captures(&text) {
            let kept: Vec<&str> = match caps.len() {
                4 => vec![&caps[1], &caps[3]],
                _ => vec![&caps[1], caps.get(2).map_or("", |m| m.as_str())],
            };
            text = kept.concat();
        }
    }
    text
}

/// Removes `.` and `..` segments and collapses repeated slashes, keeping a trailing slash.
fn normalize_segments(path: &[u8]) -> Vec<u8> {
    let mut kept: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/').skip(1) {
        match segment {
            b"." => {}
            // A `..` above the root is kept, as the `surt` package does.
            b".." if kept.pop().is_some() => {}
            _ => kept.push(segment),
        }
    }
    let mut out = vec![b'/'];
    if let Some((last, init)) = kept.split_last() {
        for segment in init.iter().filter(|s| !s.is_empty()) {
            out.extend_from_slice(segment);
            out.push(b'/');
        }
        out.extend_from_slice(last);
    }
    out
}

/// Percent-decodes until nothing changes (`%2520` → `%20` → ` `).
fn unescape_repeatedly(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    loop {
        let decoded: Vec<u8> = percent_decode(&bytes);
        if decoded == bytes {
            return bytes;
        }
        bytes = decoded;
    }
}

/// One round of percent-decoding; malformed escapes stay as they are.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(hex_byte);
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

fn hex_byte(hex: &[u8]) -> Option<u8> {
    std::str::from_utf8(hex)
        .ok()
        .and_then(|h| u8::from_str_radix(h, 16).ok())
}

/// Escapes control bytes, space, `#`, `%` and non-ASCII bytes, nothing else (the `surt`
/// package's `escapeOnce`: Python `quote` with every printable ASCII sign marked safe).
fn escape_once(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte <= b' ' || byte >= 0x7f || byte == b'#' || byte == b'%' {
            out.push_str(&format!("%{byte:02X}"));
        } else {
            out.push(char::from(byte));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    fn resolved(base: &str, href: &str) -> Option<String> {
        resolve(&url(base), href).map(String::from)
    }

    #[test]
    fn resolve_joins_relative_links_and_drops_fragments() {
        let base = "https://baocantho.com.vn/thoi-su/";
        assert_eq!(
            resolved(base, "  bai-viet-a123.html#binh-luan \n").as_deref(),
            Some("https://baocantho.com.vn/thoi-su/bai-viet-a123.html")
        );
        assert_eq!(
            resolved(base, "?p=2").as_deref(),
            Some("https://baocantho.com.vn/thoi-su/?p=2")
        );
        assert_eq!(
            resolved(base, "//cdn.example.vn/x").as_deref(),
            Some("https://cdn.example.vn/x")
        );
        assert_eq!(
            resolved(base, "../kinh-te/").as_deref(),
            Some("https://baocantho.com.vn/kinh-te/")
        );
    }

    #[test]
    fn resolve_percent_encodes_spaces_and_diacritics() {
        assert_eq!(
            resolved("https://znews.vn/", "/tim-kiem/Phó Thủ tướng.html").as_deref(),
            Some("https://znews.vn/tim-kiem/Ph%C3%B3%20Th%E1%BB%A7%20t%C6%B0%E1%BB%9Bng.html")
        );
    }

    #[test]
    fn resolve_rejects_non_page_links() {
        let base = "https://baohaugiang.com.vn/thoi-su-215.html";
        for href in [
            "",
            "   ",
            "#",
            "#top",
            "javascript:void(0)",
            " JavaScript:alert(1)",
            "mailto:toasoan@baohaugiang.com.vn",
            "tel:+842933878000",
            "data:text/html,hi",
            "ftp://example.org/file",
            "http://[bad",
        ] {
            assert_eq!(resolved(base, href), None, "href {href:?}");
        }
    }

    #[test]
    fn canonicalize_strips_tracking_parameters_and_keeps_order() {
        let c = canonicalize(&url(
            "HTTPS://Example.VN:443/Thoi-Su/?utm_source=fb&b=2&fbclid=x&a=1&UTM_Medium=y&gclid=z#c",
        ));
        assert_eq!(c.as_str(), "https://example.vn/Thoi-Su/?b=2&a=1");
    }

    #[test]
    fn canonicalize_drops_empty_query_and_fragment() {
        assert_eq!(
            canonicalize(&url("http://example.vn:80/a?")).as_str(),
            "http://example.vn/a"
        );
        assert_eq!(
            canonicalize(&url("http://example.vn/a?utm_campaign=x#top")).as_str(),
            "http://example.vn/a"
        );
        assert_eq!(
            canonicalize(&url("http://example.vn/a?x=1&&y=2&")).as_str(),
            "http://example.vn/a?x=1&y=2"
        );
    }

    #[test]
    fn canonicalize_uppercases_escapes_and_is_idempotent() {
        let c = canonicalize(&url("https://example.vn/ph%c3%b3?q=th%e1%bb%a7&r=100%"));
        assert_eq!(
            c.as_str(),
            "https://example.vn/ph%C3%B3?q=th%E1%BB%A7&r=100%"
        );
        assert_eq!(canonicalize(&c), c);
    }

    #[test]
    fn host_key_includes_only_non_default_ports() {
        assert_eq!(
            host_key(&url("https://WWW.BaoCanTho.com.vn/")),
            "www.baocantho.com.vn"
        );
        assert_eq!(host_key(&url("https://example.vn:443/")), "example.vn");
        assert_eq!(host_key(&url("http://127.0.0.2:8080/x")), "127.0.0.2:8080");
        assert_eq!(host_key(&url("http://[::1]:81/")), "[::1]:81");
    }

    #[test]
    fn surt_strips_session_ids_like_the_ia_canonicalizer() {
        let id32 = "0123456789abcdef0123456789ABCDEF";
        let id24 = "abcdefghijklmnopqrstuvwx";
        let cases = [
            (
                format!("http://example.com/app/(S({id24}))/Trang-Chu.aspx?id=1"),
                "com,example)/app/trang-chu.aspx?id=1",
            ),
            (
                format!("http://example.com/app/({id24})/default.aspx"),
                "com,example)/app/default.aspx",
            ),
            (
                format!("http://example.com/app/(S({id24}))/x.html"),
                "com,example)/app/(s(abcdefghijklmnopqrstuvwx))/x.html",
            ),
            (
                format!("http://example.com/a?x=1&ASPSESSIONIDABCDEFGH={id24}&b=2"),
                "com,example)/a?b=2&x=1",
            ),
            (
                "http://example.com/a?CFID=12&CFTOKEN=34&z=1".to_string(),
                "com,example)/a?z=1",
            ),
            (
                format!("http://example.com/a?PHPSESSID={id32}&x=1"),
                "com,example)/a?x=1",
            ),
            (
                format!("http://example.com/a?b=2&x=1&phpsessid={id32}"),
                "com,example)/a?&b=2&x=1",
            ),
            (format!("http://example.com/a?sid={id32}"), "com,example)/a"),
            // Too short to be a session id: kept.
            (
                "http://example.com/a?jsessionid=123&x=1".to_string(),
                "com,example)/a?jsessionid=123&x=1",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(surt(&url(&input)), expected, "surt of {input}");
        }
    }

    #[test]
    fn surt_matches_the_brief_example() {
        assert_eq!(
            surt(&url("http://www.Example.com:8080/a/b?z=1&a=2")),
            "com,example:8080)/a/b?a=2&z=1"
        );
    }

    #[test]
    fn surt_cases() {
        let cases = [
            ("https://baocantho.com.vn/", "vn,com,baocantho)/"),
            ("https://www.baocantho.com.vn", "vn,com,baocantho)/"),
            ("http://www2.example.com/x/", "com,example)/x"),
            ("http://wwwexample.com/", "com,wwwexample)/"),
            ("http://sub.www.example.com/", "com,example,www,sub)/"),
            (
                "http://example.com/A/B.html?Q=1#frag",
                "com,example)/a/b.html?q=1",
            ),
            ("http://example.com/a//b/./c", "com,example)/a/b/c"),
            ("http://example.com/a?", "com,example)/a"),
            ("http://example.com/a?b&a=1&b=0", "com,example)/a?a=1&b&b=0"),
            ("http://example.com/%7Euser/%2541", "com,example)/~user/a"),
            (
                "https://znews.vn/tim-kiem/Ph%C3%B3 x.html",
                "vn,znews)/tim-kiem/ph%c3%b3%20x.html",
            ),
            ("http://127.0.0.1:8080/p", "1,0,0,127:8080)/p"),
            ("https://user:pw@example.com:443/", "com,example)/"),
            // Expected values below were produced by the `surt` package (0.3.1) itself.
            ("https://example.com:80/x", "com,example:80)/x"),
            ("http://example.com:443/x", "com,example:443)/x"),
            ("http://example.com/a?x=%26&y=1", "com,example)/a?&x=&y=1"),
            ("http://example.com/a%3Fb", "com,example)/a?b"),
            ("http://example.com/a%2Fb", "com,example)/a/b"),
            ("http://example.com/a?&&b=1", "com,example)/a?&&b=1"),
            ("http://example.com/%zz", "com,example)/%25zz"),
            ("http://example.com/a?q=100%", "com,example)/a?q=100%25"),
            ("http://example.com/a%09b", "com,example)/a%09b"),
            ("http://[::1]:8080/x", "::1:8080)/x"),
            ("http://www.com/", "com)/"),
            ("http://www1a.example.com/", "com,example,www1a)/"),
            ("http://EXAMPLE.com./", "com,example)/"),
            (
                "http://example.com/a+b?x=a%20b+c",
                "com,example)/a+b?x=a%20b+c",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(surt(&url(input)), expected, "surt of {input}");
        }
    }
}
