//! CMS family presets: the selectors and URL shapes shared by the portals one CMS serves.
//!
//! About six systems run the 63 (now 34) provincial papers (docs/profiles.md, "CMS families"). A
//! `[[portal]]` that names one with `family = "content-fck"` gets that family's `Selectors`, and,
//! when it omits `article_urls`, `listing_urls` or `exclude_urls`, patterns generated from the
//! family's path templates for the portal's own `hosts`. Part of the `config` stage: `validate`
//! applies a preset while loading; `check-config` and a later `probe` command list the presets.
//! Every value here is a starting point inferred from docs/profiles.md, not a verified fact about any
//! site (only baolaocai.vn, family `cms`, has a saved real page). Never reads files or the network.
//!
//! | name | docs/profiles.md | article URL | listing URL |
//! |---|---|---|---|
//! | `content-fck` | A "content-fck" | `/{slug}-a{id}.html` | `/{cat}/`, `/{cat}/{sub}/`, `?p=N` |
//! | `cms` | B "cms-" | `/{slug}-post{id}.html` | `/{cat}/`, `/{cat}/{sub}/` |
//! | `b-maincontent` | C "b-maincontent" | `/{slug}-{id}.html` | `/{cat}/`, `/{cat}.html` |
//! | `yyyymm-hex` | D `/yyyymm/slug-hex/` | `/{cat}[/{sub}]/{YYYYMM}/{slug}-{hex7}/` | `/{cat}/` |
//! | `mediatech` | E Mediatech | `/{slug}-{id}.html` | `/{cat}`, `/tin-moi` |
//! | `htm` | F ".htm" | `/{slug}-{id}.htm` | `/{cat}/`, `/{cat}.htm` |

use super::Selectors;

/// One CMS family: what docs/profiles.md says about its markup and URL shapes.
#[derive(Debug)]
pub struct Family {
    /// The preset's name, as `family = "…"` writes it.
    pub name: &'static str,
    /// Its row in docs/profiles.md's "CMS families" table (A–F).
    pub letter: char,
    /// One line for people (`check-config`, `probe`).
    pub about: &'static str,
    /// Sites docs/profiles.md lists for this family.
    pub sites: &'static [&'static str],
    pub selectors: Preset,
    /// Path templates (regex text after the host, anchored at both ends when generated).
    pub article_paths: &'static [&'static str],
    pub listing_paths: &'static [&'static str],
    /// Path prefixes (regex text after the host, anchored at the start only): sections that
    /// look like listings or articles but are neither (search pages, print copies, tags).
    pub exclude_paths: &'static [&'static str],
}

/// A family's selectors, as static text (the owned [`Selectors`] comes from [`Family::selectors`]).
#[derive(Debug, Default)]
pub struct Preset {
    pub title: Option<&'static str>,
    pub lead: Option<&'static str>,
    pub body: Option<&'static str>,
    pub published: Option<&'static str>,
    pub byline: Option<&'static str>,
    pub remove: &'static [&'static str],
}

/// Patterns generated for one portal's hosts, as regex text (compiled by `validate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    pub article: Vec<String>,
    pub listing: Vec<String>,
    pub exclude: Vec<String>,
}

/// Search results and print copies look like categories or articles on every family
/// (docs/profiles.md, "Duplicate URL spaces"): never articles, never listings.
const SEARCH_AND_PRINT: &str = r"/(tim-kiem|print)(/|\?|$)";

/// Home, `/{cat}` and `/{cat}/{sub}` with or without a trailing slash, `?p=N` or `?page=N`
/// (docs/profiles.md's pagination syntaxes). Has no `.`, so no `….html` article matches it.
const DIRECTORY_LISTING: &str = r"/([a-z0-9-]+/?){0,2}(\?(p|page)=\d+)?";

/// `/{cat}/trangN.html` and `/{cat}/trang-N.html` (docs/profiles.md, "Xem thêm" forms 1 and 2): two
/// segments, so the one-segment `/{slug}-{id}.html` articles never match it.
const PAGED_HTML_LISTING: &str = r"/[a-z0-9-]+/trang-?\d+\.html?";

