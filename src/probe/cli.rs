//! `baoluu probe FILE [--url URL]` and `baoluu probe --fetch URL`: what `main` calls.
//!
//! Part of `probe`. Reads a saved page (a path, or `-` for standard input) or fetches one
//! ([`fetch_politely`], on a runtime of its own so `main` stays synchronous), works out the
//! page's URL (`--url`, else the page's `<link rel=canonical>` or `og:url`, else
//! [`UNKNOWN_URL`] with a note), probes it and prints the text report or `--json`.
//! It never writes anything but standard output.

use std::io::{Read as _, Write as _};
use std::path::Path;

use scraper::{Html, Selector};
use url::Url;

use super::fetch::{FetchOptions, fetch_politely};
use super::{Error, Page, Probe, probe_page, render};

/// The URL a saved page is probed as when nothing tells where it came from.
pub const UNKNOWN_URL: &str = "http://unknown.invalid/";

/// Runs `baoluu probe`: exactly one of `file` (`-` for stdin) and `fetch`; `url` overrides the
/// page's URL. Prints the report (or JSON) and returns the exit code (0).
pub fn run_cli(
    file: Option<&Path>,
    fetch: Option<&Url>,
    url: Option<&Url>,
    json: bool,
    user_agent: &str,
) -> Result<u8, Error> {
    let probe = probe_input(file, fetch, url, user_agent)?;
    let text = match json {
        true => format!("{}\n", serde_json::to_string_pretty(&probe)?),
        false => render(&probe),
    };
    // A reader that went away (`| head`) is not an error of ours.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(0)
}

/// The probe `run_cli` prints, for callers that format it themselves.
pub fn probe_input(
    file: Option<&Path>,
    fetch: Option<&Url>,
    url: Option<&Url>,
    user_agent: &str,
) -> Result<Probe, Error> {
    match (file, fetch) {
        (Some(path), None) => Ok(probe_file(path, url)?),
        (None, Some(target)) => probe_fetched(target, url, user_agent),
        _ => Err(Error::Usage),
    }
}

fn probe_file(path: &Path, url: Option<&Url>) -> Result<Probe, Error> {
    let body = read(path)?;
    let page = Page::decode(&body, None);
    let (url, note) = match url {
        Some(url) => (url.clone(), None),
        None => page_url(&page.text),
    };
    let mut probe = probe_page(&page, &url);
    probe.notes.extend(note);
    Ok(probe)
}

fn probe_fetched(target: &Url, url: Option<&Url>, user_agent: &str) -> Result<Probe, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let options = FetchOptions::default();
    let fetched = runtime.block_on(fetch_politely(target, user_agent, &options))?;
    let page = Page::decode(&fetched.body, fetched.content_type.as_deref());
    let mut probe = probe_page(&page, url.unwrap_or(&fetched.url));
    let mut notes = fetched.notes();
    notes.append(&mut probe.notes);
    probe.notes = notes;
    Ok(probe)
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    let result = if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut body).map(|_| ())
    } else {
        std::fs::read(path).map(|bytes| body = bytes)
    };
    result.map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(body)
}

/// The URL the page says it has (docs/profiles.md: prefer `<link rel=canonical>`, then `og:url`), or
/// [`UNKNOWN_URL`]; the note says which.
fn page_url(html: &str) -> (Url, Option<String>) {
    let doc = Html::parse_document(html);
    let found = [
        (
            "link[rel~='canonical'][href]",
            "href",
            "<link rel=canonical>",
        ),
        ("meta[property='og:url'][content]", "content", "og:url"),
    ]
    .into_iter()
    .find_map(|(sel, attr, from)| {
        let sel = Selector::parse(sel).ok()?;
        let url = doc
            .select(&sel)
            .filter_map(|el| el.value().attr(attr))
            .find_map(|v| Url::parse(v.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))?;
        Some((url, from))
    });
    match found {
        Some((url, from)) => {
            let note =
                format!("the page's URL is taken from its {from}: {url} (give --url to override)");
            (url, Some(note))
        }
        None => {
            let url = Url::parse(UNKNOWN_URL).expect("a valid constant URL");
            let note = "the page names no URL (no canonical link, no og:url): probed as http://unknown.invalid/; give --url for URL shapes and the profile's host".to_string();
            (url, Some(note))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_comes_from_canonical_then_og_url_then_nowhere() {
        let both = r#"<link rel="canonical" href="https://a.vn/x-1.html"><meta property="og:url" content="https://b.vn/y">"#;
        let (url, note) = page_url(both);
        assert_eq!(url.as_str(), "https://a.vn/x-1.html");
        assert!(note.unwrap().contains("canonical"));
        let og = r#"<link rel="canonical" href="/relative"><meta property="og:url" content="https://b.vn/y">"#;
        assert_eq!(page_url(og).0.as_str(), "https://b.vn/y");
        let (url, note) = page_url("<p>trang</p>");
        assert_eq!(url.as_str(), UNKNOWN_URL);
        assert!(note.unwrap().contains("--url"));
    }

    #[test]
    fn exactly_one_input_is_required() {
        let url = Url::parse("http://127.0.0.1/").unwrap();
        assert!(matches!(
            probe_input(None, None, None, "baoluu"),
            Err(Error::Usage)
        ));
        assert!(matches!(
            probe_input(Some(Path::new("x")), Some(&url), None, "baoluu"),
            Err(Error::Usage)
        ));
        let missing = probe_input(Some(Path::new("/nonexistent/page.html")), None, None, "b");
        assert!(matches!(missing, Err(Error::Read { .. })));
    }

    #[test]
    fn a_saved_file_is_probed_with_its_canonical_url() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.html");
        let html = r#"<link rel="canonical" href="https://baolaocai.vn/tin-post12.html"><h1 class="article__title">Tin</h1>"#;
        std::fs::write(&path, html).unwrap();
        let probe = probe_input(Some(&path), None, None, "baoluu").unwrap();
        assert_eq!(probe.url, "https://baolaocai.vn/tin-post12.html");
        let given = Url::parse("https://baolaocai.vn/khac-post13.html").unwrap();
        let probe = probe_input(Some(&path), None, Some(&given), "baoluu").unwrap();
        assert_eq!(probe.url, given.as_str());
        assert!(probe.notes.is_empty(), "{:?}", probe.notes);
    }
}
