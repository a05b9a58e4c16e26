//! URL shapes: one article URL → the pattern its siblings probably share.
//!
//! Part of `probe`, for the snippet of a page no family preset fits: the portal then needs its
//! own `article_urls`/`listing_urls`. Each path segment is generalised the way docs/profiles.md's URL
//! table writes shapes: an id-bearing slug `tran-trong-142279.html` → `[a-z0-9-]+-\d+\.html`,
//! keeping a short letter marker before the id (`-a{id}`, `-post{id}`, `-ar{id}`), a hex suffix
//! `tin-3f2a9c1` → `[a-z0-9-]+-[0-9a-f]{7}` (a suffix that reads both ways is an id in a page
//! name, a hash in a directory), a six- or eight-digit segment (YYYYMM, YYYYMMDD)
//! → `\d{6}`, other slugs → `[a-z0-9-]+`. A guess from one URL: the snippet says so. Pure text.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// `stem-{marker}{id}`: the id is the trailing digits, the marker the ≤ 4 letters before them.
static ID_SLUG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^.+-([a-z]{0,4})\d+$").expect("static regex"));
/// `stem-{hex}` with 6–12 hex digits.
static HEX_SLUG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^.+-([0-9a-f]{6,12})$").expect("static regex"));
static SLUG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9-]+$").expect("static regex"));
/// Page extensions kept literally.
static EXTENSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\.(html?|shtml|aspx?|php)$").expect("static regex"));

/// Listings as most families write them: home, `/{cat}`, `/{cat}/{sub}` with or without a
/// trailing slash, `?p=N` or `?page=N` (the family presets' `DIRECTORY_LISTING`).
pub const LISTING_PATH: &str = r"/([a-z0-9-]+/?){0,2}(\?(p|page)=\d+)?";
/// Search results, tag pages and print copies (docs/profiles.md, "Duplicate URL spaces").
pub const EXCLUDE_PATH: &str = r"/(tim-kiem|tu-khoa|print)(/|\?|$)";
/// What to write when the URL shows no article shape: `/{slug}-{id}.html` or `.htm`.
pub const FALLBACK_ARTICLE_PATH: &str = r"/[a-z0-9-]+-\d+\.html?";

/// The path pattern (regex text after the host) of URLs shaped like `url`; `None` when the
/// path carries no id (a home or category page tells nothing about articles).
pub fn article_path(url: &Url) -> Option<String> {
    let path = url.path().to_ascii_lowercase();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let last = segments.iter().rev().find(|s| !s.is_empty())?;
    if !last.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let general: Vec<String> = segments.iter().map(|s| segment(s)).collect();
    Some(format!("/{}", general.join("/")))
}

/// One path segment, generalised.
fn segment(seg: &str) -> String {
    if seg.is_empty() {
        return String::new();
    }
    let (base, ext) = match EXTENSION.find(seg) {
        Some(m) => (&seg[..m.start()], regex::escape(m.as_str())),
        None => (seg, String::new()),
    };
    format!("{}{ext}", base_shape(base, !ext.is_empty()))
}

fn base_shape(base: &str, has_extension: bool) -> String {
    if !base.is_empty() && base.bytes().all(|b| b.is_ascii_digit()) {
        return match base.len() {
            6 | 8 => format!(r"\d{{{}}}", base.len()),
            _ => r"\d+".to_string(),
        };
    }
    // `a186301` is both a marked id and hex: a page name (`….html`) carries an id, a
    // directory (`/{slug}-{hex7}/`, family D) a hash.
    let hex = HEX_SLUG
        .captures(base)
        .and_then(|c| c.get(1))
        .filter(|h| h.as_str().bytes().any(|b| b.is_ascii_digit()))
        .filter(|h| h.as_str().bytes().any(|b| b.is_ascii_alphabetic()));
    let marker = ID_SLUG.captures(base).and_then(|c| c.get(1));
    match (hex, marker) {
        (Some(hex), None) => return format!("[a-z0-9-]+-[0-9a-f]{{{}}}", hex.len()),
        (Some(hex), Some(_)) if !has_extension => {
            return format!("[a-z0-9-]+-[0-9a-f]{{{}}}", hex.len());
        }
        (_, Some(marker)) => return format!(r"[a-z0-9-]+-{}\d+", marker.as_str()),
        (None, None) => {}
    }
    if SLUG.is_match(base) {
        return "[a-z0-9-]+".to_string();
    }
    "[^/]+".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(u: &str) -> Option<String> {
        article_path(&Url::parse(u).unwrap())
    }

    #[test]
    fn portals_md_shapes_generalise_to_the_family_templates() {
        assert_eq!(
            shape("https://baohaugiang.com.vn/thoi-su-trong-tinh/tran-trong-142279.html")
                .as_deref(),
            Some(r"/[a-z0-9-]+/[a-z0-9-]+-\d+\.html")
        );
        assert_eq!(
            shape("https://baocantho.com.vn/hoi-nghi-a186301.html").as_deref(),
            Some(r"/[a-z0-9-]+-a\d+\.html")
        );
        assert_eq!(
            shape("https://baolaocai.vn/song-dep-post404649.html?utm=x").as_deref(),
            Some(r"/[a-z0-9-]+-post\d+\.html")
        );
        assert_eq!(
            shape("https://baodongnai.com.vn/thoi-su/202506/tin-moi-3f2a9c1/").as_deref(),
            Some(r"/[a-z0-9-]+/\d{6}/[a-z0-9-]+-[0-9a-f]{7}/")
        );
        assert_eq!(
            shape("https://baophutho.vn/tin-123.htm").as_deref(),
            Some(r"/[a-z0-9-]+-\d+\.htm")
        );
    }

    #[test]
    fn pages_without_an_id_have_no_article_shape() {
        assert_eq!(shape("https://a.vn/"), None);
        assert_eq!(shape("https://a.vn/thoi-su/"), None);
        assert_eq!(shape("http://unknown.invalid/"), None);
    }

    #[test]
    fn odd_segments_stay_within_one_segment() {
        assert_eq!(
            shape("https://a.vn/Tin%20T%E1%BB%A9c/x_1.aspx").as_deref(),
            Some(r"/[^/]+/[^/]+\.aspx")
        );
        // A hex-looking word without digits is a slug word, not a hash.
        assert_eq!(
            shape("https://a.vn/facade/tin-12.html").as_deref(),
            Some(r"/[a-z0-9-]+/[a-z0-9-]+-\d+\.html")
        );
    }

    #[test]
    fn the_guess_matches_its_own_url_and_siblings() {
        let url = Url::parse("https://a.vn/xa-hoi/202601/tin-abc1234/").unwrap();
        let re = Regex::new(&format!("^https://a\\.vn{}$", article_path(&url).unwrap())).unwrap();
        assert!(re.is_match(url.as_str()));
        assert!(re.is_match("https://a.vn/kinh-te/202512/tin-khac-00ff9a1/"));
        assert!(!re.is_match("https://a.vn/kinh-te/"));
    }
}
