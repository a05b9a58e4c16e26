//! robots.txt conformance (issue 13): the RFC 9309 examples and the cases of Google's reference
//! parser test suite, run through the exact decision `crawl` and `save` use —
//! [`Robots::from_fetch`] on a 200 response, then [`Robots::allowed`] on a parsed [`Url`].
//!
//! The `google_*` tests re-express, in our own form, the cases of `robots_test.cc` from
//! github.com/google/robotstxt (Copyright 2019 Google LLC, Apache License 2.0); no code is
//! copied. Where we deliberately differ, the case says why:
//! - URLs reach the matcher percent-encoded by the `url` crate, so Google's "the URL was not
//!   encoded" cases (`/foo/bar/ツ` written raw) cannot arise: the encoded form is matched.
//! - `%XX` escapes of unreserved characters are decoded on both sides, as RFC 9309 §2.2.2's
//!   table asks (`/foo/bar/%62%61%7A` matches `/foo/bar/baz`); Google's parser does not.
//! - Our product token is always cut from the configured User-Agent (`Foo Bar` → `Foo`), so
//!   there is no "token with a space" to obey or not.
//! - An empty URL cannot be asked about: there is always a path.
//!
//! The status-code and transport rules (RFC 9309 §2.3.1) are in `robots_fetch.rs`.

use baoluu::robots::{Fetched, Robots, product_token};
use url::Url;

/// `body` served with a 200, as crawl and save read it, for product token `token`.
fn parsed(body: &[u8], token: &str) -> Robots {
    let fetched = Fetched::Response {
        status: 200,
        content_encoding: None,
        body,
    };
    Robots::from_fetch(fetched, token)
}

/// The verdict for `url` (absolute) under `robots_txt`, for product token `token`.
fn allowed(robots_txt: &str, token: &str, url: &str) -> bool {
    let url = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    parsed(robots_txt.as_bytes(), token).allowed(&url)
}

/// `allowed` for every path of `paths` on `http://foo.bar`, checked against `expected`.
fn check(robots_txt: &str, token: &str, expected: bool, paths: &[&str]) {
    for path in paths {
        let url = format!("http://foo.bar{path}");
        assert_eq!(
            allowed(robots_txt, token, &url),
            expected,
            "{token} {path} under:\n{robots_txt}"
        );
    }
}

// --- RFC 9309 §5 examples ---

/// RFC 9309 §5.1, "Simple Example".
const RFC_SIMPLE: &str = "User-Agent: *\nDisallow: *.gif$\nDisallow: /example/\nAllow: /publications/\n\n\
User-Agent: foobot\nDisallow:/\nAllow:/example/page.html\nAllow:/example/allowed.gif\n\n\
User-Agent: barbot\nUser-Agent: bazbot\nDisallow: /example/page.html\n\n\
User-Agent: quxbot\n\nEOF\n";

#[test]
fn rfc_simple_example_star_group() {
    check(
        RFC_SIMPLE,
        "otherbot",
        false,
        &["/x.gif", "/example/", "/example/a.html"],
    );
    check(
        RFC_SIMPLE,
        "otherbot",
        true,
        &["/publications/", "/x.gif?q", "/a.html"],
    );
}

#[test]
fn rfc_simple_example_foobot() {
    check(
        RFC_SIMPLE,
        "foobot",
        true,
        &["/example/page.html", "/example/allowed.gif"],
    );
    check(
        RFC_SIMPLE,
        "FooBot",
        false,
        &["/", "/example/other.html", "/x.gif"],
    );
}

#[test]
fn rfc_simple_example_barbot_bazbot_share_a_group() {
    for bot in ["barbot", "bazbot"] {
        check(RFC_SIMPLE, bot, false, &["/example/page.html"]);
        // Their group replaces `*`: what `*` forbids is allowed to them.
        check(RFC_SIMPLE, bot, true, &["/example/other.html", "/x.gif"]);
    }
}

#[test]
fn rfc_simple_example_quxbot_has_an_empty_group() {
    check(RFC_SIMPLE, "quxbot", true, &["/", "/example/", "/x.gif"]);
}

