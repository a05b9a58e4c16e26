//! CDXJ: the replay index of one WARC file, as pywb and ReplayWeb.page read it.
//!
//! Part of the index stage (docs/architecture.md, §2 "Archive layout"): once a WARC file is closed,
//! [`write_for`] writes `index/cdxj/{warc file name}.cdxj` next to the JSON index, and `verify`
//! reads it back through [`Entry::parse`]. A line is `SURT-key timestamp14 {json}` with the JSON
//! fields `url, mime, status, digest, length, offset, filename`, all strings, in that order and
//! spelt as `cdxj-indexer` writes them (Python `json.dumps`: `", "` and `": "` separators, non-ASCII
//! as `\uXXXX`), so a line of ours and one of theirs for the same record are the same bytes
//! (docs/replay.md). Like `cdxj-indexer`, we index `response`, `revisit`,
//! `resource` and `metadata` records, except `resource` / `metadata` records holding
//! `application/warc-fields`; `request` and `warcinfo` records are not indexed. Lines are sorted
//! bytewise, as pywb's binary search needs. The key is [`crate::canonical::surt`].
//! This module reads closed WARC files only and never decides what to fetch.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use crate::archive::{self, reader::Record};

/// Record types cdxj-indexer indexes by default (its `DEFAULT_RECORDS`).
const INDEXED_TYPES: [&str; 4] = ["response", "revisit", "resource", "metadata"];

/// The `mime` cdxj-indexer gives every revisit record: the payload lives elsewhere.
const REVISIT_MIME: &str = "warc/revisit";

/// CDXJ failures: reading the WARC file or writing the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Archive(#[from] archive::Error),
    #[error("could not write the CDXJ index {path}; check the disk and permissions")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One CDXJ line. `mime`, `status` and `digest` are absent where cdxj-indexer leaves them out
/// (a record without an HTTP status, a revisit without a payload digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// SURT key of `url`.
    pub key: String,
    /// 14 digits, `YYYYMMDDhhmmss`, from WARC-Date.
    pub timestamp: String,
    /// `WARC-Target-URI`.
    pub url: String,
    pub mime: Option<String>,
    pub status: Option<String>,
    /// `sha1:` + base32 payload digest.
    pub digest: Option<String>,
    /// Compressed length of the record's gzip member.
    pub length: u64,
    /// Offset of the record's gzip member.
    pub offset: u64,
    /// The WARC file's name, relative to `archive_dir/warc`.
    pub filename: String,
}

impl Entry {
    /// The entry for `record`, or `None` for record types a replay index leaves out.
    pub fn for_record(record: &Record, filename: &str) -> Result<Option<Entry>, String> {
        let kind = record.record_type().unwrap_or_default();
        if !INDEXED_TYPES.contains(&kind) || is_warc_fields(record, kind) {
            return Ok(None);
        }
        let url = record
            .header("WARC-Target-URI")
            .ok_or_else(|| format!("{kind} record without WARC-Target-URI"))?;
        let date = record
            .header("WARC-Date")
            .ok_or_else(|| format!("{kind} record without WARC-Date"))?;
        Ok(Some(Entry {
            key: key_of(url),
            timestamp: timestamp14(date)?,
            url: url.to_string(),
            mime: mime_of(record, kind),
            status: status_of(record, kind),
            digest: digest_of(record, kind),
            length: record.length,
            offset: record.offset,
            filename: filename.to_string(),
        }))
    }

    /// The line, without its newline.
    pub fn to_line(&self) -> String {
        let (length, offset) = (self.length.to_string(), self.offset.to_string());
        let fields = [
            ("url", Some(self.url.as_str())),
            ("mime", self.mime.as_deref()),
            ("status", self.status.as_deref()),
            ("digest", self.digest.as_deref()),
            ("length", Some(length.as_str())),
            ("offset", Some(offset.as_str())),
            ("filename", Some(self.filename.as_str())),
        ];
        let json: Vec<String> = fields
            .iter()
            .filter_map(|(name, value)| value.map(|v| format!("\"{name}\": {}", py_json(v))))
            .collect();
        format!("{} {} {{{}}}", self.key, self.timestamp, json.join(", "))
    }

    /// Reads a line back (ours or cdxj-indexer's; numbers are accepted as strings or numbers).
    pub fn parse(line: &str) -> Result<Entry, String> {
        let (key, rest) = line.split_once(' ').ok_or("no space after the key")?;
        let (timestamp, json) = rest.split_once(' ').ok_or("no space after the timestamp")?;
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| format!("JSON part does not parse: {e}"))?;
        let text = |name: &str| -> Option<String> {
            match map.get(name)? {
                serde_json::Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        };
        let number = |name: &str| -> Result<u64, String> {
            let value = text(name).ok_or_else(|| format!("no `{name}`"))?;
            value.parse().map_err(|_| format!("`{name}` is {value:?}"))
        };
        Ok(Entry {
            key: key.to_string(),
            timestamp: timestamp.to_string(),
            url: text("url").ok_or("no `url`")?,
            mime: text("mime"),
            status: text("status"),
            digest: text("digest"),
            length: number("length")?,
            offset: number("offset")?,
            filename: text("filename").ok_or("no `filename`")?,
        })
    }
}

/// cdxj-indexer skips `resource` and `metadata` records of `application/warc-fields`.
fn is_warc_fields(record: &Record, kind: &str) -> bool {
    matches!(kind, "resource" | "metadata")
        && record.header("Content-Type") == Some("application/warc-fields")
}

