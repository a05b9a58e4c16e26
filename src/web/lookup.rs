//! `/search`, `/article` and `/changes` of the status page (issue 19), and the article table
//! the portal page shares. An article's index line is read from the one WARC `metadata` record
//! the store points at (one gzip member), never by scanning an index file.

use std::fmt::Write as _;

use super::html::{enc, esc, page};
use super::http::Reply;
use super::overview::local;
use super::{Error, Site};
use crate::store::{ArticleRow, fold};

/// The most search results shown.
const MAX_RESULTS: u32 = 100;

/// The table of `rows`: title (a replay link when `replay_url` is set), published time,
/// authors, section, the index line; with `portal_column`, each row's portal first.
pub(super) fn table(site: &Site, rows: &[ArticleRow], portal_column: bool) -> String {
    let l = site.labels();
    if rows.is_empty() {
        return format!("<p>{}</p>", l.nothing);
    }
    let mut out = String::from("<table><tr>");
    if portal_column {
        let _ = write!(out, "<th>{}</th>", l.portal);
    }
    let _ = writeln!(
        out,
        "<th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        l.headline, l.published, l.authors, l.section, l.index_line
    );
    for row in rows {
        out.push_str("<tr>");
        if portal_column {
            let _ = write!(out, "<td>{}</td>", esc(&row.portal));
        }
        let _ = writeln!(
            out,
            "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/article?url={}\">JSON</a></td></tr>",
            title_cell(site, row),
            published(row.published.as_deref()),
            esc(&row.authors),
            esc(row.section.as_deref().unwrap_or("")),
            esc(&enc(&row.url)),
        );
    }
    out.push_str("</table>");
    out
}

/// The title, linked to `{replay_url}{ts}/{url}` (pywb's form) when a replay server is set.
fn title_cell(site: &Site, row: &ArticleRow) -> String {
    let title = match row.title.trim() {
        "" => esc(&row.url),
        t => esc(t),
    };
    let Some(replay) = &site.config.crawler.replay_url else {
        return format!("{title}<br><small>{}</small>", esc(&row.url));
    };
    let ts: String = row.ts.chars().filter(char::is_ascii_digit).collect();
    let href = format!("{replay}{ts}/{}", row.url);
    format!(
        "<a href=\"{}\" title=\"{}\">{title}</a><br><small>{}</small>",
        esc(&href),
        site.labels().replay,
        esc(&row.url)
    )
}

/// An RFC 3339 time in +07:00; text that does not parse is shown as it is.
fn published(text: Option<&str>) -> String {
    let Some(text) = text else {
        return String::new();
    };
    match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(t) => local(t.to_utc()),
        Err(_) => esc(text),
    }
}

/// `/search?q=`: newest first, at most [`MAX_RESULTS`] articles whose title or URL contains
/// every word, diacritics and case ignored.
pub(super) fn search(site: &Site, q: &str) -> Result<Option<Reply>, Error> {
    let l = site.labels();
    let words: Vec<String> = q.split_whitespace().map(fold).collect();
    let rows = match (site.store()?, words.is_empty()) {
        (Some(store), false) => store.search_articles(&words, MAX_RESULTS)?,
        _ => Vec::new(),
    };
    let mut body = format!(
        "<form action=\"/search\" method=\"get\"><input name=\"q\" value=\"{}\"> <button>{}</button></form>",
        esc(q),
        l.search
    );
    if !words.is_empty() {
        let _ = write!(body, "<p>{} {}</p>", rows.len(), l.results);
        body.push_str(&table(site, &rows, true));
    }
    Ok(Some(Reply::html(page(l, l.search, &body))))
}

/// `/article?url=URL`: the article's index line as JSON, read from its `metadata` record.
pub(super) fn article(site: &Site, url: &str) -> Result<Option<Reply>, Error> {
    let Some(store) = site.store()? else {
        return Ok(None);
    };
    let Some(row) = store.article(url)? else {
        return Ok(None);
    };
    let warc = site.archive_dir().join("warc").join(&row.warc_file);
    // A file still being written keeps its `.open` suffix until it is closed.
    let open = warc.with_file_name(format!("{}.open", row.warc_file));
    let path = if warc.exists() { warc } else { open };
    let failed = |detail: String| Error::IndexLine {
        url: url.to_string(),
        detail,
    };
    let record = crate::archive::reader::read_at(&path, row.meta_offset)
        .map_err(|e| failed(e.to_string()))?;
    let line: serde_json::Value = match record.record_type() {
        Some("metadata") => serde_json::from_slice(&record.block).unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    if line["url"] != url {
        return Err(failed(
            "the record there is not this article's index line".into(),
        ));
    }
    let body = serde_json::to_vec_pretty(&line).map_err(|e| failed(e.to_string()))?;
    Ok(Some(Reply::new("200 OK", "application/json", body)))
}

/// Most events `/changes` lists (newest first).
const MAX_CHANGES: usize = 200;

/// `/changes`: edits, takedowns, restorations and moves (issue 15), newest first, from the
/// portals' `changes/*.jsonl` (events are few: one per changed article, never one per fetch).
pub(super) fn changes(site: &Site) -> Reply {
    let l = site.labels();
    let filter = crate::history::Filter::default();
    let events = crate::history::select(site.archive_dir(), &filter).unwrap_or_default();
    if events.is_empty() {
        let body = format!("<p id=\"not-available\">{}</p>", l.not_available);
        return Reply::html(page(l, l.changes, &body));
    }
    let mut body = String::from("<table id=\"changes\"><tbody>");
    for event in events.iter().take(MAX_CHANGES) {
        let when = chrono::DateTime::parse_from_rfc3339(&event.ts)
            .map(|t| {
                t.with_timezone(&crate::schedule::VIETNAM)
                    .format("%Y-%m-%d %H:%M %:z")
                    .to_string()
            })
            .unwrap_or_else(|_| event.ts.clone());
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td></tr>",
            esc(&when),
            esc(&event.portal),
            esc(event.change.as_str()),
            esc(&event.url),
            esc(&event.url),
            esc(&event.fields.join(", ")),
        ));
    }
    body.push_str("</tbody></table>");
    Reply::html(page(l, l.changes, &body))
}