/// RFC 9309 §5.2, "Longest Match".
#[test]
fn rfc_longest_match_example() {
    let txt = "User-Agent: foobot\nAllow: /example/page/\nDisallow: /example/page/disallowed.gif\n";
    check(
        txt,
        "foobot",
        true,
        &["/example/page/", "/example/page/a.gif"],
    );
    check(txt, "foobot", false, &["/example/page/disallowed.gif"]);
}

/// RFC 9309 §2.2.2's encoding table, as far as a path can be written in a URL we hold.
#[test]
fn rfc_percent_encoding_table() {
    let txt =
        "User-agent: *\nDisallow: /foo/bar/ツ\nDisallow: /a/%62%61%7A\nDisallow: /q?baz=quz\n";
    check(txt, "baoluu", false, &["/foo/bar/%E3%83%84", "/foo/bar/ツ"]);
    check(
        txt,
        "baoluu",
        false,
        &["/a/baz", "/a/%62%61%7A", "/q?baz=quz"],
    );
    check(txt, "baoluu", true, &["/foo/bar/", "/a/ba", "/q?baz=qu"]);
}

/// Issue 13's own cases: `*` rules were ignored.
#[test]
fn issue_13_wildcard_rules() {
    let page = "/kinh-te/bai-viet-kinh-te-16-100016.html";
    for rule in ["/*100016", "/kinh-te/*-100016.html$"] {
        let txt = format!("User-agent: *\nDisallow: {rule}\n");
        check(&txt, "baoluu", false, &[page]);
        check(&txt, "baoluu", true, &["/kinh-te/bai-100017.html"]);
    }
}

// --- Google's robots_test.cc, re-expressed ---

#[test]
fn google_system_test() {
    let txt = "user-agent: FooBot\ndisallow: /\n";
    check("", "FooBot", true, &["/"]);
    // No product token: only `*` groups could apply, and there are none.
    check(txt, "", true, &["/"]);
    check(txt, "FooBot", false, &["/"]);
}

#[test]
fn google_line_syntax_line() {
    let url = &["/x/y"];
    check("user-agent: FooBot\ndisallow: /\n", "FooBot", false, url);
    check("foo: FooBot\nbar: /\n", "FooBot", true, url);
    // A missing colon is accepted when the line has exactly two words.
    check("user-agent FooBot\ndisallow /\n", "FooBot", false, url);
}

#[test]
fn google_line_syntax_groups() {
    let txt = "allow: /foo/bar/\n\nuser-agent: FooBot\ndisallow: /\nallow: /x/\n\
user-agent: BarBot\ndisallow: /\nallow: /y/\n\n\nallow: /w/\nuser-agent: BazBot\n\n\
user-agent: FooBot\nallow: /z/\ndisallow: /\n";
    check(txt, "FooBot", true, &["/x/b", "/z/d"]);
    check(txt, "FooBot", false, &["/y/c"]);
    check(txt, "BarBot", true, &["/y/c", "/w/a"]);
    check(txt, "BarBot", false, &["/z/d"]);
    check(txt, "BazBot", true, &["/z/d"]);
    // The rule before any group is no rule.
    for bot in ["FooBot", "BarBot", "BazBot"] {
        check(txt, bot, false, &["/foo/bar/"]);
    }
}

#[test]
fn google_line_names_are_case_insensitive() {
    for (ua, allow, disallow) in [
        ("USER-AGENT", "ALLOW", "DISALLOW"),
        ("user-agent", "allow", "disallow"),
        ("uSeR-aGeNt", "AlLoW", "dIsAlLoW"),
    ] {
        let txt = format!("{ua}: FooBot\n{allow}: /x/\n{disallow}: /\n");
        check(&txt, "FooBot", true, &["/x/y"]);
        check(&txt, "FooBot", false, &["/a/b"]);
    }
}