const FAMILIES: [Family; 6] = [
    Family {
        name: "content-fck",
        letter: 'A',
        about: "body in #newscontents .content-fck, date span.pubdate, articles /{slug}-a{id}.html",
        sites: &[
            "baocantho.com.vn",
            "baoangiang.com.vn",
            "baolongan.vn",
            "baodongthap.vn",
            "dongkhoi.baovinhlong.vn",
            "travinh.baovinhlong.vn",
            "baobinhduong.vn",
        ],
        selectors: Preset {
            title: Some("h1.fw700, .detail-title h1"),
            lead: None,
            body: Some("#newscontents .content-fck"),
            published: Some("span.pubdate"),
            byline: Some("p.author"),
            // Ad slots inside the body.
            remove: &["div[class*='AMN_res_']"],
        },
        article_paths: &[r"/[a-z0-9-]+-a\d+\.html"],
        // The category's trailing slash comes and goes ("/thoi-su/" vs "/thoi-su?p=2"), and
        // sections have subsections: baocantho.com.vn links /thoi-su/can-tho/ (issue 14, its
        // saved section page). No ".", so no article matches.
        listing_paths: &[r"/([a-z0-9-]+(/[a-z0-9-]+)?/?)?(\?p=\d+)?"],
        exclude_paths: &[SEARCH_AND_PRINT],
    },
    Family {
        name: "cms",
        letter: 'B',
        about: "body in div.article__body.cms-body, title h1.article__title, articles /{slug}-post{id}.html",
        sites: &["baolaocai.vn", "baogialai.com.vn", "baohatinh.vn"],
        selectors: Preset {
            title: Some("h1.article__title"),
            lead: Some(".article__sapo"),
            body: Some("div.article__body.cms-body"),
            published: Some("time[datetime]"),
            byline: None,
            remove: &[],
        },
        article_paths: &[r"/[a-z0-9-]+-post\d+\.html"],
        // Categories and subcategories end in "/" (verified on baolaocai.vn); ?page=N is a guess.
        listing_paths: &[r"/([a-z0-9-]+/){0,2}(\?page=\d+)?"],
        // Tag pages /tu-khoa/… repeat articles reachable from the categories.
        exclude_paths: &[r"/(tim-kiem|tu-khoa|print)(/|\?|$)"],
    },
    Family {
        name: "b-maincontent",
        letter: 'C',
        about: "body in div.b-maincontent, articles /{slug}-{id}.html",
        sites: &[
            "baodanang.vn",
            "baohaiphong.vn",
            "baonghean.vn",
            "hanoimoi.vn",
        ],
        selectors: Preset {
            title: None,
            lead: None,
            body: Some("div.b-maincontent"),
            published: None,
            byline: None,
            remove: &[],
        },
        article_paths: &[r"/[a-z0-9-]+-\d+\.html"],
        listing_paths: &[
            DIRECTORY_LISTING,
            // A category page named like an article but ending in a letter, not an id.
            r"/([a-z0-9-]+/)?[a-z0-9-]*[a-z]\.html(\?(p|page)=\d+)?",
            PAGED_HTML_LISTING,
        ],
        exclude_paths: &[SEARCH_AND_PRINT],
    },
    Family {
        name: "yyyymm-hex",
        letter: 'D',
        about: "body in div.content-detail, lead div.desc, articles /{cat}/{YYYYMM}/{slug}-{hex7}/",
        sites: &[
            "baodongnai.com.vn",
            "baokhanhhoa.vn",
            "baovinhlong.com.vn",
            "baoquangtri.vn",
            "baothainguyen.vn",
            "baodaklak.vn",
        ],
        selectors: Preset {
            title: None,
            // docs/profiles.md names `div.desc` without its role; a "desc" beside the body is the sapo.
            lead: Some("div.desc"),
            body: Some("div.content-detail"),
            published: None,
            byline: None,
            remove: &[],
        },
        // One or two section segments: baovinhlong.com.vn has /xa-hoi/du-lich/202502/…-1ca37b2/
        // (issue 14, seen in public code).
        article_paths: &[r"/([a-z0-9-]+/){1,2}\d{6}/[a-z0-9-]+-[0-9a-f]{7}/"],
        // At most two segments: articles have three or four, the last a slug ending in hex.
        listing_paths: &[r"/([a-z0-9-]+/){0,2}(\?(p|page)=\d+)?"],
        exclude_paths: &[SEARCH_AND_PRINT],
    },
    Family {
        name: "mediatech",
        letter: 'E',
        about: "body in #content-detail, title h1.name, date div.date, articles /{slug}-{id}.html",
        sites: &["baotayninh.vn"],
        selectors: Preset {
            title: Some("h1.name"),
            lead: None,
            body: Some("#content-detail"),
            published: Some("div.date"),
            byline: Some("div.author"),
            remove: &[],
        },
        article_paths: &[r"/[a-z0-9-]+-\d+\.html"],
        // Categories are /{cat} without ".html" (/tin-moi, /rss).
        listing_paths: &[DIRECTORY_LISTING, PAGED_HTML_LISTING],
        exclude_paths: &[SEARCH_AND_PRINT],
    },
    Family {
        name: "htm",
        letter: 'F',
        about: "body in #dcontent (parts may be decoded by javascript), articles /{slug}-{id}.htm",
        sites: &["baophutho.vn", "baothanhhoa.vn"],
        selectors: Preset {
            title: None,
            lead: None,
            body: Some("#dcontent"),
            published: None,
            byline: None,
            remove: &[],
        },
        article_paths: &[r"/[a-z0-9-]+-\d+\.htm"],
        listing_paths: &[
            DIRECTORY_LISTING,
            r"/([a-z0-9-]+/)?[a-z0-9-]*[a-z]\.htm(\?(p|page)=\d+)?",
            r"/[a-z0-9-]+/trang-?\d+\.htm",
        ],
        exclude_paths: &[SEARCH_AND_PRINT],
    },
];

