//! The suggested profile: a `[[portal]]` table for the probed page's host.
//!
//! Part of `probe`. Written as TOML text with comments (the comments are the point: every line
//! is inferred from one page and says so), in the shape of `crawl-config/portals/*.toml`: name,
//! `family` when a preset's body selector matched (else explicit `article_urls`/`listing_urls`
//! guessed by `shape`), seeds, hosts with a `www.` alias, and `[portal.selectors]` only for
//! fields where the family and the generic extractor disagree, or where the family has no
//! selector (or its own missed) and a common selector matched. Wrapped with a `[crawler]` table
//! it loads as a baoluu configuration (tested in tests/probe.rs). Pure text.

use std::net::IpAddr;

use url::Url;

use super::extracted::Extracted;
use super::matching::{FamilyMatch, SelectorMatch, first_common, url_matches_article};
use super::shape;
use crate::config::family::{Family, origin_pattern};

/// The fields `[portal.selectors]` can set, in its order.
const FIELDS: [&str; 5] = ["title", "lead", "body", "published", "byline"];
/// Domain suffixes stripped from a host to name a portal, longest first.
const SUFFIXES: &[&str] = &[
    ".com.vn", ".org.vn", ".net.vn", ".gov.vn", ".edu.vn", ".info.vn", ".vn", ".com", ".org",
    ".net", ".info", ".invalid", ".test", ".example",
];
/// The marker every inferred pattern carries.
const INFERRED: &str = "inferred by baoluu probe — check";

/// A portal name for `host`: lowercase, port dropped; an IP address `a.b.c.d` gives
/// `host-a-b-c-d`; otherwise a leading `www.` and the domain suffix (`.com.vn`, `.vn`, … or the
/// last label) are stripped, the first remaining label is kept (`dongkhoi.baovinhlong.vn` →
/// `dongkhoi`), and a leading `bao` ("newspaper") is dropped when something is left
/// (`baolaocai.vn` → `laocai`, `sggp.org.vn` → `sggp`). Characters outside `[a-z0-9_-]` become
/// `-` (runs of `-` collapse, none at either end); an empty result is `portal`.
pub fn portal_name(host: &str) -> String {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    let bare = host.trim_start_matches('[').split(']').next().unwrap_or("");
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return clean(&format!("host-{ip}"));
    }
    let host = crate::config::host_without_port(&host);
    let host = host.strip_prefix("www.").unwrap_or(host);
    let stem = match SUFFIXES.iter().find_map(|s| host.strip_suffix(s)) {
        Some(stem) if !stem.is_empty() => stem,
        _ => host.rsplit_once('.').map_or(host, |(stem, _)| stem),
    };
    let first = stem.split('.').next().unwrap_or("");
    let name = match first.strip_prefix("bao") {
        Some(rest) if !rest.is_empty() => rest,
        _ => first,
    };
    clean(name)
}

fn clean(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' | '-' => c,
            _ => '-',
        })
        .collect();
    let parts: Vec<&str> = cleaned.split('-').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        "portal".to_string()
    } else {
        parts.join("-")
    }
}

/// What the snippet is written from.
pub struct Inputs<'a> {
    pub url: &'a Url,
    /// The best family, when its body selector matched.
    pub best: Option<(&'static Family, &'a FamilyMatch)>,
    pub common: &'a [SelectorMatch],
    pub generic: &'a Extracted,
    /// The extraction with the best family's selectors.
    pub family: Option<&'a Extracted>,
}