/// Google's `IsValidUserAgentToObey` cases, as our product-token extraction: the leading
/// `[a-zA-Z_-]` run of the configured User-Agent (RFC 9309 §2.2.1).
#[test]
fn google_valid_user_agents_to_obey() {
    for whole in ["Foobot", "Foobot-Bar", "Foo_Bar"] {
        assert_eq!(product_token(whole), whole);
    }
    assert_eq!(product_token(""), "");
    assert_eq!(product_token("ツ"), "");
    assert_eq!(product_token("Foobot*"), "Foobot");
    assert_eq!(product_token(" Foobot "), "Foobot");
    assert_eq!(product_token("Foobot/2.1"), "Foobot");
    assert_eq!(product_token("Foobot Bar"), "Foobot");
}

#[test]
fn google_user_agent_values_are_case_insensitive() {
    for value in ["FOO BAR", "foo bar", "FoO bAr"] {
        let txt = format!("User-Agent: {value}\nAllow: /x/\nDisallow: /\n");
        for token in ["Foo", "foo"] {
            check(&txt, token, true, &["/x/y"]);
            check(&txt, token, false, &["/a/b"]);
        }
    }
}

#[test]
fn google_user_agent_value_counts_up_to_the_first_space() {
    let txt = "User-Agent: *\nDisallow: /\nUser-Agent: Foo Bar\nAllow: /x/\nDisallow: /\n";
    check(txt, "Foo", true, &["/x/y"]);
    check(txt, "Foo", false, &["/y"]);
}

#[test]
fn google_global_groups_are_secondary() {
    let global = "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n";
    let only_specific = "user-agent: FooBot\nallow: /\nuser-agent: BarBot\ndisallow: /\nuser-agent: BazBot\ndisallow: /\n";
    check("", "FooBot", true, &["/x/y"]);
    check(global, "FooBot", false, &["/x/y"]);
    check(global, "BarBot", true, &["/x/y"]);
    check(only_specific, "QuxBot", true, &["/x/y"]);
}

#[test]
fn google_rule_values_are_case_sensitive() {
    check(
        "user-agent: FooBot\ndisallow: /x/\n",
        "FooBot",
        false,
        &["/x/y"],
    );
    check(
        "user-agent: FooBot\ndisallow: /X/\n",
        "FooBot",
        true,
        &["/x/y"],
    );
}

#[test]
fn google_longest_match() {
    let foo = |rules: &str| format!("user-agent: FooBot\n{rules}");
    let page = "/x/page.html";
    check(
        &foo("disallow: /x/page.html\nallow: /x/\n"),
        "FooBot",
        false,
        &[page],
    );
    let txt = foo("allow: /x/page.html\ndisallow: /x/\n");
    check(&txt, "FooBot", true, &[page]);
    check(&txt, "FooBot", false, &["/x/"]);
    // Equal patterns: allow wins.
    check(&foo("disallow: \nallow: \n"), "FooBot", true, &[page]);
    check(&foo("disallow: /\nallow: /\n"), "FooBot", true, &[page]);
    check(
        &foo("disallow: /x/page.html\nallow: /x/page.html\n"),
        "FooBot",
        true,
        &[page],
    );
    let txt = foo("disallow: /x\nallow: /x/\n");
    check(&txt, "FooBot", false, &["/x"]);
    check(&txt, "FooBot", true, &["/x/"]);
    let txt = foo("allow: /page\ndisallow: /*.html\n");
    check(&txt, "FooBot", false, &["/page.html"]);
    check(&txt, "FooBot", true, &["/page"]);
    let txt = foo("allow: /x/page.\ndisallow: /*.html\n");
    check(&txt, "FooBot", true, &[page]);
    check(&txt, "FooBot", false, &["/x/y.html"]);
    // Our group wins over `*` entirely.
    let txt = "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n";
    check(txt, "FooBot", true, &["/x/page"]);
    check(txt, "FooBot", false, &["/y/page"]);
}