/// The SURT key; a target that is no URL keys as itself, as cdxj-indexer does.
fn key_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
            crate::canonical::surt(&parsed)
        }
        Ok(_) => opaque_key(url),
        Err(_) => url.to_string(),
    }
}

/// What the `surt` package makes of a non-HTTP target such as our metadata records'
/// `urn:baoluu:article:…`: no host reversal, lowercased, query pieces sorted, a trailing `/`
/// dropped (checked against surt 0.3.1 through tests/replay.rs).
fn opaque_key(url: &str) -> String {
    let lower = url.to_lowercase();
    let (path, query) = match lower.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (lower.as_str(), None),
    };
    let path = path.strip_suffix('/').unwrap_or(path);
    match query {
        Some(query) => {
            let mut pieces: Vec<&str> = query.split('&').collect();
            pieces.sort_unstable();
            format!("{path}?{}", pieces.join("&"))
        }
        None => path.to_string(),
    }
}

/// `2026-11-27T18:00:00.123456Z` → `20261127180000`.
fn timestamp14(date: &str) -> Result<String, String> {
    let parsed = chrono::DateTime::parse_from_rfc3339(date)
        .map_err(|_| format!("WARC-Date {date:?} is not a W3C/ISO 8601 date"))?;
    Ok(parsed
        .with_timezone(&chrono::Utc)
        .format("%Y%m%d%H%M%S")
        .to_string())
}

/// The media type without parameters: the HTTP `Content-Type` for HTTP records, the record's
/// own `Content-Type` otherwise, `warc/revisit` for revisits.
fn mime_of(record: &Record, kind: &str) -> Option<String> {
    let value = match kind {
        "revisit" => return Some(REVISIT_MIME.to_string()),
        "response" => record
            .http_headers()
            .into_iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("Content-Type"))
            .map(|(_, value)| String::from_utf8_lossy(&value).into_owned())?,
        _ => record.header("Content-Type")?.to_string(),
    };
    // cdxj-indexer cuts at the first `;` or whitespace (its RE_SPACE), then trims.
    let cut = value
        .split(|c: char| c == ';' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    Some(cut.trim().to_string())
}

fn status_of(record: &Record, kind: &str) -> Option<String> {
    matches!(kind, "response" | "revisit")
        .then(|| record.http_status())
        .flatten()
        .map(|status| status.to_string())
}

/// `WARC-Payload-Digest`, or (as warcio's `ensure_digest` does for records that lack it) the
/// digest of the HTTP body or of the whole block; a revisit without one has none.
fn digest_of(record: &Record, kind: &str) -> Option<String> {
    if let Some(stated) = record.header("WARC-Payload-Digest") {
        return Some(stated.to_string());
    }
    if kind == "revisit" {
        return None;
    }
    let payload = record.http_body().unwrap_or(&record.block);
    Some(sha1_digest(payload))
}

/// `sha1:` + base32, the form our WARC digests take.
pub(crate) fn sha1_digest(bytes: &[u8]) -> String {
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(bytes))
    )
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`): short escapes for `"`, `\`
/// and the usual controls, `\uXXXX` (lowercase hex, surrogate pairs) for everything else outside
/// printable ASCII.
fn py_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// The CDXJ lines of every indexed record in `warc`, sorted bytewise. `filename` is what the
/// lines name the file (its name relative to `archive_dir/warc`).
pub fn index_file(warc: &Path, filename: &str) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    for record in archive::reader::records(warc)? {
        let record = record?;
        let entry =
            Entry::for_record(&record, filename).map_err(|detail| archive::Error::Corrupt {
                path: warc.to_path_buf(),
                offset: record.offset,
                detail,
            })?;
        lines.extend(entry.map(|e| e.to_line()));
    }
    lines.sort_unstable();
    Ok(lines)
}

/// Where the CDXJ index of the WARC file named `warc_name` lives.
pub fn path_for(index_dir: &Path, warc_name: &str) -> PathBuf {
    index_dir.join("cdxj").join(format!("{warc_name}.cdxj"))
}

/// Indexes the closed WARC `file` (a path, or a name relative to `warc_dir`) into
/// `index_dir/cdxj/{name}.cdxj`, replacing any earlier index of it. Written to a temporary file,
/// fsynced and renamed, so a reader never sees half an index. Returns the index's path.
pub fn write_for(warc_dir: &Path, index_dir: &Path, file: &Path) -> Result<PathBuf, Error> {
    let warc = warc_dir.join(file);
    let name = warc
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lines = index_file(&warc, &name)?;
    let target = path_for(index_dir, &name);
    let tmp = target.with_extension("cdxj.tmp");
    write_lines(&tmp, &lines)?;
    fs::rename(&tmp, &target).map_err(|source| Error::Io {
        path: target.clone(),
        source,
    })?;
    tracing::info!(file = %name, lines = lines.len(), "cdxj_written");
    Ok(target)
}

/// CDXJ for closed files (the WARC recorder's `OnClosed` hook, and recovery). CDXJ is derived
/// data ([`write_for`] can rebuild it any time), so a failure is logged, not fatal; `baoluu
/// verify` reports the missing index.
pub fn index_closed(warc_dir: &Path, index_dir: &Path, files: Vec<PathBuf>) {
    for file in files {
        // `write_for` takes the name inside `warc_dir`; the closed path already includes it
        // (joined twice, a relative archive_dir pointed nowhere: issue 13, item 9).
        let name = file
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| file.clone());
        if let Err(err) = write_for(warc_dir, index_dir, &name) {
            tracing::error!(file = %file.display(), error = %err, "cdxj_failed");
        }
    }
}

fn write_lines(path: &Path, lines: &[String]) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    let mut file = File::create(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests;