impl Inputs<'_> {
    /// The snippet, one `[[portal]]` table with comments.
    pub fn write(&self) -> String {
        let hosts = hosts(self.url);
        let mut out = self.header();
        out.push_str("[[portal]]\n");
        let name = portal_name(self.url.host_str().unwrap_or(""));
        out.push_str(&format!(
            "name = {}  # from the host: \"www.\", the domain suffix and a leading \"bao\" stripped\n",
            quote(&name)
        ));
        match self.best {
            Some((family, found)) => out.push_str(&self.family_lines(family, found, &hosts)),
            None => out.push_str(&self.pattern_lines(&hosts)),
        }
        out.push_str(&format!("seeds = [{}]\n", quote(&seed(self.url))));
        let list: Vec<String> = hosts.iter().map(|h| quote(h)).collect();
        out.push_str(&format!(
            "hosts = [{}]  # inferred: the www alias is a guess\n",
            list.join(", ")
        ));
        out.push_str(&self.selectors_table());
        out
    }

    fn header(&self) -> String {
        let mut out = format!(
            "# Suggested by `baoluu probe` from ONE page: {}\n\
             # Every line is inferred from that page alone: check it against more pages (other\n\
             # articles, listings, older articles) and mark what you verified, as the files in\n\
             # crawl-config/portals/ do.\n",
            comment(self.url.as_str())
        );
        if self.url.as_str() == super::UNKNOWN_URL {
            out.push_str(
                "# The page's URL was unknown: replace unknown.invalid with the portal's host.\n",
            );
        }
        out
    }

    fn family_lines(&self, family: &Family, found: &FamilyMatch, hosts: &[String]) -> String {
        let matched: Vec<&str> = (found.selectors.iter())
            .filter(|m| m.matched && m.field != "remove")
            .map(|m| m.field.as_str())
            .collect();
        let mut out = format!(
            "# inferred: family {} \"{}\" (score {:.2}; matched: {})\nfamily = {}\n",
            family.letter,
            family.name,
            found.score,
            matched.join(", "),
            quote(family.name)
        );
        if !url_matches_article(family, self.url)
            && let Some(path) = shape::article_path(self.url)
        {
            out.push_str(&format!(
                "# this page's URL does not match the family's article pattern; if articles look\n\
                 # like it, add ({INFERRED}):\n# article_urls = [{}]\n",
                quote(&format!("{}{path}$", origin_pattern(hosts)))
            ));
        }
        out
    }

    fn pattern_lines(&self, hosts: &[String]) -> String {
        let origin = origin_pattern(hosts);
        let (path, why) = match shape::article_path(self.url) {
            Some(path) => (path, "guessed from this page's URL"),
            None => (
                shape::FALLBACK_ARTICLE_PATH.to_string(),
                "this page's URL shows no article id: a common shape",
            ),
        };
        format!(
            "# no CMS family preset matched (no preset's body selector matched this page):\n\
             # the generic extractor will read its pages, and the patterns are {why}.\n\
             article_urls = [{}]  # {INFERRED}\n\
             listing_urls = [{}]  # {INFERRED}\n\
             exclude_urls = [{}]  # {INFERRED}\n",
            quote(&format!("{origin}{path}$")),
            quote(&format!("{origin}{}$", shape::LISTING_PATH)),
            quote(&format!("{origin}{}", shape::EXCLUDE_PATH)),
        )
    }

    /// `[portal.selectors]`, with its header commented out when no line in it is active (an
    /// empty table would still turn the configured layer on).
    fn selectors_table(&self) -> String {
        let lines: Vec<Line> = FIELDS.iter().filter_map(|f| self.field_line(f)).collect();
        if lines.is_empty() {
            return String::new();
        }
        let active = lines.iter().any(|l| l.active);
        let mut out = String::from(if active {
            "\n# inferred from this page alone: check each selector on other articles\n[portal.selectors]\n"
        } else {
            "\n# [portal.selectors]  (nothing needed on this page; lines to consider:)\n"
        });
        for line in lines {
            out.push_str(&line.text());
        }
        out
    }

    /// The `[portal.selectors]` line for `field`, if it needs one.
    fn field_line(&self, field: &str) -> Option<Line> {
        let own =
            (self.best).and_then(|(_, found)| found.selectors.iter().find(|s| s.field == field));
        let common = first_common(self.common, field);
        let extracted = self.family.unwrap_or(self.generic);
        match (own, self.family) {
            (Some(sel), Some(family)) if sel.matched => {
                (!family.agrees(self.generic, field)).then(|| Line {
                    field: field.to_string(),
                    selector: sel.selector.clone(),
                    active: true,
                    why: format!(
                        "the family's selector; family and generic extractor disagree: family «{}», generic «{}»",
                        family.value(field),
                        self.generic.value(field)
                    ),
                })
            }
            (Some(sel), _) => Some(missed_line(field, &sel.selector, common)),
            (None, _) => common.map(|c| Line {
                field: field.to_string(),
                selector: c.selector.clone(),
                active: !extracted.has(field),
                why: match extracted.has(field) {
                    true => format!(
                        "a common selector matched{}; the extractor finds this field without it: uncomment to pin",
                        sample(c)
                    ),
                    false => format!(
                        "no family selector; a common selector matched{}",
                        sample(c)
                    ),
                },
            }),
        }
    }
}