#[test]
fn google_encoding() {
    let foo = |allow: &str| format!("User-agent: FooBot\nDisallow: /\nAllow: {allow}\n");
    let query = "/foo/bar?qux=taz&baz=http://foo.bar?tar&par";
    check(&foo(query), "FooBot", true, &[query]);
    // A three-byte character, raw or encoded in the rule, matches its encoded form (and the
    // raw form too: the URL is encoded before we see it).
    for rule in ["/foo/bar/ツ", "/foo/bar/%E3%83%84"] {
        check(
            &foo(rule),
            "FooBot",
            true,
            &["/foo/bar/%E3%83%84", "/foo/bar/ツ"],
        );
    }
    // Encoded unreserved characters: RFC 9309 decodes them (Google's parser would not).
    check(
        &foo("/foo/bar/%62%61%7A"),
        "FooBot",
        true,
        &["/foo/bar/baz", "/foo/bar/%62%61%7A"],
    );
}

#[test]
fn google_special_characters() {
    let txt = "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n";
    check(txt, "FooBot", false, &["/foo/bar/quz"]);
    check(
        txt,
        "FooBot",
        true,
        &["/foo/quz", "/foo//quz", "/foo/bax/quz"],
    );
    let txt = "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n";
    check(txt, "FooBot", false, &["/foo/bar"]);
    check(
        txt,
        "FooBot",
        true,
        &["/foo/bar/qux", "/foo/bar/", "/foo/bar/baz"],
    );
    let txt = "User-agent: FooBot\n# Disallow: /\nDisallow: /foo/quz#qux\nAllow: /\n";
    check(txt, "FooBot", true, &["/foo/bar"]);
    check(txt, "FooBot", false, &["/foo/quz"]);
}

#[test]
fn google_index_html_is_the_directory() {
    let txt = "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n";
    check(
        txt,
        "foobot",
        true,
        &["/allowed-slash/", "/allowed-slash/index.html"],
    );
    check(
        txt,
        "foobot",
        false,
        &["/allowed-slash/index.htm", "/anyother-url"],
    );
}

/// Lines past our cap (16 KiB; Google's is 8 × 2083 bytes) are cut, and the cut rule still
/// matches as a prefix.
#[test]
fn google_line_too_long() {
    let long_a = format!("/x/{}", "a".repeat(17_000));
    let long_b = format!("/x/{}", "b".repeat(17_000));
    let txt = format!("user-agent: FooBot\ndisallow: {long_a}/qux\n");
    check(&txt, "FooBot", true, &["/fux"]);
    check(&txt, "FooBot", false, &[&format!("{long_a}/fux")]);
    let txt =
        format!("user-agent: FooBot\ndisallow: /\nallow: {long_a}/qux\nallow: {long_b}/qux\n");
    check(&txt, "FooBot", false, &["/"]);
    check(
        &txt,
        "FooBot",
        true,
        &[&format!("{long_a}/qux"), &format!("{long_b}/fux")],
    );
}

#[test]
fn google_documentation_fish() {
    let allow = |rule: &str| format!("user-agent: FooBot\ndisallow: /\nallow: {rule}\n");
    for rule in ["/fish", "/fish*"] {
        let txt = allow(rule);
        check(
            &txt,
            "FooBot",
            true,
            &["/fish", "/fish.html", "/fish/salmon.html"],
        );
        check(
            &txt,
            "FooBot",
            true,
            &["/fishheads", "/fishheads/yummy.html"],
        );
        check(&txt, "FooBot", true, &["/fish.html?id=anything"]);
        check(
            &txt,
            "FooBot",
            false,
            &["/bar", "/Fish.asp", "/catfish", "/?id=fish"],
        );
    }
    let txt = allow("/fish/");
    check(
        &txt,
        "FooBot",
        true,
        &["/fish/", "/fish/salmon", "/fish/?salmon"],
    );
    check(
        &txt,
        "FooBot",
        true,
        &["/fish/salmon.html", "/fish/?id=anything"],
    );
    check(
        &txt,
        "FooBot",
        false,
        &["/bar", "/fish", "/fish.html", "/Fish/Salmon.html"],
    );
}

