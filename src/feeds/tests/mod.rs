//! Tests for `feeds`: one file per concern, sharing the helpers below.

mod alternate;
mod limits;
mod sitemaps;
mod syndication;

use chrono::{DateTime, FixedOffset};

use super::*;
use crate::fetch::gunzip::gzip;

/// Parses with the default limits; the document must parse.
fn parsed(body: impl AsRef<[u8]>) -> Parsed {
    parse(body.as_ref(), &Limits::default()).unwrap()
}

fn urls(parsed: &Parsed) -> Vec<&str> {
    parsed.entries.iter().map(|e| e.url.as_str()).collect()
}

fn titles(parsed: &Parsed) -> Vec<Option<&str>> {
    parsed.entries.iter().map(|e| e.title.as_deref()).collect()
}

fn modified(parsed: &Parsed) -> Vec<Option<String>> {
    parsed
        .entries
        .iter()
        .map(|e| e.modified.map(|at| at.to_rfc3339()))
        .collect()
}

fn at(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap()
}

/// A complete document read to its end.
fn assert_complete(parsed: &Parsed, kind: Kind) {
    assert_eq!(parsed.kind, kind);
    assert_eq!(parsed.stop, None);
    assert!(!parsed.truncated);
}