/// The family's selector for `field` matched nothing: a common one that matched replaces it.
fn missed_line(field: &str, own: &str, common: Option<&SelectorMatch>) -> Line {
    match common {
        Some(c) => Line {
            field: field.to_string(),
            selector: c.selector.clone(),
            active: true,
            why: format!(
                "the family's `{own}` matched nothing here; a common selector matched{}",
                sample(c)
            ),
        },
        None => Line {
            field: field.to_string(),
            selector: own.to_string(),
            active: false,
            why: "the family's selector matched nothing on this page and no common one did: find this site's own".to_string(),
        },
    }
}

fn sample(m: &SelectorMatch) -> String {
    m.sample
        .as_deref()
        .map(|s| format!(" «{s}»"))
        .unwrap_or_default()
}

/// One selector line: active (`key = 'sel'`) or commented out, with why.
struct Line {
    field: String,
    selector: String,
    active: bool,
    why: String,
}

impl Line {
    fn text(&self) -> String {
        let hash = if self.active { "" } else { "# " };
        format!(
            "# {}\n{hash}{} = {}\n",
            comment(&self.why),
            self.field,
            quote(&self.selector)
        )
    }
}

/// The portal's host entries: the URL's host (with a non-default port) and its `www.` alias
/// (added, or removed) for a domain name.
fn hosts(url: &Url) -> Vec<String> {
    let host = url
        .host_str()
        .unwrap_or("unknown.invalid")
        .to_ascii_lowercase();
    let with_port = |h: &str| match url.port() {
        Some(port) => format!("{h}:{port}"),
        None => h.to_string(),
    };
    let mut hosts = vec![with_port(&host)];
    let is_domain = matches!(url.host(), Some(url::Host::Domain(_))) && host.contains('.');
    if is_domain {
        let alias = match host.strip_prefix("www.") {
            Some(bare) => bare.to_string(),
            None => format!("www.{host}"),
        };
        hosts.push(with_port(&alias));
    }
    hosts
}

/// The home page of the URL's origin.
fn seed(url: &Url) -> String {
    let mut home = url.clone();
    home.set_path("/");
    home.set_query(None);
    home.set_fragment(None);
    home.to_string()
}

