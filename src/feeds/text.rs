//! Text sitemaps: one URL per line (sitemaps.org "Text file").
//!
//! Part of the feeds stage, for a body whose first non-blank byte is not `<`. Lines are read one
//! at a time through [`Input`], so a line is the token [`super::MAX_TOKEN`] caps. A line counts
//! when it is an absolute http(s) URL with no inner whitespace; blank and other lines are
//! skipped, except that a first line that is not a URL means the body is not a text sitemap at
//! all (a JSON feed, an error message, binary junk). Never resolves URLs.

use std::io::BufRead;

use super::input::Input;
use super::{Entry, Error, Kind, Limits, Parsed, Stop};

/// Reads a text sitemap.
pub(super) fn parse(mut input: Input, limits: &Limits) -> Result<Parsed, Error> {
    let mut entries = Vec::new();
    let mut line = Vec::new();
    let stop = loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => break None,
            Ok(_) => {}
            Err(_) => break Some(Stop::Corrupt),
        }
        if !line.ends_with(b"\n") && input.cut().is_some() {
            // A line cut by a limit would be a wrong URL.
            break None;
        }
        input.mark();
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if !is_url_line(text) {
            if entries.is_empty() {
                return Err(Error::NotRecognised);
            }
            continue;
        }
        if entries.len() >= limits.max_entries {
            break Some(Stop::MaxEntries);
        }
        entries.push(Entry {
            url: text.to_string(),
            modified: None,
            title: None,
        });
    };
    let stop = input.cut().or(stop);
    Ok(Parsed::new(Kind::Text, entries, stop))
}

/// An absolute http(s) URL alone on its line.
fn is_url_line(text: &str) -> bool {
    let scheme = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    (scheme.starts_with("http://") || scheme.starts_with("https://"))
        && !text.contains(char::is_whitespace)
}
