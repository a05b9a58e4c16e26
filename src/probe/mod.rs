//! Probe: one page → which CMS family preset fits it, what it extracts, and a suggested profile.
//!
//! The tool a user reaches for when adding a portal (issue 9, part 4): `baoluu probe FILE`
//! (or `--fetch URL`, one polite fetch with robots.txt first). It sits beside the pipeline,
//! not in it: it reuses the extract stage's [`decode`](crate::extract::decode) and
//! [`extract_document`](crate::extract::extract_document), the family presets of
//! [`crate::config::family`], and for `--fetch` the [`crate::fetch::Fetcher`] and
//! [`crate::robots`] rules. [`probe`] tries every preset's selectors on the page, ranks the
//! families, runs the extractor with the best family's selectors and without, compares the page's
//! URL with each family's article pattern and writes a `[[portal]]` snippet; [`render`] prints it
//! for people and [`Probe`] serialises for `--json`. Everything it says is inferred from one
//! page. It never writes files, never archives, and never fetches anything but the one page
//! (and its robots.txt) the user named.
//!
//! Layout: `matching` selectors against the page and the family ranking · `extracted` the
//! two extractions · `shape` URL shapes → patterns · `snippet` the suggested profile and the
//! portal-name rule · `render` the text report · `fetch` + `rule` the polite one-page fetch ·
//! `cli` what `main` calls.

mod cli;
mod extracted;
mod fetch;
mod matching;
mod render;
mod rule;
mod shape;
mod snippet;

use std::path::PathBuf;

use scraper::Html;
use serde::Serialize;
use url::Url;

use crate::extract::{self, decode};

pub use cli::{UNKNOWN_URL, probe_input, run_cli};
pub use extracted::Extracted;
pub use fetch::{FetchOptions, FetchedPage, fetch_politely};
pub use matching::{FamilyMatch, SelectorMatch};
pub use render::render;
pub use shape::{EXCLUDE_PATH, article_path};
pub use snippet::portal_name;

/// How much of a compressed saved page is decoded (the crawl's own cap).
const MAX_DECODED: usize = crate::extract::MAX_DECODED;

/// Everything `baoluu probe` learned from one page.
#[derive(Debug, Clone, Serialize)]
pub struct Probe {
    /// The page's URL as the probe used it (given, guessed, or [`UNKNOWN_URL`]).
    pub url: String,
    /// The charset the page was decoded with (WHATWG name).
    pub encoding: String,
    /// Things the user should know: a guessed URL, a suspect charset, redirects followed.
    pub notes: Vec<String>,
    /// Every family preset, best first.
    pub families: Vec<FamilyMatch>,
    /// The best family, when its body selector matched the page.
    pub best_family: Option<String>,
    /// Common selectors (not of any preset) that matched, per field.
    pub common: Vec<SelectorMatch>,
    /// The extractor with the best family's selectors (absent without a best family).
    pub family_extract: Option<Extracted>,
    /// The extractor without selectors.
    pub generic: Extracted,
    /// A `[[portal]]` table for the page's host, every line inferred from this one page.
    pub snippet: String,
}

/// Why a probe could not run. URLs are kept as text (the variants stay small).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("give either a saved page (FILE, or - for standard input) or --fetch URL, not both")]
    Usage,
    #[error("could not read {}; check the path", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not fetch {url}")]
    Fetch {
        url: String,
        #[source]
        source: crate::fetch::Error,
    },
    #[error(
        "robots.txt ({robots_url}) disallows {url} for `{token}`{}: baoluu does not fetch it; save the page from a browser and probe the file",
        rule.as_ref().map(|r| format!(" (rule `{r}`)")).unwrap_or_default()
    )]
    RobotsDisallowed {
        url: String,
        robots_url: String,
        token: String,
        /// The robots.txt line that disallows it, when it could be found.
        rule: Option<String>,
    },
    #[error(
        "robots.txt ({robots_url}) could not be fetched (server error, 429 or network trouble), so nothing on that host is fetched: try again later"
    )]
    RobotsUnreachable { robots_url: String },
    #[error(
        "{from} redirects to another host ({to}): probe that URL instead, and list both hosts in the portal"
    )]
    OffHostRedirect { from: String, to: String },
    #[error("more than {max} redirects from {url}: probe the final URL directly")]
    TooManyRedirects { url: String, max: usize },
    #[error("{url} answered HTTP {status}: there is no page to probe; check the URL")]
    Status { url: String, status: u16 },
    #[error(
        "{url} was sent with content-encoding `{coding}`, which probe cannot decode: save the page decoded and probe the file"
    )]
    Encoding { url: String, coding: String },
    #[error("the gzip body of {url} is corrupt: fetch it again")]
    Corrupt {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("could not write the probe as JSON")]
    Json(#[from] serde_json::Error),
}

/// Probes one page served from `url`: `body` as saved or fetched (a gzip body is recognised by
/// its magic bytes and decoded), `content_type` the HTTP header when known (its charset counts).
pub fn probe(body: &[u8], content_type: Option<&str>, url: &Url) -> Probe {
    let page = Page::decode(body, content_type);
    probe_page(&page, url)
}