/// The preset names, in docs/profiles.md's order (A–F).
const NAMES: [&str; 6] = [
    "content-fck",
    "cms",
    "b-maincontent",
    "yyyymm-hex",
    "mediatech",
    "htm",
];

/// Every preset, in docs/profiles.md's order (A–F).
pub fn all() -> &'static [Family] {
    &FAMILIES
}

/// The preset names, in docs/profiles.md's order (A–F).
pub fn names() -> &'static [&'static str] {
    &NAMES
}

/// The preset called `name`, if there is one.
pub fn preset(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name)
}

impl Family {
    /// The preset's selectors as the configuration holds them.
    pub fn selectors(&self) -> Selectors {
        let s = &self.selectors;
        let owned = |v: Option<&str>| v.map(str::to_string);
        Selectors {
            title: owned(s.title),
            lead: owned(s.lead),
            body: owned(s.body),
            published: owned(s.published),
            byline: owned(s.byline),
            remove: s.remove.iter().map(|r| r.to_string()).collect(),
        }
    }

    /// `(field, selector)` for every selector the preset sets, `remove` entries last: what a
    /// probe tries against a saved page.
    pub fn selector_fields(&self) -> Vec<(&'static str, &'static str)> {
        let s = &self.selectors;
        let named = [
            ("title", s.title),
            ("lead", s.lead),
            ("body", s.body),
            ("published", s.published),
            ("byline", s.byline),
        ];
        let mut fields: Vec<(&str, &str)> = named
            .into_iter()
            .filter_map(|(field, sel)| sel.map(|sel| (field, sel)))
            .collect();
        fields.extend(s.remove.iter().map(|r| ("remove", *r)));
        fields
    }

    /// This family's patterns for a portal served from `hosts` (`host` or `host:port` entries),
    /// over http and https.
    pub fn patterns(&self, hosts: &[String]) -> Patterns {
        let origin = origin_pattern(hosts);
        let whole = |paths: &[&str]| -> Vec<String> {
            paths.iter().map(|p| format!("{origin}{p}$")).collect()
        };
        Patterns {
            article: whole(self.article_paths),
            listing: whole(self.listing_paths),
            exclude: (self.exclude_paths.iter())
                .map(|p| format!("{origin}{p}"))
                .collect(),
        }
    }
}

