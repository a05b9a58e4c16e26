//! Matching one robots.txt path pattern against one URL path, RFC 9309 §2.2.3: `*` matches any
//! run of octets (empty included), a `$` that ends the pattern anchors it at the end of the
//! path, and every other octet (a `$` elsewhere too) matches itself. A pattern without a final
//! `$` only has to match a prefix of the path.
//!
//! Our own matcher, not `robotstxt`'s: the crate's (0.3) `RobotsMatchStrategy::matches`
//! `insert`s into its position list where Google's C++ assigns, so any pattern with `*` corrupts
//! it and `Disallow: /*100016` matches nothing (issue 13; `the_crate_matcher_mishandles_wildcards`
//! in `rules/tests.rs`, docs/robots.md). This one works on bytes, never allocates, and costs
//! O(path × pattern) at worst (leftmost placement of each `*`-separated piece, no backtracking
//! needed for prefix matching). It never parses and never normalises: both sides arrive in the
//! form `rules` prepared.

/// True when `pattern` matches `path` (both already percent-normalised).
pub fn matches(path: &str, pattern: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(rest) => (rest, true),
        None => (pattern, false),
    };
    let path = path.as_bytes();
    let mut pieces = pattern.as_bytes().split(|&b| b == b'*');
    // The first piece is anchored at the start of the path.
    let first = pieces.next().unwrap_or_default();
    if !path.starts_with(first) {
        return false;
    }
    let mut at = first.len();
    let Some(mut last) = pieces.next() else {
        // No `*` at all: a plain prefix, or the whole path when anchored.
        return !anchored || path.len() == first.len();
    };
    // Every middle piece goes as far left as it can: that leaves the most room for the rest,
    // so a failure here is a failure of every placement.
    for next in pieces {
        match find(&path[at..], last) {
            Some(found) => at += found + last.len(),
            None => return false,
        }
        last = next;
    }
    if anchored {
        // The final piece must end the path, after everything placed before it.
        path.len() >= at + last.len() && path.ends_with(last)
    } else {
        find(&path[at..], last).is_some()
    }
}

/// The first offset of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn plain_patterns_are_prefixes() {
        assert!(matches("/", "/"));
        assert!(matches("/abc", "/"));
        assert!(!matches("/", "/abc"));
        assert!(matches("/fish.html", "/fish"));
        assert!(!matches("/Fish", "/fish"));
    }

    #[test]
    fn star_matches_any_run_including_none() {
        assert!(matches("/google/robotstxt/tree/master", "/*/*/tree/master"));
        assert!(matches("/a/b/tree/master/x", "/*/*/tree/master"));
        assert!(!matches("/google/robotstxt/tree/abc", "/*/*/tree/master"));
        assert!(matches("/fish", "/fish*"));
        assert!(matches("/x", "*"));
        assert!(matches("/aaa", "/a*a*a"));
        assert!(!matches("/aa", "/a*a*a"));
        assert!(matches("/abcabd", "/*abd"));
    }

    #[test]
    fn final_dollar_anchors_and_other_dollars_are_literal() {
        assert!(matches("/a/tree/master", "/*/tree/master$"));
        assert!(!matches("/a/tree/master/abc", "/*/tree/master$"));
        assert!(matches("/x.php", "/*.php$"));
        assert!(!matches("/x.php?y", "/*.php$"));
        assert!(matches("/", "/$"));
        assert!(!matches("/page", "/$"));
        assert!(matches("/a$b", "/a$b"));
        assert!(!matches("/ab", "/a$b"));
        assert!(matches("/anything", "/*$"));
        // The end piece may not overlap what the pieces before it used.
        assert!(!matches("/ab", "/ab*b$"));
        assert!(matches("/abb", "/ab*b$"));
    }

    #[test]
    fn issue_13_patterns() {
        let path = "/kinh-te/bai-viet-kinh-te-16-100016.html";
        assert!(matches(path, "/*100016"));
        assert!(matches(path, "/kinh-te/*-100016.html$"));
        assert!(!matches(path, "/kinh-te/*-100017.html$"));
    }

    /// Hostile input stays cheap: many stars against a long path that almost matches.
    #[test]
    fn many_stars_do_not_blow_up() {
        let path = format!("/{}", "a".repeat(20_000));
        let pattern = format!("/{}b", "a*".repeat(2_000));
        assert!(!matches(&path, &pattern));
    }
}