/// A TOML string: a basic string when nothing needs escaping, a literal string (regexes stay
/// readable) when only backslashes or `"` would, else a basic string with escapes; JSON's
/// escapes are all valid TOML escapes (TOML 1.0 "String").
fn quote(text: &str) -> String {
    let control = text.chars().any(char::is_control);
    if !control && !text.contains(['\\', '"']) {
        return format!("\"{text}\"");
    }
    if !control && !text.contains('\'') {
        return format!("'{text}'");
    }
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

/// Text safe inside a TOML comment (no control characters, TOML 1.0 "Comment").
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSE: &str = "Sáng 8/1, tại hội trường tỉnh, lãnh đạo tỉnh đã tổ chức hội nghị tổng kết công tác năm và triển khai nhiệm vụ trọng tâm của năm tiếp theo với nhiều chỉ tiêu quan trọng.";

    fn snippet(html: &str, url: &str) -> String {
        super::super::probe(html.as_bytes(), None, &Url::parse(url).unwrap()).snippet
    }

    /// The line after the comment that mentions `marker`.
    fn line_after<'a>(text: &'a str, marker: &str) -> &'a str {
        let mut lines = text.lines().skip_while(|l| !l.contains(marker));
        lines.next();
        lines
            .next()
            .unwrap_or_else(|| panic!("no {marker:?} in\n{text}"))
    }

    #[test]
    fn a_missed_family_selector_is_replaced_by_a_common_one() {
        // content-fck's title selector (`h1.fw700, .detail-title h1`) misses a plain `h1`.
        let html = format!(
            r#"<h1 class="title">Hội nghị tổng kết công tác năm</h1><span class="pubdate">08/01/2026 - 18:21</span>
            <div id="newscontents"><div class="content-fck"><p>{PROSE}</p></div></div>"#
        );
        let text = snippet(&html, "https://baocantho.com.vn/hoi-nghi-a1.html");
        assert!(text.contains("[portal.selectors]\n"), "{text}");
        assert_eq!(line_after(&text, "matched nothing here"), r#"title = "h1""#);
        // byline: the preset's p.author missed and no common selector matched.
        assert_eq!(
            line_after(&text, "no common one did"),
            r#"# byline = "p.author""#
        );
    }

    #[test]
    fn a_disagreement_pins_the_familys_selector() {
        // The cms body container holds a stub; the real text is elsewhere.
        let html = format!(
            r#"<h1 class="article__title">Sống đẹp từ những điều giản dị</h1>
            <div class="article__body cms-body"><p>Xem video.</p></div>
            <div class="main-text"><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div>"#
        );
        let text = snippet(&html, "https://baolaocai.vn/song-dep-post1.html");
        assert!(text.contains("family = \"cms\""), "{text}");
        assert_eq!(
            line_after(&text, "disagree"),
            r#"body = "div.article__body.cms-body""#
        );
        assert!(text.contains("family «10 chars»"), "{text}");
    }

    #[test]
    fn without_a_family_common_selectors_are_offered_commented_out() {
        let html = format!(
            r#"<h1>Khánh thành cầu mới bắc qua sông</h1><div class="story"><p>{PROSE}</p><p>{PROSE}</p></div>
            <div class="author-name">Minh Hà</div>"#
        );
        let text = snippet(&html, "https://example.vn/xa-hoi/cau-moi-12.html");
        assert!(
            text.contains("# [portal.selectors]  (nothing needed"),
            "{text}"
        );
        assert_eq!(line_after(&text, "uncomment to pin"), r#"# title = "h1""#);
        assert!(!text.lines().any(|l| l.starts_with("title =")), "{text}");
    }

    #[test]
    fn portal_names_follow_the_rule() {
        for (host, name) in [
            ("baolaocai.vn", "laocai"),
            ("www.baocantho.com.vn", "cantho"),
            ("baoninhbinh.org.vn", "ninhbinh"),
            ("dongkhoi.baovinhlong.vn", "dongkhoi"),
            ("sggp.org.vn", "sggp"),
            ("huengaynay.vn", "huengaynay"),
            ("bao.vn", "bao"),
            ("BaoTayNinh.vn:8080", "tayninh"),
            ("127.0.0.7", "host-127-0-0-7"),
            ("[::1]", "host-1"),
            ("unknown.invalid", "unknown"),
            ("example.xyz", "example"),
            ("", "portal"),
        ] {
            assert_eq!(portal_name(host), name, "{host}");
        }
    }

    #[test]
    fn hosts_get_a_www_alias_and_keep_ports() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            hosts(&url("https://baolaocai.vn/x")),
            ["baolaocai.vn", "www.baolaocai.vn"]
        );
        assert_eq!(
            hosts(&url("https://www.a.vn:8443/x")),
            ["www.a.vn:8443", "a.vn:8443"]
        );
        assert_eq!(hosts(&url("http://127.0.0.7:9000/x")), ["127.0.0.7:9000"]);
        assert_eq!(
            seed(&url("http://127.0.0.7:9000/x?a=1#f")),
            "http://127.0.0.7:9000/"
        );
    }

    #[test]
    fn strings_are_quoted_for_toml() {
        assert_eq!(quote(r"^https?://(a\.vn)/x$"), r"'^https?://(a\.vn)/x$'");
        assert_eq!(quote("[class*='date']"), r#""[class*='date']""#);
        assert_eq!(quote(r#"a[href="x"]"#), r#"'a[href="x"]'"#);
        let parsed: toml::Value = toml::from_str(&format!("k = {}", quote("a'b\\c\u{1}"))).unwrap();
        assert_eq!(parsed["k"].as_str(), Some("a'b\\c\u{1}"));
        assert_eq!(comment("a\nb\u{7f}"), "a b ");
    }
}