/// `^https?://(a\.vn|www\.a\.vn)`: the start of every URL served from `hosts`.
///
/// A URL never shows its scheme's default port, so an entry `a.vn:443` also yields `a.vn`.
pub fn origin_pattern(hosts: &[String]) -> String {
    let mut alternatives: Vec<String> = Vec::new();
    for entry in hosts {
        let bare = [":80", ":443"]
            .iter()
            .find_map(|port| entry.strip_suffix(port));
        for host in std::iter::once(entry.as_str()).chain(bare) {
            let escaped = regex::escape(host);
            if !alternatives.contains(&escaped) {
                alternatives.push(escaped);
            }
        }
    }
    format!("^https?://({})", alternatives.join("|"))
}

/// A portal's selectors over its family's: each field the portal sets wins; `remove` lists are
/// concatenated (the family's first), without repeating an entry.
pub fn merge(preset: Selectors, own: Option<Selectors>) -> Selectors {
    let Some(own) = own else { return preset };
    let mut remove = preset.remove;
    for entry in own.remove {
        if !remove.contains(&entry) {
            remove.push(entry);
        }
    }
    Selectors {
        title: own.title.or(preset.title),
        lead: own.lead.or(preset.lead),
        body: own.body.or(preset.body),
        published: own.published.or(preset.published),
        byline: own.byline.or(preset.byline),
        remove,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_presets() {
        let from_presets: Vec<&str> = all().iter().map(|f| f.name).collect();
        assert_eq!(from_presets, names());
        let letters: String = all().iter().map(|f| f.letter).collect();
        assert_eq!(letters, "ABCDEF");
        assert_eq!(preset("cms").map(|f| f.letter), Some('B'));
        assert!(preset("CMS").is_none() && preset("generic").is_none());
    }

    #[test]
    fn every_preset_selector_parses_and_every_family_has_a_body() {
        for family in all() {
            assert!(family.selectors.body.is_some(), "{}", family.name);
            for (field, sel) in family.selector_fields() {
                assert!(
                    scraper::Selector::parse(sel).is_ok(),
                    "{} {field}: {sel}",
                    family.name
                );
            }
        }
    }

    #[test]
    fn origin_escapes_hosts_and_ports() {
        let hosts = ["a.vn".to_string(), "www.a.vn".to_string()];
        assert_eq!(origin_pattern(&hosts), r"^https?://(a\.vn|www\.a\.vn)");
        let hosts = ["127.0.0.2:8080".to_string(), "b.vn:443".to_string()];
        assert_eq!(
            origin_pattern(&hosts),
            r"^https?://(127\.0\.0\.2:8080|b\.vn:443|b\.vn)"
        );
    }

    #[test]
    fn merge_overrides_fields_and_concatenates_remove() {
        let own = Selectors {
            title: Some("h1.own".into()),
            remove: vec![".ad".into(), "div[class*='AMN_res_']".into()],
            ..Selectors::default()
        };
        let family = preset("content-fck").unwrap();
        let merged = merge(family.selectors(), Some(own));
        assert_eq!(merged.title.as_deref(), Some("h1.own"));
        assert_eq!(merged.body.as_deref(), Some("#newscontents .content-fck"));
        assert_eq!(merged.published.as_deref(), Some("span.pubdate"));
        assert_eq!(merged.remove, ["div[class*='AMN_res_']", ".ad"]);
        assert_eq!(
            merge(family.selectors(), None).title.as_deref(),
            Some("h1.fw700, .detail-title h1")
        );
    }

    #[test]
    fn selector_fields_list_remove_last() {
        let fields = preset("content-fck").unwrap().selector_fields();
        assert_eq!(
            fields.first(),
            Some(&("title", "h1.fw700, .detail-title h1"))
        );
        assert_eq!(fields.last(), Some(&("remove", "div[class*='AMN_res_']")));
        assert_eq!(
            preset("htm").unwrap().selector_fields(),
            [("body", "#dcontent")]
        );
    }
}
