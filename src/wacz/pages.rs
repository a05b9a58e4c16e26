//! `pages/pages.jsonl`: the pages a reader of the package starts from (WACZ 1.1.1 "pages.jsonl").
//!
//! The first line is the list's header, `{"format":"json-pages-1.0","id":"pages","title":"All
//! Pages"}`. Then one line per article of the JSON index (`index/*.jsonl`) whose response lies in
//! a packaged file, in index order, with `url`, `ts`, `title` and `text` taken from the index; and
//! one line per other page: every 200 HTML response (from the CDXJ lines) of the packaged files
//! whose URL is no indexed article — the seeds and listing pages, plus any article page whose
//! extraction failed — titled with its `<title>` when it can be read. Every line carries an `id`,
//! the first 16 hex digits of sha256("{ts} {url}"), stable across re-packaging. `ts` is RFC 3339
//! UTC to the second (`2026-11-27T18:00:00Z`), as ReplayWeb.page matches it against the 14-digit
//! CDXJ timestamps. The JSON index is read line by line, never whole; a torn last line (a crawl
//! appending right now) is skipped.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use scraper::{Html, Selector};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Error;
use super::select::{Chosen, HtmlCapture, read_error};
use crate::archive::reader;
use crate::index::Sources;

/// The header line (WACZ 1.1.1, "pages.jsonl" example).
pub(super) const HEADER: &str = r#"{"format":"json-pages-1.0","id":"pages","title":"All Pages"}"#;

/// Decoded size read to find a listing page's `<title>`.
const MAX_DECODED: usize = 8 << 20;

static TITLE: LazyLock<Selector> =
    LazyLock::new(|| Selector::parse("title").expect("a valid constant selector"));

/// How many page lines of each kind were written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counts {
    pub articles: usize,
    pub listings: usize,
}

/// The fields of a JSON index line a page needs (the rest is ignored).
#[derive(Debug, Deserialize)]
struct Indexed {
    url: String,
    ts: String,
    title: String,
    text: String,
    filename: String,
}

/// One line of pages.jsonl.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct Page {
    pub id: String,
    pub url: String,
    pub ts: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Page {
    pub fn new(url: String, ts: String, title: Option<String>, text: Option<String>) -> Page {
        let id = page_id(&ts, &url);
        Page {
            id,
            url,
            ts,
            title,
            text,
        }
    }
}

/// Writes the whole pages.jsonl of `chosen` to `out`. `wacz` names write errors.
pub(super) fn write(
    sources: &Sources,
    chosen: &Chosen,
    mut out: impl Write,
    wacz: &Path,
) -> Result<Counts, Error> {
    let mut header = HEADER.as_bytes().to_vec();
    header.push(b'\n');
    out.write_all(&header).map_err(|e| write_error(wacz, e))?;
    let mut emit = |page: &Page| -> Result<(), Error> {
        let mut line = serde_json::to_vec(page).map_err(|e| write_error(wacz, e.into()))?;
        line.push(b'\n');
        out.write_all(&line).map_err(|e| write_error(wacz, e))
    };
    let mut counts = Counts::default();
    let mut article_urls = HashSet::new();
    for index in index_files(sources)? {
        read_index(&index, |number, line| {
            if chosen.holds(&line.filename) {
                let page = article_page(&line).map_err(|detail| Error::BadIndex {
                    path: index.clone(),
                    line: number,
                    detail,
                })?;
                emit(&page)?;
                counts.articles += 1;
            }
            article_urls.insert(line.url);
            Ok(())
        })?;
    }
    for capture in &chosen.html {
        if !article_urls.contains(&capture.url) {
            emit(&listing_page(capture))?;
            counts.listings += 1;
        }
    }
    Ok(counts)
}

fn write_error(wacz: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: wacz.to_path_buf(),
        source,
    }
}

/// Each portal's index: its segments (local or fetched back), then `index/{portal}.jsonl`.
fn index_files(sources: &Sources) -> Result<Vec<PathBuf>, Error> {
    let index_dir = crate::index::dir(sources.archive_dir());
    (sources.line_files("index", None)).map_err(|source| read_error(&index_dir, source))
}

/// Calls `each` with the number and content of every complete line of one JSON index file.
fn read_index(
    path: &Path,
    mut each: impl FnMut(usize, Indexed) -> Result<(), Error>,
) -> Result<(), Error> {
    let file = File::open(path).map_err(|e| read_error(path, e))?;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    for number in 1.. {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| read_error(path, e))?;
        // No newline: the end of the file, or a line still being appended (index.rs).
        if n == 0 || buf.last() != Some(&b'\n') {
            break;
        }
        let line = serde_json::from_slice(&buf).map_err(|e| Error::BadIndex {
            path: path.to_path_buf(),
            line: number,
            detail: format!("not an index line: {e}"),
        })?;
        each(number, line)?;
    }
    Ok(())
}

fn article_page(line: &Indexed) -> Result<Page, String> {
    let ts = DateTime::parse_from_rfc3339(&line.ts)
        .map_err(|_| format!("`ts` {:?} of {} is not RFC 3339", line.ts, line.url))?;
    let ts = ts
        .with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    let title = Some(line.title.clone()).filter(|t| !t.is_empty());
    let text = Some(line.text.clone()).filter(|t| !t.is_empty());
    Ok(Page::new(line.url.clone(), ts, title, text))
}

fn listing_page(capture: &HtmlCapture) -> Page {
    let ts = NaiveDateTime::parse_from_str(&capture.timestamp, "%Y%m%d%H%M%S")
        .map(|t| t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|_| capture.timestamp.clone());
    Page::new(capture.url.clone(), ts, page_title(capture), None)
}

/// The `<title>` of an archived HTML response, whitespace collapsed; `None` when the record or
/// its body cannot be read (the page is still listed, by URL).
fn page_title(capture: &HtmlCapture) -> Option<String> {
    let record = reader::read_at(&capture.path, capture.offset).ok()?;
    let header = |name: &str| record.http_header(name);
    let body = record.http_body()?;
    let (content_type, encoding) = (header("Content-Type"), header("Content-Encoding"));
    let decoded = crate::extract::decode(
        body,
        content_type.as_deref(),
        encoding.as_deref(),
        MAX_DECODED,
    )
    .ok()?;
    title_of(&decoded.text)
}

/// `<title>` of an HTML text; only the head up to `</title>` is parsed.
pub(super) fn title_of(html: &str) -> Option<String> {
    let end = html
        .to_ascii_lowercase()
        .find("</title>")
        .map_or(html.len(), |i| i + "</title>".len());
    let doc = Html::parse_document(html.get(..end).unwrap_or(html));
    let title = doc.select(&TITLE).next()?.text().collect::<String>();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(title).filter(|t| !t.is_empty())
}

/// The first 16 hex digits of sha256("{ts} {url}").
fn page_id(ts: &str, url: &str) -> String {
    let digest = Sha256::digest(format!("{ts} {url}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