#[test]
fn google_documentation_php() {
    let allow = |rule: &str| format!("user-agent: FooBot\ndisallow: /\nallow: {rule}\n");
    let txt = allow("/*.php");
    check(
        &txt,
        "FooBot",
        true,
        &["/filename.php", "/folder/filename.php"],
    );
    check(&txt, "FooBot", true, &["/folder/filename.php?parameters"]);
    check(
        &txt,
        "FooBot",
        true,
        &["//folder/any.php.file.html", "/filename.php/"],
    );
    check(&txt, "FooBot", true, &["/index?f=filename.php/"]);
    check(
        &txt,
        "FooBot",
        false,
        &["/bar", "/php/", "/index?php", "/windows.PHP"],
    );
    let txt = allow("/*.php$");
    check(
        &txt,
        "FooBot",
        true,
        &["/filename.php", "/folder/filename.php"],
    );
    check(
        &txt,
        "FooBot",
        false,
        &["/bar", "/filename.php?parameters", "/filename.php/"],
    );
    check(
        &txt,
        "FooBot",
        false,
        &["/filename.php5", "/php/", "/filename?php"],
    );
    check(&txt, "FooBot", false, &["/aaaphpaaa", "//windows.PHP"]);
    let txt = allow("/fish*.php");
    check(
        &txt,
        "FooBot",
        true,
        &["/fish.php", "/fishheads/catfish.php?parameters"],
    );
    check(&txt, "FooBot", false, &["/bar", "/Fish.PHP"]);
}

#[test]
fn google_documentation_order_of_precedence() {
    let foo = |rules: &str| format!("user-agent: FooBot\n{rules}");
    check(&foo("allow: /p\ndisallow: /\n"), "FooBot", true, &["/page"]);
    check(
        &foo("allow: /folder\ndisallow: /folder\n"),
        "FooBot",
        true,
        &["/folder/page"],
    );
    check(
        &foo("allow: /page\ndisallow: /*.htm\n"),
        "FooBot",
        false,
        &["/page.htm"],
    );
    let txt = foo("allow: /$\ndisallow: /\n");
    check(&txt, "FooBot", true, &["/"]);
    check(&txt, "FooBot", false, &["/page.html"]);
}

/// Every kind of line ending (LF, CRLF, CR, none at the end, mixed) reads the same.
#[test]
fn google_line_endings() {
    let lines = [
        "User-Agent: foo",
        "Allow: /some/path",
        "User-Agent: bar",
        "",
        "",
        "Disallow: /",
    ];
    let unix = lines.join("\n");
    let mixed = format!(
        "{}\n{}\r\n{}\n\r\n\n{}",
        lines[0], lines[1], lines[2], lines[5]
    );
    for txt in [
        format!("{unix}\n"),
        lines.join("\r\n") + "\r\n",
        lines.join("\r") + "\r",
        unix.clone(),
        mixed,
    ] {
        // Two groups: the Allow line ends foo's, so bar's Disallow is bar's alone.
        check(&txt, "foo", true, &["/some/path", "/other"]);
        check(&txt, "bar", false, &["/some/path", "/other"]);
    }
}

/// A byte order mark (whole or partial) before the first line is skipped; a broken one or one
/// in the middle of the file spoils only its own line.
#[test]
fn google_utf8_byte_order_mark() {
    let rules = b"User-Agent: foo\nDisallow: /x\n";
    let verdict = |prefix: &[u8]| {
        let page = Url::parse("http://foo.bar/x").unwrap();
        parsed(&[prefix, rules].concat(), "foo").allowed(&page)
    };
    for bom in [&b"\xEF\xBB\xBF"[..], b"\xEF\xBB", b"\xEF"] {
        assert!(!verdict(bom), "{bom:?}: the group must be read");
    }
    // Broken mark: the user-agent line is garbage, so the Disallow belongs to no group.
    assert!(verdict(b"\xEF\x11\xBF"));
    let middle = "User-Agent: foo\n\u{feff}Disallow: /x\n";
    check(middle, "foo", true, &["/x"]);
}

#[test]
fn google_sitemap_lines_anywhere() {
    let sitemap = "http://foo.bar/sitemap.xml";
    let groups = "User-Agent: foo\nAllow: /some/path\nUser-Agent: bar\n\n\n";
    for txt in [
        format!("{groups}Sitemap: {sitemap}\n"),
        format!("Sitemap: {sitemap}\n{groups}"),
    ] {
        assert_eq!(parsed(txt.as_bytes(), "foo").sitemaps(), [sitemap]);
    }
}