/// Probes a page already decoded (the CLI decodes once to guess the URL too).
fn probe_page(page: &Page, url: &Url) -> Probe {
    let doc = Html::parse_document(&page.text);
    let families = matching::rank(&doc, url);
    let best = families.first().filter(|f| f.body_matched);
    let best_preset = best.and_then(|f| crate::config::family::preset(&f.name));
    let common = matching::common(&doc);
    let generic = extract::extract_document(&doc, &page.text, url, None);
    let family_article = best_preset.map(|f| {
        let selectors = f.selectors();
        extract::extract_document(&doc, &page.text, url, Some(&selectors))
    });
    let generic = Extracted::new("generic", &generic);
    let family_extract = best_preset
        .zip(family_article.as_ref())
        .map(|(f, a)| Extracted::new(&format!("family {}", f.name), a));
    let snippet = snippet::Inputs {
        url,
        best: best_preset.zip(best),
        common: &common,
        generic: &generic,
        family: family_extract.as_ref(),
    }
    .write();
    Probe {
        url: url.to_string(),
        encoding: page.encoding.to_string(),
        notes: page.notes.clone(),
        best_family: best.map(|f| f.name.clone()),
        families,
        common,
        family_extract,
        generic,
        snippet,
    }
}

/// A page's text, decoded once.
struct Page {
    text: String,
    encoding: &'static str,
    notes: Vec<String>,
}

impl Page {
    /// Decodes like the extract stage does; a saved gzip body (magic `1f 8b`, RFC 1952 §2.3.1)
    /// is inflated first, since no HTML page starts with those bytes.
    fn decode(body: &[u8], content_type: Option<&str>) -> Page {
        let coding = body.starts_with(&[0x1f, 0x8b]).then_some("gzip");
        let mut notes = Vec::new();
        if coding.is_some() {
            notes.push("the page is gzip-compressed: decoded before probing".to_string());
        }
        let decoded = decode(body, content_type, coding, MAX_DECODED).or_else(|err| {
            notes.push(format!("{err}; probed the raw bytes instead"));
            decode(body, content_type, None, MAX_DECODED)
        });
        let Ok(decoded) = decoded else {
            return Page::lossy(body, notes);
        };
        if decoded.suspect {
            notes.push(format!(
                "the charset looks wrong or the bytes are malformed: decoded as {}",
                decoded.encoding
            ));
        }
        if decoded.truncated {
            notes.push(format!(
                "decoding stopped at {MAX_DECODED} bytes: the page is truncated"
            ));
        }
        Page {
            text: decoded.text,
            encoding: decoded.encoding,
            notes,
        }
    }

    /// Without content coding `decode` cannot fail; kept total all the same.
    fn lossy(body: &[u8], notes: Vec<String>) -> Page {
        Page {
            text: String::from_utf8_lossy(body).into_owned(),
            encoding: "UTF-8",
            notes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROSE: &str = "Sáng 8/1, tại hội trường tỉnh, lãnh đạo tỉnh đã tổ chức hội nghị tổng kết công tác năm và triển khai nhiệm vụ trọng tâm của năm tiếp theo với nhiều chỉ tiêu quan trọng.";

    fn fck_page() -> String {
        format!(
            r#"<html><head><title>Tin</title></head><body>
            <div class="detail-title"><h1 class="fw700">Hội nghị tổng kết năm</h1></div>
            <span class="pubdate">08/01/2026 - 18:21</span>
            <div id="newscontents"><div class="content-fck"><p>{PROSE}</p><p>{PROSE}</p>
            <div class="AMN_res_1">Quảng cáo</div>
            <p class="author">Tin, ảnh: P.Y</p></div></div></body></html>"#
        )
    }

    #[test]
    fn a_content_fck_page_ranks_its_family_first_and_extracts_with_it() {
        let url = Url::parse("https://baocantho.com.vn/hoi-nghi-tong-ket-a123456.html").unwrap();
        let p = probe(fck_page().as_bytes(), None, &url);
        assert_eq!(p.best_family.as_deref(), Some("content-fck"));
        assert_eq!(p.families[0].name, "content-fck");
        assert!(p.families[0].url_matches_article);
        let family = p.family_extract.as_ref().unwrap();
        assert_eq!(family.title, "Hội nghị tổng kết năm");
        assert_eq!(
            family.published.as_deref(),
            Some("2026-01-08T18:21:00+07:00")
        );
        assert!(!family.flags.iter().any(|f| f == extract::FLAG_GENERIC));
        assert!(
            p.snippet.contains("family = \"content-fck\""),
            "{}",
            p.snippet
        );
    }

    #[test]
    fn a_gzip_body_is_recognised_by_its_magic_bytes() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(fck_page().as_bytes()).unwrap();
        let body = gz.finish().unwrap();
        let url = Url::parse("https://baocantho.com.vn/x-a1.html").unwrap();
        let p = probe(&body, Some("text/html; charset=utf-8"), &url);
        assert_eq!(p.best_family.as_deref(), Some("content-fck"));
        assert!(p.notes.iter().any(|n| n.contains("gzip")), "{:?}", p.notes);
    }

    #[test]
    fn a_page_of_no_family_suggests_none() {
        let html = format!("<h1>Tiêu đề bài báo</h1><div class='story'><p>{PROSE}</p></div>");
        let url = Url::parse("https://example.vn/tin-tuc/tieu-de-123.html").unwrap();
        let p = probe(html.as_bytes(), None, &url);
        assert_eq!(p.best_family, None);
        assert!(p.family_extract.is_none());
        assert_eq!(p.generic.title, "Tiêu đề bài báo");
        assert!(!p.snippet.contains("family ="), "{}", p.snippet);
        assert!(p.snippet.contains("article_urls"), "{}", p.snippet);
    }
}
